"""`python -m crm.api` starts a real uvicorn server that answers /api/health."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_m_crm_api_serves_health(db: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": db, "API_HOST": "127.0.0.1", "API_PORT": str(port), "CRM_ENV": "test"}
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "crm.api"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        answer = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"no healthy answer within {STARTUP_TIMEOUT}s:\n{log_path.read_text()}")
        assert answer is not None and answer.json() == {"status": "ok", "database": "ok"}
        assert "server" not in answer.headers  # uvicorn's banner header is off
        docs = httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5)
        assert docs.json()["info"]["title"] == "RealEstate Pro API"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    assert "Uvicorn running on http://127.0.0.1:" in log_path.read_text()
