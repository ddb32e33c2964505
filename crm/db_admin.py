"""Database housekeeping for tooling (tests, benchmarks, set-up): migrate, create, drop."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from crm.config import ROOT
from crm.db import make_engine


def alembic_config(url: str | None = None) -> object:
    """Return the project's Alembic config (script location from pyproject.toml)."""
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"), toml_file=str(Path(ROOT) / "pyproject.toml"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def migrate(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Run `alembic upgrade <revision>` in-process on a URL or an engine."""
    from alembic import command

    cfg = alembic_config()
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn  # type: ignore[attr-defined]  # env.py uses it
            command.upgrade(cfg, revision)  # type: ignore[arg-type]
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def postgres_unavailable(admin_url: str) -> str | None:
    """None when the PostgreSQL server at `admin_url` answers, else a one-line reason."""
    try:
        engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        first = str(exc).splitlines()[0][:120] if str(exc) else ""
        return f"PostgreSQL not reachable at {admin_url}: {type(exc).__name__}: {first}"
    return None


def create_pg_database(admin_url: str, prefix: str) -> str:
    """Create an empty database next to `admin_url`'s and return its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(admin_url: str, url: str) -> None:
    """Drop the database named by `url` (its connections are ended)."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
