"""The leads list at scale: keyset pages, capped totals, the new filters and the search index."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import update

from crm.db import transaction
from crm.enums import LeadStatus, TeamRole
from crm.errors import ValidationFailed
from crm.orm import Lead, User
from crm.schemas.common import Actor
from crm.schemas.leads import LeadFilter, LeadSelection, LeadSort, LeadUpdate
from crm.schemas.tags import TagAssign, TagCreate
from crm.services import leads, tags
from tests.factories import make_lead, make_member, make_team

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _set(lead_id: int, **values: object) -> None:
    with transaction() as session:
        session.execute(update(Lead).where(Lead.id == lead_id).values(**values))


def _walk(actor: Actor, page_size: int, **filters: object) -> list[int]:
    """Every id of the view, page by page through the cursors."""
    seen: list[int] = []
    cursor = None
    for _ in range(100):
        page = leads.list_leads(actor, LeadFilter(page_size=page_size, cursor=cursor, **filters))
        seen += [x.id for x in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def _book(owner: Actor) -> list[dict[str, object]]:
    """13 leads with ties on every sort key and NULL values / last contacts."""
    specs = [  # (last, first, minutes after T0, score, value, contact minutes or None)
        ("Baker", "Ann", 0, 50, 300, 10), ("Baker", "Ann", 0, 50, None, None), ("Adams", "Zoe", 5, 90, 300, 10),
        ("Baker", "Bob", 5, 10, None, 20), ("Clark", "Cy", 5, 50, 100, None), ("Adams", "Amy", 9, 90, 700, 5),
        ("Davis", "Dee", 1, 0, None, None), ("Clark", "Cy", 2, 10, 100, 20), ("Evans", "Eve", 2, 50, 300, None),
        ("Baker", "Bob", 9, 70, None, 5), ("Frank", "Fay", 0, 70, 100, 10), ("Adams", "Zoe", 3, 0, 50, None),
        ("Grant", "Gus", 7, 90, None, 30),
    ]
    rows = []
    statuses = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.WON)
    for n, (last, first, created, score, value, contact) in enumerate(specs):
        lead = make_lead(owner, first_name=first, last_name=last, value=None if value is None else Decimal(value),
                         status=statuses[n % 3])
        contact_at = None if contact is None else T0 + dt.timedelta(minutes=contact)
        created_at = T0 + dt.timedelta(minutes=created)
        _set(lead.id, created_at=created_at, score=score, last_contact_at=contact_at)
        rows.append({"id": lead.id, "status": statuses[n % 3], "last": last, "first": first, "created": created_at, "score": score,
                     "value": value, "contact": contact_at})
    return rows


def _expected(rows: list[dict[str, object]], sort: LeadSort) -> list[int]:
    def desc_nulls_last(key: str) -> list[int]:
        valued = sorted((r for r in rows if r[key] is not None), key=lambda r: (r[key], r["id"]), reverse=True)
        nulls = sorted((r for r in rows if r[key] is None), key=lambda r: r["id"], reverse=True)
        return [r["id"] for r in valued + nulls]  # type: ignore[misc]

    ordered = {
        LeadSort.NEWEST: lambda: [r["id"] for r in sorted(rows, key=lambda r: (r["created"], r["id"]), reverse=True)],
        LeadSort.OLDEST: lambda: [r["id"] for r in sorted(rows, key=lambda r: (r["created"], r["id"]))],
        LeadSort.NAME: lambda: [r["id"] for r in sorted(rows, key=lambda r: (r["last"], r["first"], r["id"]))],
        LeadSort.SCORE: lambda: [r["id"] for r in sorted(rows, key=lambda r: (r["score"], r["id"]), reverse=True)],
        LeadSort.VALUE: lambda: desc_nulls_last("value"),
        LeadSort.LAST_CONTACT: lambda: desc_nulls_last("contact"),
    }
    return ordered[sort]()  # type: ignore[no-untyped-call]


@pytest.fixture(params=["small view", "walked", "gathered", "big view"])
def view_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test down each of list_leads' plans by shrinking the limits that choose them.

    small view: at most COUNT_CAP matches, gathered and sorted; walked: more, met within the
    sort index's next WALK_WINDOW ids; gathered: not met there, but at most SMALL_VIEW matches;
    big view: a whole walk along the sort index. A view of only score/date ranges sorted by one of
    those columns is read from a range's index instead of the last two (`_covering_index`).
    """
    if request.param != "small view":
        monkeypatch.setattr(leads, "COUNT_CAP", 1)
    if request.param == "walked":
        monkeypatch.setattr(leads, "WALK_WINDOW", 6)  # small pages fill inside it, big ones run past its edge
    if request.param in ("gathered", "big view"):
        monkeypatch.setattr(leads, "WALK_WINDOW", 1)
    if request.param == "big view":
        monkeypatch.setattr(leads, "SMALL_VIEW", 1)
    return str(request.param)


@pytest.mark.parametrize("sort", list(LeadSort))
def test_cursors_walk_every_sort_with_ties_and_nulls_without_gaps_or_repeats(
    db: str, sort: LeadSort, view_size: str
) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    rows = _book(owner)
    expected = _expected(rows, sort)
    # Every page boundary (size 1), a page inside the walked window (5), the whole book at once (50).
    sizes = (1, 2, 5, 13, 50) if view_size == "small view" else (1, 5, 50)
    for size in sizes:
        assert _walk(owner, size, sort=sort) == expected, size
    first = leads.list_leads(owner, LeadFilter(sort=sort, page_size=4))
    assert (first.total, first.total_is_exact, first.page_size) == \
        ((13, True, 4) if view_size in ("small view", "gathered") else (1, False, 4))
    # A filtered walk keeps the same order over fewer rows.
    top = [r for r in rows if r["score"] >= 50]
    assert _walk(owner, 3, sort=sort, score_min=50) == _expected(top, sort)
    # Several statuses are read one index walk each and merged: still one gapless order.
    two = [r for r in rows if r["status"] in (LeadStatus.NEW, LeadStatus.WON)]
    for size in (1, 2, 4):
        assert _walk(owner, size, sort=sort, statuses=[LeadStatus.WON, LeadStatus.NEW]) == _expected(two, sort)


def test_an_agent_walks_only_their_leads_and_the_pool(db: str, view_size: str) -> None:
    team = make_team()
    manager = make_member(team, TeamRole.MANAGER)
    agent, other = make_member(team), make_member(team)
    mine = {make_lead(manager, assigned_to_id=agent.user_id).id for _ in range(4)}
    pool = {make_lead(manager).id for _ in range(3)}
    for _ in range(4):
        make_lead(manager, assigned_to_id=other.user_id)
    for sort in LeadSort:
        walked = _walk(agent, 2, sort=sort)
        assert len(walked) == len(set(walked)) and set(walked) == mine | pool, sort
    assert set(_walk(agent, 2, unassigned=True)) == pool
    assert _walk(agent, 2, assigned_to_id=other.user_id) == []
    # Whatever the plan, a view that fits on its first page is counted by that page.
    assert leads.list_leads(manager, LeadFilter()).total == 11


def test_the_total_is_exact_up_to_the_cap_then_a_lower_bound(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    for _ in range(5):
        make_lead(owner)
    monkeypatch.setattr(leads, "COUNT_CAP", 3)
    page = leads.list_leads(owner, LeadFilter(page_size=2))
    assert (page.total, page.total_is_exact, len(page.items)) == (3, False, 2)
    monkeypatch.setattr(leads, "COUNT_CAP", 5)
    assert (leads.list_leads(owner, LeadFilter(page_size=2)).total, True) == (5, True)
    assert leads.list_leads(owner, LeadFilter(page_size=2)).total_is_exact


def test_count_leads_counts_every_match_the_list_stops_short_of(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    team = make_team()
    manager = make_member(team, TeamRole.MANAGER)
    agent, other = make_member(team), make_member(team)
    for assignee in (agent, agent, None, other, other):
        make_lead(manager, assigned_to_id=assignee.user_id if assignee else None)
    make_lead(make_member(make_team(), TeamRole.OWNER))  # another team's lead is never counted
    monkeypatch.setattr(leads, "COUNT_CAP", 1)
    assert (leads.list_leads(manager, LeadFilter(page_size=1)).total_is_exact, leads.count_leads(manager, LeadFilter())) \
        == (False, 5)
    assert leads.count_leads(agent, LeadFilter()) == 3  # their own two and the unassigned one
    assert leads.count_leads(agent, LeadFilter(unassigned=True)) == 1


@pytest.mark.parametrize("sort", [LeadSort.LAST_CONTACT, LeadSort.SCORE, LeadSort.NEWEST])
def test_never_contacted_leads_walk_in_order_under_every_plan(db: str, sort: LeadSort, view_size: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    rows = _book(owner)
    never = [r for r in rows if r["contact"] is None]
    assert never and len(never) < len(rows)
    for size in (1, 3):
        assert _walk(owner, size, sort=sort, never_contacted=True) == _expected(never, sort)


@pytest.mark.parametrize("sort", [LeadSort.LAST_CONTACT, LeadSort.VALUE, LeadSort.OLDEST])
def test_leads_contacted_within_dates_walk_in_order_under_every_plan(db: str, sort: LeadSort, view_size: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    rows = _book(owner)
    contacted = [r for r in rows if r["contact"] is not None]
    for size in (1, 4):
        assert _walk(owner, size, sort=sort, last_contact_from=T0.date()) == _expected(contacted, sort)
    assert _walk(owner, 2, sort=sort, last_contact_to=T0.date() - dt.timedelta(days=1)) == []


@pytest.mark.parametrize("sort", [LeadSort.NEWEST, LeadSort.OLDEST, LeadSort.SCORE, LeadSort.LAST_CONTACT])
def test_a_range_filter_under_another_range_sort_pages_in_order_under_every_plan(
    db: str, sort: LeadSort, view_size: str
) -> None:
    """Score, creation-day and last-contact-day ranges sorted by one of those columns: walked with
    the other ranges tested in the sort's index, or, when the walk meets too few, every match read
    from a range's own index and sorted (the "gathered" and "big view" plans here)."""
    team = make_team()
    owner, agent, other = make_member(team, TeamRole.OWNER), make_member(team), make_member(team)
    rows = _book(owner)
    for n, row in enumerate(rows):  # spread the book over five days, across the assignees
        created = T0 + dt.timedelta(days=n % 5, minutes=n)
        contact = None if row["contact"] is None else created + dt.timedelta(days=n % 3, hours=1)
        assignee = (agent, other, None)[n % 3]
        _set(int(row["id"]), created_at=created, last_contact_at=contact,  # type: ignore[call-overload]
             assigned_to_id=assignee.user_id if assignee else None)
        row.update(created=created, contact=contact, assignee=assignee.user_id if assignee else None)
    day = T0.date()
    views: list[tuple[dict[str, object], object]] = [
        ({"score_min": 50}, lambda r: r["score"] >= 50),
        ({"created_from": day + dt.timedelta(days=2)}, lambda r: r["created"].date() >= day + dt.timedelta(days=2)),
        ({"last_contact_from": day + dt.timedelta(days=1), "last_contact_to": day + dt.timedelta(days=3)},
         lambda r: r["contact"] is not None and day + dt.timedelta(days=1) <= r["contact"].date() <= day + dt.timedelta(days=3)),
        ({"score_max": 70, "never_contacted": True}, lambda r: r["score"] <= 70 and r["contact"] is None),
        ({"score_min": 10, "created_to": day + dt.timedelta(days=3)},
         lambda r: r["score"] >= 10 and r["created"].date() <= day + dt.timedelta(days=3)),
    ]
    for actor, sees in ((owner, lambda r: True), (agent, lambda r: r["assignee"] in (agent.user_id, None))):
        for filters, keep in views:
            expected = _expected([r for r in rows if keep(r) and sees(r)], sort)  # type: ignore[operator]
            assert expected, filters
            for size in (1, 4):
                assert _walk(actor, size, sort=sort, **filters) == expected, (actor.team_role, filters, size)


def test_a_range_view_is_gathered_from_the_range_index_alone(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """"Score 80+, newest first" when no new lead scores 80: the matches come from the score index,
    which holds the creation time and the assignee, without reading the leads passed on the way."""
    from sqlalchemy import event

    from crm.db import get_sessions

    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    rows = _book(owner)
    monkeypatch.setattr(leads, "COUNT_CAP", 1)
    monkeypatch.setattr(leads, "WALK_WINDOW", 1)  # the window holds too few: the range is gathered
    seen: list[tuple[str, object]] = []
    engine = get_sessions().kw["bind"]

    def capture(conn: object, cursor: object, statement: str, parameters: object, *args: object) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        page = leads.list_leads(owner, LeadFilter(sort=LeadSort.NEWEST, score_min=80))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert [i.id for i in page.items] == _expected([r for r in rows if r["score"] >= 80], LeadSort.NEWEST)
    index = "ix_leads_team_id_score_id_assigned_to_id_ranges"
    sqlite = db.startswith("sqlite")
    gathering = [(s, p) for s, p in seen if "JOIN" in s.upper() and "OFFSET" in s.upper()]
    assert gathering, seen
    statement, parameters = gathering[-1]
    if not sqlite:  # as autovacuum would: the visibility map lets an index answer without the table
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) leads")
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if not sqlite:  # 13 rows: the table in one page is cheaper than any index otherwise
            cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
        cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    # A range's index answers it alone: no lookup of a lead's row (SQLite is told the score's).
    if sqlite:
        assert f"COVERING INDEX {index}" in plan, plan
    else:
        assert "Index Only Scan using ix_leads_team_id_" in plan and "_ranges" in plan, plan
    assert "Seq Scan" not in plan and "SCAN leads" not in plan, plan


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize("cursor", [
    "not base64 at all!", "bm90IGpzb24", _cursor([1, 2]), _cursor({"s": "score", "k": [50, 1]}),
    _cursor({"s": "newest", "k": ["yesterday", 1]}), _cursor({"s": "newest", "k": ["2026-03-01T12:00:00", 1]}),
    _cursor({"s": "newest", "k": [None, 1]}), _cursor({"s": "newest", "k": ["2026-03-01T12:00:00+00:00"]}),
    _cursor({"s": "value", "k": ["NaN", 1]}), _cursor({"s": "value", "k": ["12", "1"]}),
])
def test_a_forged_or_stale_cursor_is_refused_not_a_crash(db: str, cursor: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    make_lead(owner)
    sort = LeadSort.VALUE if "value" in base64.urlsafe_b64decode(cursor + "==").decode(errors="ignore") \
        else LeadSort.NEWEST
    with pytest.raises(ValidationFailed) as err:
        leads.list_leads(owner, LeadFilter(sort=sort, cursor=cursor))
    assert err.value.field == "cursor"


def test_a_cursor_from_another_sort_is_refused(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    for _ in range(3):
        make_lead(owner)
    cursor = leads.list_leads(owner, LeadFilter(sort=LeadSort.SCORE, page_size=1)).next_cursor
    with pytest.raises(ValidationFailed):
        leads.list_leads(owner, LeadFilter(sort=LeadSort.NAME, cursor=cursor))


def test_tag_score_and_contact_filters(db: str, view_size: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    vip, investor, other = (tags.create_tag(owner, TagCreate(name=n)).id for n in ("vip", "investor", "other"))
    a, b, c, d = (make_lead(owner, first_name=n) for n in ("A", "B", "C", "D"))
    tags.add_tags_to_lead(owner, a.id, TagAssign(tag_ids=[vip, investor]))
    tags.add_tags_to_lead(owner, b.id, TagAssign(tag_ids=[investor]))
    tags.add_tags_to_lead(owner, c.id, TagAssign(tag_ids=[other]))
    _set(a.id, score=80, last_contact_at=T0)
    _set(b.id, score=40)
    _set(c.id, score=60, last_contact_at=T0)

    def names(**f: object) -> list[str]:
        return sorted(x.first_name for x in leads.list_leads(owner, LeadFilter(**f)).items)

    assert names(tag_ids=[vip, investor]) == ["A", "B"]  # any of the tags, each lead once
    assert leads.list_leads(owner, LeadFilter(tag_ids=[vip, investor])).total == 2
    assert names(tag_ids=[other]) == ["C"]
    assert names(score_min=60) == ["A", "C"]
    assert names(score_min=40, score_max=60) == ["B", "C"]
    assert names(never_contacted=True) == ["B", "D"]
    assert names(never_contacted=True, tag_ids=[investor]) == ["B"]
    assert d.id not in {x.id for x in leads.list_leads(owner, LeadFilter(score_min=1)).items}


def test_date_filters_are_whole_days_in_the_users_time_zone(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    with transaction() as session:
        session.execute(update(User).where(User.id == owner.user_id).values(timezone="America/Los_Angeles"))
    late = make_lead(owner, first_name="Late")    # 23:30 on March 9 in Los Angeles (PDT), March 10 in UTC
    early = make_lead(owner, first_name="Early")  # 00:00 on March 10 in Los Angeles
    _set(late.id, created_at=dt.datetime(2026, 3, 10, 6, 30, tzinfo=UTC),
         last_contact_at=dt.datetime(2026, 3, 10, 6, 30, tzinfo=UTC))
    _set(early.id, created_at=dt.datetime(2026, 3, 10, 7, 0, tzinfo=UTC),
         last_contact_at=dt.datetime(2026, 3, 11, 6, 59, tzinfo=UTC))

    def names(**f: object) -> list[str]:
        return sorted(x.first_name for x in leads.list_leads(owner, LeadFilter(**f)).items)

    march_9, march_10 = dt.date(2026, 3, 9), dt.date(2026, 3, 10)
    assert names(created_from=march_9, created_to=march_9) == ["Late"]
    assert names(created_from=march_10) == ["Early"]
    assert names(created_to=march_10) == ["Early", "Late"]
    assert names(last_contact_from=march_10, last_contact_to=march_10) == ["Early"]
    assert names(last_contact_to=march_9) == ["Late"]


def test_search_finds_name_email_company_and_phone_fragments(db: str, view_size: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    dana = make_lead(owner, first_name="Dana", last_name="Okonkwo-Lee", email="dana.lee@harbourmail.com",
                     company="Seaside Ventures", phone="(415) 555-2671")
    make_lead(owner, first_name="Sam", last_name="Park", email="sam@park.io", phone="+12125550199")

    def found(term: str) -> list[int]:
        return [x.id for x in leads.list_leads(owner, LeadFilter(search=term)).items]

    for term in ("okonkwo", "KWO-L", "dana okon", "harbourmail", "a.lee@", "side vent", "555-2671", "4155552",
                 "(415) 555", "  Dana   Okonkwo  "):
        assert found(term) == [dana.id], term
    assert found("OK") == [dana.id]  # under three characters: the start of the last name
    assert found("ok") == [dana.id]
    assert found("kw") == []
    assert found("nobody here") == []
    for odd in ('"', 'a"b"c', "100%", "_%_", "NEAR(a b)", "x OR y", "*", "d'arcy", "\\"):
        assert found(odd) == [], odd


def test_search_index_follows_updates_and_deletes(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner, first_name="Marguerite", last_name="Vashti", company="Old Name Realty")
    leads.update_lead(owner, lead.id, LeadUpdate(last_name="Quintero", company=None, phone="+14155550123"))

    def found(term: str) -> list[int]:
        return [x.id for x in leads.list_leads(owner, LeadFilter(search=term)).items]

    assert found("vashti") == [] and found("old name") == []
    assert found("quinter") == [lead.id] and found("5550123") == [lead.id]
    leads.delete_lead(owner, lead.id)
    assert found("quinter") == [] and found("marguerite") == []


def test_bulk_actions_on_a_searched_view_touch_exactly_the_matches(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    hits = [make_lead(owner, first_name="Wolfgang", last_name=f"Amadeus{i}") for i in range(3)]
    keep = make_lead(owner, first_name="Ludwig")
    searched = LeadSelection(filter=LeadFilter(search="wolfga", page_size=1))
    assert leads.bulk_assign(owner, searched, owner.user_id).count == 3
    assert leads.bulk_delete(owner, searched).count == 3
    left = leads.list_leads(owner, LeadFilter())
    assert [x.id for x in left.items] == [keep.id]
    assert leads.list_leads(owner, LeadFilter(search="amadeus")).total == 0
    assert all(h.id != keep.id for h in hits)


def test_the_seeded_search_index_matches_a_fresh_lead_list(db: str) -> None:
    """Other teams' leads never show up, however well they match."""
    mine = make_member(make_team(), TeamRole.OWNER)
    theirs = make_member(make_team(), TeamRole.OWNER)
    make_lead(theirs, first_name="Bartholomew")
    assert leads.list_leads(mine, LeadFilter(search="tholom")).total == 0
    assert leads.list_leads(theirs, LeadFilter(search="tholom", statuses=[LeadStatus.NEW])).total == 1
