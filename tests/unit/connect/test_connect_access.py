"""Before any file is sent: is the company connected, are the scopes granted, are the modules
licensed? Each problem is a sentence and a command."""

import httpx
import pytest

from bridge.fortnox import ClientCredentials, FortnoxClient, OAuth, StaticToken
from bridge.fortnox.access import check_access
from bridge.fortnox.scopes import FLOWS, flows_named


def client_for(mock, tokens) -> FortnoxClient:
    return FortnoxClient("http://mock", tokens, transport=httpx.WSGITransport(app=mock))


def service_account(mock, secret="demo-secret", tenant_id="123456") -> FortnoxClient:
    oauth = OAuth("http://mock/oauth-v1", "demo-client", secret, transport=httpx.WSGITransport(app=mock))
    return client_for(mock, ClientCredentials(oauth, tenant_id, tenant="bygg"))


def test_a_company_with_everything_is_connected(mock):
    check = check_access(service_account(mock), "bygg", FLOWS)
    assert check.state == "connected" and check.notices == ()
    assert check.company == "Demobolaget i Sverige AB" and check.tenant_id == "123456"
    assert check.organisation_number == "559900-0006"
    assert all(check.licences.values()) and "supplierinvoice" in check.licences


def test_a_missing_module_names_it_and_only_its_flow_waits(mock):
    licences = [s for s in mock.extensions["mockfortnox"].tenant("demo").licences if s != "supplierinvoice"]
    mock.test_client().patch("/mock/tenants/demo", json={"licences": licences})
    check = check_access(service_account(mock), "bygg", FLOWS)
    assert check.state == "connected" and check.licences["supplierinvoice"] is False
    [notice] = check.blocked
    assert notice.flows == ("supplierinvoices",) and notice.problem == "licence"
    assert notice.message == (
        "Demobolaget i Sverige AB has no licence for Leverantörsfakturor (supplier invoices) in Fortnox,"
        " so supplier invoices cannot be sent; those files wait in the queue."
    )
    assert (
        notice.command
        == "order Leverantörsfakturor (supplier invoices) in Fortnox, then run `fortnox-bridge tenants`"
    )


def test_a_scope_the_consent_lacks_asks_for_a_reconnect(mock):
    token = mock.test_client().post("/mock/tokens", json={"tenant": "demo", "scopes": ["bookkeeping"]}).json
    check = check_access(
        client_for(mock, StaticToken(token["access_token"])), "bygg", flows_named("vouchers")
    )
    [notice] = check.blocked
    assert (notice.problem, notice.scope, notice.flows) == ("scope", "settings", ("vouchers",))
    assert notice.command.endswith("then run `fortnox-bridge connect --tenant bygg`")


def test_the_granted_scopes_are_compared_without_asking(mock):
    mock.test_client().delete("/mock/requests")
    client = service_account(mock)
    client.tokens.access_token()
    client.tokens.scopes = ("bookkeeping",)  # as if the service consent granted only this
    check = check_access(client, "bygg", flows_named("vouchers"), probe=False)
    assert [(n.problem, n.scope) for n in check.blocked] == [("scope", "settings")]
    assert mock.test_client().get("/mock/requests?path=/3/").json["requests"] == []


@pytest.mark.parametrize(
    ("client", "problem", "state"),
    [
        (lambda mock: service_account(mock, secret="wrong"), "secret", "reconnect needed"),
        (lambda mock: service_account(mock, tenant_id=""), "not_connected", "not connected"),
        (lambda mock: service_account(mock, tenant_id="999"), "consent", "reconnect needed"),
    ],
)
def test_a_connection_problem_stops_the_whole_company(mock, client, problem, state):
    check = check_access(client(mock), "bygg", FLOWS)
    assert check.state == state and check.connection.problem == problem and check.connection.whole_company
    assert "fortnox-bridge connect --tenant bygg" in check.connection.command


def test_no_integration_licence_stops_everything(mock):
    mock.test_client().patch("/mock/tenants/demo", json={"api_licence": False})
    check = check_access(service_account(mock), None, FLOWS)
    assert check.connection.problem == "api_licence"
    assert "Api-licens saknas." in check.connection.message
