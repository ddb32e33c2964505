"""Helpers shared by the benchmarks: fresh migrated databases, timing and result tables.

    with fresh_database("sqlite") as url: ...       # a migrated temp file, deleted afterwards
    with fresh_database("postgresql") as url: ...   # a new database on BENCH_PG_URL's server, dropped

PostgreSQL is reached through BENCH_PG_URL (default the local server's `postgres` database as
user postgres); `postgres_unavailable()` tells why it cannot be used, or returns None.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crm import db_admin
from crm.db_admin import migrate

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def postgres_unavailable() -> str | None:
    """None when the PostgreSQL server answers, else a one-line reason."""
    return db_admin.postgres_unavailable(PG_ADMIN_URL)


def create_pg_database(prefix: str = "bench") -> str:
    """Create an empty database on the PostgreSQL server and return its URL."""
    return db_admin.create_pg_database(PG_ADMIN_URL, prefix)


def drop_pg_database(url: str) -> None:
    db_admin.drop_pg_database(PG_ADMIN_URL, url)


@contextmanager
def fresh_database(backend: str, *, prefix: str = "bench", migrated: bool = True) -> Iterator[str]:
    """Yield the URL of a new, empty (by default migrated) database; remove it afterwards."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix=f"{prefix}_")
        url = f"sqlite:///{Path(folder) / 'crm.db'}"
        try:
            if migrated:
                migrate(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    elif backend == "postgresql":
        reason = postgres_unavailable()
        if reason:
            raise RuntimeError(reason)
        url = create_pg_database(prefix)
        try:
            if migrated:
                migrate(url)
            yield url
        finally:
            drop_pg_database(url)
    else:
        raise ValueError(f"unknown backend {backend!r} (expected one of {BACKENDS})")


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    """`with timer() as t: ...` then t["seconds"]."""
    result: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["seconds"] = time.perf_counter() - start


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as an aligned plain-text table (numbers right-aligned)."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], int | float) for row in rows) if rows else False for i in range(len(headers))]
    line = "  ".join(h.rjust(w) if numeric[i] else h.ljust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=False)))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths, strict=False))))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def migrate_and_seed(url: str, backend: str, n: int) -> None:
    """Migrate a new database and fill it with the demo generator (N leads with histories), printing progress."""
    from crm.db import make_engine
    from crm.demo.generator import seed_demo

    migrate(url)
    print(f"{backend}: seeding {n:,} leads into {url}", flush=True)
    engine = make_engine(url)
    try:
        stats = seed_demo(engine, leads=n, seed=42, progress=lambda m: print(f"  {backend}: {m}", flush=True))
    finally:
        engine.dispose()
    print(f"{backend}: seeded {stats.total_rows:,} rows in {stats.seconds:.0f} s", flush=True)
