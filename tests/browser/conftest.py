"""Real headless Chromium for every web page: Debian's `chromium` driven through its
`chromium-driver` by selenium. `make test` installs both when it runs as root; elsewhere the
browser tests skip, saying what to install.

Fixtures: `chromium` (one browser per session, fresh profile), `browser` (that browser with
its cookies and storage cleared for the test), `serve` (a WSGI app on a free loopback port,
stopped after the test).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

INSTALL = "apt-get install chromium chromium-driver"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000",
)  # fmt: skip


def _executable(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is in the test extra: pip install -e '.[test]'"
    )
    binary = _executable("chromium", "chromium-browser")
    driver_path = _executable("chromedriver", "chromium-driver")
    if binary is None or driver_path is None:
        pytest.skip(f"headless Chromium not installed: {INSTALL}")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # The Debian driver is given by path, so selenium never tries to download one.
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(chromium):
    """The session's browser, as fresh as a new profile for this test."""
    chromium.get("about:blank")
    chromium.delete_all_cookies()
    yield chromium
    chromium.get("about:blank")


class LiveServer:
    """A WSGI app served by waitress on a free loopback port, in a background thread."""

    def __init__(self, app: Callable) -> None:
        from waitress.server import create_server

        self._server = create_server(app, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.close()
        self._thread.join(timeout=5)


@pytest.fixture
def serve() -> Iterator[Callable[[Callable], LiveServer]]:
    """`serve(app)` → a LiveServer (`.url`) for the test; every one is stopped afterwards."""
    started: list[LiveServer] = []

    def start(app: Callable) -> LiveServer:
        server = LiveServer(app)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def every_control_is_labelled(driver) -> list[str]:
    """Inputs, selects and buttons a person (or a screen reader) could not name."""
    script = """
    const unnamed = [];
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
      const label = el.labels && el.labels.length ? el.labels[0].textContent.trim() : '';
      const name = label || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' ? el.textContent.trim() : '');
      if (!name) unnamed.push(el.outerHTML.slice(0, 80));
    }
    return unnamed;
    """
    return list(driver.execute_script(script))


def screenshot(driver, path: Path) -> Path:
    driver.save_screenshot(str(path))
    return path
