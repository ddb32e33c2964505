"""Start the whole product locally — app, API, Prefect server and scheduled flows; Ctrl-C stops all.

Used by `make run`. It only starts processes and waits for their health checks; it imports
no entry point itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from crm.config import DATA_DIR, ROOT, get_settings

PREFECT_PORT = int(os.environ.get("PREFECT_PORT", "4200"))
APP_HOST = os.environ.get("APP_HOST", "127.0.0.1")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Explicit handlers: a launcher started from a script or in the background inherits an
    # ignored SIGINT, and `kill` sends SIGTERM — both must stop everything it started.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    settings = get_settings()
    bin_dir = Path(sys.executable).parent
    ports = {"app": settings.app_port, "api": settings.api_port, "prefect": PREFECT_PORT}
    busy = [f"{name} ({port})" for name, port in ports.items() if not _port_free(port)]
    if busy:
        print(f"Port(s) already in use: {', '.join(busy)}. Stop the other program or set "
              "APP_PORT / API_PORT / PREFECT_PORT.", file=sys.stderr)
        return 1
    prefect_home = DATA_DIR / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_API_URL": f"http://127.0.0.1:{PREFECT_PORT}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_URL": f"http://127.0.0.1:{PREFECT_PORT}",
    }
    log = open(DATA_DIR / "prefect-server.log", "ab")  # noqa: SIM115 - lives as long as the server
    procs: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], **kw: object) -> None:
        procs.append(subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, **kw))  # type: ignore[call-overload]

    try:
        start([str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(PREFECT_PORT)],
              stdout=log, stderr=subprocess.STDOUT)
        start([sys.executable, "-m", "crm.api"])
        # The Streamlit app inside its ASGI application (st.App), which also serves the
        # session-cookie routes: one uvicorn worker (Streamlit sessions live in the process).
        start([sys.executable, "-m", "uvicorn", "crm.ui.asgi:app", "--host", APP_HOST,
               "--port", str(settings.app_port), "--no-access-log", "--log-level", "warning"])
        print("Starting… (the Prefect server takes ~20 s on first start)", flush=True)
        if not _wait_http(f"http://127.0.0.1:{PREFECT_PORT}/api/health", 120):
            print(f"Prefect server did not start; see {DATA_DIR / 'prefect-server.log'}", file=sys.stderr)
            return 1
        start([sys.executable, "-m", "pipelines.serve"])
        _wait_http(f"http://127.0.0.1:{settings.app_port}/_stcore/health", 60)
        _wait_http(f"http://127.0.0.1:{settings.api_port}/api/health", 60)
        _banner(settings.app_port, settings.api_port, settings.demo_mode)
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        failed = next(p for p in procs if p.poll() is not None)
        print(f"A process stopped ({' '.join(map(str, failed.args[:3]))}); shutting down.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        print("Stopped.")


def _banner(app_port: int, api_port: int, demo: bool) -> None:
    lines = [
        "",
        "RealEstate Pro is running — press Ctrl-C to stop everything.",
        f"  App:            http://localhost:{app_port}",
        f"  API docs:       http://localhost:{api_port}/api/docs",
        f"  Prefect (flows): http://localhost:{PREFECT_PORT}",
    ]
    if demo:
        lines += [
            "  Demo sign-in:   owner@harborandoak.com / demo-password-2026",
            "                  (also manager@ and agent@harborandoak.com, same password)",
        ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
