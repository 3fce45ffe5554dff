"""The mock's own distribution: installed alone into a fresh virtualenv (from a copy holding
only what it is built from), it serves, prints tokens, brings its pytest plugin, and carries
nothing of the bridge but the SIE engine and the leaf it stands on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import wait_until

REPO = Path(__file__).resolve().parents[2]
# What the distribution is built from; nothing else of the repository is copied.
SOURCES = (
    "packaging/mockfortnox",
    "mockfortnox",
    "bridge/__init__.py",
    "bridge/model.py",
    "bridge/sie",
    "bridge/util",
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dist")
    source = root / "src"
    for part in SOURCES:
        target = source / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if (REPO / part).is_dir():
            shutil.copytree(
                REPO / part, target, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
            )
        else:
            shutil.copy2(REPO / part, target)
    env_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    install = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(source / "packaging" / "mockfortnox")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if install.returncode != 0:
        if "Could not find a version" in install.stderr or "No matching distribution" in install.stderr:
            pytest.skip(f"the package index is out of reach: {install.stderr.strip().splitlines()[-1]}")
        raise AssertionError(install.stderr)
    return env_dir


def _python(venv: Path, code: str) -> subprocess.CompletedProcess:
    # Run from the virtualenv's folder: from the repository, `python -c` would import its sources.
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=venv)  # fmt: skip


def test_it_carries_only_the_sie_engine_of_the_bridge(venv):
    assert _python(venv, "import bridge.sie, bridge.util, mockfortnox").returncode == 0
    for module in ("bridge.pipeline", "bridge.cli", "bridge.fortnox", "bridge.formats"):
        assert _python(venv, f"import {module}").returncode != 0, f"{module} should not be installed"


def test_it_serves_and_gives_tokens(venv, tmp_path):
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([str(venv / "bin" / "mockfortnox"), "serve", "--port", "0"], stdout=log, stderr=log,
                              cwd=tmp_path)  # fmt: skip
    try:
        said = wait_until(lambda: re.search(r"http://127\.0\.0\.1:\d+", (tmp_path / "serve.log").read_text()),
                          what="the mock to say where it listens")  # fmt: skip
        url = said.group(0)  # type: ignore[union-attr]
        token = subprocess.run([str(venv / "bin" / "mockfortnox"), "token", "--tenant", "demo", "--scope", "customer"],
                               capture_output=True, text=True, env={**os.environ, "MOCKFORTNOX_URL": url}, timeout=60)  # fmt: skip
        assert token.returncode == 0, token.stderr
        answer = httpx.get(f"{url}/3/customers", headers={"Authorization": f"Bearer {token.stdout.strip()}"})
        assert answer.status_code == 200 and answer.json()["Customers"]
        assert httpx.get(f"{url}/mock/ui").status_code == 200  # templates travel with it
        version = subprocess.run(
            [str(venv / "bin" / "mockfortnox"), "--version"], capture_output=True, text=True
        )
        assert "0.1.0" in version.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_its_pytest_plugin_is_registered(venv):
    found = _python(venv, "from importlib.metadata import entry_points;"
                          "print([e.value for e in entry_points(group='pytest11')])")  # fmt: skip
    assert "mockfortnox.pytest_plugin" in found.stdout
