"""Each flow names the scopes it needs; `connect` asks for the union of the enabled flows."""

import pytest

from bridge.fortnox.scopes import FLOWS, MODULES, PROBES, flow_of_kind, flows_named, scope_of_path, scopes_for


def test_the_issue_of_each_flow_is_its_scopes():
    assert flows_named("invoices")[0].scopes == ("invoice", "customer", "article", "companyinformation")
    assert flows_named("supplierinvoices")[0].scopes == (
        "supplierinvoice",
        "supplier",
        "inbox",
        "connectfile",
    )
    assert flows_named("vouchers")[0].scopes == ("bookkeeping", "settings")


def test_flows_by_name_and_all():
    assert flows_named("all") == flows_named("") == FLOWS
    assert [f.name for f in flows_named("vouchers, invoices vouchers")] == ["vouchers", "invoices"]
    with pytest.raises(ValueError, match="unknown flow salary; known: all, invoices"):
        flows_named("salary")


def test_connect_asks_for_every_scope_the_flows_may_use():
    assert scopes_for(flows_named("vouchers")) == ("bookkeeping", "costcenter", "project", "settings")


def test_every_scope_has_a_module_name_and_a_probe():
    for flow in FLOWS:
        for scope in (*flow.scopes, *flow.extra_scopes):
            assert scope in MODULES and scope in PROBES


def test_a_document_kind_belongs_to_one_flow():
    assert flow_of_kind("invoice").name == "invoices"
    assert flow_of_kind("cancel").name == "supplierinvoices"
    assert flow_of_kind("registers").name == "vouchers"
    assert flow_of_kind("nonsense") is None


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/3/suppliers/12", "supplier"),
        ("/3/supplierinvoices/5/bookkeep", "supplierinvoice"),
        ("/3/supplierinvoicefileconnections", "connectfile"),
        ("/3/invoices?filter=x", "invoice"),
        ("/3/invoicepayments", "payment"),
        ("/3/accounts/1930?financialyear=1", "bookkeeping"),
        ("/3/settings/lockedperiod", "settings"),
        ("/3/unknown", ""),
    ],
)
def test_the_scope_of_a_path(path, scope):
    assert scope_of_path(path) == scope
