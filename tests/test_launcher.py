"""`make run`'s launcher: it brings up app, API and scheduler, and one signal stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import migrate

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.timeout(240)
def test_launcher_starts_everything_and_sigint_stops_it_all(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate(url)
    ports = {"APP_PORT": _free_port(), "API_PORT": _free_port(), "PREFECT_PORT": _free_port()}
    env = {**os.environ, "DATABASE_URL": url, **{k: str(v) for k, v in ports.items()}}
    # start_new_session + SIG_IGN for SIGINT in the child mimic a launcher started in the background.
    proc = subprocess.Popen([sys.executable, "-m", "crm.run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "is running" in line:
                break
        assert any("is running" in line for line in lines), "".join(lines[-30:])
        assert all(_open(port) for port in ports.values())
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    time.sleep(1)
    assert not [name for name, port in ports.items() if _open(port)], "a process outlived the launcher"
