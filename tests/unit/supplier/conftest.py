"""A bridge on the in-process mock, with the demo company as the buyer of the fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

BUYER_ORG = "559123-4561"  # the buyer in fixtures/einvoice/*.xml


@pytest.fixture
def company(mock_http) -> Callable[[str], None]:
    """Give the demo company another organisation number."""

    def set_org(org_number: str) -> None:
        answer = mock_http.patch("/mock/tenants/demo", json={"company": {"OrganizationNumber": org_number}})
        assert answer.status_code == 200, answer.get_data(as_text=True)

    set_org(BUYER_ORG)
    return set_org


@pytest.fixture
def make_bridge(make_bridge, company):
    """The shared bridge factory, with the demo company as the fixtures' buyer first."""
    return make_bridge
