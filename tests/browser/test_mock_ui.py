"""`/mock/ui` in a real headless Chromium: companies and records, faults on and off, the clock,
reset, and the request log updating while a client works."""

from __future__ import annotations

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from mockfortnox import create_app
from mockfortnox.server import MockServer
from tests.browser.conftest import every_control_is_labelled

pytestmark = pytest.mark.slow


@pytest.fixture
def mock():
    server = MockServer(create_app({"MOCK_RATE_LIMIT": "off"})).start()
    yield server
    server.stop()


def _token(url: str) -> dict:
    token = httpx.post(f"{url}/mock/tokens", json={"tenant": "demo"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _wait(browser, condition, timeout: float = 10):
    # The page replaces its parts as it refreshes them: an element found a moment ago may be gone.
    waiting = WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,))
    return waiting.until(lambda d: condition(d))


def test_every_control_has_a_label(browser, mock):
    browser.get(f"{mock.url}/mock/ui")
    assert every_control_is_labelled(browser) == []
    browser.get(f"{mock.url}/mock/ui/companies/demo")
    assert every_control_is_labelled(browser) == []


def test_a_company_and_its_records(browser, mock):
    browser.get(f"{mock.url}/mock/ui")
    browser.find_element(By.LINK_TEXT, "demo").click()
    Select(browser.find_element(By.ID, "table")).select_by_value("customers")
    browser.find_element(By.CSS_SELECTOR, "#table-form button").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "details summary"))
    keys = [s.text for s in browser.find_elements(By.CSS_SELECTOR, "details summary")]
    assert "1001" in keys


def test_the_request_log_is_live(browser, mock):
    browser.get(f"{mock.url}/mock/ui")
    assert browser.find_elements(By.CSS_SELECTOR, "tr.request") == []
    httpx.post(f"{mock.url}/3/customers", json={"Customer": {"Name": "Live AB"}}, headers=_token(mock.url))
    rows = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.request"))
    cells = [c.text for c in rows[-1].find_elements(By.TAG_NAME, "td")]
    assert cells[2] == "POST" and cells[3].startswith("/3/customers") and cells[4] == "201"
    rows[-1].find_element(By.TAG_NAME, "summary").click()
    detail = rows[-1].find_element(By.TAG_NAME, "details").text
    assert "Live AB" in detail and "Bearer ********" in detail


def test_a_fault_switched_on_and_off_from_the_page(browser, mock):
    browser.get(f"{mock.url}/mock/ui")
    Select(browser.find_element(By.ID, "fault-method")).select_by_value("GET")
    path = browser.find_element(By.ID, "fault-path")
    path.clear()
    path.send_keys("/3/articles")
    browser.find_element(By.ID, "add-fault").click()
    _wait(browser, lambda d: "Fault rule added" in d.page_source)
    headers = _token(mock.url)
    assert httpx.get(f"{mock.url}/3/articles", headers=headers).status_code == 503
    browser.find_element(By.ID, "clear-faults").click()
    _wait(browser, lambda d: "No fault rules" in d.page_source)
    assert httpx.get(f"{mock.url}/3/articles", headers=headers).status_code == 200


def test_the_clock_frozen_and_moved(browser, mock):
    browser.get(f"{mock.url}/mock/ui")
    browser.find_element(By.ID, "clock-at").send_keys("2026-01-31T12:00:00+00:00")
    browser.find_element(By.ID, "freeze").click()
    _wait(
        browser,
        lambda d: (
            "frozen" in d.find_element(By.ID, "clock").find_element(By.XPATH, "following-sibling::p").text
        ),
    )
    assert httpx.get(f"{mock.url}/mock/clock").json()["now"].startswith("2026-01-31T12:00")
    browser.find_element(By.ID, "advance").click()
    _wait(browser, lambda d: "moved forward" in d.page_source)
    assert httpx.get(f"{mock.url}/mock/clock").json()["now"].startswith("2026-01-31T13:00")


def test_reset_brings_back_the_seeds_and_ends_tokens(browser, mock):
    headers = _token(mock.url)
    httpx.post(f"{mock.url}/3/customers", json={"Customer": {"Name": "Borta AB"}}, headers=headers)
    browser.get(f"{mock.url}/mock/ui")
    browser.find_element(By.ID, "reset").click()
    _wait(browser, lambda d: "every token is invalid" in d.page_source)
    assert httpx.get(f"{mock.url}/3/customers", headers=headers).status_code == 401
    names = [
        c["Name"] for c in httpx.get(f"{mock.url}/3/customers", headers=_token(mock.url)).json()["Customers"]
    ]
    assert "Borta AB" not in names
