"""Fixtures for the SIE tests: our own fixture files by rule name, and the shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from sie_helpers import FIXTURES


@pytest.fixture
def fixture_path():
    def path(name: str) -> Path:
        found = FIXTURES / name
        assert found.is_file(), f"no fixture {found}"
        return found

    return path


@pytest.fixture
def sie_corpus(shared_ref: Path) -> Path:
    """The third-party SIE files in ../shared/ref/sie (skips when that folder is absent)."""
    folder = shared_ref / "sie"
    if not folder.is_dir():
        pytest.skip(f"SIE reference corpus not found at {folder}")
    return folder
