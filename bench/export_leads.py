"""Benchmark: export every lead as CSV/XLSX through the service; memory must stay flat as N grows.

    python bench/export_leads.py --leads 20000 60000 [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import os
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, print_table, timer  # noqa: E402


def run(backend: str, n: int) -> list[object]:
    from crm.db import make_engine
    from crm.demo.generator import seed_demo
    from crm.schemas.leads import LeadFilter
    from crm.services import auth, lead_export
    from crm.services.lead_export import ExportFormat

    rows: list[object] = []
    with fresh_database(backend, prefix="bench_export") as url:
        engine = make_engine(url)
        seed_demo(engine, leads=n)
        engine.dispose()
        _point_product_at(url)
        owner = auth.get_actor(1)
        for fmt in ExportFormat:
            tracemalloc.start()
            size = 0
            with timer() as t:
                for chunk in lead_export.export_leads(owner, LeadFilter(), fmt):
                    size += len(chunk)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            leads = lead_count(owner)
            rows.append([backend, fmt.value, leads, round(size / 1e6, 1), round(t["seconds"], 2),
                         round(leads / t["seconds"]), round(peak / 1e6, 1)])
    return rows


def _point_product_at(url: str) -> None:
    from crm.config import get_settings
    from crm.db import get_engine, get_sessions

    os.environ["DATABASE_URL"] = url
    for cached in (get_sessions, get_engine, get_settings):
        cached.cache_clear()


def lead_count(owner: object) -> int:
    from crm.schemas.leads import LeadFilter
    from crm.services import leads

    return leads.list_leads(owner, LeadFilter(page_size=1)).total  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, nargs="+", default=[20_000, 60_000])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    os.environ.setdefault("BCRYPT_ROUNDS", "4")
    table = [row for n in args.leads for row in run(args.backend, n)]
    print_table(["backend", "format", "leads exported", "MB", "seconds", "rows/s", "peak Python MB"], table)


if __name__ == "__main__":
    main()
