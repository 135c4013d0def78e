"""The dashboard served by `streamlit run` on the demo workspace, and a fresh Chromium page per test."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.workspace import Workspace, demo_workspace

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def sync_api():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements.txt)")


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Workspace:
    return demo_workspace(tmp_path_factory)


@pytest.fixture(scope="session")
def server(sync_api, demo, tmp_path_factory):
    """Base URL of `streamlit run app.py` on a free port, reading its own demo workspace."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, **demo.env}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser(sync_api):
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def context(browser):
    """One browser context for the session, so Streamlit's and plotly's scripts load from its cache once (a new
    context per test spends 3-5 s fetching them again); each test still starts signed out (see `page`)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    yield context
    context.close()


@pytest.fixture
def page(context, server):
    """A fresh page with no cookies and no stored state (so no remembered login), sized like an office monitor."""
    context.clear_cookies()
    p = context.new_page()
    p.set_default_timeout(60_000)          # generous: CI machines run the suite under load
    p.goto(f"{server}/_stcore/health")                    # same origin: clear what the last test stored
    p.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    yield p
    p.close()
    context.clear_cookies()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
