"""Liveness probe of the database, for /api/health only (no business data is read)."""

from __future__ import annotations

import logging

import anyio
from sqlalchemy import text

from crm.db import get_engine

logger = logging.getLogger(__name__)


def ping_database() -> None:
    """Run `SELECT 1` on the shared engine; raise if the database does not answer."""
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


async def database_ok(*, timeout: float = 5.0) -> bool:
    """Return whether the database answers within `timeout` seconds (never raises)."""
    try:
        with anyio.fail_after(timeout):
            # abandon_on_cancel: a hung connect must not hold the health answer hostage.
            await anyio.to_thread.run_sync(ping_database, abandon_on_cancel=True)
        return True
    except Exception:  # noqa: BLE001 - any failure means "down"; the reason goes to the log
        logger.warning("health check: the database did not answer", exc_info=True)
        return False
