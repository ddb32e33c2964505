"""Benchmark: seed the demo brokerage (leads with their whole history) on SQLite and PostgreSQL.

    python bench/seed_demo.py [--leads 100000] [--seed 42] [--backend sqlite|postgresql ...]

Each backend gets a fresh database (a temp SQLite file in WAL mode; a new PostgreSQL database on
BENCH_PG_URL's server, dropped afterwards), migrated with `alembic upgrade head`; then
`crm.demo.generator.seed_demo` is timed. PostgreSQL is skipped, with the reason, when unreachable.
The target is 100,000 leads in under 60 s on both backends.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BACKENDS, fresh_database, postgres_unavailable, print_table  # noqa: E402

TARGET_SECONDS = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="default: both")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    from crm.db import make_engine
    from crm.demo.generator import seed_demo

    results = []
    for backend in args.backend or BACKENDS:
        if backend == "postgresql" and (reason := postgres_unavailable()):
            print(f"postgresql: skipped ({reason})")
            continue
        with fresh_database(backend, prefix="bench_seed") as url:
            print(f"{backend}: seeding {args.leads:,} leads into a fresh, migrated database", flush=True)
            engine = make_engine(url)
            try:
                stats = seed_demo(
                    engine, leads=args.leads, seed=args.seed,
                    progress=None if args.quiet else (lambda m, b=backend: print(f"  {b}: {m}", flush=True)),
                )
            finally:
                engine.dispose()
            results.append((backend, stats))

    if not results:
        return 1
    print()
    print_table(
        ["backend", "leads", "total rows", "seconds", "rows/s", "< 60 s"],
        [(b, s.counts.get("leads", 0), s.total_rows, round(s.seconds, 2), round(s.rows_per_second),
          "yes" if s.seconds < TARGET_SECONDS else "NO") for b, s in results],
    )
    print(f"\n(load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    tables = sorted({t for _, s in results for t in s.counts})
    print()
    print_table(["table", *[b for b, _ in results]], [(t, *[s.counts.get(t, 0) for _, s in results]) for t in tables])
    return 0


if __name__ == "__main__":
    sys.exit(main())
