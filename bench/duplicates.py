"""Benchmark: duplicate detection on a big team, on SQLite and PostgreSQL.

    python bench/duplicates.py --leads 200000 [--backend sqlite|postgresql ...] [--dup-percent 1]

Seeds the demo brokerage, then copies `--dup-percent` % of the leads as near-duplicates (a
"+dup" email variant, the same phone and company, the same name), and times: the first page of
groups (all reasons, and per reason), walking up to 50 pages, and `duplicates_of` (the lead
page's notice) for 200 random leads (p50/p95). Then half of the near-duplicate pairs are marked
"not duplicates" and the first page and `duplicates_of` are timed again (the dismissals are
looked up by index for the leads a call reads: the cost should barely move).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BACKENDS, fresh_database, postgres_unavailable, print_table, timer  # noqa: E402


def _add_near_duplicates(url: str, percent: float) -> int:
    from sqlalchemy import text

    from crm.db import make_engine

    engine = make_engine(url)
    variant = "replace(email, '@', '+dup@')"
    with engine.begin() as conn:
        n = conn.execute(text("SELECT count(*) FROM leads")).scalar_one()
        step = max(1, int(100 / percent))
        # Every step-th lead gets a twin (a new id; the unique (team_id, email) holds).
        result = conn.execute(text(
            "INSERT INTO leads (team_id, first_name, last_name, email, phone, company, lead_type, status, score, "
            "source, email_opt_out, sms_opt_out, created_at, updated_at) "
            f"SELECT team_id, first_name, last_name, {variant}, phone, company, lead_type, status, score, source, "
            "email_opt_out, sms_opt_out, created_at, updated_at FROM leads "
            "WHERE email IS NOT NULL AND id % :step = 0"), {"step": step})
        added = int(result.rowcount or 0)
    engine.dispose()
    print(f"  {n:,} leads, {added:,} near-duplicates added", flush=True)
    return added


def _dismiss_half_of_the_twins(url: str) -> int:
    """Mark every other near-duplicate pair "not duplicates" (as if reviewed on the page)."""
    from sqlalchemy import text

    from crm.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        result = conn.execute(text(
            "INSERT INTO duplicate_dismissals (team_id, lead_id_low, lead_id_high, created_at) "
            "SELECT a.team_id, a.id, b.id, CURRENT_TIMESTAMP FROM leads a JOIN leads b "
            "ON b.team_id = a.team_id AND b.email = replace(a.email, '@', '+dup@') "
            "WHERE a.email NOT LIKE '%+dup@%' AND b.id % 2 = 0"))  # the twins have consecutive ids
        added = int(result.rowcount or 0)
    engine.dispose()
    print(f"  {added:,} pairs marked not duplicates", flush=True)
    return added


def _point_product_at(url: str) -> None:
    from crm.config import get_settings
    from crm.db import get_engine, get_sessions

    os.environ["DATABASE_URL"] = url
    for cached in (get_sessions, get_engine, get_settings):
        cached.cache_clear()


def run(backend: str, n: int, percent: float) -> list[list[object]]:
    from sqlalchemy import func, select

    from crm.db import make_engine, transaction
    from crm.demo.generator import seed_demo
    from crm.orm import Lead
    from crm.schemas.duplicates import DuplicateQuery, DuplicateReason
    from crm.services import auth, duplicates

    rows: list[list[object]] = []
    with fresh_database(backend, prefix="bench_dupes") as url:
        engine = make_engine(url)
        seed_demo(engine, leads=n)
        engine.dispose()
        _add_near_duplicates(url, percent)
        _point_product_at(url)
        owner = auth.get_actor(1)
        with transaction() as s:
            total = s.scalar(select(func.count()).select_from(Lead).where(Lead.team_id == owner.team_id)) or 0
            ids = list(s.scalars(select(Lead.id).where(Lead.team_id == owner.team_id).order_by(Lead.id)
                                 .limit(200).offset(total // 3)))
        for label, reasons in [("first page, all reasons", []), *(
                (f"first page, {r.value}", [r]) for r in DuplicateReason)]:
            with timer() as t:
                page = duplicates.find_duplicates(owner, DuplicateQuery(reasons=reasons, limit=20))
            rows.append([backend, total, label, len(page.groups), round(t["seconds"] * 1000)])
        groups, cursor, pages = 0, None, 0
        with timer() as t:
            while pages < 50:
                page = duplicates.find_duplicates(owner, DuplicateQuery(cursor=cursor, limit=100))
                groups, pages, cursor = groups + len(page.groups), pages + 1, page.next_cursor
                if cursor is None:
                    break
        rows.append([backend, total, f"walk {pages} pages of 100", groups, round(t["seconds"] * 1000)])
        random.Random(7).shuffle(ids)
        rows += _time_duplicates_of(backend, total, owner, ids, "")
        dismissed = _dismiss_half_of_the_twins(url)
        with timer() as t:
            page = duplicates.find_duplicates(owner, DuplicateQuery(limit=20))
        rows.append([backend, total, f"first page, all reasons, {dismissed:,} dismissed", len(page.groups),
                     round(t["seconds"] * 1000)])
        rows += _time_duplicates_of(backend, total, owner, ids, ", dismissals")
    return rows


def _time_duplicates_of(backend: str, total: int, owner: object, ids: list[int], label: str) -> list[list[object]]:
    from crm.services import duplicates

    times = []
    for lead_id in ids:
        with timer() as t:
            duplicates.duplicates_of(owner, lead_id)  # type: ignore[arg-type]
        times.append(t["seconds"] * 1000)
    times.sort()
    return [[backend, total, f"duplicates_of p50{label}", len(times), round(statistics.median(times), 1)],
            [backend, total, f"duplicates_of p95{label}", len(times), round(times[int(len(times) * 0.95) - 1], 1)]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--dup-percent", type=float, default=1.0)
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="default: both")
    args = parser.parse_args()
    os.environ.setdefault("BCRYPT_ROUNDS", "4")
    table = []
    for backend in args.backend or BACKENDS:
        if backend == "postgresql" and (reason := postgres_unavailable()):
            print(f"postgresql: skipped ({reason})")
            continue
        print(f"{backend}: seeding {args.leads:,} leads", flush=True)
        table += run(backend, args.leads, args.dup_percent)
    print_table(["backend", "team leads", "measure", "groups / calls", "ms"], table)


if __name__ == "__main__":
    main()
