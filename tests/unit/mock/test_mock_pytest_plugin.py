"""The pytest plugin, used by a test file exactly as someone testing their own client writes it:
nothing imported from mockfortnox, the fixture found through the installed plugin, a separate
pytest process."""

from __future__ import annotations

import textwrap

import pytest

STRANGERS_TESTS = '''
import httpx


class TheirClient:
    """Somebody's own Fortnox client: it knows nothing of the mock but its address."""

    def __init__(self, base_url, token):
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"})

    def create_customer(self, name):
        return self.http.post("/3/customers", json={"Customer": {"Name": name}})

    def customers(self):
        return [c["Name"] for c in self.http.get("/3/customers").json()["Customers"]]


def test_their_client_creates_a_customer(mockfortnox):
    client = TheirClient(mockfortnox.url, mockfortnox.token(scopes=["customer"]))
    assert client.create_customer("Främling AB").status_code == 201
    assert "Främling AB" in client.customers()
    posted = mockfortnox.requests(method="POST", path="/3/customers")
    assert [r["status"] for r in posted] == [201]
    assert posted[0]["request"]["headers"]["Authorization"] == "Bearer ********"


def test_every_test_starts_from_the_same_company(mockfortnox):
    client = TheirClient(mockfortnox.url, mockfortnox.token())
    assert "Främling AB" not in client.customers()
    assert mockfortnox.requests(method="POST") == []


def test_a_token_without_the_scope_is_refused(mockfortnox):
    client = TheirClient(mockfortnox.url, mockfortnox.token(scopes="invoice article"))
    assert client.http.get("/3/customers").status_code == 403


def test_faults_make_fortnox_fail_as_it_does(mockfortnox):
    mockfortnox.faults({"path": "/3/customers", "status": 503, "times": 1})
    client = TheirClient(mockfortnox.url, mockfortnox.token())
    assert client.http.get("/3/customers").status_code == 503
    assert client.http.get("/3/customers").status_code == 200
    assert [r["fault"] for r in mockfortnox.requests()] == ["status", ""]


def test_credentials_work_like_a_real_service_account(mockfortnox):
    creds = mockfortnox.credentials
    answer = httpx.post(creds["token_url"], data={"grant_type": "client_credentials"},
                        auth=(creds["client_id"], creds["client_secret"]),
                        headers={"TenantId": str(creds["tenant_id"])})
    token = answer.json()["access_token"]
    assert httpx.get(f"{creds['api_url']}/companyinformation",
                     headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_company_from_a_json_seed(mockfortnox, tmp_path):
    seed = tmp_path / "bolag.json"
    seed.write_text('{"tenants": [{"name": "bolaget", "id": 555, "licences": ["customer"],'
                    ' "customers": [{"CustomerNumber": "7", "Name": "Sju AB"}]}]}', encoding="utf-8")
    assert mockfortnox.seed(seed) == [{"id": 555, "name": "bolaget", "company": ""}]
    client = TheirClient(mockfortnox.url, mockfortnox.token(tenant="bolaget"))
    assert client.customers() == ["Sju AB"]
'''

SIE_FILE = textwrap.dedent(
    """\
    #FLAGGA 0
    #PROGRAM "Test" 1.0
    #FORMAT PC8
    #GEN 20260101
    #SIETYP 4
    #FNAMN "Sie-bolaget AB"
    #ORGNR 556000-0001
    #RAR 0 20260101 20261231
    #KONTO 1930 "Bank"
    #KONTO 3001 "Försäljning"
    #IB 0 1930 1000.00
    #VER A 1 20260115 "Försäljning"
    {
    #TRANS 1930 {} 500.00
    #TRANS 3001 {} -500.00
    }
    """
)


@pytest.mark.slow
def test_a_strangers_test_file_passes_with_the_installed_plugin(pytester: pytest.Pytester):
    pytester.makepyfile(test_their_client=STRANGERS_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=6)


@pytest.mark.slow
def test_a_company_from_a_sie_file_and_the_clock(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_sie="""
import httpx

def test_sie_company(mockfortnox, tmp_path):
    path = tmp_path / "sie-bolaget.se"
    path.write_bytes(SIE.encode("cp437"))
    company = mockfortnox.seed(path)[0]
    token = mockfortnox.token(tenant=company["id"])
    accounts = httpx.get(f"{mockfortnox.url}/3/accounts", headers={"Authorization": f"Bearer {token}"}).json()
    assert {a["Number"] for a in accounts["Accounts"]} >= {1930, 3001}
    assert mockfortnox.clock(freeze="2026-06-01T12:00:00+00:00").startswith("2026-06-01T12:00")
""".replace("SIE", repr(SIE_FILE))
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


@pytest.mark.slow
def test_the_rate_limit_can_be_switched_on_in_the_ini(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\nmockfortnox_rate_limit = 2/5s\n")
    pytester.makepyfile(
        test_limit="""
import httpx

def test_third_call_is_limited(mockfortnox):
    headers = {"Authorization": f"Bearer {mockfortnox.token()}"}
    codes = [httpx.get(f"{mockfortnox.url}/3/customers", headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
"""
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=1)
