"""Benchmark: the leads list filtered on custom fields, at 1,000,000 leads, on SQLite and PostgreSQL.

    python bench/custom_field_filters.py [--leads 1000000] [--backend sqlite|postgresql ...] [--runs 30]
                                         [--reuse] [--keep] [--verbose]

The database is the demo brokerage (`crm.demo.generator.seed_demo`; its teams have boolean, number,
date, select and multi-select fields with values on ~40% of buyer-like leads). --reuse takes the
databases that `bench/leads_list.py --keep` left (data/bench/leads_list_<N>.db and .pg), or this
script's own from an earlier --keep run (custom_fields_<N>.*), migrated to head (revision 0007 builds
missing custom-field indexes); it never removes the leads_list ones. Otherwise it seeds its own and
removes them at the end unless --keep.

The demo has no text field, so a "Lender notes" text field is added to the biggest team through
`custom_fields.create_definition` (timed: it builds the field's index on a full table) and filled on
every 20th of its leads with one UPDATE. Then a full ANALYZE of leads (see `_analyze_leads`), as
one does after a bulk load, and fresh connections (SQLite: open ones would keep the old statistics).

Measured: `leads.list_leads` as the team's MANAGER (its OWNER where it has none), first page (50 rows, newest first), `--runs`
times after one warm-up, for each filter type of the Leads page's custom-field controls and the API
(boolean, number range, date range, select, multi-select, is_set/is_empty, a rare match, text eq
and contains, and the worst cases of the last two: a choice no lead has, a text too short for a
trigram). Target p95 <= 50 ms; misses are marked "MISS". How `contains` and multi-select use the
field's indexes: crm/services/custom_field_indexes.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    BACKENDS,
    ROOT,
    create_pg_database,
    migrate_and_seed,
    postgres_unavailable,
    print_table,
)
from bench.leads_list import _pg_exists, _point_product_at, _time  # noqa: E402

DATA = ROOT / "data" / "bench"
TARGET_MS = 50.0
NOTES_KEY = "lender_notes"
NOTES_EVERY = 20  # every 20th lead of the team gets a note
WORDS = ("garden", "garage", "pool", "view", "basement", "schools", "quiet", "corner lot", "fixer", "solar")


# --- databases -------------------------------------------------------------------------------

def _paths(stem: str, n: int) -> tuple[Path, Path]:
    return DATA / f"{stem}_{n}.db", DATA / f"{stem}_{n}.pg"


def _existing(backend: str, stem: str, n: int) -> str | None:
    lite, pg_file = _paths(stem, n)
    if backend == "sqlite":
        return f"sqlite:///{lite}" if lite.exists() else None
    url = pg_file.read_text().strip() if pg_file.exists() else ""
    return url if url and _pg_exists(url) else None


def prepare(backend: str, n: int, *, reuse: bool) -> tuple[str, bool]:
    """(URL of a migrated, seeded database with `n` leads, whether this script owns it)."""
    from crm.db_admin import migrate

    DATA.mkdir(parents=True, exist_ok=True)
    if reuse:
        url = _existing(backend, "custom_fields", n)
        shared = _existing(backend, "leads_list", n)
        if url is None and shared is not None:
            url = _copy(backend, shared, n)
        if url:
            print(f"{backend}: reusing {url}; migrating to head", flush=True)
            started = time.perf_counter()
            migrate(url)
            print(f"{backend}: migrated in {time.perf_counter() - started:.1f} s", flush=True)
            return url, True
    remove(backend, n)
    lite, pg_file = _paths("custom_fields", n)
    if backend == "sqlite":
        url = f"sqlite:///{lite}"
    else:
        url = create_pg_database("bench_custom_fields")
        pg_file.write_text(url)
    migrate_and_seed(url, backend, n)
    return url, True


def _copy(backend: str, shared: str, n: int) -> str:
    """A private copy of bench/leads_list.py's database (that one stays as it is)."""
    import shutil

    from sqlalchemy import create_engine, text

    from bench.common import PG_ADMIN_URL

    lite, pg_file = _paths("custom_fields", n)
    print(f"{backend}: copying {shared}", flush=True)
    if backend == "sqlite":
        shutil.copyfile(shared.removeprefix("sqlite:///"), lite)
        return f"sqlite:///{lite}"
    source = shared.rsplit("/", 1)[-1]
    name = f"bench_custom_fields_{os.getpid()}"
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:  # needs no one else connected to the source for a moment
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    finally:
        engine.dispose()
    url = f"{shared.rsplit('/', 1)[0]}/{name}"
    pg_file.write_text(url)
    return url


def remove(backend: str, n: int) -> None:
    """Remove this script's own databases (never bench/leads_list.py's)."""
    from bench.common import drop_pg_database

    lite, pg_file = _paths("custom_fields", n)
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{lite}{suffix}").unlink(missing_ok=True)
    elif pg_file.exists():
        url = pg_file.read_text().strip()
        if url and _pg_exists(url):
            drop_pg_database(url)
        pg_file.unlink()


def _teams() -> dict[str, Any]:
    """Manager actors of the demo teams, by slug, and their lead counts."""
    from sqlalchemy import func, select

    from crm.db import transaction
    from crm.enums import TeamRole
    from crm.orm import Lead, Team, TeamMember, User
    from crm.schemas.common import Actor

    teams: dict[str, Any] = {}
    with transaction() as session:
        for team_id, slug in session.execute(select(Team.id, Team.slug)).all():
            # A manager sees every lead of the team; a small team may have only its owner in that role.
            member = session.execute(select(TeamMember.user_id, TeamMember.role, User.name)
                                     .join(User, User.id == TeamMember.user_id)
                                     .where(TeamMember.team_id == team_id,
                                            TeamMember.role.in_([TeamRole.MANAGER, TeamRole.OWNER]))
                                     .order_by(TeamMember.role != TeamRole.MANAGER).limit(1)).first()
            owner = session.scalar(select(TeamMember.user_id).where(
                TeamMember.team_id == team_id, TeamMember.role == TeamRole.OWNER).limit(1))
            if member is None or owner is None:
                continue
            count = session.scalar(select(func.count()).select_from(Lead).where(Lead.team_id == team_id)) or 0
            teams[slug] = {
                "manager": Actor(user_id=member.user_id, team_id=team_id, team_role=member.role, name=member.name),
                "owner": Actor(user_id=owner, team_id=team_id, team_role=TeamRole.OWNER),
                "leads": count,
            }
    return teams


def add_demo_fields(teams: dict[str, Any]) -> dict[str, float]:
    """Databases seeded before the demo had custom fields: write its values, then define the fields.

    The values are the demo's own (crm.demo.custom_fields.lead_values), written by id in batches;
    the definitions go through `custom_fields.create_definition`, which builds each field's index
    over the full table (timed).
    """
    from sqlalchemy import bindparam, select, update

    from crm.db import transaction
    from crm.demo import custom_fields as demo
    from crm.demo.generator import BUYERISH
    from crm.orm import Lead
    from crm.schemas.custom_fields import CustomFieldCreate
    from crm.services import custom_fields

    timings: dict[str, float] = {}
    for slug, fields in demo.TEAM_FIELDS.items():
        team = teams.get(slug)
        if team is None or custom_fields.list_definitions(team["owner"]):
            continue
        started = time.perf_counter()
        with transaction() as session:
            rows = session.execute(select(Lead.id, Lead.value, Lead.created_at).where(
                Lead.team_id == team["owner"].team_id, Lead.lead_type.in_(BUYERISH))).all()
            batch = []
            for lead_id, value, created in rows:
                stored = demo.lead_values(slug, lead_id, float(value or 0), int(created.timestamp()))
                if stored is not None:
                    batch.append({"lid": lead_id, "cf": json.loads(stored)})
            stmt = update(Lead.__table__).where(Lead.__table__.c.id == bindparam("lid")).values(
                custom_fields=bindparam("cf", type_=Lead.__table__.c.custom_fields.type))
            for start in range(0, len(batch), 20_000):
                session.connection().execute(stmt, batch[start:start + 20_000])
        print(f"  {slug}: values on {len(batch):,} leads in {time.perf_counter() - started:.0f} s", flush=True)
        for f in fields:
            started = time.perf_counter()
            custom_fields.create_definition(team["owner"], CustomFieldCreate(
                label=f.label, key=f.key, field_type=f.field_type, choices=list(f.choices)))
            timings[f"create_definition {f.field_type.value.lower()} s"] = round(time.perf_counter() - started, 2)
    return timings


def add_text_field(team: dict[str, Any]) -> float | None:
    """The demo lacks a text field: define one (timed) and fill it on every NOTES_EVERY-th lead."""
    from sqlalchemy import text

    from crm.db import transaction
    from crm.enums import CustomFieldType
    from crm.schemas.custom_fields import CustomFieldCreate
    from crm.services import custom_fields

    owner = team["owner"]
    if any(d.key == NOTES_KEY for d in custom_fields.list_definitions(owner)):
        return None
    started = time.perf_counter()
    custom_fields.create_definition(owner, CustomFieldCreate(label="Lender notes", key=NOTES_KEY,
                                                             field_type=CustomFieldType.TEXT))
    seconds = time.perf_counter() - started
    words = ", ".join(f"'{w}'" for w in WORDS)
    with transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            note = (f"'Wants ' || (ARRAY[{words}])[1 + (id / {NOTES_EVERY}) % {len(WORDS)}] "
                    f"|| ', file ' || (id % 997)")
            value = (f"coalesce(custom_fields, '{{}}'::jsonb) || jsonb_build_object('{NOTES_KEY}', {note})")
        else:
            pick = " ".join(f"WHEN {i} THEN '{w}'" for i, w in enumerate(WORDS))
            note = (f"'Wants ' || CASE (id / {NOTES_EVERY}) % {len(WORDS)} {pick} END || ', file ' || (id % 997)")
            value = f"json_set(coalesce(custom_fields, '{{}}'), '$.\"{NOTES_KEY}\"', {note})"
        session.execute(text(f"UPDATE leads SET custom_fields = {value} "
                             f"WHERE team_id = :team AND id % {NOTES_EVERY} = 0"), {"team": owner.team_id})
    return seconds


def _cases(teams: dict[str, Any]) -> list[tuple[str, str, list[Any]]]:
    """(case, team slug, conditions) for every filter type."""
    from sqlalchemy import func, literal_column, select, text

    from crm.db import transaction
    from crm.orm import Lead
    from crm.schemas.leads import CustomFieldFilter as F

    harbor = teams["harbor-oak"]["manager"].team_id
    with transaction() as session:
        dialect = session.get_bind().dialect.name
        budget = (func.json_extract(Lead.custom_fields, '$."max_budget"') if dialect == "sqlite"
                  else literal_column("(leads.custom_fields ->> 'max_budget')::numeric"))
        rare = session.execute(select(budget.label("b"), func.count()).where(Lead.team_id == harbor)
                               .group_by(text("1")).having(func.count().between(1, 5)).order_by(text("1"))
                               .limit(1)).first()
    rare_budget = float(rare[0]) if rare else 1.0
    soon = dt.date.today() + dt.timedelta(days=60)
    return [
        ("boolean eq true", "harbor-oak", [F(key="pre_approved", op="eq", value=True)]),
        ("boolean eq false", "harbor-oak", [F(key="pre_approved", op="eq", value=False)]),
        ("boolean is_empty", "harbor-oak", [F(key="pre_approved", op="is_empty")]),
        ("number >= 1,500,000", "harbor-oak", [F(key="max_budget", op="gte", value=1_500_000)]),
        ("number 400k-410k", "harbor-oak", [F(key="max_budget", op="gte", value=400_000),
                                            F(key="max_budget", op="lte", value=410_000)]),
        ("date range 7 days", "harbor-oak", [F(key="move_in_by", op="gte", value=soon),
                                             F(key="move_in_by", op="lte", value=soon + dt.timedelta(days=6))]),
        ("date is_set", "harbor-oak", [F(key="move_in_by", op="is_set")]),
        ("select eq", "summit-peak", [F(key="financing", op="eq", value="VA")]),
        ("select any_of 2", "summit-peak", [F(key="financing", op="any_of", value=["Cash", "FHA"])]),
        ("multi-select any_of 1", "harbor-oak", [F(key="preferred_areas", op="any_of", value=["Waterfront"])]),
        ("multi-select any_of 2", "harbor-oak", [F(key="preferred_areas", op="any_of",
                                                   value=["Waterfront", "Quiet street"])]),
        ("multi-select any_of, none", "harbor-oak", [F(key="preferred_areas", op="any_of", value=["Lakeside"])]),
        (f"rare: budget = {rare_budget:,.0f}", "harbor-oak", [F(key="max_budget", op="eq", value=rare_budget)]),
        ("rare: text eq", "harbor-oak", [F(key=NOTES_KEY, op="eq", value="wants pool, file 17")]),
        ("text contains 'garden'", "harbor-oak", [F(key=NOTES_KEY, op="contains", value="garden")]),
        ("text contains, rare", "harbor-oak", [F(key=NOTES_KEY, op="contains", value="pool, file 17")]),
        ("text contains, none", "harbor-oak", [F(key=NOTES_KEY, op="contains", value="zebra")]),
        ("text contains 2 letters, none", "harbor-oak", [F(key=NOTES_KEY, op="contains", value="zq")]),
    ]


def measure(backend: str, runs: int, *, verbose: bool) -> tuple[list[list[Any]], dict[str, Any]]:
    from crm.schemas.leads import LeadFilter
    from crm.services import leads

    teams = _teams()
    info: dict[str, Any] = {f"{slug} leads": t["leads"] for slug, t in teams.items()}
    info.update(add_demo_fields(teams))
    created = add_text_field(teams["harbor-oak"])
    if created is not None:
        info["create_definition text s"] = round(created, 2)
    started = time.perf_counter()
    _analyze_leads()
    info["ANALYZE leads s"] = round(time.perf_counter() - started, 1)
    rows: list[list[Any]] = []
    for case, slug, conditions in _cases(teams):
        actor = teams[slug]["manager"]
        filters = LeadFilter(custom=conditions, page_size=50)
        page = leads.list_leads(actor, filters)
        matches = f"{page.total:,}" + ("" if page.total_is_exact else "+")
        p50, p95, n = _time(lambda a=actor, f=filters: leads.list_leads(a, f), runs, TARGET_MS)
        verdict = "ok" if p95 <= TARGET_MS else "MISS"
        rows.append([backend, case, f"{slug} ({actor.team_role.value.lower()})", matches, round(p50, 1), round(p95, 1), n, verdict])
        if verbose or verdict != "ok":
            print(f"  {backend:10} {case:32} {matches:>8}  p50 {p50:8.1f}  p95 {p95:8.1f}  {verdict}", flush=True)
    return rows, info


def _analyze_leads() -> None:
    """Full statistics of leads. A sampled ANALYZE (SQLite's analysis_limit, as bench/leads_list.py
    uses) caps every per-key row count near the limit, so `team_id = ?` looks as selective as a
    custom-field value and SQLite reads the team through a team index instead of the field's.

    SQLite reads statistics when a connection loads the schema, which ANALYZE does not change: the
    services' pooled connections (opened by the steps above) would plan every case with the seeded
    database's sampled statistics. So the pool is emptied afterwards."""
    from crm.db import get_sessions

    engine = get_sessions().kw["bind"]  # the services' engine
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit = 0")
        conn.exec_driver_sql("ANALYZE leads")
        conn.commit()
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="default: both")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="reuse kept databases (this script's or leads_list's)")
    parser.add_argument("--keep", action="store_true", help="keep this script's databases for the next --reuse")
    parser.add_argument("--verbose", action="store_true", help="print every case as it is measured")
    args = parser.parse_args(argv)
    os.environ.setdefault("BCRYPT_ROUNDS", "4")
    random.seed(7)

    results: list[list[Any]] = []
    infos: dict[str, dict[str, Any]] = {}
    for backend in args.backend or BACKENDS:
        if backend == "postgresql" and (reason := postgres_unavailable()):
            print(f"postgresql: skipped ({reason})")
            continue
        url, owned = prepare(backend, args.leads, reuse=args.reuse)
        try:
            _point_product_at(url)
            print(f"{backend}: measuring ({args.runs} runs per case)", flush=True)
            rows, infos[backend] = measure(backend, args.runs, verbose=args.verbose)
            results += rows
        finally:
            from crm.db import get_engine, get_sessions

            get_engine().dispose()
            get_sessions().kw["bind"].dispose()  # the services' own engine (get_engine(None) is cached apart)
            if owned and not args.keep:
                remove(backend, args.leads)

    if not results:
        return 1
    print("\ndata")
    keys = list(dict.fromkeys(k for info in infos.values() for k in info))
    print_table(["", *infos], [[k, *[info.get(k, "-") for info in infos.values()]] for k in keys])
    print(f"\nlist_leads, first page of 50, as the team's manager (target p95 <= {TARGET_MS:.0f} ms)")
    print_table(["backend", "filter", "team", "matches", "p50 ms", "p95 ms", "runs", ""], results)
    misses = [r for r in results if r[7] != "ok"]
    print(f"\n{len(results)} cases, {len(misses)} missing the target"
          f" (load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
