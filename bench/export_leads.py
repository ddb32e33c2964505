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

from sqlalchemy.engine import make_url  # noqa: E402

from bench.common import fresh_database, print_table, timer  # noqa: E402


def run(backend: str, n: int, formats: list[object]) -> list[object]:
    from crm.db import make_engine
    from crm.demo.generator import seed_demo

    with fresh_database(backend, prefix="bench_export") as url:
        engine = make_engine(url)
        seed_demo(engine, leads=n)
        engine.dispose()
        return measure(backend, url, formats)


def measure(backend: str, url: str, formats: list[object], teams: int = 1) -> list[object]:
    """Export the whole book of the biggest team's owner in each format, timed and traced (with
    `teams` > 1, also the next biggest teams': sizes to compare on one database)."""
    from crm.services import auth

    _point_product_at(url)
    rows: list[object] = []
    for rank in reversed(range(teams)):
        rows += _export(backend, auth.get_actor(biggest_team_owner(rank)), formats)
    return rows


def _export(backend: str, owner: object, formats: list[object]) -> list[object]:
    from crm.schemas.leads import LeadFilter
    from crm.services import lead_export

    rows: list[object] = []
    for fmt in formats:
        tracemalloc.start()
        size = 0
        with timer() as t:
            for chunk in lead_export.export_leads(owner, LeadFilter(), fmt):  # type: ignore[arg-type]
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


def biggest_team_owner(rank: int = 0) -> int:
    from sqlalchemy import func, select

    from crm.db import transaction
    from crm.enums import TeamRole
    from crm.orm import Lead, TeamMember

    with transaction() as session:
        team_id = session.scalar(select(Lead.team_id).group_by(Lead.team_id).order_by(func.count().desc())
                                 .offset(rank).limit(1))
        return int(session.scalar(select(TeamMember.user_id).where(
            TeamMember.team_id == team_id, TeamMember.role == TeamRole.OWNER).limit(1)))


def lead_count(owner: object) -> int:
    # Not list_leads' total: that one is capped (10,000+) for the list page.
    from sqlalchemy import func, select

    from crm.db import transaction
    from crm.orm import Lead

    with transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Lead).where(
            Lead.team_id == owner.team_id)) or 0)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, nargs="+", default=[20_000, 60_000])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="export from this existing database instead (e.g. a kept 1M bench DB)")
    parser.add_argument("--format", choices=("csv", "xlsx"), help="only this format")
    parser.add_argument("--teams", type=int, default=1, help="with --url: also export the next biggest teams")
    args = parser.parse_args()
    os.environ.setdefault("BCRYPT_ROUNDS", "4")
    from crm.services.lead_export import ExportFormat

    formats = [ExportFormat(args.format)] if args.format else list(ExportFormat)
    if args.url:
        table = measure(make_url(args.url).get_backend_name(), args.url, formats, args.teams)
    else:
        table = [row for n in args.leads for row in run(args.backend, n, formats)]
    print_table(["backend", "format", "leads exported", "MB", "seconds", "rows/s", "peak Python MB"], table)


if __name__ == "__main__":
    main()
