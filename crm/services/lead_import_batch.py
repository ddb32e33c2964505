"""One batch of a lead import: match duplicates, then write leads, tags and report lines set-based.

Duplicates are matched by normalised email, then E.164 phone, against the team's leads (which
include the rows of earlier batches: they are committed) and against earlier rows of the same
batch (a dict that lives for one batch), so memory does not grow with the file. Dry runs roll
the lead writes back, so earlier rows of the file are remembered in a scratch SQLite file.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.sql.expression import bindparam, func

from crm.enums import DuplicateMode, ImportOutcome
from crm.orm import Lead, Tag
from crm.services.lead_import_rows import Converted, RowConverter, RowError, RowValues

# Columns written for a new lead, in the order of the rows handed to executemany/COPY.
LEAD_COLUMNS = ("id", "team_id", "first_name", "last_name", "email", "phone", "company", "position", "lead_type",
                "status", "score", "source", "value", "stage", "city", "state", "zip_code", "email_opt_out",
                "sms_opt_out", "assigned_to_id", "created_by_id", "custom_fields", "created_at", "updated_at")
REPORT_COLUMNS = ("import_id", "row_number", "outcome", "lead_id", "message")
_UPDATABLE = ("first_name", "last_name", "email", "phone", "company", "position", "lead_type", "status", "source",
              "value", "stage", "city", "state", "zip_code", "assigned_to_id")
_LOOKUP_CHUNK = 5000
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's own SQLite datetime format (naive UTC)

Ref = tuple[str, int]  # ("new", index in this batch) | ("lead", lead id) | ("row", row number of a dry run)


@dataclass
class ImportContext:
    """Everything a batch needs that stays the same for the whole import."""

    import_id: int
    team_id: int
    user_id: int | None
    mode: DuplicateMode
    dry_run: bool
    converter: RowConverter
    option_tag_ids: list[int]
    option_tag_names: list[str]
    default_assignee: int | None
    default_values: dict[str, Any]
    filename: str
    scratch: DryRunMemory | None = None
    tag_ids: dict[str, int] = field(default_factory=dict)  # tag name -> id, for names already in the db


@dataclass
class BatchResult:
    report: list[tuple[int, ImportOutcome, int | None, str | None]]
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass
class _New:
    row_number: int
    values: dict[str, Any]
    custom: dict[str, Any] | None
    tags: set[str]


@dataclass
class _Change:
    values: dict[str, Any]
    custom: dict[str, Any] | None
    custom_changed: bool
    tags: set[str]


class DryRunMemory:
    """Emails and phones of earlier rows of a dry run (whose leads were rolled back), on disk."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("")  # a private temporary file, deleted on close
        self.db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row_number INTEGER)")

    def lookup(self, keys: Iterable[str]) -> dict[str, int]:
        keys = list(keys)
        found: dict[str, int] = {}
        for i in range(0, len(keys), 900):
            chunk = keys[i:i + 900]
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(f"SELECT key, row_number FROM seen WHERE key IN ({marks})", chunk))
        return found

    def remember(self, pairs: Iterable[tuple[str, int]]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", pairs)

    def close(self) -> None:
        self.db.close()


def process_batch(conn: Connection, ctx: ImportContext, rows: Sequence[Converted],
                  now: dt.datetime) -> BatchResult:
    """Decide and write one batch of converted rows inside the caller's transaction."""
    result = BatchResult(report=[])
    parsed: list[tuple[int, RowValues]] = []
    for row_number, row in rows:
        if isinstance(row, RowError):
            result.report.append((row_number, ImportOutcome.FAILED, None, str(row)))
        else:
            parsed.append((row_number, row))
    plan = _Plan(ctx, conn)
    plan.decide(parsed, result)
    dialect = conn.dialect.name
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    if ctx.dry_run:
        cur.execute("SAVEPOINT lead_import_dry_run")
    ids = _allocate_ids(cur, dialect, len(plan.new))
    plan.write(cur, dialect, ids, now, meanwhile=lambda: _tally(result, plan.report_lines(ids)))
    if ctx.dry_run:
        cur.execute("ROLLBACK TO SAVEPOINT lead_import_dry_run")
        cur.execute("RELEASE SAVEPOINT lead_import_dry_run")
    _write_report(cur, dialect, ctx.import_id, result.report)
    if not ctx.dry_run and result.updated:
        _record_activities(conn, ctx, result.report[0][0], result.report[-1][0], now)
    if ctx.scratch is not None:
        ctx.scratch.remember(plan.remembered)
    cur.close()
    return result


def _tally(result: BatchResult, lines: list[tuple[int, ImportOutcome, int | None, str | None]]) -> None:
    """Complete the batch's report (failed rows are in it already) and count its outcomes."""
    result.report.extend(lines)
    result.report.sort(key=lambda line: line[0])
    for _, outcome, _, _ in result.report:
        if outcome is ImportOutcome.CREATED:
            result.created += 1
        elif outcome is ImportOutcome.UPDATED:
            result.updated += 1
        elif outcome is ImportOutcome.SKIPPED:
            result.skipped += 1
        else:
            result.failed += 1


class _Plan:
    """The decisions of one batch: which rows create, update or skip which lead."""

    def __init__(self, ctx: ImportContext, conn: Connection) -> None:
        self.ctx, self.conn = ctx, conn
        self.new: list[_New] = []
        self.changes: dict[int, _Change] = {}
        self.lines: list[tuple[int, ImportOutcome, Ref | None, str | None]] = []
        self.by_email: dict[str, Ref] = {}
        self.by_phone: dict[str, Ref] = {}
        self.existing_custom: dict[int, dict[str, Any] | None] = {}
        self.remembered: list[tuple[str, int]] = []

    def decide(self, parsed: list[tuple[int, RowValues]], result: BatchResult) -> None:
        emails = {v.values["email"] for _, v in parsed if "email" in v.values}
        phones = {v.values["phone"] for _, v in parsed if "phone" in v.values}
        db_email, db_phone = self._lookup(emails, phones)
        mode = self.ctx.mode
        for row_number, row in parsed:
            values = row.values
            email, phone = values.get("email"), values.get("phone")
            ref: Ref | None = None
            via = "email"
            if email:
                ref = self.by_email.get(email) or db_email.get(email)
            if ref is None and phone:
                ref = self.by_phone.get(phone) or db_phone.get(phone)
                via = "phone"
            try:
                if ref is None:
                    self._create(row_number, row)
                elif mode is DuplicateMode.SKIP:
                    self.lines.append((row_number, ImportOutcome.SKIPPED, _lead_ref(ref),
                                       f"duplicate of {self._describe(ref)} (same {via})"))
                elif mode is DuplicateMode.UPDATE:
                    self._update(row_number, row, ref)
                elif via == "email":
                    self.lines.append((row_number, ImportOutcome.SKIPPED, _lead_ref(ref),
                                       f"the email is already used by {self._describe(ref)}; "
                                       "a team cannot have two leads with the same email"))
                else:
                    self._create(row_number, row, note=f"same phone as {self._describe(ref)}")
            except RowError as exc:
                result.report.append((row_number, ImportOutcome.FAILED, None, str(exc)))

    def _create(self, row_number: int, row: RowValues, note: str | None = None) -> None:
        values = row.values
        if "first_name" not in values:
            raise RowError("first name is empty")
        custom = self.ctx.converter.custom_for_create(row)
        ref: Ref = ("new", len(self.new))
        self.new.append(_New(row_number, {**row.if_created, **values}, custom, set(row.tags)))
        notes = ([note] if note else []) + row.notes
        self.lines.append((row_number, ImportOutcome.CREATED, ref, "; ".join(notes) or None))
        self._register(row_number, values, ref)

    def _update(self, row_number: int, row: RowValues, ref: Ref) -> None:
        kind, key = ref
        if kind == "new":
            target = self.new[key]
            if row.custom:
                target.custom = self.ctx.converter.custom_for_update(row, target.custom)
            target.values.update(row.values)
            target.tags.update(row.tags)
        elif kind == "lead":
            change = self.changes.get(key)
            if change is None:
                change = self.changes[key] = _Change({}, self.existing_custom.get(key), False, set())
            if row.custom:
                change.custom = self.ctx.converter.custom_for_update(row, change.custom)
                change.custom_changed = True
            change.values.update(row.values)
            change.tags.update(row.tags)
        self.lines.append((row_number, ImportOutcome.UPDATED, ref,
                           "; ".join([f"updated {self._describe(ref)}", *row.notes])))
        self._register(row_number, row.values, ref)

    def _register(self, row_number: int, values: dict[str, Any], ref: Ref) -> None:
        if (email := values.get("email")) is not None:
            self.by_email[email] = ref
        if (phone := values.get("phone")) is not None:
            self.by_phone.setdefault(phone, ref)
        if self.ctx.scratch is not None:
            first_row = self.new[ref[1]].row_number if ref[0] == "new" else row_number
            for key in (f"e:{email}" if email else None, f"p:{phone}" if phone else None):
                if key:
                    self.remembered.append((key, first_row))

    def _describe(self, ref: Ref) -> str:
        kind, key = ref
        if kind == "lead":
            return f"lead #{key}"
        if kind == "new":
            return f"row {self.new[key].row_number}"
        return f"row {key}"

    def _lookup(self, emails: set[str], phones: set[str]) -> tuple[dict[str, Ref], dict[str, Ref]]:
        """Existing leads of the team with these emails / phones (the oldest lead per phone)."""
        want_custom = self.ctx.mode is DuplicateMode.UPDATE
        by_email: dict[str, Ref] = {}
        by_phone: dict[str, Ref] = {}
        for column, keys, found in (("email", emails, by_email), ("phone", phones, by_phone)):
            for lead_id, key, custom in _existing(self.conn, self.ctx.team_id, column, keys, want_custom):
                if key not in found:  # ordered by id: the oldest lead wins
                    found[key] = ("lead", lead_id)
                if want_custom:
                    self.existing_custom[lead_id] = custom
        if self.ctx.scratch is not None:
            keys = [f"e:{e}" for e in emails if e not in by_email] + [f"p:{p}" for p in phones if p not in by_phone]
            for key, row_number in self.ctx.scratch.lookup(keys).items():
                (by_email if key[0] == "e" else by_phone)[key[2:]] = ("row", row_number)
        return by_email, by_phone

    # --- writes -------------------------------------------------------------------------------

    def write(self, cur: Any, dialect: str, ids: list[int], now: dt.datetime, meanwhile: Callable[[], None]) -> None:
        """Insert the new leads, update the changed ones, link the tags; run `meanwhile` (Python work
        that needs no query) while PostgreSQL is still busy with the new leads."""
        ctx = self.ctx
        stamp: Any = now.replace(tzinfo=None).strftime(_SQLITE_TIME) if dialect == "sqlite" else now
        defaults = ctx.default_values
        lead_rows = []
        # str() of a StrEnum member is its value, without Enum's Python-level `.value` descriptor
        # (three per lead and one per report line, on the import's critical path).
        for lead_id, new in zip(ids, self.new, strict=True):
            v = new.values
            value = v.get("value")
            lead_rows.append((
                lead_id, ctx.team_id, v["first_name"], v.get("last_name", ""), v.get("email"), v.get("phone"),
                v.get("company"), v.get("position"), str(v.get("lead_type", defaults["lead_type"])),
                str(v.get("status", defaults["status"])), 0, str(v.get("source", defaults["source"])),
                _money(value, dialect), v.get("stage"), v.get("city"), v.get("state"), v.get("zip_code"),
                False, False, v.get("assigned_to_id", ctx.default_assignee), ctx.user_id,
                json.dumps(new.custom) if new.custom else None, stamp, stamp,
            ))
        name_ids = self._tag_ids(self._tag_names())  # before the COPY: no other statement can run during it
        with _inserting(cur, dialect, "leads", LEAD_COLUMNS, lead_rows):
            # The server takes ~0.4 s per 5,000 leads to insert and index them: work meanwhile.
            new_pairs, old_pairs = self._tag_pairs(ids, name_ids)
            meanwhile()
        self._write_changes(now)
        _insert(cur, dialect, "lead_tags", ("lead_id", "tag_id"), new_pairs)
        if old_pairs:
            mark = "?" if dialect == "sqlite" else "%s"
            cur.executemany(f"INSERT INTO lead_tags (lead_id, tag_id) VALUES ({mark}, {mark}) "
                            "ON CONFLICT DO NOTHING", old_pairs)

    def _write_changes(self, now: dt.datetime) -> None:
        if not self.changes:
            return
        table = Lead.__table__
        params = []
        for lead_id, change in self.changes.items():
            p: dict[str, Any] = {f"v_{c}": change.values.get(c) for c in _UPDATABLE}
            p["b_id"] = lead_id
            params.append(p)
        # One statement for every changed lead: an empty cell keeps the stored value.
        values: dict[Any, Any] = {c: func.coalesce(bindparam(f"v_{c}", type_=table.c[c].type), table.c[c])
                                  for c in _UPDATABLE}
        values["updated_at"] = bindparam("now", value=now, type_=table.c.updated_at.type)
        for p in params:
            p["now"] = now
        self.conn.execute(update(table).where(table.c.id == bindparam("b_id")).values(values), params)
        customs = [{"b_id": lead_id, "custom": change.custom} for lead_id, change in self.changes.items()
                   if change.custom_changed]
        if customs:
            self.conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                              .values(custom_fields=bindparam("custom", type_=table.c.custom_fields.type)), customs)

    def _tag_names(self) -> set[str]:
        names = set(self.ctx.option_tag_names)
        for new in self.new:
            names |= new.tags
        for change in self.changes.values():
            names |= change.tags
        return names

    def _tag_pairs(self, ids: list[int], name_ids: dict[str, int]) -> tuple[list[tuple[int, int]],
                                                                            list[tuple[int, int]]]:
        """(lead id, tag id) links of the new leads, and of the updated ones."""
        base = set(self.ctx.option_tag_ids) | {name_ids[n] for n in self.ctx.option_tag_names}
        new_pairs = [(lead_id, tag_id) for lead_id, new in zip(ids, self.new, strict=True)
                     for tag_id in base | {name_ids[n] for n in new.tags}]
        old_pairs = [(lead_id, tag_id) for lead_id, change in self.changes.items()
                     for tag_id in base | {name_ids[n] for n in change.tags}]
        return new_pairs, old_pairs

    def _tag_ids(self, names: set[str]) -> dict[str, int]:
        """Ids of the team's tags with these names, creating the missing ones."""
        ctx = self.ctx
        if not names:
            return {}
        found = {n: ctx.tag_ids[n] for n in names if n in ctx.tag_ids}
        missing = sorted(names - found.keys())
        if missing:
            known = dict(self.conn.execute(select(Tag.name, Tag.id).where(Tag.team_id == ctx.team_id,
                                                                          Tag.name.in_(missing))).all())
            if not ctx.dry_run and len(ctx.tag_ids) < 10_000:
                ctx.tag_ids.update(known)  # a dry run's new tags are rolled back: never cache those
            found.update(known)
            to_create = [n for n in missing if n not in known]
            if to_create:
                ins = (postgresql.insert(Tag) if self.conn.dialect.name == "postgresql" else sqlite_dialect.insert(Tag))
                self.conn.execute(ins.on_conflict_do_nothing(),
                                  [{"team_id": ctx.team_id, "name": n} for n in to_create])
                created = dict(self.conn.execute(select(Tag.name, Tag.id).where(
                    Tag.team_id == ctx.team_id, Tag.name.in_(to_create))).all())
                if not ctx.dry_run:
                    ctx.tag_ids.update(created)
                found.update(created)
        return found

    def report_lines(self, ids: list[int]) -> list[tuple[int, ImportOutcome, int | None, str | None]]:
        lines = []
        for row_number, outcome, ref, message in self.lines:
            lead_id = None
            if ref is not None and ref[0] == "lead":
                lead_id = ref[1]
            elif ref is not None and ref[0] == "new" and not self.ctx.dry_run:
                lead_id = ids[ref[1]]
            lines.append((row_number, outcome, lead_id, message))
        return lines


def _existing(conn: Connection, team_id: int, column: str, keys: set[str],
              with_custom: bool) -> Iterable[tuple[int, str, Any]]:
    """(id, key, custom fields) of the team's leads whose `column` is one of `keys`, oldest first.

    PostgreSQL gets the keys as one JSON array parameter: a statement with thousands of placeholders
    costs more to build and parse than to run, and psycopg dumps a list parameter in Python (3x
    slower than json.dumps plus json_array_elements_text). SQLite's IN list is cheap.
    """
    if not keys:
        return []
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    custom = "custom_fields" if with_custom else "NULL"
    rows: list[tuple[int, str, Any]] = []
    if conn.dialect.name == "postgresql":
        # A join on the unnested keys: probed through the (team_id, <column>) index whatever the table's
        # statistics say. `team_id = … AND phone = ANY(…)` on a freshly filled table (no ANALYZE yet) was
        # planned as "all the team's leads, then filter": quadratic over a large import.
        cur.execute(f"SELECT l.id, l.{column}, {'l.' + custom if with_custom else custom} "
                    f"FROM json_array_elements_text(%s::json) AS k(v) JOIN leads l "
                    f"ON l.team_id = %s AND l.{column} = k.v ORDER BY l.id", (json.dumps(list(keys)), team_id))
        rows = cur.fetchall()
    else:
        ordered = sorted(keys)
        for i in range(0, len(ordered), _LOOKUP_CHUNK):
            chunk = ordered[i:i + _LOOKUP_CHUNK]
            cur.execute(f"SELECT id, {column}, {custom} FROM leads WHERE team_id = ? AND {column} IN "
                        f"({','.join('?' * len(chunk))}) ORDER BY id", (team_id, *chunk))
            rows.extend(cur.fetchall())
        if with_custom:
            rows = [(i, k, json.loads(c) if isinstance(c, str) else c) for i, k, c in rows]
    cur.close()
    return rows


def _lead_ref(ref: Ref) -> Ref | None:
    return ref if ref[0] in ("lead", "new") else None


def _money(value: Decimal | None, dialect: str) -> Any:
    # The sqlite3 driver cannot bind Decimal; SQLAlchemy's Numeric stores it as text there too.
    return None if value is None else (str(value) if dialect == "sqlite" else value)


def _allocate_ids(cur: Any, dialect: str, n: int) -> list[int]:
    """Ids for `n` new leads, known before the insert so tags and report lines need no RETURNING.

    SQLite: the batch already holds the database's write lock (its first statement updated the
    job), so max(id) + 1… cannot be taken by anyone else. PostgreSQL: from the id sequence.
    """
    if n == 0:
        return []
    if dialect == "sqlite":
        start = cur.execute("SELECT coalesce(max(id), 0) FROM leads").fetchone()[0] + 1
        return list(range(start, start + n))
    # The sequence is looked up once (OFFSET 0 keeps the subquery from being inlined): written as
    # nextval(pg_get_serial_sequence(…)), the lookup ran per row and cost 4x the nextvals.
    cur.execute("SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence('leads', 'id')::regclass AS seq "
                "OFFSET 0) AS s, generate_series(1, %s)", (n,))
    return [r[0] for r in cur.fetchall()]


@contextmanager
def _inserting(cur: Any, dialect: str, table: str, columns: Sequence[str],
               rows: list[tuple[Any, ...]]) -> Iterator[None]:
    """`rows` are in `table` when the block ends: PostgreSQL gets them all as the block starts (COPY)
    and works through them while it runs; SQLite when it ends (executemany). The same statements the
    bare benchmark uses. No other statement may run inside the block."""
    if not rows:
        yield
    elif dialect == "sqlite":
        yield
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
    else:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
            yield


def _insert(cur: Any, dialect: str, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    with _inserting(cur, dialect, table, columns, rows):
        pass


def _write_report(cur: Any, dialect: str, import_id: int,
                  report: list[tuple[int, ImportOutcome, int | None, str | None]]) -> None:
    _insert(cur, dialect, "lead_import_rows", REPORT_COLUMNS,
            [(import_id, n, str(outcome), lead_id, message) for n, outcome, lead_id, message in report])


def _record_activities(conn: Connection, ctx: ImportContext, first: int, last: int, now: dt.datetime) -> None:
    """One "Updated by the import" timeline entry per updated lead, copied in SQL from this batch's
    report lines. A created lead gets none: its "Imported from" entry is built from its report line
    when the timeline is read (crm.services.lead_import_timeline), which spares the import a row,
    four index entries and three foreign-key checks per new lead."""
    conn.execute(
        text("INSERT INTO activities (team_id, type, title, lead_id, user_id, created_at) "
             "SELECT :team, 'LEAD_IMPORTED', :updated, lead_id, :user, :now "
             "FROM lead_import_rows WHERE import_id = :import_id AND row_number BETWEEN :first AND :last "
             "AND outcome = 'UPDATED' AND lead_id IS NOT NULL")
        .bindparams(bindparam("now", type_=Lead.__table__.c.created_at.type)),
        {"team": ctx.team_id, "updated": f"Updated by the import of {ctx.filename[:200]}", "user": ctx.user_id,
         "now": now, "import_id": ctx.import_id, "first": first, "last": last},
    )
