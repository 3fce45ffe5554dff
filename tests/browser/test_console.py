"""The operator console in a real headless Chromium, in Swedish, over real processes: a bureau's
mock Fortnox (`mockfortnox serve`) and `fortnox-bridge watch --console` beside it.

The bureau has two companies: acme, connected with a service account, and bygg, configured but
not connected yet. The operator sees both, connects bygg with the activation link, and brings a
file that Fortnox refused back from failed to done without leaving the page.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bridge.util import dumps
from tests.browser.conftest import every_control_is_labelled, screenshot
from tests.e2e.bureau import CLIENT_ID, COMPANIES, SECRET, bureau_seed
from tests.e2e.processes import MockProcess, Process, free_port, wait_until
from tests.e2e.test_connect import approve_in_browser

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "byråns konsol"
JOURNAL = "Date,VoucherId,Account,Amount,Description\n{date},{id},6110,500.00,Kontorsmaterial\n{date},{id},1930,-500.00,Kontorsmaterial\n"


class Console(Process):
    """A `fortnox-bridge` command serving the console, waited for until it listens."""

    def __init__(self, workdir: Path, *args: str, env: dict | None = None, log: str = "console.log") -> None:
        super().__init__(
            [sys.executable, "-m", "bridge", *args],
            workdir,
            workdir / log,
            env={"FORTNOX_CLIENT_SECRET": SECRET, "FORTNOX_UI_LANGUAGE": "sv", **(env or {})},
        )
        wait_until(lambda: "The console is at" in self.output(), 90, what="the console to listen")


@pytest.fixture
def bureau(tmp_path):
    """The mock Fortnox of a bureau whose integration sends consents back to the console."""
    port = free_port()
    seed = tmp_path / "bureau-seed.json"
    seed.write_text(dumps(bureau_seed(f"http://127.0.0.1:{port}/connect/callback")), encoding="utf-8")
    mock = MockProcess(tmp_path, "--seed", str(seed))
    (tmp_path / "bridge.toml").write_text(
        f'[fortnox]\nurl = "{mock.url}"\nclient_id = "{CLIENT_ID}"\n'
        "[watch]\nsettle_seconds = 0.2\n"
        f'[tenants.acme.fortnox]\ntenant_id = "{COMPANIES["acme"][0]}"\ncompany = "{COMPANIES["acme"][1]}"\n'
        "[tenants.bygg]\n",
        encoding="utf-8",
    )
    yield tmp_path, mock, port
    mock.stop()


@pytest.fixture
def console(bureau):
    workdir, mock, port = bureau
    process = Console(workdir, "watch", "--console", "--console-port", str(port))
    yield f"http://127.0.0.1:{port}", workdir, mock
    process.stop()


# Parts of the pages are replaced every two seconds: an element found a moment ago may be gone.
# Reads go through one script call (atomic), clicks and waits try again on a stale element.


def _wait(browser, condition, timeout: float = 30, what: str = ""):
    waiting = WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,))
    return waiting.until(lambda d: condition(d), message=what)


def _text(browser, css: str) -> str:
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css
    )


def _attribute(browser, css: str, name: str) -> str:
    script = "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : ''"
    return browser.execute_script(script, css, name) or ""


def _click(browser, by: str, value: str) -> None:
    _wait(browser, lambda d: d.find_element(by, value).click() or True, 10, what=f"to click {value}")


def _connection(browser, company: str) -> str:
    return _attribute(browser, f"#company-{company} td.connection", "data-state")


def _drop(workdir: Path, company: str, name: str, date: str) -> None:
    folder = workdir / "inbox" / company
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(JOURNAL.format(date=date, id=name.split(".")[0]), encoding="utf-8")


def test_the_companies_page_shows_a_connected_and_a_not_connected_company(browser, console):
    url, _, _ = console
    browser.get(url)
    assert "Företag" in browser.title
    # Each company is checked on its own first turn at the shared workers, in either order.
    _wait(browser, lambda d: _connection(d, "bygg") == "not connected", what="bygg checked at Fortnox")
    _wait(browser, lambda d: _connection(d, "acme") == "connected", what="acme checked at Fortnox")
    assert "Inte ansluten" in _text(browser, "#company-bygg")
    assert "Ansluten" in _text(browser, "#company-acme")
    assert every_control_is_labelled(browser) == []


def test_a_refused_file_is_read_in_swedish_fixed_in_fortnox_and_retried_without_a_reload(
    browser, console, request
):
    url, workdir, mock = console
    _drop(workdir, "acme", "V-1.csv", "2026-02-27")  # fetches the company's registers, goes through
    wait_until(lambda: (workdir / "outbox" / "acme" / "archive" / "V-1.csv").exists(), 60, what="V-1 done")
    # Someone closes March in Fortnox after the bridge read the registers: Fortnox refuses the next one.
    httpx.patch(
        f"{mock.url}/mock/tenants/acme", json={"locked_period": "2026-03-31"}, timeout=30
    ).raise_for_status()
    _drop(workdir, "acme", "V-2.csv", "2026-03-15")
    wait_until(lambda: (workdir / "outbox" / "acme" / "failed" / "V-2.csv").exists(), 60, what="V-2 refused")

    browser.get(url)
    _wait(browser, lambda d: _text(d, "#company-acme td.failed") == "1")
    _wait(browser, lambda d: _connection(d, "bygg") == "not connected")
    # The README's picture: `make golden` (--update-golden) keeps it in docs/.
    golden = request.config.getoption("--update-golden")
    screenshot(browser, REPO / "docs" / "console.png" if golden else workdir / "console.png")
    _click(browser, By.LINK_TEXT, "acme")
    _click(browser, By.LINK_TEXT, "V-2.csv")
    assert _text(browser, "#state") == "Misslyckades"
    report = _text(browser, "#file-state")
    assert "ligger i en låst period" in report  # Fortnox's own words, as it said them
    assert every_control_is_labelled(browser) == []
    screenshot(browser, REPO / "docs" / "console-file.png" if golden else workdir / "console-file.png")

    httpx.patch(f"{mock.url}/mock/tenants/acme", json={"locked_period": None}, timeout=30).raise_for_status()
    browser.execute_script("window.stillTheSamePage = true")
    _click(browser, By.CSS_SELECTOR, "button.retry")
    _wait(browser, lambda d: _attribute(d, "#state", "data-state") == "done", 60)
    assert browser.execute_script("return window.stillTheSamePage") is True  # no reload
    assert _text(browser, "#state") == "Klar"
    assert "VoucherNumber" in _text(browser, "#documents")  # its Fortnox number


def test_the_activation_link_connects_the_company(browser, console):
    url, workdir, _ = console
    bygg_id, bygg_name, bygg_org = COMPANIES["bygg"]
    browser.get(f"{url}/companies/bygg")
    browser.find_element(By.ID, "make-activation").click()  # a form's POST: the next page loads after it
    shown = _wait(browser, lambda d: d.find_elements(By.ID, "activation-link"), what="the activation link")
    link = shown[0].get_attribute("value")
    assert "/oauth-v1/auth?" in link and SECRET not in browser.page_source
    mail = browser.find_element(By.LINK_TEXT, "Skicka med e-post").get_attribute("href")
    assert mail.startswith("mailto:") and "oauth-v1" in mail
    assert every_control_is_labelled(browser) == []

    outcome = approve_in_browser(browser, link, bygg_name)  # the administrator, in the same browser
    assert f"{bygg_name} ({bygg_org}) är nu kopplat" in outcome
    assert f'tenant_id = "{bygg_id}"' in (workdir / "bridge.toml").read_text(encoding="utf-8")

    browser.get(url)
    _wait(browser, lambda d: _connection(d, "bygg") == "connected", what="bygg connected")
    assert SECRET not in browser.page_source


def test_a_post_without_the_csrf_token_is_refused(browser, console):
    url, _, _ = console
    browser.get(f"{url}/exports")
    browser.execute_script("document.querySelector('input[name=csrf_token]').remove()")
    browser.find_element(By.ID, "start-export").click()
    _wait(browser, lambda d: "säkerhetstoken saknas" in _text(d, "#refusal"), what="the refusal")
    assert httpx.post(f"{url}/exports", data={"kind": "sie", "tenant": "acme"}, timeout=30).status_code == 400


def test_off_the_loopback_address_the_console_asks_for_a_login(browser, bureau):
    workdir, _, _ = bureau
    refused = subprocess.run(
        [sys.executable, "-m", "bridge", "console", "--host", "0.0.0.0", "--port", "0"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FORTNOX_CLIENT_SECRET": SECRET},
    )
    assert refused.returncode == 2 and "console.password_hash" in refused.stderr

    from bridge.console import hash_password

    port = free_port()
    env = {"FORTNOX_CONSOLE_PASSWORD_HASH": hash_password(PASSWORD)}
    process = Console(workdir, "console", "--host", "0.0.0.0", "--port", str(port), env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/companies/rows", timeout=30).status_code == 302
        browser.get(url)
        assert "/login" in browser.current_url
        assert every_control_is_labelled(browser) == []
        browser.find_element(By.ID, "password").send_keys("fel")
        browser.find_element(By.ID, "login").click()
        _wait(browser, lambda d: "Fel lösenord" in d.page_source, what="the refusal")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "login").click()
        _wait(
            browser, lambda d: d.find_elements(By.ID, "company-acme"), what="the companies after logging in"
        )
        assert (
            PASSWORD not in browser.page_source
            and env["FORTNOX_CONSOLE_PASSWORD_HASH"] not in browser.page_source
        )
    finally:
        process.stop()


@pytest.fixture(autouse=True)
def _chromium_present():
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("headless Chromium not installed: apt-get install chromium chromium-driver")
