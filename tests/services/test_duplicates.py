"""Duplicate detection: each reason, nothing unrelated grouped, tenancy and agents' scope."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from crm.db import get_sessions, transaction
from crm.enums import TeamRole
from crm.errors import NotFound, ValidationFailed
from crm.orm import Lead
from crm.schemas.common import Actor
from crm.schemas.duplicates import DuplicateProbe, DuplicateQuery, DuplicateReason
from crm.services import duplicates
from crm.services.duplicates import canonical_email
from tests.factories import make_lead, make_member, make_team


def _all_groups(actor: Actor, **query: object) -> list:
    groups, cursor = [], None
    while True:
        page = duplicates.find_duplicates(actor, DuplicateQuery(cursor=cursor, **query))
        groups += page.groups
        if page.next_cursor is None:
            return groups
        cursor = page.next_cursor


def _grouped(actor: Actor, **query: object) -> list[tuple[set[int], set[DuplicateReason]]]:
    return [({lead.id for lead in g.leads}, set(g.reasons)) for g in _all_groups(actor, **query)]


@pytest.fixture
def manager(db: str) -> Actor:
    return make_member(make_team(), TeamRole.MANAGER)


def test_canonical_email_drops_gmail_dots_and_plus_tags() -> None:
    assert canonical_email("j.o.hn+zillow@googlemail.com") == "john@gmail.com"
    assert canonical_email("john+work@acme.com") == "john@acme.com"
    assert canonical_email("j.ohn@acme.com") == "j.ohn@acme.com"  # dots matter outside Gmail


def test_gmail_and_plus_tag_variants_are_grouped_by_email(manager: Actor) -> None:
    a = make_lead(manager, email="john.smith@gmail.com")
    b = make_lead(manager, email="johnsmith+zillow@googlemail.com")
    c = make_lead(manager, email="ann+re@acme.com")
    d = make_lead(manager, email="ann@acme.com")
    make_lead(manager, email="ann.other@acme.com")
    groups = _grouped(manager)
    assert ({a.id, b.id}, {DuplicateReason.EMAIL}) in groups
    assert ({c.id, d.id}, {DuplicateReason.EMAIL}) in groups
    assert len(groups) == 2


def test_same_phone_is_grouped_and_similar_names_add_a_reason(manager: Actor) -> None:
    a = make_lead(manager, first_name="Maria", last_name="Lopez", phone="+14155550123")
    b = make_lead(manager, first_name="María", last_name="Lopez", phone="(415) 555-0123")
    c = make_lead(manager, first_name="Tom", last_name="Baker", phone="+14155550999")
    d = make_lead(manager, first_name="Zoe", last_name="Quinn", phone="+14155550999")
    groups = _grouped(manager)
    assert ({a.id, b.id}, {DuplicateReason.PHONE, DuplicateReason.NAME_PHONE}) in groups
    assert ({c.id, d.id}, {DuplicateReason.PHONE}) in groups


def test_similar_names_at_the_same_company_are_grouped(manager: Actor) -> None:
    a = make_lead(manager, first_name="Jonathan", last_name="Reeves", company="Acme Realty")
    b = make_lead(manager, first_name="Jonathon", last_name="Reeves", company="ACME realty ")
    make_lead(manager, first_name="Priya", last_name="Shah", company="Acme Realty")  # same company, other name
    make_lead(manager, first_name="Jonathan", last_name="Reeves", company="Other Co")  # same name, other company
    groups = _grouped(manager)
    assert groups == [({a.id, b.id}, {DuplicateReason.NAME_COMPANY})]


def test_unrelated_leads_are_not_grouped(manager: Actor) -> None:
    make_lead(manager, first_name="Ann", last_name="Lee", phone="+14155550001", company="Acme")
    make_lead(manager, first_name="Bob", last_name="Stone", phone="+14155550002", company="Acme")
    make_lead(manager, first_name="Ann", last_name="Lee", email="ann@one.com")
    make_lead(manager, first_name="Ann", last_name="Leigh", email="ann@two.com")
    assert _all_groups(manager) == []


def test_a_reason_filter_and_small_pages_walk_every_group(manager: Actor) -> None:
    pairs = [(make_lead(manager, phone=f"+1415555{n:04d}").id, make_lead(manager, phone=f"+1415555{n:04d}").id)
             for n in range(5)]
    make_lead(manager, email="x+1@acme.com"), make_lead(manager, email="x@acme.com")
    groups = _grouped(manager, reasons=[DuplicateReason.PHONE], limit=2)
    assert sorted(tuple(sorted(ids)) for ids, _ in groups) == sorted(tuple(sorted(p)) for p in pairs)
    first = duplicates.find_duplicates(manager, DuplicateQuery(limit=1))
    assert len(first.groups) == 1 and first.next_cursor


def test_a_forged_cursor_is_refused(manager: Actor) -> None:
    with pytest.raises(ValidationFailed):
        duplicates.find_duplicates(manager, DuplicateQuery(cursor="not-a-cursor"))


def test_another_teams_leads_never_appear(manager: Actor) -> None:
    rival = make_member(make_team(), TeamRole.OWNER)
    mine = make_lead(manager, phone="+14155550777", email="same@acme.com")
    theirs = make_lead(rival, phone="+14155550777", email="same+x@acme.com")
    assert _all_groups(manager) == []
    assert duplicates.duplicates_of(manager, mine.id) == []
    with pytest.raises(NotFound):
        duplicates.duplicates_of(manager, theirs.id)


def test_an_agent_never_sees_a_duplicate_assigned_to_someone_else(manager: Actor) -> None:
    agent = make_member(manager.team_id, TeamRole.MEMBER)
    other = make_member(manager.team_id, TeamRole.MEMBER)
    own = make_lead(agent, first_name="Una", last_name="Ray", phone="+14155550888")
    pool = make_lead(manager, first_name="Vic", last_name="Moss", phone="+14155550888")  # unassigned: visible
    hidden = make_lead(manager, first_name="Wes", last_name="Hale", phone="+14155550888",
                       assigned_to_id=other.user_id)
    groups = _grouped(agent)
    assert groups == [({own.id, pool.id}, {DuplicateReason.PHONE})]
    assert {m.lead.id for m in duplicates.duplicates_of(agent, own.id)} == {pool.id}
    assert hidden.id in {m.lead.id for m in duplicates.duplicates_of(manager, own.id)}


def test_duplicates_of_one_lead_give_each_reason(manager: Actor) -> None:
    lead = make_lead(manager, first_name="Kim", last_name="Park", email="kim.park+web@gmail.com",
                     phone="+14155550321", company="Nest Homes")
    by_email = make_lead(manager, first_name="K", last_name="P", email="kim.park@googlemail.com")
    by_phone = make_lead(manager, first_name="Kimberly", last_name="Stone", phone="+14155550321")
    by_name = make_lead(manager, first_name="Kim", last_name="Park", company="nest homes", email="kp@x.com")
    make_lead(manager, first_name="Kim", last_name="Park", company="Elsewhere", email="kp@y.com")
    found = {m.lead.id: set(m.reasons) for m in duplicates.duplicates_of(manager, lead.id)}
    assert found == {by_email.id: {DuplicateReason.EMAIL}, by_phone.id: {DuplicateReason.PHONE},
                     by_name.id: {DuplicateReason.NAME_COMPANY}}


def test_a_new_lead_is_checked_before_it_is_created(manager: Actor) -> None:
    existing = make_lead(manager, email="dana@acme.com")
    matches = duplicates.find_matches(manager, DuplicateProbe(first_name="Dana", email="dana+new@acme.com"))
    assert [m.lead.id for m in matches] == [existing.id]
    assert duplicates.find_matches(manager, DuplicateProbe(first_name="Nobody")) == []


def test_blank_companies_do_not_make_a_block(manager: Actor) -> None:
    a = make_lead(manager, first_name="Sam", last_name="Hart")
    b = make_lead(manager, first_name="Sam", last_name="Hart")
    with transaction() as session:
        for lead_id in (a.id, b.id):
            session.get(Lead, lead_id).company = " "
    assert _all_groups(manager) == []


def test_asking_for_one_reason_shows_groups_an_earlier_reason_would_have_covered(manager: Actor) -> None:
    a = make_lead(manager, first_name="Lou", last_name="Grant", email="lou@acme.com", phone="+14155550444")
    b = make_lead(manager, first_name="Lou", last_name="Grant", email="lou+2@acme.com", phone="+14155550444")
    assert _grouped(manager) == [({a.id, b.id}, set(DuplicateReason) - {DuplicateReason.NAME_COMPANY})]
    assert _grouped(manager, reasons=[DuplicateReason.NAME_PHONE]) == [
        ({a.id, b.id}, set(DuplicateReason) - {DuplicateReason.NAME_COMPANY})]


def test_small_batches_still_walk_every_group_exactly_once(manager: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duplicates, "BLOCKS_PER_CALL", 2)
    monkeypatch.setattr(duplicates, "LOAD_CHUNK", 1)
    monkeypatch.setattr(duplicates, "MAX_LOADED", 1)
    expected = []
    for n in range(3):
        expected.append({make_lead(manager, first_name=f"P{n}", last_name="Phone", phone=f"+1415555030{n}").id,
                         make_lead(manager, first_name=f"Q{n}", last_name="Other", phone=f"+1415555030{n}").id})
        expected.append({make_lead(manager, email=f"e{n}@acme.com").id, make_lead(manager, email=f"e{n}+x@acme.com").id})
        expected.append({make_lead(manager, first_name="Jo", last_name=f"Name{n}", company=f"Co {n}").id,
                         make_lead(manager, first_name="Joe", last_name=f"Name{n}", company=f"co {n}").id})
    groups = [ids for ids, _ in _grouped(manager, limit=50)]
    assert sorted(map(sorted, groups)) == sorted(map(sorted, expected))


def test_company_blocks_walk_the_company_key_index(manager: Actor) -> None:
    """The same-company pass reads blocks in the index's key order from the cursor's company,
    on both databases: its cost follows the blocks it returns, not the size of the team."""
    for n in range(30):
        make_lead(manager, first_name="Jo", last_name=f"Name{n}", company=f"Co {n:02d}")
        make_lead(manager, first_name="Joe", last_name=f"Name{n}", company=f" CO {n:02d}")
    seen: list[tuple[str, Any]] = []
    engine = get_sessions().kw["bind"]

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        page = duplicates.find_duplicates(manager, DuplicateQuery(reasons=[DuplicateReason.NAME_COMPANY], limit=5))
        later = duplicates.find_duplicates(manager, DuplicateQuery(reasons=[DuplicateReason.NAME_COMPANY],
                                                                   cursor=page.next_cursor, limit=5))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert [g.leads[0].company for g in page.groups + later.groups] == [f"Co {n:02d}" for n in range(10)]
    statement, parameters = next((s, p) for s, p in reversed(seen) if "GROUP BY" in s.upper())
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if not sqlite:
            cursor.execute("SET LOCAL enable_seqscan = off")  # 60 rows: else the planner reads them all
        cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert "ix_leads_team_id_company_key" in plan, plan
    assert "TEMP B-TREE" not in plan.upper() and "Sort" not in plan, plan  # blocks come in key order
