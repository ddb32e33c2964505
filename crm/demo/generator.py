"""Deterministic, fast demo data: a realistic brokerage with leads and their whole history.

`seed_demo(engine, leads=N, seed=S)` writes two teams (Harbor & Oak Realty with the sign-in
accounts of `crm.demo.accounts`, and the small Summit Peak Homes), their users, tags, campaigns,
templates and listings, then N leads in chunks, each with its timeline: activities, notes, tags,
tasks, appointments, messages, buyer requirements and listing interests.

Determinism: one `random.Random(seed)` drives every choice, in a fixed order, and name pools come
from a Faker instance seeded once, so the same seed gives the same rows (ids aside) on every
backend and at every chunk size. Only two things vary between runs: bcrypt salts, and the time
anchor `now` (default: the current time) that every date is an offset from, so a demo seeded
today has tasks due today. Pass `now=` to pin it.

Speed: no ORM objects and no Faker per row; ids are assigned here and rows go in through
`crm.demo.bulk.BulkWriter` (DBAPI executemany on SQLite, COPY on PostgreSQL), all in one
transaction, so a failed seed leaves nothing behind.

Target database: the schema must exist (alembic upgrade head). The database need not be empty:
ids continue after each table's current maximum. It must not already hold the demo teams or
users (`DemoAlreadySeeded`), and nothing else may write to it while seeding runs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import queue
import random
import threading
import time
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, inspect, select

from crm import orm
from crm.demo import catalog as cat
from crm.demo import custom_fields as demo_fields
from crm.demo.accounts import (
    ALL_DEMO_USERS,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TEAMS,
    HARBOR_OAK,
    SUMMIT_PEAK,
    DemoAccount,
    DemoTeam,
)
from crm.demo.bulk import BulkWriter, JsonText, bulk_transaction
from crm.enums import (
    ActivityType,
    AppointmentStatus,
    AppointmentType,
    InterestKind,
    LeadSource,
    LeadStatus,
    LeadType,
    MessageStatus,
    PropertyStatus,
    PropertyType,
    TaskPriority,
    TaskStatus,
    TeamRole,
)
from crm.security import hash_password

UTC = dt.UTC
DAY = 86_400.0
DAY_S, HOUR_S, MINUTE_S = 86_400, 3_600, 60
HISTORY_DAYS = 545  # ~18 months
DEFAULT_CHUNK = 10_000

T = orm.Base.metadata.tables
# The sign-in agent whose own day must look busy: leads, tasks due today and overdue, showings.
FEATURED_AGENT = next(a.email for a in DEMO_ACCOUNTS if a.team_role is TeamRole.MEMBER)


class DemoSeedError(RuntimeError):
    """The demo could not be seeded; the message says why and what to do."""


class SchemaMissing(DemoSeedError):
    """The tables do not exist: run `alembic upgrade head` first."""


class DemoAlreadySeeded(DemoSeedError):
    """The demo teams or users are already in the database."""


@dataclass
class SeedStats:
    """What `seed_demo` wrote: rows per table, wall time and backend."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    backend: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        width = max(len(name) for name in self.counts) if self.counts else 0
        lines = [f"  {name:<{width}}  {n:>10,}" for name, n in sorted(self.counts.items())]
        lines.append(
            f"  {'total':<{width}}  {self.total_rows:>10,} rows in {self.seconds:.1f} s "
            f"({self.rows_per_second:,.0f} rows/s, {self.backend})"
        )
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Column orders of the rows built below (tuples, in this order).

USER_COLS = (
    "id", "email", "password_hash", "name", "role", "is_active", "email_verified", "timezone",
    "language", "phone", "last_login_at", "subscription_tier", "created_at", "updated_at",
)
TEAM_COLS = ("id", "name", "slug", "settings", "subscription_tier", "created_at", "updated_at")
MEMBER_COLS = ("id", "team_id", "user_id", "role", "joined_at")
TAG_COLS = ("id", "team_id", "name", "color", "created_at")
CAMPAIGN_COLS = (
    "id", "team_id", "name", "type", "status", "subject", "body", "preview_text", "start_date",
    "end_date", "budget", "spent", "audience", "audience_filter", "sent", "delivered", "opened",
    "clicked", "converted", "bounced", "unsubscribed", "revenue", "roi", "is_ab_test", "ab_test_data",
    "created_by_id", "created_at", "updated_at",
)
EMAIL_TEMPLATE_COLS = (
    "id", "team_id", "name", "subject", "body", "category", "is_active", "variables", "usage_count",
    "last_used_at", "created_at", "updated_at",
)
SMS_TEMPLATE_COLS = (
    "id", "team_id", "name", "body", "category", "is_active", "variables", "usage_count",
    "last_used_at", "created_at", "updated_at",
)
PROPERTY_COLS = (
    "id", "team_id", "listing_agent_id", "address", "city", "state", "zip_code", "latitude",
    "longitude", "list_price", "beds", "baths", "sqft", "lot_sqft", "year_built", "property_type",
    "status", "mls_number", "description", "photo_urls", "listed_at", "sold_at", "sold_price",
    "created_at", "updated_at",
)
LEAD_COLS = (
    "id", "team_id", "first_name", "last_name", "email", "phone", "company", "position", "lead_type",
    "status", "score", "source", "value", "stage", "address", "city", "state", "zip_code", "timezone",
    "email_opt_out", "sms_opt_out", "assigned_to_id", "created_by_id", "custom_fields", "created_at",
    "updated_at", "last_contact_at", "won_at",
)
ACTIVITY_COLS = (
    "id", "team_id", "type", "title", "description", "lead_id", "campaign_id", "user_id", "metadata",
    "created_at",
)
NOTE_COLS = ("id", "team_id", "lead_id", "author_id", "content", "created_at", "updated_at")
TASK_COLS = (
    "id", "team_id", "title", "description", "due_date", "priority", "status", "assigned_to_id",
    "created_by_id", "lead_id", "completed_at", "created_at", "updated_at",
)
APPOINTMENT_COLS = (
    "id", "team_id", "title", "description", "start_time", "end_time", "location", "meeting_url",
    "type", "status", "user_id", "lead_id", "property_id", "attendees", "reminder_sent", "created_at",
    "updated_at",
)
MESSAGE_COLS = (
    "id", "team_id", "type", "direction", "subject", "body", "from_address", "to_address", "status",
    "read_at", "replied_at", "lead_id", "user_id", "campaign_id", "thread_id", "parent_id",
    "external_id", "provider", "metadata", "created_at",
)
LEAD_TAG_COLS = ("lead_id", "tag_id")
CAMPAIGN_TAG_COLS = ("campaign_id", "tag_id")
REQUIREMENT_COLS = (
    "id", "team_id", "lead_id", "min_price", "max_price", "min_beds", "max_beds", "min_baths",
    "max_baths", "min_sqft", "max_sqft", "areas", "zip_codes", "property_types", "notes", "created_at",
    "updated_at",
)
INTEREST_COLS = ("id", "team_id", "lead_id", "property_id", "kind", "created_at")

# Tables with an integer id, in insert (foreign key) order.
ID_TABLES = (
    "users", "teams", "team_members", "tags", "campaigns", "email_templates", "sms_templates",
    "properties", "leads", "notes", "activities", "tasks", "appointments", "messages",
    "buyer_requirements", "lead_property_interests", "custom_field_definitions",
)
# Per-chunk child tables, in insert order.
CHUNK_TABLES = (
    ("leads", LEAD_COLS), ("notes", NOTE_COLS), ("activities", ACTIVITY_COLS), ("tasks", TASK_COLS),
    ("appointments", APPOINTMENT_COLS), ("messages", MESSAGE_COLS), ("lead_tags", LEAD_TAG_COLS),
    ("buyer_requirements", REQUIREMENT_COLS), ("lead_property_interests", INTEREST_COLS),
)

# ---------------------------------------------------------------------------------------------
# Distributions.

S = LeadStatus
STATUS_WEIGHTS = (
    (S.NEW, 28), (S.CONTACTED, 24), (S.QUALIFIED, 14), (S.PROPOSAL, 8), (S.NEGOTIATION, 5),
    (S.WON, 9), (S.LOST, 12),
)
SOURCE_WEIGHTS = (
    (LeadSource.WEBSITE, 18), (LeadSource.ZILLOW, 17), (LeadSource.REALTOR_COM, 12),
    (LeadSource.REFERRAL, 12), (LeadSource.OPEN_HOUSE, 8), (LeadSource.SOCIAL, 10),
    (LeadSource.SIGN_CALL, 5), (LeadSource.PAST_CLIENT, 6), (LeadSource.COLD_OUTREACH, 7),
    (LeadSource.OTHER, 5),
)
TYPE_WEIGHTS = (
    (LeadType.BUYER, 45), (LeadType.SELLER, 20), (LeadType.BUYER_SELLER, 12), (LeadType.RENTER, 10),
    (LeadType.INVESTOR, 13),
)
PROPERTY_TYPE_WEIGHTS = (
    (PropertyType.SINGLE_FAMILY, 55), (PropertyType.CONDO, 18), (PropertyType.TOWNHOUSE, 12),
    (PropertyType.MULTI_FAMILY, 7), (PropertyType.LAND, 4), (PropertyType.COMMERCIAL, 4),
)
PROPERTY_STATUS_WEIGHTS = (
    (PropertyStatus.ACTIVE, 50), (PropertyStatus.COMING_SOON, 8), (PropertyStatus.PENDING, 14),
    (PropertyStatus.SOLD, 20), (PropertyStatus.OFF_MARKET, 8),
)
PRIORITY_WEIGHTS = (
    (TaskPriority.LOW, 20), (TaskPriority.MEDIUM, 45), (TaskPriority.HIGH, 25), (TaskPriority.URGENT, 10),
)
PIPELINE = (S.NEW, S.CONTACTED, S.QUALIFIED, S.PROPOSAL, S.NEGOTIATION)
STATUS_RANK = {s: i for i, s in enumerate(PIPELINE)} | {S.WON: 5, S.LOST: -1}
SCORE_RANGE = {
    S.NEW: (12, 45), S.CONTACTED: (25, 58), S.QUALIFIED: (45, 75), S.PROPOSAL: (58, 86),
    S.NEGOTIATION: (68, 94), S.WON: (80, 100), S.LOST: (3, 35),
}
BUYERISH = frozenset({LeadType.BUYER, LeadType.BUYER_SELLER, LeadType.INVESTOR})
SELLERISH = frozenset({LeadType.SELLER, LeadType.BUYER_SELLER})
STAGES_BUYER = {
    S.NEW: "Inquiry", S.CONTACTED: "Initial consultation", S.QUALIFIED: "Pre-approved",
    S.PROPOSAL: "Showing homes", S.NEGOTIATION: "Offer submitted", S.WON: "Closed", S.LOST: "Closed lost",
}
STAGES_SELLER = {
    S.NEW: "Inquiry", S.CONTACTED: "Valuation requested", S.QUALIFIED: "Listing appointment",
    S.PROPOSAL: "Listing agreement", S.NEGOTIATION: "Under contract", S.WON: "Closed", S.LOST: "Closed lost",
}
SOURCE_LABELS = {
    LeadSource.WEBSITE: "website form", LeadSource.ZILLOW: "Zillow", LeadSource.REALTOR_COM: "Realtor.com",
    LeadSource.REFERRAL: "referral", LeadSource.OPEN_HOUSE: "open house sign-in",
    LeadSource.SOCIAL: "Facebook ad", LeadSource.SIGN_CALL: "yard sign call",
    LeadSource.PAST_CLIENT: "past client", LeadSource.COLD_OUTREACH: "cold outreach",
    LeadSource.OTHER: "manual entry",
}
INBOUND_SOURCES = frozenset({LeadSource.WEBSITE, LeadSource.ZILLOW, LeadSource.REALTOR_COM, LeadSource.SOCIAL})
A = ActivityType


class _Picker:
    """Weighted choice with a precomputed cumulative table (faster than random.choices)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.items = [p[0] for p in pairs]
        self.cum = list(itertools.accumulate(p[1] for p in pairs))
        self.total = self.cum[-1]

    def __call__(self, rand: Callable[[], float]) -> Any:
        return self.items[bisect(self.cum, rand() * self.total)]


def _short_price(thousands: int) -> str:
    """How agents write prices: $650k, $1.2M."""
    if thousands >= 1000:
        return f"${thousands / 1000:.2f}".rstrip("0").rstrip(".") + "M"
    return f"${thousands}k"


_MONEY: dict[float, Decimal] = {}


def _money(amount: float) -> Decimal:
    """`amount` as a Decimal with 2 places (cached: prices repeat)."""
    value = _MONEY.get(amount)
    if value is None:
        value = Decimal(f"{amount:.2f}")
        if len(_MONEY) < 100_000:
            _MONEY[amount] = value
    return value


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if "a" <= ch <= "z")


@dataclass
class _Agent:
    user_id: int
    name: str
    email: str
    phone: str


@dataclass
class _Listing:
    id: int
    address: str
    city: str
    state: str
    zip_code: str
    price: float
    ptype: str


@dataclass
class _TeamCtx:
    spec: DemoTeam
    team_id: int
    owner: _Agent
    manager: _Agent
    agents: list[_Agent]
    pick_agent: _Picker
    featured: _Agent | None  # the sign-in agent whose own data must be rich
    tag_ids: dict[str, int]
    campaign_ids: list[int]  # started email campaigns (for campaign messages)
    metros: _Picker
    listings_by_metro: dict[str, list[_Listing]]
    all_listings: list[_Listing]
    unclaimed: dict[str, list[_Listing]]
    tz: ZoneInfo
    used_emails: set[str] = field(default_factory=set)
    featured_tasks_today: int = 0
    featured_tasks_overdue: int = 0
    featured_appointments: int = 0


class _ChunkWriter:
    """Writes generated chunks, on PostgreSQL on a background thread.

    The next chunk is then generated while the server loads this one (in its own process), so
    the two overlap on a multi-core machine. Generation stays on the caller's thread, in order,
    so the data do not depend on timing. At most one chunk waits while another is written.
    """

    def __init__(self, gen: _Generator) -> None:
        self.gen = gen
        self.written = 0
        self.error: BaseException | None = None
        self.queue: queue.Queue[_Buffers | None] = queue.Queue(maxsize=1)
        self.thread: threading.Thread | None = None
        if _write_in_background(gen.w):
            self.thread = threading.Thread(target=self._loop, name="demo-seed-writer", daemon=True)
            self.thread.start()

    def _write(self, buf: _Buffers) -> None:
        for name, cols in CHUNK_TABLES:
            self.written += self.gen.w.insert(T[name], cols, buf.rows[name])

    def _loop(self) -> None:
        while (buf := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self._write(buf)
                except BaseException as exc:  # handed to the generating thread
                    self.error = exc

    def submit(self, buf: _Buffers) -> None:
        if self.error is not None:
            raise self.error
        if self.thread is None:
            self._write(buf)
        else:
            self.queue.put(buf)

    def close(self) -> None:
        """Wait for every submitted chunk; re-raise a write error."""
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        if self.error is not None:
            raise self.error


def _write_in_background(writer: BulkWriter) -> bool:
    """Whether writing on a background thread pays off: on PostgreSQL, yes.

    On SQLite the writer would hand the GIL back and forth with the generator for every row
    (sqlite3 releases it around each step), which measured slower than writing in line.
    """
    return writer.backend == "postgresql"


class _Buffers:
    """The rows of one chunk of leads, per table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name, _ in CHUNK_TABLES}


# ---------------------------------------------------------------------------------------------


def seed_demo(
    engine: Engine,
    *,
    leads: int = 2000,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> SeedStats:
    """Seed the demo brokerages with `leads` leads in total (about 95% Harbor & Oak).

    Raises SchemaMissing when the tables do not exist and DemoAlreadySeeded when the demo teams
    or users are already there. Returns the rows written per table and the wall time.
    """
    if leads < 0:
        raise ValueError("leads must be >= 0")
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    anchor = (now or dt.datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    say = progress or (lambda _msg: None)
    started = time.perf_counter()

    missing = [name for name in ID_TABLES if not inspect(engine).has_table(name)]
    if missing:
        raise SchemaMissing(
            f"the database has no {', '.join(missing[:3])}{'...' if len(missing) > 3 else ''} table: "
            "create the schema first with `alembic upgrade head`"
        )

    password_hash = hash_password(DEMO_PASSWORD)  # once; every demo user shares it
    stats = SeedStats(backend=engine.dialect.name)
    with bulk_transaction(engine) as writer:
        conn = writer.conn
        taken = conn.execute(
            select(orm.User.email).where(orm.User.email.in_([a.email for a in ALL_DEMO_USERS]))
        ).scalars().all()
        slugs = conn.execute(
            select(orm.Team.slug).where(orm.Team.slug.in_([t.slug for t in DEMO_TEAMS]))
        ).scalars().all()
        if taken or slugs:
            raise DemoAlreadySeeded(
                "the demo data is already in this database "
                f"({', '.join([*slugs, *taken][:3])} exist); use an empty database or --if-empty"
            )
        writer.defer_constraints([name for name, _ in CHUNK_TABLES])
        gen = _Generator(writer, seed=seed, anchor=anchor, password_hash=password_hash, say=say,
                         started=started, stats=stats)
        gen.run(total_leads=leads, chunk_size=chunk_size)
        say(f"[{gen.elapsed():6.1f}s] building indexes and checking foreign keys")
        writer.complete()  # planner statistics: PostgreSQL's autovacuum analyzes the new rows by itself
        demo_fields.create_indexes(conn)  # the custom fields' filter indexes, once their values are in
    stats.seconds = time.perf_counter() - started
    say(f"done: {stats.total_rows:,} rows in {stats.seconds:.1f} s")
    return stats


def split_leads(total: int) -> tuple[int, int]:
    """How many of `total` leads go to Harbor & Oak and to Summit Peak."""
    summit = min(total // 2, max(10, total // 20))
    return total - summit, summit


class _Generator:
    def __init__(self, writer: BulkWriter, *, seed: int, anchor: dt.datetime, password_hash: str,
                 say: Callable[[str], None], started: float, stats: SeedStats) -> None:
        self.w = writer
        self.rng = random.Random(seed)
        self.seed = seed
        self.anchor_dt = anchor
        self.anchor = int(anchor.timestamp())  # every time below is epoch seconds (UTC)
        self._local_cache: dict[tuple[ZoneInfo, int, int, int], int] = {}
        self.password_hash = password_hash
        self.say = say
        self.started = started
        self.stats = stats
        self.ids = {name: itertools.count(writer.max_id(T[name]) + 1) for name in ID_TABLES}
        self._build_pools()
        self.pick_status = _Picker(STATUS_WEIGHTS)
        self.pick_source = _Picker(SOURCE_WEIGHTS)
        self.pick_type = _Picker(TYPE_WEIGHTS)
        self.pick_ptype = _Picker(PROPERTY_TYPE_WEIGHTS)
        self.pick_pstatus = _Picker(PROPERTY_STATUS_WEIGHTS)
        self.pick_priority = _Picker(PRIORITY_WEIGHTS)
        self.pick_lost_rank = _Picker(((0, 5), (1, 40), (2, 30), (3, 15), (4, 10)))
        self._seller_links: list[tuple[int, int]] = []  # (property id, lead id)
        self._tz_cache: dict[str, ZoneInfo] = {}
        rand = self.rng.random

        def pick(seq: Sequence[Any]) -> Any:  # random.choice, 5x cheaper
            return seq[int(rand() * len(seq))]

        def ri(lo: int, hi: int) -> int:  # random.randrange(lo, hi), 5x cheaper
            return lo + int(rand() * (hi - lo))

        self.pick = pick
        self.ri = ri

    # -- helpers ---------------------------------------------------------------------------------

    def _build_pools(self) -> None:
        from faker import Faker  # imported here: only the generator needs it

        fake = Faker("en_US")
        fake.seed_instance(self.seed)
        # Draw with repetition so common names stay common; keep (display, email slug) pairs.
        self.first_names = [(n, _slug(n)) for n in (fake.first_name() for _ in range(1000))]
        self.last_names = [(n, _slug(n)) for n in (fake.last_name() for _ in range(1500))]
        self.first_names = [p for p in self.first_names if p[1]]
        self.last_names = [p for p in self.last_names if p[1]]

    def tz(self, name: str) -> ZoneInfo:
        zone = self._tz_cache.get(name)
        if zone is None:
            zone = self._tz_cache[name] = ZoneInfo(name)
        return zone

    def local_time(self, zone: ZoneInfo, days: int, hour: int, minute: int = 0) -> int:
        """`days` from today at hour:minute local time in `zone`, in epoch seconds."""
        key = (zone, days, hour, minute)
        ts = self._local_cache.get(key)
        if ts is None:
            day = (self.anchor_dt.astimezone(zone) + dt.timedelta(days=days)).date()
            ts = int(dt.datetime.combine(day, dt.time(hour, minute), zone).timestamp())
            self._local_cache[key] = ts
        return ts

    def ago(self, days: float) -> int:
        return self.anchor - int(days * DAY)

    def write(self, table: str, cols: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        n = self.w.insert(T[table], cols, rows)
        self.stats.counts[table] = self.stats.counts.get(table, 0) + n

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    # -- driver ----------------------------------------------------------------------------------

    def run(self, *, total_leads: int, chunk_size: int) -> None:
        harbor_n, summit_n = split_leads(total_leads)
        teams = [
            self._team(HARBOR_OAK, harbor_n, created_days_ago=720, featured=FEATURED_AGENT),
            self._team(SUMMIT_PEAK, summit_n, created_days_ago=400, featured=None),
        ]
        self.say(f"[{self.elapsed():6.1f}s] teams, users, tags, campaigns, templates and "
                 f"{self.stats.counts.get('properties', 0):,} listings written")
        done = 0
        sink = _ChunkWriter(self)
        try:
            for ctx, n in zip(teams, (harbor_n, summit_n), strict=True):
                for start in range(0, n, chunk_size):
                    buf = _Buffers()
                    for i in range(start, min(n, start + chunk_size)):
                        self._lead(ctx, i, buf)
                    for name, _cols in CHUNK_TABLES:
                        self.stats.counts[name] = self.stats.counts.get(name, 0) + len(buf.rows[name])
                    sink.submit(buf)
                    done += min(n, start + chunk_size) - start
                    self.say(f"[{self.elapsed():6.1f}s] leads {done:,}/{total_leads:,} generated "
                             f"({ctx.spec.name}); {sink.written:,} rows written")
        finally:
            sink.close()
        if self._seller_links:
            self._link_sellers()

    def _link_sellers(self) -> None:
        links = self._seller_links
        if self.w.backend == "postgresql":
            self.w.execute_many(
                "UPDATE properties AS p SET seller_lead_id = v.lead_id "
                "FROM (SELECT unnest(CAST(:pids AS bigint[])) AS pid, "
                "unnest(CAST(:lids AS bigint[])) AS lead_id) AS v WHERE p.id = v.pid",
                [{"pids": [p for p, _ in links], "lids": [lead for _, lead in links]}],
            )
        else:
            self.w.execute_many(
                "UPDATE properties SET seller_lead_id = :lead_id WHERE id = :pid",
                [{"pid": p, "lead_id": lead} for p, lead in links],
            )

    # -- team-level rows -------------------------------------------------------------------------

    def _team(self, spec: DemoTeam, n_leads: int, *, created_days_ago: int, featured: str | None) -> _TeamCtx:
        team_created = self.ago(created_days_ago)
        team_id = next(self.ids["teams"])
        self.write("teams", TEAM_COLS, [(team_id, spec.name, spec.slug, None, spec.tier.value,
                                         team_created, team_created)])
        accounts = [a for a in ALL_DEMO_USERS if a.team_slug == spec.slug]
        users, members, agents = [], [], []
        by_email: dict[str, _Agent] = {}
        area = spec.office_phone[2:5]
        for k, acct in enumerate(accounts):
            uid = next(self.ids["users"])
            joined = team_created + (3 + 25 * k + self.ri(0, 10)) * DAY_S
            phone = f"+1{area}5550{101 + k:03d}"
            last_login = self.anchor - self.ri(2, 72) * HOUR_S
            users.append((uid, acct.email, self.password_hash, acct.name, acct.system_role.value, True, True,
                          spec.timezone, "en", phone, last_login, spec.tier.value, joined, joined))
            members.append((next(self.ids["team_members"]), team_id, uid, acct.team_role.value, joined))
            agent = _Agent(uid, acct.name, acct.email, phone)
            by_email[acct.email] = agent
            agents.append((acct, agent))
        self.write("users", USER_COLS, users)
        self.write("team_members", MEMBER_COLS, members)

        owner = next(a for acct, a in agents if acct.team_role is TeamRole.OWNER)
        manager = next((a for acct, a in agents if acct.team_role is TeamRole.MANAGER), owner)
        featured_agent = by_email.get(featured) if featured else None

        def weight(acct: DemoAccount) -> float:
            if acct.team_role is TeamRole.OWNER:
                return 0.25
            if acct.team_role is TeamRole.MANAGER:
                return 0.5
            return 1.3 if featured and acct.email == featured else 1.0

        pick_agent = _Picker([(a, weight(acct)) for acct, a in agents])

        tag_ids = {}
        tag_rows = []
        for name, color in cat.TAGS:
            tag_ids[name] = next(self.ids["tags"])
            tag_rows.append((tag_ids[name], team_id, name, color, team_created + 2 * DAY_S))
        self.write("tags", TAG_COLS, tag_rows)
        self.write("custom_field_definitions", demo_fields.COLUMNS, demo_fields.definition_rows(
            spec.slug, team_id, self.ids["custom_field_definitions"], team_created + 2 * DAY_S))

        metros = _Picker([(cat.METRO_BY_KEY[k], w) for k, w in cat.TEAM_METROS[spec.slug]])
        ctx = _TeamCtx(
            spec=spec, team_id=team_id, owner=owner, manager=manager,
            agents=[a for _, a in agents], pick_agent=pick_agent, featured=featured_agent,
            tag_ids=tag_ids, campaign_ids=[], metros=metros, listings_by_metro={}, all_listings=[],
            unclaimed={}, tz=self.tz(spec.timezone),
        )
        self._campaigns(ctx, n_leads, team_created)
        self._templates(ctx, team_created)
        floor = 50 if spec is HARBOR_OAK else 15
        self._listings(ctx, max(floor, n_leads // 10))
        return ctx

    def _campaigns(self, ctx: _TeamCtx, n_leads: int, team_created: int) -> None:
        rng = self.rng
        rows, tag_rows, activities = [], [], []
        city = next(iter(ctx.metros.items)).cities[0].name
        for name, ctype, status, subject, tags in cat.CAMPAIGNS:
            cid = next(self.ids["campaigns"])
            creator = ctx.owner if rng.random() < 0.4 else ctx.manager
            audience = max(25, int(n_leads * rng.uniform(0.08, 0.5)))
            start = end = None
            if status == "COMPLETED":
                start = self.ago(rng.uniform(30, 420))
                end = start + self.ri(3, 30) * DAY_S
            elif status in ("ACTIVE", "PAUSED"):
                start = self.ago(rng.uniform(3, 45))
                end = self.anchor + self.ri(10, 60) * DAY_S if rng.random() < 0.7 else None
            elif status == "SCHEDULED":
                start = self.anchor + (self.ri(2, 30) * DAY_S + self.ri(0, 24) * HOUR_S)
            elif status == "CANCELLED":
                start = self.ago(rng.uniform(40, 200))
                end = start + self.ri(1, 5) * DAY_S
            started = status in ("COMPLETED", "ACTIVE", "PAUSED", "CANCELLED")
            share = {"COMPLETED": 1.0, "ACTIVE": rng.uniform(0.3, 0.8), "PAUSED": rng.uniform(0.2, 0.6),
                     "CANCELLED": rng.uniform(0.05, 0.25)}.get(status, 0.0)
            sent = int(audience * share) if started else 0
            delivered = int(sent * {"EMAIL": rng.uniform(0.93, 0.99), "SMS": rng.uniform(0.96, 0.995),
                                    "PHONE": rng.uniform(0.3, 0.5), "SOCIAL": 1.0}[ctype])
            opened = int(delivered * {"EMAIL": rng.uniform(0.22, 0.45), "SMS": rng.uniform(0.85, 0.95),
                                      "PHONE": 1.0, "SOCIAL": rng.uniform(0.08, 0.2)}[ctype])
            clicked = int(opened * rng.uniform(0.06, 0.2))
            converted = int(clicked * rng.uniform(0.05, 0.2))
            if status in ("COMPLETED", "ACTIVE") and clicked >= 3:
                converted = max(converted, 1)
            bounced = sent - delivered if ctype in ("EMAIL", "SMS") else 0
            unsubscribed = int(delivered * rng.uniform(0.001, 0.006)) if ctype in ("EMAIL", "SMS") else 0
            budget = float(self.pick((250, 500, 750, 1000, 1500, 2500, 5000)))
            spent = budget * (rng.uniform(0.85, 1.0) if status == "COMPLETED" else share * rng.uniform(0.6, 1.0))
            revenue = converted * rng.uniform(8_000, 22_000)
            roi = round((revenue - spent) / spent, 3) if spent > 0 else None
            subj = subject.format(city=city, team=ctx.spec.name,
                                  month=self.anchor_dt.strftime("%B")) if subject else None
            body = (f"Hi {{{{first_name}}}},\n\n{subj or name}: here is what's new with {ctx.spec.name}."
                    if ctype in ("EMAIL", "SMS") else None)
            ab = name == "Just Listed Alerts"
            ab_data = None
            if ab:
                half = sent // 2
                ab_data = {"variants": [
                    {"name": "A", "subject": subj, "sent": half, "opened": int(opened * 0.45)},
                    {"name": "B", "subject": "New on the market near you", "sent": sent - half,
                     "opened": opened - int(opened * 0.45)},
                ], "winner": "B"}
            created = (start or self.anchor) - self.ri(2, 14) * DAY_S
            created = max(created, team_created)
            filt = {"statuses": ["NEW", "CONTACTED", "QUALIFIED"] if "Buyer" in name else ["WON"]
                    if "Past" in name else ["NEW", "CONTACTED", "QUALIFIED", "PROPOSAL"]}
            if tags:
                filt["tags"] = list(tags)
            rows.append((cid, ctx.team_id, name, ctype, status, subj, body,
                         "A quick update from your agent" if ctype == "EMAIL" else None, start, end,
                         _money(budget), _money(spent), audience, filt, sent, delivered, opened, clicked,
                         converted, bounced, unsubscribed, _money(revenue), roi, ab, ab_data,
                         creator.user_id, created, end if end and end < self.anchor else created))
            tag_rows.extend((cid, ctx.tag_ids[t]) for t in tags)
            if started:
                activities.append((next(self.ids["activities"]), ctx.team_id, A.CAMPAIGN_LAUNCHED.value,
                                   f"Campaign launched: {name}", None, None, cid, creator.user_id,
                                   {"audience": audience}, start))
                if ctype == "EMAIL" and status in ("COMPLETED", "ACTIVE"):
                    ctx.campaign_ids.append(cid)
            if status == "COMPLETED":
                activities.append((next(self.ids["activities"]), ctx.team_id, A.CAMPAIGN_COMPLETED.value,
                                   f"Campaign completed: {name}", f"{sent:,} sent, {opened:,} opened", None,
                                   cid, creator.user_id, {"sent": sent, "converted": converted}, end))
        self.write("campaigns", CAMPAIGN_COLS, rows)
        self.write("campaign_tags", CAMPAIGN_TAG_COLS, tag_rows)
        self.write("activities", ACTIVITY_COLS, activities)

    def _templates(self, ctx: _TeamCtx, team_created: int) -> None:
        rng = self.rng
        created = team_created + 5 * DAY_S
        rows = []
        for name, category, subject, body, variables in cat.EMAIL_TEMPLATES:
            used = self.ri(0, 400)
            rows.append((next(self.ids["email_templates"]), ctx.team_id, name, subject, body, category, True,
                         list(variables), used, self.ago(rng.uniform(0, 20)) if used else None, created, created))
        self.write("email_templates", EMAIL_TEMPLATE_COLS, rows)
        rows = []
        for name, category, body, variables in cat.SMS_TEMPLATES:
            used = self.ri(0, 300)
            rows.append((next(self.ids["sms_templates"]), ctx.team_id, name, body, category, True,
                         list(variables), used, self.ago(rng.uniform(0, 20)) if used else None, created, created))
        self.write("sms_templates", SMS_TEMPLATE_COLS, rows)

    def _street_address(self) -> str:
        return (f"{self.ri(10, 9900)} {self.pick(cat.STREET_NAMES)} "
                f"{self.pick(cat.STREET_SUFFIXES)}")

    def _listings(self, ctx: _TeamCtx, n: int) -> None:
        rng = self.rng
        rand = rng.random
        rows = []
        seq = 1_000_000 + self.ri(0, 100_000) * 10
        agents = ctx.agents
        for _i in range(n):
            pid = next(self.ids["properties"])
            metro = ctx.metros(rand)
            city = self.pick(metro.cities)
            zip_code = self.pick(city.zips)
            ptype = self.pick_ptype(rand)
            status = self.pick_pstatus(rand)
            price = metro.median_price * city.price_factor * math.exp(rng.gauss(0, 0.38))
            beds = baths = sqft = lot = year = None
            if ptype is PropertyType.LAND:
                price *= 0.35
                lot = self.ri(5_000, 90_000)
            elif ptype is PropertyType.COMMERCIAL:
                price *= 1.6
                sqft = self.ri(1_500, 12_000)
                year = self.ri(1950, 2024)
            else:
                beds = {PropertyType.CONDO: self.pick((1, 1, 2, 2, 2, 3)),
                        PropertyType.TOWNHOUSE: self.pick((2, 3, 3, 3, 4)),
                        PropertyType.MULTI_FAMILY: self.pick((4, 5, 6, 6, 8))}.get(ptype) or self.pick(
                    (2, 3, 3, 3, 4, 4, 4, 5, 6))
                baths = Decimal(str(max(1.0, min(beds + 0.5, round(beds * rng.uniform(0.5, 0.9) * 2) / 2))))
                sqft = int(beds * rng.uniform(420, 720)) + self.ri(0, 400)
                lot = None if ptype is PropertyType.CONDO else self.ri(1_500, 25_000)
                year = self.pick((self.ri(1900, 1960), self.ri(1960, 2000), self.ri(2000, 2025)))
                if ptype is PropertyType.CONDO:
                    price *= 0.7
            price = min(4_500_000.0, max(120_000.0, round(price / 1000) * 1000))
            seq += self.ri(1, 10)
            mls = f"{metro.mls_prefix}{seq}"
            street = self._street_address()
            unit = f" Unit {self.ri(1, 30)}{self.pick('ABCD')}" if ptype is PropertyType.CONDO else ""
            address = street + unit
            lat = round(city.lat + rng.uniform(-0.035, 0.035), 6)
            lon = round(city.lon + rng.uniform(-0.045, 0.045), 6)
            style = cat.PROPERTY_STYLES[ptype.value]
            features = rng.sample(cat.PROPERTY_FEATURES, 2)
            if beds:
                desc = (f"Welcome to this {beds}-bed, {baths}-bath {style} in {city.name}, with {features[0]} "
                        f"and {features[1]}. {sqft:,} sq ft" + (f", built {year}." if year else "."))
            else:
                desc = f"{style.capitalize()} in {city.name} with {features[0]}. Zoned for flexible use."
            photos = [f"https://photos.example-mls.com/{mls}/{k}.jpg"
                      for k in range(1, (3 if ptype is PropertyType.LAND else self.ri(5, 13)) + 1)]
            if status is PropertyStatus.COMING_SOON:
                listed = None
                created = self.ago(rng.uniform(1, 20))
            else:
                listed = self.ago(rng.uniform(3, 400))
                created = listed - self.ri(1, 10) * DAY_S
            sold_at = sold_price = None
            if status is PropertyStatus.SOLD and listed is not None:
                sold_at = min(self.anchor, listed + self.ri(7, 90) * DAY_S)
                sold_price = _money(round(price * rng.uniform(0.94, 1.06) / 500) * 500)
            rows.append((pid, ctx.team_id, self.pick(agents).user_id, address, city.name, city.state,
                         zip_code, lat, lon, _money(price), beds, baths, sqft, lot, year, ptype.value,
                         status.value, mls, desc, photos, listed, sold_at, sold_price, created,
                         sold_at or listed or created))
            listing = _Listing(pid, address, city.name, city.state, zip_code, price, ptype.value)
            ctx.listings_by_metro.setdefault(metro.key, []).append(listing)
            ctx.all_listings.append(listing)
            if ptype not in (PropertyType.LAND, PropertyType.COMMERCIAL):
                ctx.unclaimed.setdefault(metro.key, []).append(listing)
        self.write("properties", PROPERTY_COLS, rows)

    # -- one lead and its history ----------------------------------------------------------------

    def _lead(self, ctx: _TeamCtx, i: int, buf: _Buffers) -> None:  # noqa: C901 - one timeline
        rng = self.rng
        rand = rng.random
        pick = self.pick
        ri = self.ri
        anchor = self.anchor
        team_id = ctx.team_id
        lid = next(self.ids["leads"])

        # Who and what. The first leads of a team cover every status, source and type, so that
        # even a tiny demo shows all of them.
        status = PIPELINE_ALL[i % 7] if i < 7 else self.pick_status(rand)
        source = SOURCE_ALL[i] if i < 10 else self.pick_source(rand)
        ltype = TYPE_ALL[i % 5] if i < 5 else self.pick_type(rand)
        first, first_slug = pick(self.first_names)
        last, last_slug = pick(self.last_names)
        metro = ctx.metros(rand)
        city = pick(metro.cities)
        zip_code = pick(city.zips)
        is_open = status.is_open
        rank = STATUS_RANK[status]

        if ctx.featured is not None and i < 12:
            agent: _Agent | None = ctx.featured
        elif rand() < (0.3 if status is S.NEW else 0.03):
            agent = None
        else:
            agent = ctx.pick_agent(rand)
        agent_id = agent.user_id if agent else None

        # Contact details.
        email = None
        if rand() > (0.12 if source in (LeadSource.SIGN_CALL, LeadSource.OPEN_HOUSE) else 0.015):
            p = rand()
            if p < 0.35:
                local = f"{first_slug}.{last_slug}"
            elif p < 0.55:
                local = f"{first_slug}{last_slug}"
            elif p < 0.7:
                local = f"{first_slug[0]}{last_slug}"
            elif p < 0.85:
                local = f"{first_slug}.{last_slug}{ri(1, 100)}"
            else:
                local = f"{first_slug}{last_slug[0]}{ri(1965, 2006)}"
            domain = cat.LEAD_EMAIL_DOMAINS[ri(0, 3)]
            email = f"{local}@{domain}"
            n = 2
            while email in ctx.used_emails:
                email = f"{local}{n}@{domain}"
                n += 1
            ctx.used_emails.add(email)
        line = ri(100, 10000)
        phone = f"+1{pick(metro.area_codes)}555{1213 if line == 1212 else line:04d}" \
            if rand() > 0.03 else None
        email_opt_out = email is not None and rand() < 0.03
        sms_opt_out = phone is not None and rand() < 0.05

        # Money and place.
        if ltype is LeadType.RENTER:
            value = None
            price = 0.0
        else:
            price = metro.median_price * city.price_factor * math.exp(rng.gauss(0, 0.35))
            if ltype is LeadType.INVESTOR:
                price *= 0.85
            price = min(2_500_000.0, max(180_000.0, round(price / 5000) * 5000))
            value = _money(price)
        listing = None
        if ltype in SELLERISH and rank >= 2 and rand() < 0.6:
            pool = ctx.unclaimed.get(metro.key)
            if pool:
                listing = pool.pop()
                self._seller_links.append((listing.id, lid))
        if listing is not None:
            address, city_name, state, zip_code = listing.address, listing.city, listing.state, listing.zip_code
            price = listing.price
            value = _money(price)
        else:
            city_name, state = city.name, city.state
            address = self._street_address() if (ltype in SELLERISH or rand() < 0.55) else None
            if address and ltype is LeadType.RENTER:
                address += f" Apt {ri(1, 40)}"
        company = position = None
        if ltype is LeadType.INVESTOR and rand() < 0.6:
            company = f"{last} {pick(('Capital', 'Holdings', 'Properties', 'Ventures'))} LLC"
            position = pick(("Managing Partner", "Principal", "Owner", "Acquisitions Manager"))

        # Timeline.
        if status is S.NEW:
            # Most new leads are fresh, but every real book also holds old ones nobody worked.
            fresh = rng.random() < 0.55
            age = min(HISTORY_DAYS, rng.expovariate(1 / 12) if fresh else rng.uniform(15, HISTORY_DAYS))
        elif status is S.CONTACTED:
            age = min(HISTORY_DAYS, 1 + rng.expovariate(1 / 90))
        elif is_open:
            age = min(HISTORY_DAYS, 5 + rng.expovariate(1 / 80))
        else:
            age = rng.uniform(20, HISTORY_DAYS)
        created = anchor - int(age * DAY) - ri(60, 3600)
        span = (anchor - created)
        if status is S.NEW:
            t_last = created + int(min(span * 0.9, rng.uniform(300, 2 * DAY)))
        elif is_open:
            gap = min(span * 0.8, rng.expovariate(1 / 5) * DAY)
            t_last = anchor - int(gap)
        else:
            t_last = created + int(span * rng.uniform(0.35, 0.97))

        # Status path and the events of each step, in order.
        if status is S.WON:
            path = [S.CONTACTED, S.QUALIFIED, S.PROPOSAL, S.NEGOTIATION, S.WON]
        elif status is S.LOST:
            k = self.pick_lost_rank(rand)
            path = [*PIPELINE[1:k + 1], S.LOST]
        else:
            path = list(PIPELINE[1:rank + 1])
        buyer = ltype in BUYERISH
        events: list[tuple[str, Any]] = []  # (activity type value, payload), in order
        add = events.append
        has_email = email is not None and not email_opt_out
        has_sms = phone is not None and not sms_opt_out
        touch = self._touch
        if status is S.NEW and has_email and rand() < 0.3:
            add((AV.EMAIL_SENT, "auto"))
        prev = S.NEW
        for step in path:
            if step is S.CONTACTED or rand() < 0.25:
                touch(add, has_email, has_sms)
            if step is S.QUALIFIED:
                if rand() < 0.2:
                    add((AV.MEETING_SCHEDULED, "consult"))
                    add((AV.MEETING_COMPLETED, "consult"))
            elif step is S.PROPOSAL:
                if buyer:
                    add((AV.PROPERTY_VIEWED, None))
                    if rand() < 0.4:
                        add((AV.MEETING_SCHEDULED, "showing"))
                        add((AV.SHOWING_COMPLETED, "showing"))
                elif rand() < 0.4:
                    add((AV.MEETING_SCHEDULED, "listing"))
                    add((AV.MEETING_COMPLETED, "listing"))
            add((AV.STATUS_CHANGED, (prev.value, step.value)))
            if step is S.PROPOSAL and rand() < 0.2:
                add((AV.STAGE_CHANGED, None))
            prev = step
        if is_open and status is not S.NEW and rand() < 0.15:
            touch(add, has_email, has_sms)
        n_notes = (1 if rand() < 0.45 else 0) if status is S.NEW else (1 + (rand() < 0.3) + (rand() < 0.08))
        for _ in range(n_notes):
            events.insert(ri(0, len(events) + 1), (_NOTE, None))

        # Times: LEAD_CREATED at `created`, routing minutes later, the rest spread up to t_last.
        start = created + ri(2, 30) * MINUTE_S
        lo = (start - created)
        hi = max(lo + 60, (t_last - created))
        span_s = hi - lo
        offsets = sorted([lo + rand() * span_s for _ in events])
        if not is_open and offsets:
            offsets[-1] = hi  # the last thing that happened to a closed lead is at t_last
        times = [created + int(o) for o in offsets]

        # Rows.
        acts = buf.rows["activities"]
        next_act = self.ids["activities"]
        actor = agent_id if agent else ctx.manager.user_id
        creator_id = None if source in INBOUND_SOURCES else actor
        acts.append((next(next_act), team_id, AV.LEAD_CREATED, _CREATED_TITLE[source], None,
                     lid, None, creator_id, _SOURCE_META[source], created))
        if agent and creator_id is None and rand() < 0.5:  # routed automatically
            acts.append((next(next_act), team_id, AV.LEAD_ASSIGNED, f"Assigned to {agent.name}", None, lid, None,
                         None, JsonText(f'{{"assigned_to_id": {agent_id}, "rule": "round_robin"}}'), start))
        stages = STAGES_BUYER if buyer or ltype is LeadType.RENTER else STAGES_SELLER
        fill = self._fill(first, last, city_name, price)
        last_contact = None
        won_at = None
        notes = buf.rows["notes"]
        agent_email = agent.email if agent else f"hello@{ctx.spec.email_domain}"
        agent_phone = agent.phone if agent else ctx.spec.office_phone
        agent_name = agent.name if agent else ctx.spec.name
        viewed: list[_Listing] = []
        toured: list[_Listing] = []
        local_listings = ctx.listings_by_metro.get(metro.key) or ctx.all_listings
        for (etype, payload), when in zip(events, times, strict=True):
            title, desc, meta, user = _EVENT_TEXT.get(etype), None, None, actor
            if etype == AV.STATUS_CHANGED:
                title, meta = _STATUS_CHANGE[payload]
                if payload[1] == "WON":
                    won_at = when
            elif etype == AV.CALL_MADE or etype == AV.CALL_RECEIVED:
                desc = pick(cat.CALL_OUTCOMES)
                meta = JsonText(f'{{"duration_sec": {ri(20, 1500)}}}')
            elif etype == AV.EMAIL_SENT:
                if payload == "auto":
                    subject = f"Thanks for your inquiry, {first}!"
                    user = None
                else:
                    subject = pick(cat.EMAIL_SUBJECTS).format_map(fill)
                title = f"Email sent: {subject}"
                mid = self._email(buf, ctx, lid, agent_id, agent_email, agent_name, email, subject, when,
                                  payload, fill)
                meta = JsonText(f'{{"message_id": {mid}, "automated": true}}' if payload == "auto"
                                else f'{{"message_id": {mid}}}')
            elif etype == AV.SMS_SENT:
                desc = pick(cat.SMS_OUTBOUND).format(agent_first=agent_name.split()[0], team=ctx.spec.name, **fill)
                mid = self._sms(buf, ctx, lid, agent_id, agent_phone, phone, desc, when, payload)
                meta = JsonText(f'{{"message_id": {mid}}}')
            elif etype in _PASSIVE:
                user = None
            elif etype == AV.MEETING_SCHEDULED:
                title = _MEETING_TITLES[payload]
            elif etype == AV.MEETING_COMPLETED or etype == AV.SHOWING_COMPLETED:
                prop = None
                if payload == "showing" and local_listings:
                    prop = pick(local_listings)
                    viewed.append(prop)
                    toured.append(prop)
                    title = f"Showing completed at {prop.address}"
                elif payload == "listing":
                    prop = listing
                    title = "Listing presentation completed"
                self._appointment(buf, ctx, lid, agent, email, payload, when, prop, first, last, done=True,
                                  lead_created=created)
            elif etype == AV.PROPERTY_VIEWED:
                if not local_listings:
                    continue
                prop = pick(local_listings)
                if prop is listing:  # not their own home
                    prop = pick(local_listings)
                viewed.append(prop)
                title = f"Viewed {prop.address}, {prop.city}"
                meta = JsonText(f'{{"property_id": {prop.id}}}')
                user = None
            elif etype == AV.STAGE_CHANGED:
                title = f"Stage changed to {stages[status]}"
            elif etype is _NOTE:
                content = self._note_text(ltype, status, fill)
                notes.append((next(self.ids["notes"]), team_id, lid, actor, content, when, when))
                if rand() >= 0.2:
                    continue  # most notes are not echoed on the timeline
                etype, title, desc = AV.NOTE_ADDED, "Note added", content[:140]
            if etype in _CONTACT and rank != 0:
                last_contact = when
            acts.append((next(next_act), team_id, etype, title, desc, lid, None, user, meta, when))
        if rank != 0 and last_contact is None and times:
            last_contact = times[-1]
        if status is S.CONTACTED and last_contact is None:
            last_contact = t_last

        # A campaign email now and then (newsletters reach every kind of lead).
        if ctx.campaign_ids and has_email and rand() < 0.15:
            cid = pick(ctx.campaign_ids)
            when = min(anchor, created + int(rng.uniform(0, max(60.0, span))))
            subject = "What's new on the market this month"
            mid = self._email(buf, ctx, lid, None, f"news@{ctx.spec.email_domain}", ctx.spec.name, email, subject,
                              when, "campaign", fill, campaign_id=cid)
            acts.append((next(next_act), team_id, AV.EMAIL_SENT, f"Campaign email: {subject}", None, lid,
                         cid, None, JsonText(f'{{"message_id": {mid}}}'), when))

        updated = max(t_last, times[-1]) if times else t_last
        score = min(100, max(0, int(rng.uniform(*SCORE_RANGE[status])) + (5 if source is LeadSource.REFERRAL else 0)))
        buf.rows["leads"].append((
            lid, team_id, first, last, email, phone, company, position, ltype.value, status.value, score,
            source.value, value, stages[status], address, city_name, state, zip_code, metro.timezone,
            email_opt_out, sms_opt_out, agent_id, creator_id,
            demo_fields.lead_values(ctx.spec.slug, lid, price, created) if ltype in BUYERISH else None, created, updated,
            last_contact if rank != 0 else None, won_at,
        ))

        # Tags.
        tags = ctx.tag_ids
        lead_tags = buf.rows["lead_tags"]
        chosen = []
        if ltype is LeadType.BUYER and rand() < 0.35:
            chosen.append("First-time buyer")
        if buyer and rank >= 2 and rand() < 0.6:
            chosen.append("Pre-approved")
        if price >= 1_200_000:
            chosen.append("Luxury")
        if rand() < 0.08:
            chosen.append("Relocation")
        if ltype is LeadType.INVESTOR:
            chosen.append("Investor")
        if is_open and score >= 80:
            chosen.append("Hot")
        if source is LeadSource.PAST_CLIENT or (status is S.WON and rand() < 0.5):
            chosen.append("Past client")
        if source is LeadSource.OPEN_HOUSE:
            chosen.append("Open house")
        if buyer and rand() < 0.05:
            chosen.append("Cash buyer")
        if ltype in SELLERISH and rand() < 0.15:
            chosen.append("Downsizing")
        lead_tags.extend((lid, tags[name]) for name in chosen)

        # Buyer requirements.
        if buyer and rand() < 0.6:
            self._requirements(buf, ctx, lid, price, metro, city, created, ltype)

        # Listing interests (unique per lead, property, kind).
        if buyer and local_listings and (rank >= 1 or rand() < 0.3):
            n_local = len(local_listings)
            extra = [local_listings[int(rand() * n_local)] for _ in range(int(rand() * 3))]
            seen: set[int] = set()
            interests = buf.rows["lead_property_interests"]
            for prop in [*viewed, *extra]:
                if prop.id in seen:
                    continue
                seen.add(prop.id)
                when = created + int(rng.uniform(60, max(120.0, (updated - created))))
                kinds = [InterestKind.VIEWED]
                if rand() < 0.4:
                    kinds.append(InterestKind.SAVED)
                if rand() < 0.25:
                    kinds.append(InterestKind.INQUIRED)
                if prop in toured:
                    kinds.append(InterestKind.TOURED)
                for kind in kinds:
                    interests.append((next(self.ids["lead_property_interests"]), team_id, lid, prop.id, kind.value,
                                      when))

        # Tasks and upcoming appointments.
        owner_agent = agent or ctx.manager
        if is_open:
            if rand() < (0.35 if status is S.NEW else 0.6):
                self._task(buf, ctx, lid, owner_agent, fill, created, mode=None)
            if rank >= 2 and rand() < 0.22:
                kind = "showing" if buyer else ("listing" if ltype in SELLERISH else "consult")
                prop = pick(local_listings) if kind == "showing" and local_listings else listing
                when = self.local_time(self.tz(metro.timezone), ri(0, 15), ri(9, 19),
                                       pick((0, 30)))
                if when <= anchor:
                    when += DAY_S
                self._appointment(buf, ctx, lid, agent, email, kind, when, prop, first, last, done=False,
                                  lead_created=created)
        elif rand() < 0.35:
            self._task(buf, ctx, lid, owner_agent, fill, created, mode="closed", closed_at=t_last)
        if (status is S.LOST and rand() < 0.15) or (rank >= 1 and rand() < 0.04):
            when = created + int((t_last - created) * rand())
            self._appointment(buf, ctx, lid, agent, email, "consult", when, None, first, last, done=False,
                              lead_created=created)  # missed: no-show or cancelled
        if agent is not None and agent is ctx.featured and is_open and rank >= 1:
            self._featured(buf, ctx, lid, agent, email, first, last, fill, created, metro, local_listings)

    # -- pieces of a lead's history --------------------------------------------------------------

    def _touch(self, add: Callable[[tuple[str, Any]], None], has_email: bool, has_sms: bool) -> None:
        """One contact attempt; an email's or text's payload says how far it got (opened, delivered...)."""
        rand = self.rng.random
        p = rand()
        if p < 0.34 or not (has_email or has_sms):
            add((AV.CALL_MADE, None))
        elif p < 0.45:
            add((AV.CALL_RECEIVED, None))
        elif has_email and (p < 0.78 or not has_sms):
            q = rand()
            if q < 0.1:
                add((AV.EMAIL_SENT, "clicked"))
                add((AV.EMAIL_OPENED, None))
                add((AV.EMAIL_CLICKED, None))
            elif q < 0.4:
                add((AV.EMAIL_SENT, "opened"))
                add((AV.EMAIL_OPENED, None))
            else:
                add((AV.EMAIL_SENT, "bounced" if q > 0.98 else "delivered"))
        elif rand() < 0.85:
            add((AV.SMS_SENT, "delivered"))
            add((AV.SMS_DELIVERED, None))
        else:
            add((AV.SMS_SENT, "failed" if rand() < 0.3 else "sent"))

    def _fill(self, first: str, last: str, city: str, price: float) -> dict[str, Any]:
        rng = self.rng
        amount = int(price / 1000) if price else self.ri(300, 900)
        return {
            "first": first, "last": last, "city": city, "price": _short_price(amount),
            "price2": _short_price(int(amount * rng.uniform(0.85, 0.97))), "street": self._street_address(),
            "beds": self.pick((2, 3, 3, 4, 4, 5)), "baths": self.pick((1, 2, 2, 3)),
            "lender": self.pick(cat.LENDERS), "months": self.ri(1, 10),
            "days": self.pick((30, 45, 60, 90)), "from_city": self.pick(cat.FROM_CITIES),
            "want": self.pick(cat.WANTS), "year": self.ri(1985, 2016), "year2": self.ri(2016, 2025),
            "n": self.ri(2, 9), "rent": self.pick((1800, 2100, 2400, 2800, 3200, 3600)),
        }

    def _note_text(self, ltype: LeadType, status: LeadStatus, fill: dict[str, Any]) -> str:
        rng = self.rng
        if status is S.WON and rng.random() < 0.5:
            pool = cat.WON_NOTES
        elif status is S.LOST and rng.random() < 0.6:
            pool = cat.LOST_NOTES
        elif status is S.NEW:
            pool = cat.NEW_NOTES
        elif ltype is LeadType.INVESTOR:
            pool = cat.INVESTOR_NOTES
        elif ltype is LeadType.RENTER:
            pool = cat.RENTER_NOTES
        elif ltype is LeadType.SELLER or (ltype is LeadType.BUYER_SELLER and rng.random() < 0.5):
            pool = cat.SELLER_NOTES
        else:
            pool = cat.BUYER_NOTES
        return self.pick(pool).format(**fill)

    def _email(self, buf: _Buffers, ctx: _TeamCtx, lid: int, user_id: int | None, from_addr: str,
               agent_name: str, to_addr: str | None, subject: str, when: int, payload: Any,
               fill: dict[str, Any], *, campaign_id: int | None = None) -> int:
        rng = self.rng
        rand = rng.random
        mid = next(self.ids["messages"])
        thread = f"t-{ctx.team_id}-{lid}-{mid}"
        body = self.pick(cat.EMAIL_BODIES).format(agent=agent_name, **fill)
        if payload in ("auto", "campaign"):
            p = rand()
            status = (MessageStatus.BOUNCED if p < 0.02 else MessageStatus.OPENED if p < 0.45
                      else MessageStatus.CLICKED if p < 0.52 else MessageStatus.DELIVERED)
        else:
            status = _EMAIL_STATUS[payload]
        reply = payload in ("opened", "clicked") and rand() < 0.45
        replied_at = when + self.ri(10, 2880) * MINUTE_S if reply else None
        if replied_at is not None and replied_at > self.anchor:
            replied_at = None
        messages = buf.rows["messages"]
        messages.append((mid, ctx.team_id, "EMAIL", "OUTBOUND", subject, body, from_addr, to_addr or "",
                         status.value, None, replied_at, lid, user_id, campaign_id, thread, None, f"demo-{mid}",
                         "local", None, when))
        if replied_at is not None:
            rid = next(self.ids["messages"])
            unread = (self.anchor - replied_at) < 3 * DAY and rand() < 0.6
            messages.append((rid, ctx.team_id, "EMAIL", "INBOUND", f"Re: {subject}",
                             self.pick(cat.REPLY_BODIES).format(**fill), to_addr or "", from_addr,
                             MessageStatus.RECEIVED.value, None if unread else replied_at + 30 * MINUTE_S,
                             None, lid, user_id, None, thread, mid, f"demo-{rid}", "local", None, replied_at))
        return mid

    def _sms(self, buf: _Buffers, ctx: _TeamCtx, lid: int, user_id: int | None, from_phone: str,
             to_phone: str | None, body: str, when: int, payload: Any) -> int:
        rng = self.rng
        mid = next(self.ids["messages"])
        thread = f"s-{ctx.team_id}-{lid}"
        status = _SMS_STATUS[payload]
        reply = status is MessageStatus.DELIVERED and rng.random() < 0.35
        replied_at = when + self.ri(1, 600) * MINUTE_S if reply else None
        if replied_at is not None and replied_at > self.anchor:
            replied_at = None
        messages = buf.rows["messages"]
        messages.append((mid, ctx.team_id, "SMS", "OUTBOUND", None, body, from_phone, to_phone or "",
                         status.value, None, replied_at, lid, user_id, None, thread, None, f"demo-{mid}", "local",
                         {"segments": 1 + len(body) // 160}, when))
        if replied_at is not None:
            rid = next(self.ids["messages"])
            unread = (self.anchor - replied_at) < 2 * DAY and rng.random() < 0.6
            messages.append((rid, ctx.team_id, "SMS", "INBOUND", None, self.pick(cat.SMS_INBOUND), to_phone or "",
                             from_phone, MessageStatus.RECEIVED.value,
                             None if unread else replied_at + 5 * MINUTE_S, None, lid, user_id, None,
                             thread, mid, f"demo-{rid}", "local", None, replied_at))
        return mid

    def _appointment(self, buf: _Buffers, ctx: _TeamCtx, lid: int, agent: _Agent | None, lead_email: str | None,
                     kind: str, when: int, prop: _Listing | None, first: str, last: str, *,
                     done: bool, lead_created: int) -> None:
        rng = self.rng
        atype = {"showing": AppointmentType.SHOWING, "listing": AppointmentType.LISTING_PRESENTATION}.get(
            kind) or self.pick((AppointmentType.CONSULTATION, AppointmentType.MEETING, AppointmentType.CALL,
                                 AppointmentType.FOLLOW_UP))
        if prop is None and atype in (AppointmentType.SHOWING, AppointmentType.LISTING_PRESENTATION):
            atype = AppointmentType.CONSULTATION
        if prop is not None and atype is AppointmentType.SHOWING and rng.random() < 0.1:
            atype = AppointmentType.OPEN_HOUSE
        minutes = {AppointmentType.CALL: 30, AppointmentType.FOLLOW_UP: 30, AppointmentType.SHOWING: 45,
                   AppointmentType.OPEN_HOUSE: 120, AppointmentType.LISTING_PRESENTATION: 90}.get(atype, 60)
        if done:
            start = when - minutes * MINUTE_S
            status = AppointmentStatus.COMPLETED
        elif when < self.anchor:  # a past appointment that did not happen
            start = when
            status = AppointmentStatus.NO_SHOW if rng.random() < 0.5 else AppointmentStatus.CANCELLED
        else:
            start = when
            status = AppointmentStatus.CONFIRMED if rng.random() < 0.55 else AppointmentStatus.SCHEDULED
        end = start + minutes * MINUTE_S
        meeting_url = location = None
        if atype is AppointmentType.CALL or (atype is AppointmentType.MEETING and rng.random() < 0.5):
            meeting_url = f"https://meet.example.com/{ctx.spec.slug}-{self.ri(10**6, 10**7)}"
        elif prop is not None:
            location = f"{prop.address}, {prop.city}, {prop.state} {prop.zip_code}"
        else:
            location = ctx.spec.office_address
        title = {
            AppointmentType.SHOWING: f"Showing: {prop.address if prop else ''} with {first} {last}",
            AppointmentType.OPEN_HOUSE: f"Open house: {prop.address if prop else ''}",
            AppointmentType.LISTING_PRESENTATION: f"Listing presentation with {first} {last}",
        }.get(atype) or f"{atype.value.replace('_', ' ').title()} with {first} {last}"
        attendees = [a for a in ((agent.email if agent else None), lead_email) if a]
        created = start - (self.ri(1, 6) * DAY_S + self.ri(0, 12) * HOUR_S)
        created = min(self.anchor, max(lead_created, created))
        if done and start < lead_created:  # a meeting right after the lead came in
            start, end = lead_created + 5 * MINUTE_S, lead_created + (5 + minutes) * MINUTE_S
        buf.rows["appointments"].append((
            next(self.ids["appointments"]), ctx.team_id, title, None, start, end, location, meeting_url,
            atype.value, status.value, agent.user_id if agent else ctx.manager.user_id, lid,
            prop.id if prop else None, attendees, done or start < self.anchor, created,
            end if done else created,
        ))

    def _task(self, buf: _Buffers, ctx: _TeamCtx, lid: int, agent: _Agent, fill: dict[str, Any],
              lead_created: int, *, mode: str | None, closed_at: int | None = None,
              due: int | None = None, status: TaskStatus | None = None) -> None:
        rng = self.rng
        rand = rng.random
        anchor = self.anchor
        completed = None
        if mode == "closed":
            title = self.pick(cat.TASK_TITLES_DONE).format(**fill)
            due = (closed_at or anchor) + self.ri(0, 14) * DAY_S
            if due > anchor:
                due = anchor - self.ri(1, 48) * HOUR_S
            status = TaskStatus.CANCELLED if rand() < 0.1 else TaskStatus.COMPLETED
            completed = due - self.ri(0, 30) * HOUR_S if status is TaskStatus.COMPLETED else None
        else:
            title = self.pick(cat.TASK_TITLES_OPEN).format(**fill)
            if due is None:
                p = rand()
                if p < 0.25:  # overdue
                    due = self.local_time(ctx.tz, -self.ri(1, 12), self.ri(9, 18))
                    status = TaskStatus.IN_PROGRESS if rand() < 0.3 else TaskStatus.PENDING
                elif p < 0.4:  # due today
                    due = self.local_time(ctx.tz, 0, self.ri(9, 23), self.pick((0, 30)))
                    status = TaskStatus.IN_PROGRESS if rand() < 0.3 else TaskStatus.PENDING
                elif p < 0.85:  # upcoming
                    due = self.local_time(ctx.tz, self.ri(1, 22), self.ri(9, 18))
                    status = TaskStatus.PENDING
                else:  # already done
                    due = self.local_time(ctx.tz, -self.ri(1, 30), self.ri(9, 18))
                    status = TaskStatus.CANCELLED if rand() < 0.15 else TaskStatus.COMPLETED
                    if status is TaskStatus.COMPLETED:
                        completed = min(anchor, due - self.ri(0, 20) * HOUR_S)
            assert status is not None
            # Drawn whatever the branch: `due` depends on the time of day of the anchor, and the
            # random stream must not (same seed, same data, whenever it is seeded).
            share, lag = rng.uniform(0.3, 0.9), self.ri(0, 20) * HOUR_S
            if due <= lead_created + HOUR_S:  # a past due date from before the lead existed
                due = lead_created + int((anchor - lead_created) * share)
                if completed is not None:
                    completed = min(anchor, due + lag)
        created = max(lead_created, min(anchor, due) - self.ri(1, 8) * DAY_S)
        created = min(created, anchor)
        if completed is not None:
            completed = max(completed, created)
        updated = completed or created
        creator = agent.user_id if rand() < 0.7 else ctx.manager.user_id
        buf.rows["tasks"].append((
            next(self.ids["tasks"]), ctx.team_id, title, self.pick(cat.TASK_DESCRIPTIONS), due,
            self.pick_priority(rand).value, status.value, agent.user_id, creator, lid, completed, created, updated,
        ))

    def _requirements(self, buf: _Buffers, ctx: _TeamCtx, lid: int, price: float, metro: cat.Metro,
                      city: cat.City, created: int, ltype: LeadType) -> None:
        rng = self.rng
        lo = round(price * rng.uniform(0.7, 0.9) / 5000) * 5000
        hi = round(price * rng.uniform(1.0, 1.15) / 5000) * 5000
        min_beds = self.pick((1, 2, 2, 3, 3, 3, 4, 4))
        max_beds = min_beds + self.pick((0, 1, 1, 2)) if rng.random() < 0.6 else None
        min_baths = Decimal(self.pick(("1.0", "1.5", "2.0", "2.0", "2.5", "3.0")))
        min_sqft = min_beds * self.ri(350, 550)
        max_sqft = int(min_sqft * rng.uniform(1.4, 2.2)) if rng.random() < 0.5 else None
        cities = [city.name]
        if len(metro.cities) > 1 and rng.random() < 0.5:
            other = self.pick(metro.cities)
            if other.name != city.name:
                cities.append(other.name)
        zips = list(dict.fromkeys(self.pick(city.zips) for _ in range(self.ri(1, 3))))
        if ltype is LeadType.INVESTOR:
            types = ["MULTI_FAMILY", "SINGLE_FAMILY"]
        else:
            types = self.pick((["SINGLE_FAMILY"], ["SINGLE_FAMILY", "TOWNHOUSE"], ["CONDO", "TOWNHOUSE"],
                                ["SINGLE_FAMILY"], ["CONDO"]))
        note = self.pick((None, "Must be in a good school district.", "No HOA preferred.",
                           "Needs a garage.", "Open to light renovation.", "Walkable to transit."))
        when = created + self.ri(0, 5) * DAY_S
        when = min(when, self.anchor)
        buf.rows["buyer_requirements"].append((
            next(self.ids["buyer_requirements"]), ctx.team_id, lid, _money(lo), _money(hi), min_beds, max_beds,
            min_baths, None, min_sqft, max_sqft, cities, zips, types, note, when, when,
        ))

    def _featured(self, buf: _Buffers, ctx: _TeamCtx, lid: int, agent: _Agent, email: str | None, first: str,
                  last: str, fill: dict[str, Any], created: int, metro: cat.Metro,
                  listings: list[_Listing]) -> None:
        """Guarantee the sign-in agent a full day: tasks due today, overdue ones, upcoming appointments."""
        if ctx.featured_tasks_today < 3:
            ctx.featured_tasks_today += 1
            due = self.local_time(ctx.tz, 0, (12, 16, 21)[ctx.featured_tasks_today - 1], 30)
            self._task(buf, ctx, lid, agent, fill, created, mode=None, due=due, status=TaskStatus.PENDING)
        elif ctx.featured_tasks_overdue < 3:
            ctx.featured_tasks_overdue += 1
            due = self.local_time(ctx.tz, -ctx.featured_tasks_overdue, 10)
            self._task(buf, ctx, lid, agent, fill, created, mode=None, due=due, status=TaskStatus.PENDING)
        if ctx.featured_appointments < 4:
            ctx.featured_appointments += 1
            when = self.local_time(ctx.tz, ctx.featured_appointments, (10, 14, 11, 16)[ctx.featured_appointments - 1])
            prop = self.pick(listings) if listings else None
            self._appointment(buf, ctx, lid, agent, email, "showing" if prop else "consult", when, prop, first,
                              last, done=False, lead_created=created)


PIPELINE_ALL = (S.NEW, S.CONTACTED, S.QUALIFIED, S.PROPOSAL, S.NEGOTIATION, S.WON, S.LOST)
SOURCE_ALL = tuple(LeadSource)
TYPE_ALL = tuple(LeadType)
_EMAIL_STATUS = {
    "delivered": MessageStatus.DELIVERED, "opened": MessageStatus.OPENED, "clicked": MessageStatus.CLICKED,
    "bounced": MessageStatus.BOUNCED,
}
_SMS_STATUS = {"delivered": MessageStatus.DELIVERED, "sent": MessageStatus.SENT, "failed": MessageStatus.FAILED}
# Activity types as plain str values (cheaper than enum members in the hot loop).
AV = SimpleNamespace(**{m.name: m.value for m in ActivityType})
_NOTE = "note"  # a note; becomes a NOTE_ADDED activity for some of them
_PASSIVE = frozenset({AV.EMAIL_OPENED, AV.EMAIL_CLICKED, AV.SMS_DELIVERED})
_CONTACT = frozenset({AV.CALL_MADE, AV.CALL_RECEIVED, AV.EMAIL_SENT, AV.SMS_SENT, AV.MEETING_COMPLETED,
                      AV.SHOWING_COMPLETED})
_MEETING_TITLES = {"consult": "Buyer consultation scheduled", "showing": "Showing scheduled",
                   "listing": "Listing presentation scheduled"}
_SOURCE_META = {s: JsonText(json.dumps({"source": s.value})) for s in LeadSource}
_CREATED_TITLE = {s: f"Lead created from {label}" for s, label in SOURCE_LABELS.items()}
_STATUS_CHANGE = {
    (a.value, b.value): (f"Status changed from {a.value} to {b.value}",
                         JsonText(json.dumps({"from": a.value, "to": b.value})))
    for a in LeadStatus for b in LeadStatus
}
_EVENT_TEXT = {
    AV.CALL_MADE: "Outbound call", AV.CALL_RECEIVED: "Inbound call", AV.EMAIL_OPENED: "Email opened",
    AV.EMAIL_CLICKED: "Email link clicked", AV.SMS_SENT: "Text message sent",
    AV.SMS_DELIVERED: "Text message delivered", AV.MEETING_COMPLETED: "Meeting completed",
    AV.SHOWING_COMPLETED: "Showing completed",
}


def demo_user_count(engine: Engine) -> int:
    """How many rows the users table holds (for --if-empty)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(orm.User)).scalar_one())
