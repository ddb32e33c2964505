"""Lead use cases: list, read, create, update, delete, change status, assign, bulk actions, notes."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Select,
    String,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from crm.db import SessionFactory, transaction
from crm.enums import ActivityType, LeadStatus, NotificationType, TaskStatus
from crm.errors import Conflict, NotFound, ValidationFailed
from crm.orm import (
    Activity,
    DomainEvent,
    Lead,
    Message,
    Note,
    Notification,
    Tag,
    Task,
    TeamMember,
    User,
    lead_tags,
)
from crm.orm.base import UTCDateTime
from crm.orm.leads import RANGE_COLUMNS, sort_index
from crm.schemas.common import Actor
from crm.schemas.leads import (
    BulkResult,
    LeadBulkChanges,
    LeadCreate,
    LeadDetail,
    LeadFilter,
    LeadPage,
    LeadSelection,
    LeadSort,
    LeadSummary,
    LeadUpdate,
    NoteCreate,
    NoteOut,
    TimelineEntry,
    UserRef,
)
from crm.services.access import load_lead, require_team_member, user_timezone, visible_leads
from crm.services.audit import emit_event, jsonable, record_audit
from crm.services.custom_fields import (
    clean_values,
    diff_values,
    load_definitions,
)
from crm.services.custom_fields import filter_clauses as custom_field_filters
from crm.services.lead_import_timeline import import_timeline_entries
from crm.services.lead_search import search_clause
from crm.services.permissions import Action, can, require

TIMELINE_LIMIT = 100

# How a page is read depends on how many leads match (ARCHITECTURE: push the work to the database):
COUNT_CAP = 500  # counted exactly up to here, then "500+" (count_leads counts all, on demand)
WALK_WINDOW = 5_000  # leads one bounded walk along the sort index tests before another plan is tried
# A custom-field filter has its own index, from which a few thousand matches are gathered in a
# few ms, while the walk reads each lead's row to test it: a shorter window gives up sooner.
CUSTOM_FIELD_WALK_WINDOW = 1_000
SMALL_VIEW = 10_000  # a view up to here is gathered from the filters' indexes and sorted
TAG_LINKS_LISTED = 50_000  # a tag filter starts from the tags' links up to here, else tests each lead


_Nulls = Literal["both", "only", "none"]  # which part of a nullable sort a view can hold

# PostgreSQL, for the list's transaction only. Every statement in it stops after a page or a
# capped count, reading a few hundred rows by index: starting parallel workers (tens of ms on a
# small server) costs more than that reading. And a plan is made for the actual values (a rare
# tag is not a common one), not once for all: psycopg prepares a statement run five times, and
# PostgreSQL may then reuse a generic plan for it.
_PG_PAGE_SETTINGS = text(
    "SELECT set_config('max_parallel_workers_per_gather', '0', true), "
    "set_config('plan_cache_mode', 'force_custom_plan', true)"
)


@dataclass(frozen=True)
class _Order:
    """A sort as keyset columns (the last is always the unique id) and a direction.

    `nullable` names the one key that may be NULL: those rows come last (NULLS LAST on both
    databases), read by a second query over `key IS NULL` ordered by id alone.
    """

    keys: tuple[Any, ...]
    descending: bool
    nullable: Any = None

    def by(self, keys: tuple[Any, ...]) -> list[Any]:
        return [k.desc() if self.descending else k.asc() for k in keys]


_ORDERS = {
    LeadSort.NEWEST: _Order((Lead.created_at, Lead.id), descending=True),
    LeadSort.OLDEST: _Order((Lead.created_at, Lead.id), descending=False),
    LeadSort.NAME: _Order((Lead.last_name, Lead.first_name, Lead.id), descending=False),
    LeadSort.SCORE: _Order((Lead.score, Lead.id), descending=True),
    LeadSort.VALUE: _Order((Lead.value, Lead.id), descending=True, nullable=Lead.value),
    LeadSort.LAST_CONTACT: _Order((Lead.last_contact_at, Lead.id), descending=True, nullable=Lead.last_contact_at),
}
# One ORDER BY for whole-view readers (export): the same order the pages walk.
_SORTS = {
    sort: tuple(k.desc().nulls_last() if o.descending and k is o.nullable else k.desc() if o.descending else k.asc()
                for k in o.keys)
    for sort, o in _ORDERS.items()
}


def list_leads(actor: Actor, filters: LeadFilter, *, sessions: SessionFactory | None = None) -> LeadPage:
    """Return one keyset page of the leads the actor may see, filtered and sorted in the database.

    Pages continue from `filters.cursor` (the previous page's `next_cursor`), so page 1,000 costs
    what page 1 costs. The total is exact up to COUNT_CAP matches (or SMALL_VIEW when that was
    counted anyway), else a lower bound; `count_leads` gives the exact number on request.
    """
    order = _ORDERS[filters.sort]
    after = _decode_cursor(filters.cursor, filters.sort, order) if filters.cursor else None
    size = filters.page_size
    # Never contacted leads have no last contact, and leads contacted within dates have one: the
    # last-contact sort then reads only its NULL part, or only its keyed part.
    nulls: _Nulls = "both"
    if order.nullable is Lead.last_contact_at and filters.never_contacted:
        nulls = "only"
    elif order.nullable is Lead.last_contact_at and (filters.last_contact_from or filters.last_contact_to):
        nulls = "none"
    with transaction(sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_PG_PAGE_SETTINGS)
        ranges = _range_clauses(session, actor, filters)
        selective = _filter_clauses(session, actor, filters, ranges=ranges)
        scopes = _assignee_scopes(actor)

        # A tag or a search is counted from its own match list, which one count builds once.
        count_scopes = [[]] if filters.tag_ids or (filters.search or "").strip() else scopes

        # PostgreSQL would hash or sort a tag's links (tens of thousands) to count up to a few
        # hundred leads; joined one by one, the count stops as soon as it reaches its cap.
        lead_by_lead = bool(filters.tag_ids) and session.get_bind().dialect.name == "postgresql"

        def count(cap: int, where: list[Any]) -> int:
            if lead_by_lead:
                session.execute(text("SELECT set_config('enable_hashjoin', 'off', true), "
                                     "set_config('enable_mergejoin', 'off', true)"))
            total = min(cap + 1, sum(_capped_count(session, [*where, *scope], cap) for scope in count_scopes))
            if lead_by_lead:
                session.execute(text("SELECT set_config('enable_hashjoin', 'on', true), "
                                     "set_config('enable_mergejoin', 'on', true)"))
            return total

        def gathered() -> list[Any]:
            # Gather the few matching rows from the filters' own indexes, then sort them: walking a
            # sort index instead could pass most of the table before meeting them.
            return _page_rows(session, selective, order, after, size + 1, small=True, branches=scopes,
                              nulls=nulls)

        # The first count stops at COUNT_CAP: a common tag is cheaper tested lead by lead there.
        # (Each set of clauses costs queries: the user's time zone, the custom-field definitions.)
        counted = (_filter_clauses(session, actor, filters, common_tags_by_lead=True, ranges=ranges)
                   if filters.tag_ids else selective)
        total, cap = count(COUNT_CAP, counted), COUNT_CAP
        if total == 0:
            return _page(filters, order, after, [], 0, cap)  # nothing to gather (on any page)
        rows: list[Any] | None = gathered() if total <= COUNT_CAP else None
        if rows is not None:
            return _page(filters, order, after, rows, total, cap)
        statuses = list(dict.fromkeys(filters.statuses))
        walk_where = _filter_clauses(session, actor, filters, selective=False, ranges=ranges)
        sort_column = order.keys[0].key
        covering = _covering_index(filters, ranges, sort_column)
        if len(statuses) <= 1:
            # Many matches are usually met soon along the sort's own index: test its next
            # WALK_WINDOW leads at most. Too few there (a rare or a correlated filter, or the
            # end of the view) falls through to the plans below.
            # The window holds only leads the actor may see (the assignee is in the sort indexes).
            # On the first page, a range on the sort's own column starts the walk inside the range.
            # After a cursor (which starts it already) it is tested outside the index walk only:
            # SQLite would start from one of the two and scan to the other.
            own = ranges.get(sort_column, []) if after is None else []
            window_scope = [visible_leads(actor), *[Lead.status == s for s in statuses], *own]
            uncontacted_by_score = filters.never_contacted and filters.sort is LeadSort.SCORE
            if uncontacted_by_score:
                window_scope.append(Lead.last_contact_at.is_(None))  # their own partial index by score
            # The other ranges are tested in the index itself when it carries their columns.
            carried = sort_column in RANGE_COLUMNS and not statuses and not uncontacted_by_score
            tests = tuple(c for column, cs in ranges.items() if carried and column != sort_column for c in cs)
            if filters.tag_ids:  # a probe of the tag links by the lead's id, which every index holds
                tests += (_tag_clause(filters.tag_ids, listed=False),)
            size_limit = min(WALK_WINDOW, CUSTOM_FIELD_WALK_WINDOW) if filters.custom else WALK_WINDOW
            window = _Window(size_limit, window_scope, status=bool(statuses), uncontacted=uncontacted_by_score,
                             tests=tests)
            rows = _page_rows(session, walk_where, order, after, size + 1, window=window, nulls=nulls)
        if rows is None and covering:
            # Only ranges, and the window held too few: the matches lie elsewhere along the sort
            # (this week's contacts among the oldest leads). Read them all from a range's index,
            # which holds everything they are tested and sorted on, and sort them: tens of
            # thousands of index entries cost less than walking as many rows of the table.
            rows = _page_rows(session, selective, order, after, size + 1, covering=covering, nulls=nulls)
        if rows is None:
            total, cap = count(SMALL_VIEW, selective), SMALL_VIEW
            if total <= SMALL_VIEW:
                rows = gathered()
            elif len(statuses) > 1:
                # Several statuses: one index walk per status (team, status, sort key, id), merged.
                where = _filter_clauses(session, actor, filters.model_copy(update={"statuses": []}), selective=False,
                                        ranges=ranges)
                rows = _page_rows(session, where, order, after, size + 1, branches=[[Lead.status == s] for s in statuses],
                                  nulls=nulls)
            else:
                # A big view: walk the sort's index from the cursor and test each row.
                rows = _page_rows(session, walk_where, order, after, size + 1, nulls=nulls)
    assert rows is not None
    return _page(filters, order, after, rows, total, cap)


def _covering_index(filters: LeadFilter, ranges: dict[str, list[Any]], sort_column: str) -> str | None:
    """The index that answers a view of only ranges (and the assignee) sorted by a range column.

    Each range column's index carries the others (crm.orm.leads.RANGE_COLUMNS), so any of the
    view's ranges will do; the one likely to match fewest leads is read: a last-contact period,
    then a score range, then creation days, then "never contacted".
    """
    others = (filters.search or "").strip() or filters.statuses or filters.sources or filters.tag_ids or filters.custom
    if others or sort_column not in RANGE_COLUMNS:
        return None
    dated = filters.last_contact_from is not None or filters.last_contact_to is not None
    preference = ("last_contact_at", "score", "created_at") if dated else ("score", "created_at", "last_contact_at")
    return next((sort_index((column,))[0] for column in preference if column in ranges), None)


def _page(filters: LeadFilter, order: _Order, after: tuple[Any, ...] | None, rows: list[Any],
          total: int, cap: int) -> LeadPage:
    """The page of `rows` (one more than a page if the view goes on); `total` was counted up to `cap`."""
    size = filters.page_size
    exact = total <= cap
    if not exact and after is None and len(rows) <= size:
        total, exact = len(rows), True  # the whole view fits on its first page: that is the total
    next_cursor = _encode_cursor(filters.sort, order, rows[size - 1][0]) if len(rows) > size else None
    return LeadPage(items=[_summary(lead, uid, uname) for lead, uid, uname in rows[:size]],
                    total=total if exact else cap, total_is_exact=exact,
                    next_cursor=next_cursor, page_size=size)


def count_leads(actor: Actor, filters: LeadFilter, *, sessions: SessionFactory | None = None) -> int:
    """The exact number of leads in the actor's filtered view (the list's total stops at COUNT_CAP).

    This reads every match, so the pages ask for it only when the user does.
    """
    with transaction(sessions) as session:
        selective = _filter_clauses(session, actor, filters)
        return sum(session.scalar(select(func.count()).select_from(Lead).where(*selective, *scope)) or 0
                   for scope in _assignee_scopes(actor))


def _assignee_scopes(actor: Actor) -> list[list[Any]]:
    """An agent's `assigned_to_id = me OR IS NULL` as two index ranges, read and counted apart."""
    if actor.sees_all_team_data:
        return [[]]
    return [[Lead.assigned_to_id == actor.user_id], [Lead.assigned_to_id.is_(None)]]


def _capped_count(session: Session, where: list[Any], cap: int, *, table: Any = Lead) -> int:
    capped = select(literal(1)).select_from(table).where(*where).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


@dataclass(frozen=True)
class _Window:
    """A bounded walk: at most `size` leads of `scope`, along the sort index (see _page_rows).

    SQLite is told the index by name (`status`: the status copy; `uncontacted`: the partial index
    of never-contacted leads by score): without statistics of ranges or NULLs it may otherwise
    take `last_contact_at IS NULL` for a rare value and start from there.
    `tests` are answered from the index itself, so the leads that fail them cost no read of a row.
    """

    size: int
    scope: list[Any]
    status: bool = False
    uncontacted: bool = False
    tests: tuple[Any, ...] = ()  # clauses on columns the index carries: tested in it along the walk

    def index(self, order: _Order, keys: tuple[Any, ...]) -> str:
        if self.uncontacted:
            return "ix_leads_uncontacted_team_id_score_id"
        # The NULL end of a nullable sort, by id, is read from that sort's index too.
        columns = (order.nullable.key,) if keys == (Lead.id,) else tuple(k.key for k in keys[:-1])
        return sort_index(columns, status=self.status)[0]


def _page_rows(session: Session, where: list[Any], order: _Order, after: tuple[Any, ...] | None,
               limit: int, *, small: bool = False, branches: list[list[Any]] | None = None,
               window: _Window | None = None, nulls: _Nulls = "both", covering: str | None = None) -> list[Any] | None:
    """Up to `limit` rows after the cursor key `after`, each as (lead, assignee id, assignee name).

    Row-value comparisons `(k1, k2, id) < (:k1, :k2, :id)` let both databases start the scan at
    the cursor in the sort's index. NULL keys never compare, so a nullable sort reads its non-NULL
    part first and then the NULL rows by id (the cursor says which part it stopped in);
    `nulls` = "only" reads only the NULL part, "none" only the keyed part.
    `small`: the matching ids and sort keys are materialized first (at most SMALL_VIEW rows, the
    union of the disjoint `branches`) and sorted there. Else `branches` (extra clauses each):
    every branch reads its own first `limit` rows and the union is sorted again, as a database
    cannot walk one index in order across an IN list.
    `window`: only its next `size` leads along the sort index within its `scope` are tested;
    None when they hold fewer than `limit` matches (the caller then takes another plan).
    `covering`: the index of a range filter that holds every column `where` tests and the sort
    keys: all its matches are read from it and sorted.
    """
    assignee = aliased(User)

    def fetch(clauses: list[Any], keys: tuple[Any, ...], n: int) -> list[Any]:
        stmt: Select[Any] = select(Lead, assignee.id, assignee.name).outerjoin(
            assignee, assignee.id == Lead.assigned_to_id)
        edge, gather, hint = None, small, ""
        if window:
            # The window's far edge: the key of its last lead, read from the sort index alone.
            hint = f"INDEXED BY {window.index(order, keys)}"
            edge = session.execute(select(*keys).where(*window.scope, *clauses).order_by(*order.by(keys))
                                   .with_hint(Lead, hint, "sqlite").offset(window.size - 1).limit(1)).first()
            # No edge: fewer than a window's leads are left, so gather and sort those few rather
            # than let a planner walk toward a LIMIT that the filters may never reach.
            gather = edge is None
        if covering:
            # Every match, read from the filter's range index alone (it holds the sort keys and the
            # assignee), then sorted. OFFSET 0 keeps PostgreSQL from walking the sort index toward
            # the LIMIT instead, which is what this plan exists to avoid.
            matching = (select(*keys).where(*where, *clauses).with_hint(Lead, f"INDEXED BY {covering}", "sqlite")
                        .offset(0).subquery())
            top = select(matching.c.id).order_by(*order.by(tuple(matching.c[k.key] for k in keys))).limit(n).subquery()
            stmt = stmt.join(top, top.c.id == Lead.id)
        elif gather:
            extra = window.scope if window else []
            parts = [select(*keys).where(*where, *extra, *branch, *clauses) for branch in branches or [[]]]
            if window:  # the same few leads of the window's index
                parts = [part.with_hint(Lead, hint, "sqlite") for part in parts]
            union = parts[0] if len(parts) == 1 else union_all(*parts)
            matching = union.cte("matching").prefix_with("MATERIALIZED")
            top = select(matching.c.id).order_by(*order.by(tuple(matching.c[k.key] for k in keys))).limit(n).subquery()
            stmt = stmt.join(top, top.c.id == Lead.id)
        elif edge is not None:
            # Walk the window in the sort index itself (the assignee is in it) up to its edge, so
            # that only the actor's own leads are read from the table and tested by the filters;
            # the walk stops at the page's last row or at the edge, whichever comes first.
            # Its own ORDER BY and LIMIT keep the walk a subquery in sort order that drives the join
            # (a planner may otherwise start from the table, through an index a filter matches).
            walk = (select(*keys).where(*window.scope, *window.tests, *clauses, up_to(keys, tuple(edge)))
                    .with_hint(Lead, hint, "sqlite").order_by(*order.by(keys)).limit(window.size).subquery())
            # The walk drives: each of its leads is then read by id and tested, never found through
            # an index of a filter that a planner thinks rarer than it is (which then hashes or
            # scans thousands of rows). SQLite: NOT INDEXED; PostgreSQL: a LATERAL read per lead.
            if session.get_bind().dialect.name == "postgresql":
                # OFFSET 0 keeps PostgreSQL from flattening it into a join that it might hash.
                row = select(Lead).where(Lead.id == walk.c.id, *where).offset(0).lateral("lead")
                lead = aliased(Lead, row)
                stmt = (select(lead, assignee.id, assignee.name).select_from(walk).join(row, true())
                        .outerjoin(assignee, assignee.id == lead.assigned_to_id))
            else:
                stmt = stmt.join(walk, walk.c.id == Lead.id).where(*where).with_hint(Lead, "NOT INDEXED", "sqlite")
            rows = list(session.execute(stmt.order_by(*order.by(tuple(walk.c[k.key] for k in keys))).limit(n)).all())
            cut_short.append(len(rows) < n)
            return rows
        elif branches:
            parts = [select(Lead.id).where(*where, *branch, *clauses).order_by(*order.by(keys)).limit(n).subquery()
                     for branch in branches]
            stmt = stmt.where(Lead.id.in_(union_all(*[select(part.c.id) for part in parts])))
        else:
            stmt = stmt.where(*where, *clauses)
        return list(session.execute(stmt.order_by(*order.by(keys)).limit(n)).all())

    def beyond(keys: tuple[Any, ...], values: tuple[Any, ...]) -> Any:
        left, right = tuple_(*keys), tuple_(*[literal(v, k.type) for k, v in zip(keys, values, strict=True)])
        return left < right if order.descending else left > right

    def up_to(keys: tuple[Any, ...], values: tuple[Any, ...]) -> Any:
        left, right = tuple_(*keys), tuple_(*[literal(v, k.type) for k, v in zip(keys, values, strict=True)])
        return left >= right if order.descending else left <= right

    cut_short: list[bool] = []  # a window ended before its page filled: the view may go on past it
    if order.nullable is None:
        rows = fetch([beyond(order.keys, after)] if after else [], order.keys, limit)
        return None if any(cut_short) else rows
    rows = []
    if nulls != "only" and (after is None or after[0] is not None):
        keyed = [order.nullable.is_not(None)] + ([beyond(order.keys, after)] if after else [])
        rows = fetch(keyed, order.keys, limit)
    if len(rows) < limit and not any(cut_short) and nulls != "none":
        tail = [order.nullable.is_(None)] + ([beyond((Lead.id,), after[-1:])] if after and after[0] is None else [])
        rows += fetch(tail, (Lead.id,), limit - len(rows))
    return None if any(cut_short) else rows


def _encode_cursor(sort: LeadSort, order: _Order, lead: Lead) -> str:
    values = [getattr(lead, k.key) for k in order.keys]
    payload = {"s": sort.value, "k": [v.isoformat() if isinstance(v, dt.datetime)
                                      else str(v) if isinstance(v, Decimal) else v for v in values]}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: LeadSort, order: _Order) -> tuple[Any, ...]:
    """The sort key a cursor continues after; anything forged or stale is a ValidationFailed."""
    invalid = ValidationFailed("This page link is no longer valid; start again from the first page.",
                               field="cursor")
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(payload, dict) or payload.get("s") != sort.value:
            raise invalid
        raw = payload["k"]
        if not isinstance(raw, list) or len(raw) != len(order.keys):
            raise invalid
        return tuple(_key_value(k, v, nullable=k is order.nullable) for k, v in zip(order.keys, raw, strict=True))
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:  # binascii.Error is a ValueError
        raise invalid from exc


def _key_value(column: Any, raw: Any, *, nullable: bool) -> Any:
    if raw is None and nullable:
        return None
    if column is Lead.id or column is Lead.score:
        if type(raw) is not int:
            raise TypeError("integer key expected")
        return raw
    if column is Lead.value:
        value = Decimal(str(raw))
        if not value.is_finite():
            raise ValueError("finite number expected")
        return value
    if not isinstance(raw, str):
        raise TypeError("text key expected")
    if column in (Lead.created_at, Lead.last_contact_at):
        moment = dt.datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError("aware datetime expected")
        return moment
    return raw


def get_lead(actor: Actor, lead_id: int, *, sessions: SessionFactory | None = None) -> LeadDetail:
    """Return a lead with its tags and its timeline of activities and notes, newest first."""
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id)
        return _detail(session, lead)


def create_lead(actor: Actor, data: LeadCreate, *, sessions: SessionFactory | None = None) -> LeadDetail:
    """Create a lead in the actor's team; agents' new leads are assigned to themselves."""
    with transaction(sessions) as session:
        assigned_to_id = data.assigned_to_id
        if assigned_to_id is not None:
            if assigned_to_id != actor.user_id:
                require(actor, Action.ASSIGN_LEADS)
            require_team_member(session, actor, assigned_to_id)
        elif not actor.sees_all_team_data:
            assigned_to_id = actor.user_id
        _ensure_email_free(session, actor.team_id, data.email)
        custom = clean_values(load_definitions(session, actor.team_id), data.custom_fields, creating=True)
        lead = Lead(
            team_id=actor.team_id, created_by_id=actor.user_id,
            **data.model_dump(exclude={"assigned_to_id", "custom_fields"}), assigned_to_id=assigned_to_id,
            **({"custom_fields": custom} if custom else {}),  # none: SQL NULL, not a JSON null
        )
        if data.status is LeadStatus.WON:
            lead.won_at = dt.datetime.now(dt.UTC)
        session.add(lead)
        _flush_or_conflict(session, data.email)
        session.add(Activity(team_id=actor.team_id, lead_id=lead.id, user_id=actor.user_id,
                             type=ActivityType.LEAD_CREATED, title=f"Lead created by {actor.name or 'a user'}"))
        record_audit(session, actor=actor, action="lead.create", resource="lead", resource_id=lead.id,
                     changes={**{k: jsonable(v) for k, v in data.model_dump(exclude_none=True,
                                                                         exclude={"custom_fields"}).items()},
                              **({"custom_fields": custom} if custom else {})})
        emit_event(session, actor, type="lead.created", resource="lead", resource_id=lead.id,
                   payload={"lead_id": lead.id, "source": lead.source.value})
        session.flush()
        return _detail(session, lead)


def update_lead(
    actor: Actor, lead_id: int, data: LeadUpdate, *, sessions: SessionFactory | None = None
) -> LeadDetail:
    """Change the given fields of a lead; untouched fields keep their values."""
    changes = data.model_dump(exclude_unset=True)
    custom_changes = changes.pop("custom_fields", None)
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id, for_update=True)
        if "email" in changes and changes["email"] and changes["email"] != lead.email:
            _ensure_email_free(session, actor.team_id, changes["email"])
        diff = {k: {"from": jsonable(getattr(lead, k)), "to": jsonable(v)}
                for k, v in changes.items() if getattr(lead, k) != v}
        for key, value in changes.items():
            setattr(lead, key, value)
        if custom_changes:  # merge: keys given are set or cleared, the others keep their values
            merged = clean_values(load_definitions(session, actor.team_id), custom_changes,
                                  existing=lead.custom_fields, creating=False)
            diff.update(diff_values(lead.custom_fields, merged))
            lead.custom_fields = merged or null()  # SQL NULL; a plain None would store a JSON null
        if not lead.email and not lead.phone:
            raise ValidationFailed("A lead needs an email or a phone number.", field="email")
        _flush_or_conflict(session, lead.email)
        if diff:
            record_audit(session, actor=actor, action="lead.update", resource="lead",
                         resource_id=lead.id, changes=diff)
            emit_event(session, actor, type="lead.updated", resource="lead", resource_id=lead.id,
                       payload={"lead_id": lead.id, "fields": sorted(diff)})
        return _detail(session, lead)


def change_lead_status(
    actor: Actor, lead_id: int, status: LeadStatus, *, sessions: SessionFactory | None = None
) -> LeadDetail:
    """Move a lead to `status`, recording a STATUS_CHANGED activity and an event."""
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id, for_update=True)
        old = lead.status
        if old != status:
            lead.status = status
            now = dt.datetime.now(dt.UTC)
            lead.won_at = now if status is LeadStatus.WON else None
            session.add(Activity(
                team_id=actor.team_id, lead_id=lead.id, user_id=actor.user_id,
                type=ActivityType.STATUS_CHANGED,
                title=f"Status changed from {old.value.title()} to {status.value.title()}",
                metadata_={"from": old.value, "to": status.value},
            ))
            record_audit(session, actor=actor, action="lead.status_change", resource="lead",
                         resource_id=lead.id, changes={"status": {"from": old.value, "to": status.value}})
            emit_event(session, actor, type="lead.status_changed", resource="lead", resource_id=lead.id,
                       payload={"lead_id": lead.id, "from": old.value, "to": status.value})
            _notify(session, actor, lead.assigned_to_id, NotificationType.LEAD_STATUS_CHANGED, lead,
                    title=f"{_name(lead)} is now {status.value.title()}",
                    message=f"{actor.name or 'A teammate'} moved {_name(lead)} from {old.value.title()} "
                            f"to {status.value.title()}.")
            session.flush()
        return _detail(session, lead)


def add_note(actor: Actor, lead_id: int, data: NoteCreate, *, sessions: SessionFactory | None = None) -> NoteOut:
    """Attach a note to a lead and log it on the timeline."""
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id)
        note = Note(team_id=actor.team_id, lead_id=lead.id, author_id=actor.user_id, content=data.content)
        session.add(note)
        session.flush()
        record_audit(session, actor=actor, action="note.create", resource="note", resource_id=note.id,
                     changes={"lead_id": lead.id})
        emit_event(session, actor, type="note.added", resource="lead", resource_id=lead.id,
                   payload={"lead_id": lead.id, "note_id": note.id})
        return NoteOut(id=note.id, content=note.content, author=actor.name or None, created_at=note.created_at)


def assign_lead(
    actor: Actor, lead_id: int, user_id: int | None, *, sessions: SessionFactory | None = None
) -> LeadDetail:
    """Assign a lead to a team member (or back to the pool with None).

    Needs ASSIGN_LEADS (managers and above); an agent may only claim an unassigned lead for
    themselves or hand their own lead back to the pool.
    """
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id, for_update=True)
        claiming = user_id == actor.user_id and lead.assigned_to_id is None
        releasing = user_id is None and lead.assigned_to_id == actor.user_id
        if not (claiming or releasing or can(actor, Action.ASSIGN_LEADS)):
            require(actor, Action.ASSIGN_LEADS)
        if user_id is not None:
            require_team_member(session, actor, user_id)
        old = lead.assigned_to_id
        if old != user_id:
            lead.assigned_to_id = user_id
            session.add(Activity(team_id=actor.team_id, lead_id=lead.id, user_id=actor.user_id,
                                 type=ActivityType.LEAD_ASSIGNED,
                                 title="Lead assigned" if user_id else "Lead returned to the pool",
                                 metadata_={"from": old, "to": user_id}))
            record_audit(session, actor=actor, action="lead.assign", resource="lead", resource_id=lead.id,
                         changes={"assigned_to_id": {"from": old, "to": user_id}})
            emit_event(session, actor, type="lead.assigned", resource="lead", resource_id=lead.id,
                       payload={"lead_id": lead.id, "from": old, "to": user_id})
            _notify(session, actor, user_id, NotificationType.LEAD_ASSIGNED, lead,
                    title=f"New lead: {_name(lead)}",
                    message=f"{actor.name or 'A teammate'} assigned {_name(lead)} to you.")
            session.flush()
        return _detail(session, lead)


def delete_lead(actor: Actor, lead_id: int, *, sessions: SessionFactory | None = None) -> None:
    """Delete a lead with its notes, tags, activities and tasks (DELETE_LEADS: managers and above)."""
    require(actor, Action.DELETE_LEADS)
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id, for_update=True)
        record_audit(session, actor=actor, action="lead.delete", resource="lead", resource_id=lead.id,
                     changes={"name": _name(lead), "email": lead.email})
        emit_event(session, actor, type="lead.deleted", resource="lead", resource_id=lead.id,
                   payload={"lead_id": lead.id})
        session.delete(lead)


def bulk_update(
    actor: Actor, selection: LeadSelection, changes: LeadBulkChanges, *, sessions: SessionFactory | None = None
) -> BulkResult:
    """Set status/source/type on every selected lead the actor may see, in a few set-based statements."""
    require(actor, Action.EDIT_LEADS)
    values = changes.model_dump(exclude_none=True)
    with transaction(sessions) as session:
        scope = _selection_scope(session, actor, selection)
        now = dt.datetime.now(dt.UTC)
        if changes.status is not None:
            moving = [*scope, Lead.status != changes.status]
            _insert_status_rows(session, actor, moving, changes.status, now)
            values["won_at"] = now if changes.status is LeadStatus.WON else None
        count = _update(session, scope, values)
        record_audit(session, actor=actor, action="lead.bulk_update", resource="lead",
                     changes={"count": count, **{k: jsonable(v) for k, v in changes.model_dump(exclude_none=True).items()},
                              "selection": selection.model_dump(mode="json", exclude_none=True)})
        emit_event(session, actor, type="lead.bulk_updated", resource="lead", resource_id="bulk",
                   payload={"count": count, **changes.model_dump(mode="json", exclude_none=True)})
    return BulkResult(count=count)


def bulk_assign(
    actor: Actor, selection: LeadSelection, user_id: int | None, *, sessions: SessionFactory | None = None
) -> BulkResult:
    """Assign every selected lead to `user_id` (None: back to the pool); needs ASSIGN_LEADS."""
    require(actor, Action.ASSIGN_LEADS)
    with transaction(sessions) as session:
        scope = _selection_scope(session, actor, selection)
        if user_id is not None:
            require_team_member(session, actor, user_id)
        moving = [*scope, Lead.assigned_to_id.is_(None) if user_id is None
                  else or_(Lead.assigned_to_id.is_(None), Lead.assigned_to_id != user_id)]
        now = dt.datetime.now(dt.UTC)
        payload = _json_object(session, "lead_id", Lead.id, "from", Lead.assigned_to_id,
                               "to", cast(literal(user_id), BigInteger), "bulk", cast(literal(True), Boolean))
        session.execute(insert(Activity).from_select(
            ["team_id", "lead_id", "user_id", "type", "title", "metadata", "created_at"],
            select(Lead.team_id, Lead.id, literal(actor.user_id), literal(ActivityType.LEAD_ASSIGNED.value),
                   literal("Lead assigned" if user_id else "Lead returned to the pool"), payload,
                   literal(now, UTCDateTime())).where(*moving),
        ))
        _insert_events(session, actor, moving, "lead.assigned", payload, now)
        count = _update(session, scope, {"assigned_to_id": user_id})
        if user_id is not None and user_id != actor.user_id and count:
            session.add(Notification(
                user_id=user_id, team_id=actor.team_id, type=NotificationType.LEAD_ASSIGNED,
                title=f"{count} lead{'s' if count != 1 else ''} assigned to you",
                message=f"{actor.name or 'A teammate'} assigned {count} lead{'s' if count != 1 else ''} to you.",
                metadata_={"count": count},
            ))
        record_audit(session, actor=actor, action="lead.bulk_assign", resource="lead",
                     changes={"count": count, "assigned_to_id": user_id,
                              "selection": selection.model_dump(mode="json", exclude_none=True)})
        emit_event(session, actor, type="lead.bulk_assigned", resource="lead", resource_id="bulk",
                   payload={"count": count, "to": user_id})
    return BulkResult(count=count)


def bulk_delete(actor: Actor, selection: LeadSelection, *, sessions: SessionFactory | None = None) -> BulkResult:
    """Delete every selected lead the actor may see (BULK_DELETE: owners and admins)."""
    require(actor, Action.BULK_DELETE)
    with transaction(sessions) as session:
        scope = _selection_scope(session, actor, selection)
        result = session.execute(delete(Lead).where(*scope).execution_options(synchronize_session=False))
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        record_audit(session, actor=actor, action="lead.bulk_delete", resource="lead",
                     changes={"count": count, "selection": selection.model_dump(mode="json", exclude_none=True)})
        emit_event(session, actor, type="lead.bulk_deleted", resource="lead", resource_id="bulk",
                   payload={"count": count})
    return BulkResult(count=count)


def list_assignees(actor: Actor, *, sessions: SessionFactory | None = None) -> list[UserRef]:
    """Return the team's active members a lead can be assigned to (for filters and forms)."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(User.id, User.name)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == actor.team_id, User.is_active.is_(True))
            .order_by(User.name)
        ).all()
    return [UserRef(id=r.id, name=r.name) for r in rows]


def _filter_clauses(session: Session, actor: Actor, f: LeadFilter, *, selective: bool = True,
                    common_tags_by_lead: bool = False, ranges: dict[str, list[Any]] | None = None) -> list[Any]:
    """WHERE clauses of the filtered view inside the actor's visible leads (list, export, bulk).

    `selective`: tags and search as `id IN (matches)`, which SQLite answers by starting from the
    matches; else as tests of each row (EXISTS), for a walk along a sort index.
    `common_tags_by_lead`: a tag with over TAG_LINKS_LISTED links is tested per lead even when
    selective, for a count that stops early.
    `ranges`: the view's `_range_clauses`, when already made.
    """
    clauses: list[Any] = [visible_leads(actor)]
    if f.search and f.search.strip():
        clauses.append(search_clause(session, f.search, selective=selective))
    if f.statuses:
        clauses.append(Lead.status.in_(f.statuses))
    if f.sources:
        clauses.append(Lead.source.in_(f.sources))
    if f.tag_ids:
        # Starting from the tag's links pays off while they are few; a common tag is better
        # tested lead by lead (a capped count then stops early instead of listing every link).
        few = selective and (not common_tags_by_lead or _capped_count(
            session, [lead_tags.c.tag_id.in_(f.tag_ids)], TAG_LINKS_LISTED, table=lead_tags) <= TAG_LINKS_LISTED)
        clauses.append(_tag_clause(f.tag_ids, listed=few))
    if f.unassigned:
        clauses.append(Lead.assigned_to_id.is_(None))
    elif f.assigned_to_id is not None:
        clauses.append(Lead.assigned_to_id == f.assigned_to_id)
    for column_clauses in (ranges if ranges is not None else _range_clauses(session, actor, f)).values():
        clauses += column_clauses
    if f.custom:  # unknown keys and operators that do not fit the type are refused, not ignored
        clauses += custom_field_filters(session, actor.team_id, f.custom)  # checked; use the fields' indexes
    return clauses


def _tag_clause(tag_ids: list[int], *, listed: bool) -> Any:
    """Leads with any of the tags: `listed`, as the list of their links; else a test of each lead."""
    tagged = select(lead_tags.c.lead_id).where(lead_tags.c.tag_id.in_(sorted(set(tag_ids))))
    return Lead.id.in_(tagged) if listed else tagged.where(lead_tags.c.lead_id == Lead.id).exists()


def _range_clauses(session: Session, actor: Actor, f: LeadFilter) -> dict[str, list[Any]]:
    """The view's clauses on each of RANGE_COLUMNS (score, creation and last-contact days)."""
    ranges: dict[str, list[Any]] = {}
    if f.score_min is not None:
        ranges.setdefault("score", []).append(Lead.score >= f.score_min)
    if f.score_max is not None:
        ranges.setdefault("score", []).append(Lead.score <= f.score_max)
    if f.never_contacted:
        ranges.setdefault("last_contact_at", []).append(Lead.last_contact_at.is_(None))
    if any(d is not None for d in (f.created_from, f.created_to, f.last_contact_from, f.last_contact_to)):
        zone = user_timezone(session, actor)
        for column, first, last in ((Lead.created_at, f.created_from, f.created_to),
                                    (Lead.last_contact_at, f.last_contact_from, f.last_contact_to)):
            if days := _day_range(column, first, last, zone):
                ranges.setdefault(column.key, []).extend(days)
    return ranges


def _day_range(column: Any, first: dt.date | None, last: dt.date | None, zone: dt.tzinfo) -> list[Any]:
    """`column` within the days first..last (inclusive) of the user's calendar, as UTC instants."""

    def start_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)

    clauses = []
    if first is not None:
        clauses.append(column >= start_of(first))
    if last is not None:
        clauses.append(column < start_of(last + dt.timedelta(days=1)))
    return clauses


def _selection_scope(session: Session, actor: Actor, selection: LeadSelection) -> list[Any]:
    """WHERE clauses of the selected leads, always inside the actor's visible leads.

    Explicit ids must all be visible (else NotFound, like a single foreign id); a filter means
    the whole filtered view and stays in SQL however many rows it matches.
    """
    if selection.filter is not None:
        return _filter_clauses(session, actor, selection.filter)
    ids = sorted(set(selection.ids or []))
    clauses: list[Any] = [visible_leads(actor), Lead.id.in_(ids)]
    found = session.scalar(select(func.count()).select_from(Lead).where(*clauses)) or 0
    if found != len(ids):
        raise NotFound("Some of the selected leads were not found.")
    return clauses


def _update(session: Session, scope: list[Any], values: dict[str, Any]) -> int:
    values = {**values, "updated_at": dt.datetime.now(dt.UTC)}
    result = session.execute(update(Lead).where(*scope).values(**values)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _json_object(session: Session, *pairs: Any) -> ColumnElement[Any]:
    """A JSON object built by the database from key/column pairs (SQLite and PostgreSQL)."""
    # Typed casts: PostgreSQL cannot infer the type of a bare parameter passed to a variadic function.
    args = [cast(literal(p), String) if isinstance(p, str) else p for p in pairs]
    if session.get_bind().dialect.name == "postgresql":
        return func.jsonb_build_object(*args)
    return func.json_object(*args)


def _insert_status_rows(session: Session, actor: Actor, where: list[Any], status: LeadStatus,
                        now: dt.datetime) -> None:
    """One STATUS_CHANGED activity and one lead.status_changed event per moving lead (INSERT … SELECT)."""
    payload = _json_object(session, "lead_id", Lead.id, "from", Lead.status,
                           "to", cast(literal(status.value), String), "bulk", cast(literal(True), Boolean))
    session.execute(insert(Activity).from_select(
        ["team_id", "lead_id", "user_id", "type", "title", "metadata", "created_at"],
        select(Lead.team_id, Lead.id, literal(actor.user_id), literal(ActivityType.STATUS_CHANGED.value),
               literal(f"Status changed to {status.value.title()}"), payload,
               literal(now, UTCDateTime())).where(*where),
    ))
    _insert_events(session, actor, where, "lead.status_changed", payload, now)


def _insert_events(session: Session, actor: Actor, where: list[Any], type_: str, payload: Any,
                   now: dt.datetime) -> None:
    session.execute(insert(DomainEvent).from_select(
        ["team_id", "actor_id", "type", "resource", "resource_id", "payload", "created_at"],
        select(Lead.team_id, literal(actor.user_id), literal(type_), literal("lead"), cast(Lead.id, String),
               payload, literal(now, UTCDateTime())).where(*where),
    ))


def _notify(session: Session, actor: Actor, user_id: int | None, type_: NotificationType, lead: Lead, *,
            title: str, message: str) -> None:
    """Tell the lead's agent what happened to it — never the person who did it."""
    if user_id is None or user_id == actor.user_id:
        return
    session.add(Notification(user_id=user_id, team_id=actor.team_id, type=type_, title=title[:300],
                             message=message, action_text="Open lead", metadata_={"lead_id": lead.id}))


def _name(lead: Lead) -> str:
    return f"{lead.first_name} {lead.last_name}".strip()

def _ensure_email_free(session: Session, team_id: int, email: str | None) -> None:
    if email and session.scalar(select(Lead.id).where(Lead.team_id == team_id, Lead.email == email)):
        raise Conflict(f"A lead with email {email} already exists in this team.", field="email")


def _flush_or_conflict(session: Session, email: str | None) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        if "uq_leads_team_id_email" not in str(exc.orig):
            raise
        # A concurrent insert won the race for the same email.
        raise Conflict(f"A lead with email {email} already exists in this team.", field="email") from exc


def _summary(lead: Lead, assignee_id: int | None, assignee_name: str | None) -> LeadSummary:
    return LeadSummary(
        id=lead.id, first_name=lead.first_name, last_name=lead.last_name, email=lead.email,
        phone=lead.phone, status=lead.status, source=lead.source, lead_type=lead.lead_type,
        score=lead.score, value=lead.value, city=lead.city,
        assigned_to=UserRef(id=assignee_id, name=assignee_name or "") if assignee_id else None,
        created_at=lead.created_at, last_contact_at=lead.last_contact_at,
    )


def _detail(session: Session, lead: Lead) -> LeadDetail:
    assignee = session.get(User, lead.assigned_to_id) if lead.assigned_to_id else None
    tags = session.scalars(
        select(Tag.name).join(lead_tags, lead_tags.c.tag_id == Tag.id)
        .where(lead_tags.c.lead_id == lead.id).order_by(Tag.name)
    ).all()
    author = aliased(User)
    activities = session.execute(
        select(Activity, author.name).outerjoin(author, author.id == Activity.user_id)
        .where(Activity.lead_id == lead.id)
        .order_by(Activity.created_at.desc(), Activity.id.desc()).limit(TIMELINE_LIMIT)
    ).all()
    notes = session.execute(
        select(Note, author.name).outerjoin(author, author.id == Note.author_id)
        .where(Note.lead_id == lead.id)
        .order_by(Note.created_at.desc(), Note.id.desc()).limit(TIMELINE_LIMIT)
    ).all()
    tasks = session.execute(
        select(Task, author.name).outerjoin(author, author.id == Task.assigned_to_id)
        .where(Task.lead_id == lead.id).order_by(Task.due_date.desc(), Task.id.desc()).limit(TIMELINE_LIMIT)
    ).all()
    messages = session.execute(
        select(Message, author.name).outerjoin(author, author.id == Message.user_id)
        .where(Message.lead_id == lead.id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(TIMELINE_LIMIT)
    ).all()
    timeline = [_task_entry(t, name) for t, name in tasks] + [_message_entry(m, name) for m, name in messages]
    timeline += [
        TimelineEntry(kind="activity", type=a.type, title=a.title, body=a.description, author=name,
                      at=a.created_at) for a, name in activities
    ] + [
        TimelineEntry(kind="note", type=None, title="Note", body=n.content, author=name, at=n.created_at)
        for n, name in notes
    ]
    timeline += import_timeline_entries(session, lead.id)
    timeline.sort(key=lambda e: e.at, reverse=True)
    summary = _summary(lead, assignee.id if assignee else None, assignee.name if assignee else None)
    return LeadDetail(
        **summary.model_dump(), company=lead.company, position=lead.position, state=lead.state,
        zip_code=lead.zip_code, stage=lead.stage, tags=list(tags), updated_at=lead.updated_at,
        custom_fields=lead.custom_fields or {}, timeline=timeline[:TIMELINE_LIMIT],
    )



def _task_entry(task: Task, assignee: str | None) -> TimelineEntry:
    # A done task sits where it was completed; an open one where it is due (upcoming ones on top).
    if task.status is TaskStatus.COMPLETED and task.completed_at is not None:
        return TimelineEntry(kind="task", type=None, title=f"Task completed: {task.title}", body=task.description,
                             author=assignee, at=task.completed_at)
    label = "Task cancelled" if task.status is TaskStatus.CANCELLED else "Task due"
    return TimelineEntry(kind="task", type=None, title=f"{label}: {task.title}", body=task.description,
                         author=assignee, at=task.due_date)


def _message_entry(message: Message, sender: str | None) -> TimelineEntry:
    verb = "received" if message.direction.value == "INBOUND" else "sent"
    title = f"{message.type.value.title()} {verb}" + (f": {message.subject}" if message.subject else "")
    return TimelineEntry(kind="message", type=None, title=title, body=message.body[:1000], author=sender,
                         at=message.created_at)
