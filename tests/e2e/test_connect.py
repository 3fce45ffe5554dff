"""A bureau connects a client company with one command and one click in a real browser: the
bureau user picks the company on Fortnox's consent page, and from then on files dropped into
`inbox/bygg/` become invoices in that company, and nothing in the other."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.bureau import COMPANIES, Bureau, ConnectProcess, WatchProcess, bridge
from tests.e2e.processes import wait_until
from tests.unit.connect.conftest import BUREAU_USER

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def browser():
    """Headless Chromium driven by selenium (Debian's chromium and chromium-driver)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.skip("needs a real browser: apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    chrome = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    chrome.set_page_load_timeout(60)
    yield chrome
    chrome.quit()


@pytest.fixture
def bureau(tmp_path):
    world = Bureau(tmp_path)
    yield world
    world.stop()


def approve_in_browser(chrome, link: str, company: str) -> str:
    """What the bureau user does on Fortnox's consent page: pick the company, approve.
    Answers the text of the page the browser ends on."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    chrome.get(link)
    if chrome.find_elements(By.ID, "username"):  # Fortnox asks the user to log in first
        chrome.find_element(By.ID, "username").send_keys(BUREAU_USER["username"])
        chrome.find_element(By.ID, "password").send_keys(BUREAU_USER["password"])
        chrome.find_element(By.ID, "login").click()  # a form's POST: the consent page loads after it

    def consent_page() -> object:
        try:  # the login page may still be there, or be replaced while it is read
            if chrome.find_elements(By.ID, "username"):
                return None
            return [
                label for label in chrome.find_elements(By.CSS_SELECTOR, "label") if company in label.text
            ]
        except WebDriverException:
            return None

    [choice] = wait_until(consent_page, 60, what="the consent page")
    assert "fortnox-bridge" in chrome.page_source  # the page names the application …
    assert "supplierinvoice" in chrome.page_source  # … and the scopes it asks for
    choice.find_element(By.CSS_SELECTOR, "input[name=tenant]").click()
    chrome.find_element(By.CSS_SELECTOR, "button[value=allow]").click()

    def outcome() -> str:
        try:  # the page is replaced under our feet while the browser follows the redirect
            text = chrome.find_element(By.ID, "outcome").text
        except WebDriverException:
            return ""
        return text

    return wait_until(outcome, 60, what="the bridge's page after the consent")


def test_a_bureau_connects_the_second_company_in_a_browser_and_its_files_go_there(bureau, browser):
    acme_id = COMPANIES["acme"][0]
    bygg_id, bygg_name, bygg_org = COMPANIES["bygg"]
    bureau.configure(f'[tenants.acme.fortnox]\ntenant_id = "{acme_id}"\n')
    connecting = ConnectProcess(bureau.workdir, "--tenant", "bygg")
    try:
        page = approve_in_browser(browser, connecting.link, bygg_name)
        assert connecting.wait() == 0, connecting.output()
        said = connecting.output()
    finally:
        connecting.stop()
    assert f"{bygg_name} ({bygg_org}) is connected" in page
    assert "system administrator" in said and "send it to the company's Fortnox administrator" in said
    config = (bureau.workdir / "bridge.toml").read_text(encoding="utf-8")
    assert config.startswith("# the bureau's bridge\n")
    assert f'[tenants.bygg.fortnox]\ntenant_id = "{bygg_id}"\ncompany = "{bygg_name}"\n' in config

    listed = bridge(bureau.workdir, "tenants", "--json")
    assert listed.returncode == 0, listed.stderr
    assert '"state": "connected"' in listed.stdout

    watch = WatchProcess(bureau.workdir)
    try:
        bureau.drop_invoice("bygg", "BY-1")
        wait_until(lambda: (bureau.workdir / "outbox" / "bygg" / "archive" / "BY-1.csv").exists(), 60)
    finally:
        watch.stop()
    assert bureau.invoices("bygg") == ["fnb:BY-1"]
    assert bureau.invoices("acme") == []
