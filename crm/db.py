"""Engine and session factory, SQLite pragmas, and the one transaction helper services use."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import Session, sessionmaker

from crm.config import get_settings

SessionFactory = Callable[[], Session]


def _sqlite_from_hint(_compiler: SQLiteCompiler, _table: Any, text: str) -> str:
    return text


# SQLAlchemy renders no FROM-clause hints for SQLite, whose own is `leads INDEXED BY ix_…`: the
# leads list names the index of a bounded walk, as SQLite keeps no statistics of ranges or NULLs
# and can misjudge them (crm.services.leads). `with_hint(…, "sqlite")` is rendered as given.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint  # type: ignore[method-assign, assignment]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the app, the API and the flows read while one writes; FULL keeps every
    # committed transaction across a power cut (NORMAL could lose the last ones).
    # The default 2 MB page cache makes every index probe of a big file a read() call: 64 MB of
    # cache per connection and reads through a memory map (shared with the OS cache) instead.
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000",
                   "cache_size=-65536", "mmap_size=1073741824"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine for `url` with the project's per-dialect settings."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)


@functools.lru_cache
def get_engine(url: str | None = None) -> Engine:
    """Return the shared engine for `url` (default: settings.database_url)."""
    return make_engine(url or get_settings().database_url)


@functools.lru_cache
def get_sessions(url: str | None = None) -> sessionmaker[Session]:
    """Return the session factory bound to the shared engine."""
    # expire_on_commit=False: services build DTOs after commit without a reload round-trip.
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def transaction(sessions: SessionFactory | None = None) -> Iterator[Session]:
    """Open a session, commit on success, roll back on any exception."""
    session = (sessions or get_sessions())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
