"""The demo-data generator: realistic, tenant-consistent, deterministic, on SQLite and PostgreSQL.

Self-contained: its own migrated databases (alembic upgrade head), whatever conftest provides.
PostgreSQL tests skip when the server is unreachable, except under CI=true where they fail.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.orm import Session

from crm import orm
from crm.config import get_settings
from crm.db import make_engine
from crm.demo import accounts
from crm.demo.bulk import BulkWriter, JsonText, epoch_text, sqlite_utc_text
from crm.demo.generator import DemoAlreadySeeded, SeedStats, seed_demo, split_leads
from crm.enums import (
    ActivityType,
    AppointmentStatus,
    CampaignStatus,
    CampaignType,
    InterestKind,
    LeadSource,
    LeadStatus,
    LeadType,
    TaskStatus,
)
from crm.security import verify_password

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
NOW = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)  # a fixed anchor: reproducible "today"
LEADS = 300


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _cheap_bcrypt() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BCRYPT_ROUNDS", "4")
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


def _migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"), toml_file=str(ROOT / "pyproject.toml"))
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()


def _postgres_unavailable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


def _admin(sql: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


def _sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('demo') / 'crm.db'}"


@contextmanager
def _fresh_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database; PostgreSQL ones are dropped afterwards."""
    if backend == "sqlite":
        url = _sqlite_url(tmp_path_factory)
        _migrate(url)
        yield url
        return
    reason = _postgres_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    name = f"demo_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _admin(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        _migrate(url)
        yield url
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database per backend, seeded once by `seeded` and shared by the module."""
    with _fresh_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="module")
def seeded(fresh_url: str) -> Iterator[tuple[Engine, SeedStats]]:
    engine = make_engine(fresh_url)
    # Another tenant's rows first: seeding must work into a non-empty database, too.
    with Session(engine) as session, session.begin():
        team = orm.Team(name="Other Brokerage", slug="other-brokerage")
        session.add(team)
        session.flush()
        session.add(orm.Lead(team_id=team.id, first_name="Pre", last_name="Existing", email="pre@example.com"))
    messages: list[str] = []
    stats = seed_demo(engine, leads=LEADS, seed=42, now=NOW, progress=messages.append, chunk_size=120)
    assert messages and messages[-1].startswith("done:")
    yield engine, stats
    engine.dispose()


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def _scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _team_id(engine: Engine, slug: str) -> int:
    return int(_scalar(engine, "SELECT id FROM teams WHERE slug = :s", s=slug))


# -- the seeded brokerage ------------------------------------------------------------------------


def test_counts_match_the_database(seeded: tuple[Engine, SeedStats]) -> None:
    engine, stats = seeded
    for table, n in stats.counts.items():
        extra = 1 if table in ("teams", "leads") else 0  # the pre-existing tenant
        assert _scalar(engine, f"SELECT count(*) FROM {table}") == n + extra, table
    assert stats.counts["leads"] == LEADS
    assert stats.total_rows == sum(stats.counts.values()) and stats.seconds > 0
    harbor_n, summit_n = split_leads(LEADS)
    assert _scalar(engine, "SELECT count(*) FROM leads WHERE team_id = :t", t=_team_id(engine, "summit-peak")) == summit_n
    assert _scalar(engine, "SELECT count(*) FROM leads WHERE team_id = :t", t=_team_id(engine, "harbor-oak")) == harbor_n
    # Histories of plausible size.
    assert 3 <= stats.counts["activities"] / LEADS <= 6.5
    assert 0.7 <= stats.counts["notes"] / LEADS <= 1.5
    assert 0.6 <= stats.counts["messages"] / LEADS <= 1.6
    assert 0.3 <= stats.counts["tasks"] / LEADS <= 0.8
    assert 0.1 <= stats.counts["appointments"] / LEADS <= 0.45
    assert stats.counts["properties"] >= 50
    assert stats.counts["campaigns"] == 24


def test_every_status_source_and_type_is_present_in_each_team(seeded: tuple[Engine, SeedStats]) -> None:
    engine, _ = seeded
    for slug in ("harbor-oak", "summit-peak"):
        team = _team_id(engine, slug)
        statuses = {r[0] for r in _rows(engine, "SELECT DISTINCT status FROM leads WHERE team_id = :t", t=team)}
        sources = {r[0] for r in _rows(engine, "SELECT DISTINCT source FROM leads WHERE team_id = :t", t=team)}
        types = {r[0] for r in _rows(engine, "SELECT DISTINCT lead_type FROM leads WHERE team_id = :t", t=team)}
        assert statuses == {s.value for s in LeadStatus}, slug
        assert sources == {s.value for s in LeadSource}, slug
        assert types == {t.value for t in LeadType}, slug
    campaigns = _rows(engine, "SELECT DISTINCT type, status FROM campaigns")
    assert {c[0] for c in campaigns} == {t.value for t in CampaignType}
    assert {c[1] for c in campaigns} == {s.value for s in CampaignStatus}
    kinds = {r[0] for r in _rows(engine, "SELECT DISTINCT kind FROM lead_property_interests")}
    assert kinds == {k.value for k in InterestKind}
    # The common statuses outnumber the closed ones.
    by_status = dict(_rows(engine, "SELECT status, count(*) FROM leads GROUP BY status"))
    assert by_status["NEW"] + by_status["CONTACTED"] > by_status["WON"] + by_status["LOST"]


def test_demo_accounts_sign_in_with_the_demo_password(seeded: tuple[Engine, SeedStats]) -> None:
    engine, _ = seeded
    with Session(engine) as session:
        for account in accounts.ALL_DEMO_USERS:
            user = session.scalars(select(orm.User).where(orm.User.email == account.email)).one()
            assert verify_password(accounts.DEMO_PASSWORD, user.password_hash), account.email
            assert not verify_password("wrong-password", user.password_hash)
            assert user.name == account.name and user.role is account.system_role and user.is_active
            member = session.scalars(select(orm.TeamMember).where(orm.TeamMember.user_id == user.id)).one()
            team = session.get(orm.Team, member.team_id)
            assert team is not None and team.slug == account.team_slug
            assert member.role is account.team_role
    assert [a.email for a in accounts.DEMO_ACCOUNTS] == [
        "owner@harborandoak.com", "manager@harborandoak.com", "agent@harborandoak.com"]


def test_lead_emails_are_unique_lowercase_and_phones_e164(seeded: tuple[Engine, SeedStats]) -> None:
    engine, _ = seeded
    dupes = _rows(engine, "SELECT team_id, email, count(*) FROM leads WHERE email IS NOT NULL "
                          "GROUP BY team_id, email HAVING count(*) > 1")
    assert dupes == []
    rows = _rows(engine, "SELECT email, phone FROM leads WHERE team_id IN (SELECT id FROM teams "
                         "WHERE slug IN ('harbor-oak', 'summit-peak'))")
    emails = [r[0] for r in rows if r[0]]
    assert len(emails) > 0.9 * LEADS
    assert all(e == e.lower() and re.fullmatch(r"[a-z0-9.]+@example\.(com|net|org)", e) for e in emails)
    phones = [r[1] for r in rows if r[1]]
    assert phones and all(re.fullmatch(r"\+1\d{10}", p) for p in phones)
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones[:50])


def test_children_belong_to_the_team_of_their_lead(seeded: tuple[Engine, SeedStats]) -> None:
    engine, _ = seeded
    for table in ("activities", "notes", "tasks", "appointments", "messages", "buyer_requirements",
                  "lead_property_interests"):
        crossed = _scalar(engine, f"SELECT count(*) FROM {table} c JOIN leads l ON l.id = c.lead_id "
                                  "WHERE c.team_id <> l.team_id")
        assert crossed == 0, table
    checks = {
        "lead tags": "SELECT count(*) FROM lead_tags x JOIN leads l ON l.id = x.lead_id "
                     "JOIN tags t ON t.id = x.tag_id WHERE t.team_id <> l.team_id",
        "interest listings": "SELECT count(*) FROM lead_property_interests i JOIN properties p "
                             "ON p.id = i.property_id WHERE p.team_id <> i.team_id",
        "appointment listings": "SELECT count(*) FROM appointments a JOIN properties p "
                                "ON p.id = a.property_id WHERE p.team_id <> a.team_id",
        "seller listings": "SELECT count(*) FROM properties p JOIN leads l ON l.id = p.seller_lead_id "
                           "WHERE p.team_id <> l.team_id",
        "assignees": "SELECT count(*) FROM leads l WHERE l.assigned_to_id IS NOT NULL AND NOT EXISTS "
                     "(SELECT 1 FROM team_members m WHERE m.team_id = l.team_id AND m.user_id = l.assigned_to_id)",
        "task owners": "SELECT count(*) FROM tasks x WHERE NOT EXISTS (SELECT 1 FROM team_members m "
                       "WHERE m.team_id = x.team_id AND m.user_id = x.assigned_to_id)",
        "campaign messages": "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id "
                             "WHERE c.team_id <> m.team_id",
        "reply threads": "SELECT count(*) FROM messages m JOIN messages p ON p.id = m.parent_id "
                         "WHERE p.lead_id <> m.lead_id OR p.thread_id <> m.thread_id",
    }
    for what, sql in checks.items():
        assert _scalar(engine, sql) == 0, what
    assert _scalar(engine, "SELECT count(*) FROM properties WHERE seller_lead_id IS NOT NULL") > 0


def test_timelines_are_consistent(seeded: tuple[Engine, SeedStats]) -> None:
    engine, _ = seeded
    with Session(engine) as session:
        appointments = session.scalars(select(orm.Appointment)).all()
        assert appointments and all(a.end_time > a.start_time for a in appointments)
        assert any(a.start_time > NOW and a.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
                   for a in appointments)
        leads = session.scalars(select(orm.Lead).where(orm.Lead.first_name != "Pre")).all()
        created_types = dict(session.execute(
            select(orm.Activity.lead_id, orm.Activity.created_at).where(orm.Activity.type == ActivityType.LEAD_CREATED)
        ).all())
        first_activity = dict(session.execute(
            select(orm.Activity.lead_id, func.min(orm.Activity.created_at)).group_by(orm.Activity.lead_id)
        ).all())
        for lead in leads:
            assert lead.created_at.tzinfo is not None and lead.created_at.utcoffset() == dt.timedelta(0)
            assert NOW - dt.timedelta(days=560) <= lead.created_at <= NOW
            assert created_types[lead.id] == lead.created_at == first_activity[lead.id]
            assert 0 <= lead.score <= 100
            if lead.status is not LeadStatus.NEW:
                assert lead.last_contact_at is not None and lead.created_at < lead.last_contact_at <= NOW
            else:
                assert lead.last_contact_at is None
            assert (lead.won_at is not None) == (lead.status is LeadStatus.WON)
            if lead.value is not None:
                assert isinstance(lead.value, Decimal) and lead.value == lead.value.quantize(Decimal("0.01"))
                assert Decimal(50_000) <= lead.value <= Decimal(4_500_000)
        by_status: dict[LeadStatus, list[int]] = {}
        for lead in leads:
            by_status.setdefault(lead.status, []).append(lead.score)
        mean = {s: sum(v) / len(v) for s, v in by_status.items()}
        assert mean[LeadStatus.WON] > mean[LeadStatus.QUALIFIED] > mean[LeadStatus.NEW] > mean[LeadStatus.LOST]

        activity = session.scalars(select(orm.Activity).where(orm.Activity.type == ActivityType.STATUS_CHANGED)
                                   .limit(1)).one()
        assert isinstance(activity.metadata_, dict) and set(activity.metadata_) == {"from", "to"}
        listing = session.scalars(select(orm.Property).limit(1)).one()
        assert isinstance(listing.photo_urls, list)
        assert listing.photo_urls[0] == f"https://photos.example-mls.com/{listing.mls_number}/1.jpg"
        assert isinstance(listing.list_price, Decimal)
        campaigns = session.scalars(select(orm.Campaign)).all()
        for c in campaigns:
            assert c.sent >= c.delivered >= c.opened >= c.clicked >= c.converted >= 0, c.name
            assert isinstance(c.revenue, Decimal)
        tasks = session.scalars(select(orm.Task)).all()
        assert all((t.completed_at is not None) == (t.status is TaskStatus.COMPLETED) for t in tasks)
        assert all(t.created_at <= t.due_date and t.created_at <= NOW for t in tasks)
        assert all(a.created_at <= a.start_time for a in appointments)
    for table, column in (("tasks", "created_at"), ("appointments", "created_at"), ("notes", "created_at"),
                          ("messages", "created_at"), ("activities", "created_at")):
        early = _scalar(engine, f"SELECT count(*) FROM {table} c JOIN leads l ON l.id = c.lead_id "
                                f"WHERE c.{column} < l.created_at")
        assert early == 0, table
    demo_teams = [_team_id(engine, "harbor-oak"), _team_id(engine, "summit-peak")]
    for table in ("activities", "messages", "notes", "lead_property_interests", "leads"):
        columns = orm.Base.metadata.tables[table].c
        with Session(engine) as session:
            latest = session.scalar(select(func.max(columns.created_at)).where(columns.team_id.in_(demo_teams)))
        assert latest is not None and latest <= NOW, table


def test_the_demo_agent_has_a_full_day(seeded: tuple[Engine, SeedStats]) -> None:
    engine, _ = seeded
    with Session(engine) as session:
        ava = session.scalars(select(orm.User).where(orm.User.email == "agent@harborandoak.com")).one()
        assert session.scalar(select(func.count()).select_from(orm.Lead).where(orm.Lead.assigned_to_id == ava.id)) >= 12
        open_tasks = session.scalars(select(orm.Task).where(
            orm.Task.assigned_to_id == ava.id, orm.Task.status.in_([TaskStatus.PENDING, TaskStatus.IN_PROGRESS]))).all()
        eastern = ZoneInfo("America/New_York")
        local_today = NOW.astimezone(eastern).date()
        due_today = [t for t in open_tasks if t.due_date.astimezone(eastern).date() == local_today]
        overdue = [t for t in open_tasks if t.due_date < NOW and t not in due_today]
        assert len(due_today) >= 3 and len(overdue) >= 3
        upcoming = session.scalars(select(orm.Appointment).where(
            orm.Appointment.user_id == ava.id, orm.Appointment.start_time > NOW,
            orm.Appointment.start_time < NOW + dt.timedelta(days=14))).all()
        assert len(upcoming) >= 3


def test_ids_continue_and_sequences_follow(seeded: tuple[Engine, SeedStats]) -> None:
    engine, _ = seeded
    team = _team_id(engine, "summit-peak")
    with Session(engine) as session:
        top = session.scalar(select(func.max(orm.Lead.id)))
        lead = orm.Lead(team_id=team, first_name="New", last_name="Lead", email="new.lead@example.com")
        session.add(lead)
        session.flush()
        assert lead.id > top  # PostgreSQL: the sequence was moved past the explicit ids
        session.rollback()


def test_seeding_twice_is_refused(seeded: tuple[Engine, SeedStats]) -> None:
    engine, _ = seeded
    before = _scalar(engine, "SELECT count(*) FROM leads")
    with pytest.raises(DemoAlreadySeeded):
        seed_demo(engine, leads=20, now=NOW)
    assert _scalar(engine, "SELECT count(*) FROM leads") == before


def _schema(engine: Engine) -> list[tuple]:
    if engine.dialect.name == "sqlite":
        return _rows(engine, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    return _rows(engine, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                         "WHERE connamespace = 'public'::regnamespace UNION ALL "
                         "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_failed_seed_leaves_nothing_behind(backend: str, tmp_path_factory: pytest.TempPathFactory,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from crm.demo import generator

    with _fresh_database(backend, tmp_path_factory) as url:
        _failed_seed_leaves_nothing_behind(url, monkeypatch, generator)


def _failed_seed_leaves_nothing_behind(url: str, monkeypatch: pytest.MonkeyPatch, generator: Any) -> None:
    engine = make_engine(url)
    with Session(engine) as session, session.begin():  # another tenant's rows, kept through it all
        team = orm.Team(name="Other Brokerage", slug="other-brokerage")
        session.add(team)
        session.flush()
        session.add(orm.Tag(team_id=team.id, name="VIP"))
    schema = _schema(engine)
    counts = {t: _scalar(engine, f"SELECT count(*) FROM {t}") for t in ("users", "leads", "activities", "tags")}
    calls = {"n": 0}
    original = generator._Generator._lead

    def failing(self, ctx, i, buf):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 150:
            raise RuntimeError("boom")
        return original(self, ctx, i, buf)

    cache_size = _scalar(engine, "PRAGMA cache_size") if engine.dialect.name == "sqlite" else None
    monkeypatch.setattr(generator._Generator, "_lead", failing)
    with pytest.raises(RuntimeError, match="boom"):
        seed_demo(engine, leads=LEADS, now=NOW, chunk_size=50)  # two chunks were written by then
    assert _schema(engine) == schema  # dropped indexes / foreign keys came back with the rollback
    assert {t: _scalar(engine, f"SELECT count(*) FROM {t}") for t in counts} == counts
    if engine.dialect.name == "sqlite":
        assert _scalar(engine, "PRAGMA foreign_keys") == 1
        assert _scalar(engine, "PRAGMA cache_size") == cache_size  # the seed's 256 MiB is undone
    monkeypatch.undo()
    stats = seed_demo(engine, leads=60, now=NOW)  # and it seeds fine afterwards
    assert stats.counts["leads"] == 60
    engine.dispose()


# -- determinism ---------------------------------------------------------------------------------


def _fingerprint(url: str, *, seed: int, leads: int = 150, chunk_size: int = 10_000,
                 now: dt.datetime = NOW) -> tuple[list[tuple], list[tuple], list[tuple]]:
    engine = make_engine(url)
    try:
        seed_demo(engine, leads=leads, seed=seed, now=now, chunk_size=chunk_size)
        people = _rows(engine, "SELECT first_name, last_name, email, phone, status, source, lead_type, score, "
                               "value, created_at, assigned_to_id FROM leads ORDER BY id")
        history = _rows(engine, "SELECT type, title, created_at FROM activities ORDER BY id")
        notes = _rows(engine, "SELECT content FROM notes ORDER BY id")
        return people, history, notes
    finally:
        engine.dispose()


def test_same_seed_same_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    urls = [_sqlite_url(tmp_path_factory) for _ in range(5)]
    for url in urls:
        _migrate(url)
    first = _fingerprint(urls[0], seed=7)
    assert first == _fingerprint(urls[1], seed=7, chunk_size=33)  # chunking does not change the data
    other = _fingerprint(urls[2], seed=8)
    assert [r[:3] for r in first[0]] != [r[:3] for r in other[0]]
    # Seeded at another time of day, the same people, statuses and histories, shifted in time
    # (enough leads that a random draw depending on the clock would show).
    base = _fingerprint(urls[3], seed=7, leads=600)
    later = _fingerprint(urls[4], seed=7, leads=600, now=NOW + dt.timedelta(days=3, hours=7, minutes=13))
    assert [r[:9] for r in later[0]] == [r[:9] for r in base[0]]
    assert [r[:2] for r in later[1]] == [r[:2] for r in base[1]]
    assert later[2] == base[2]


# -- the command line ----------------------------------------------------------------------------


def test_cli_if_empty_skips_a_second_run(tmp_path_factory: pytest.TempPathFactory,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from crm.demo.__main__ import main

    url = _sqlite_url(tmp_path_factory)
    _migrate(url)
    assert main(["--leads", "40", "--seed", "3", "--if-empty", "--database-url", url, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "leads" in out and "rows in" in out
    engine = make_engine(url)
    before = _scalar(engine, "SELECT count(*) FROM activities")
    assert main(["--leads", "40", "--if-empty", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "not seeded" in out and out.count("\n") == 1
    assert _scalar(engine, "SELECT count(*) FROM activities") == before
    assert main(["--leads", "40", "--database-url", url]) == 1  # without --if-empty: a clear refusal
    assert "already" in capsys.readouterr().err
    engine.dispose()


def test_cli_without_schema_fails_readably(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from crm.demo.__main__ import main

    assert main(["--leads", "10", "--database-url", f"sqlite:///{tmp_path / 'empty.db'}"]) == 2
    assert "alembic upgrade head" in capsys.readouterr().err


# -- the SQLite fast path writes what SQLAlchemy Core writes -------------------------------------


def test_sqlite_bulk_rows_match_core_inserts(tmp_path_factory: pytest.TempPathFactory) -> None:
    url = _sqlite_url(tmp_path_factory)
    _migrate(url)
    engine = make_engine(url)
    when = dt.datetime(2026, 3, 8, 6, 59, 58, 120, tzinfo=dt.UTC)
    on_the_second = dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC)
    team = {"name": "T", "slug": "t", "settings": {"a": [1, "b"]}, "subscription_tier": "FREE",
            "created_at": when, "updated_at": on_the_second}
    prop = {"team_id": None, "address": "1 Main St", "city": "Boston", "state": "MA", "zip_code": "02116",
            "latitude": 42.36, "longitude": -71.05, "list_price": Decimal("650000.10"), "baths": Decimal("2.5"),
            "property_type": "CONDO", "status": "ACTIVE", "photo_urls": ["https://x/1.jpg"],
            "created_at": when, "updated_at": when}
    with engine.begin() as conn:
        writer = BulkWriter(conn)
        writer.insert(orm.Team.__table__, ("id", *team), [(1, *team.values())])
        conn.execute(insert(orm.Team.__table__), [{**team, "id": 2, "slug": "u"}])
        for tid, pid in ((1, 1), (2, 2)):
            row = {**prop, "team_id": tid}
            if tid == 1:
                writer.insert(orm.Property.__table__, ("id", *row), [(pid, *row.values())])
            else:
                conn.execute(insert(orm.Property.__table__), [{**row, "id": pid}])
        writer.insert(orm.Activity.__table__, ("id", "team_id", "type", "title", "metadata", "created_at"),
                      [(1, 1, "CALL_MADE", "x", JsonText('{"duration_sec": 5}'), when)])
        conn.execute(insert(orm.Activity.__table__), [{"id": 2, "team_id": 1, "type": ActivityType.CALL_MADE,
                                                        "title": "x", "metadata": {"duration_sec": 5},
                                                        "created_at": when}])
        for table in ("teams", "properties", "activities"):
            cols = [c.name for c in orm.Base.metadata.tables[table].columns if c.name not in ("id", "slug", "team_id")]
            quoted = ", ".join(f'quote("{c}")' for c in cols)
            a, b = conn.exec_driver_sql(f"SELECT {quoted} FROM {table} ORDER BY id").all()
            assert a == b, table
    engine.dispose()
    processor = orm.base.UTCDateTime().dialect_impl(engine.dialect).bind_processor(engine.dialect)
    rng = random.Random(5)
    for _ in range(2000):
        value = dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(10**9),
                                                                      microseconds=rng.choice((0, rng.randrange(10**6))))
        assert sqlite_utc_text(value) == processor(value)
        whole = value.replace(microsecond=0)
        assert epoch_text(int(whole.timestamp())) == processor(whole)  # the generator's epoch seconds
    eastern = dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    assert sqlite_utc_text(eastern) == processor(eastern) == "2026-07-01 13:30:00.000000"
    with pytest.raises(ValueError):
        sqlite_utc_text(dt.datetime(2026, 1, 1))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_search_index_holds_every_seeded_lead(backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Into an empty table the bulk load skips the per-row search triggers and rebuilds the index once."""
    from crm.services.lead_search import SEARCH_DOCUMENT_SQL, search_clause  # noqa: PLC0415

    with _fresh_database(backend, tmp_path_factory) as url:
        engine = make_engine(url)
        seed_demo(engine, leads=80, now=NOW)
        with Session(engine) as session:
            if backend == "sqlite":  # compares the FTS index with the leads, row by row
                session.execute(text("INSERT INTO leads_search (leads_search, rank) VALUES ('integrity-check', 1)"))
                triggers = session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
                assert {"leads_search_insert", "leads_search_delete", "leads_search_update"} <= set(triggers)
            for term in ("son", "example.com", "555"):
                found = session.scalar(select(func.count()).select_from(orm.Lead).where(search_clause(session, term)))
                scanned = session.scalar(select(func.count()).select_from(orm.Lead)
                                         .where(text(f"{SEARCH_DOCUMENT_SQL} LIKE :p")), {"p": f"%{term}%"})
                assert found == scanned and found, term
        engine.dispose()
