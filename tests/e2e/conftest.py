"""A real app server (uvicorn + st.App, as `make run`) over a seeded SQLite database, and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, migrate

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    reason = "Debian's chromium is not installed (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"CI must run the browser test: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The SQLite file the e2e server runs on (tests may prepare data in it through the services)."""
    return f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'crm.db'}"


@pytest.fixture(scope="session")
def app_url(e2e_database_url: str) -> Iterator[str]:
    db_url = e2e_database_url
    env = {**os.environ, "DATABASE_URL": db_url, "BCRYPT_ROUNDS": "4", "CRM_ENV": "test", "DEMO_MODE": "true"}
    migrate(db_url)
    subprocess.run([sys.executable, "-m", "crm.demo", "--leads", "300", "--seed", "7"],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    # The app as `make run` serves it: Streamlit inside the ASGI app that also owns the session cookie.
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "crm.ui.asgi:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the Streamlit app did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def page(app_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        try:
            yield pg
        finally:
            artifacts = ROOT / "test-artifacts"
            artifacts.mkdir(exist_ok=True)
            pg.screenshot(path=str(artifacts / "e2e-last.png"), full_page=True)
            context.close()
            browser.close()
