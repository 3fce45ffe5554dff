"""A bureau's world for end-to-end tests of connecting: `mockfortnox serve` with two client
companies, the bureau's own integration (client id, secret, a loopback redirect URI) and a
bureau user who may see both companies; `fortnox-bridge connect` as a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import httpx

from bridge.util import dumps, loads
from tests.e2e.processes import MockProcess, Process, free_port, wait_until
from tests.unit.connect.conftest import BUREAU_USER

CLIENT_ID, SECRET = "bridge-app", "bridge-secret"
HEADER = "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\n"
COMPANIES = {
    "acme": (700001, "Acme Konsult AB", "556000-0001"),
    "bygg": (700002, "Bygg & Montage AB", "556000-0002"),
}


def bureau_seed(redirect_uri: str) -> dict:
    demo = loads(resources.files("mockfortnox").joinpath("seeds/demo-company.json").read_text("utf-8"))
    spec = demo["tenants"][0]
    tenants = [
        {
            **spec,
            "name": name,
            "id": number,
            "company": {**spec["company"], "CompanyName": company, "OrganizationNumber": org},
        }
        for name, (number, company, org) in COMPANIES.items()
    ]
    client = {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "name": "fortnox-bridge",
        "redirect_uris": [redirect_uri],
        "service_accounts": True,
    }
    bureau_user = {**BUREAU_USER, "tenants": list(COMPANIES)}  # may see both, administers both
    return {"clients": [client], "users": [bureau_user], "tenants": tenants}


class Bureau:
    """The mock Fortnox of a bureau, and the bridge's working folder beside it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
        seed = workdir / "bureau-seed.json"
        seed.write_text(dumps(bureau_seed(self.redirect_uri)), encoding="utf-8")
        self.mock = MockProcess(workdir, "--seed", str(seed))
        self.url = self.mock.url

    def configure(self, text: str = "") -> None:
        (self.workdir / "bridge.toml").write_text(
            "# the bureau's bridge\n"
            f'[fortnox]\nurl = "{self.url}"\nclient_id = "{CLIENT_ID}"\nredirect_uri = "{self.redirect_uri}"\n'
            f"[watch]\nsettle_seconds = 0.2\n" + text,
            encoding="utf-8",
        )

    def drop_invoice(self, tenant: str, number: str, customer: str = "1002") -> Path:
        folder = self.workdir / "inbox" / tenant
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{number}.csv"
        path.write_text(HEADER + f"{number};{customer};Konsult;1;1500\n", encoding="utf-8")
        return path

    def invoices(self, tenant: str) -> list[str]:
        with self.mock.api(tenant) as api:
            return sorted(i["ExternalInvoiceReference1"] for i in api.iter_pages("/3/invoices", "Invoices"))

    def requests(self, path: str) -> list[dict]:
        return httpx.get(f"{self.url}/mock/requests", params={"path": path}).json()["requests"]

    def stop(self) -> None:
        self.mock.stop()


def bridge(
    workdir: Path, *args: str, secret: str = SECRET, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """One `fortnox-bridge` command, run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        env={**_environ(), "FORTNOX_CLIENT_SECRET": secret} if secret else _environ(),
    )


def _environ() -> dict:
    return {k: v for k, v in os.environ.items() if k != "FORTNOX_CLIENT_SECRET"}


class ConnectProcess(Process):
    """`fortnox-bridge connect …` waiting for the consent; `link` is the address it printed."""

    def __init__(self, workdir: Path, *args: str) -> None:
        super().__init__(
            [sys.executable, "-m", "bridge", "connect", *args],
            workdir,
            workdir / "connect.log",
            env={"FORTNOX_CLIENT_SECRET": SECRET},
        )
        found = wait_until(
            lambda: re.search(r"(http://\S+/oauth-v1/auth\?\S+)", self.output()), 30, what="the consent link"
        )
        self.link = found[1]

    def wait(self, timeout: float = 60) -> int:
        return self.popen.wait(timeout)


class WatchProcess(Process):
    """`fortnox-bridge watch` with the integration's secret (or a wrong one)."""

    def __init__(self, workdir: Path, secret: str = SECRET, log: str = "watch.log") -> None:
        super().__init__(
            [sys.executable, "-m", "bridge", "watch"],
            workdir,
            workdir / log,
            env={"FORTNOX_CLIENT_SECRET": secret},
        )
        wait_until(lambda: "Watching" in self.output(), 30, what="the bridge to watch")
