"""Seed the demo brokerages into an already-migrated database.

    python -m crm.demo [--leads 2000] [--seed 42] [--if-empty] [--database-url URL]

The database is settings.database_url (env DATABASE_URL) unless --database-url is given, and its
schema must exist (`alembic upgrade head`). With --if-empty nothing happens when the users table
already has rows, so the command is safe to run on every start of a demo container. Exit codes:
0 seeded or skipped, 1 the demo data is already there, 2 the database or its schema is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from crm.config import get_settings
from crm.db import make_engine
from crm.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from crm.demo.generator import DEFAULT_CHUNK, DemoAlreadySeeded, SchemaMissing, demo_user_count, seed_demo


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crm.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=2000, help="leads in total, both teams (default 2000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same data (default 42)")
    parser.add_argument("--if-empty", action="store_true", help="do nothing when the users table has rows")
    parser.add_argument("--database-url", help="target database (default: DATABASE_URL / settings)")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK, help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.leads < 0:
        print("error: --leads must be >= 0", file=sys.stderr)
        return 2
    url = args.database_url or get_settings().database_url
    shown = make_url(url).render_as_string(hide_password=True)
    engine = make_engine(url)
    try:
        try:
            existing = demo_user_count(engine)
        except SQLAlchemyError as exc:
            message = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
            if "users" in message and ("no such table" in message or "does not exist" in message):
                print(f"error: {shown} has no schema: run `alembic upgrade head` first", file=sys.stderr)
            else:
                print(f"error: cannot use {shown}: {message}", file=sys.stderr)
            return 2
        if args.if_empty and existing:
            print(f"demo data not seeded: {shown} already has {existing:,} user(s) (--if-empty)")
            return 0
        say = (lambda _msg: None) if args.quiet else (lambda msg: print(msg, flush=True))
        say(f"seeding {args.leads:,} demo leads (seed {args.seed}) into {shown}")
        try:
            stats = seed_demo(engine, leads=args.leads, seed=args.seed, progress=say, chunk_size=args.chunk_size)
        except SchemaMissing as exc:
            print(f"error: {shown}: {exc}", file=sys.stderr)
            return 2
        except DemoAlreadySeeded as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(stats.summary())
        accounts = ", ".join(a.email for a in DEMO_ACCOUNTS)
        print(f"sign in as {accounts} with password {DEMO_PASSWORD!r}")
        return 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
