"""A bridge on the in-process mock (the demo company), for undoing what it sent."""

from __future__ import annotations

import pytest


@pytest.fixture
def bridge(make_bridge):
    return make_bridge()
