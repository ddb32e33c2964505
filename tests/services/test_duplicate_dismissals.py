""""Not duplicates": dismissed pairs stop being suggested, undo brings them back, tenancy, audit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from crm.db import transaction
from crm.enums import TeamRole
from crm.errors import NotFound, PermissionDenied
from crm.orm import AuditLog, DuplicateDismissal
from crm.schemas.common import Actor
from crm.schemas.duplicates import DismissDuplicates, DuplicateQuery, DuplicateReason
from crm.services import duplicate_dismissals, duplicates, leads
from tests.factories import make_lead, make_member, make_team


def _groups(actor: Actor, **query: object) -> list[tuple[list[int], int]]:
    """Every group of every page: (shown lead ids, size)."""
    found, cursor = [], None
    while True:
        page = duplicates.find_duplicates(actor, DuplicateQuery(cursor=cursor, **query))
        found += [([lead.id for lead in g.leads], g.size) for g in page.groups]
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def _dismiss(actor: Actor, *ids: int) -> int:
    return duplicate_dismissals.dismiss_duplicates(actor, DismissDuplicates(lead_ids=list(ids))).pairs


def _restore(actor: Actor, *ids: int) -> int:
    return duplicate_dismissals.restore_duplicates(actor, DismissDuplicates(lead_ids=list(ids))).pairs


def _stored(team_id: int) -> set[tuple[int, int]]:
    with transaction() as s:
        rows = s.execute(select(DuplicateDismissal.lead_id_low, DuplicateDismissal.lead_id_high)
                         .where(DuplicateDismissal.team_id == team_id)).all()
    return {(low, high) for low, high in rows}


@pytest.fixture
def manager(db: str) -> Actor:
    return make_member(make_team(), TeamRole.MANAGER)


def _phone_twins(actor: Actor, n: int = 2, phone: str = "+14155550160") -> list[int]:
    return [make_lead(actor, first_name=f"Twin{i}", last_name=f"Other{i}", phone=phone).id for i in range(n)]


def test_a_dismissed_pair_is_no_longer_suggested_and_undo_brings_it_back(manager: Actor) -> None:
    a, b = _phone_twins(manager)
    assert _groups(manager) == [([a, b], 2)]
    assert _dismiss(manager, b, a) == 1
    assert _stored(manager.team_id) == {(a, b)}  # one row per pair, smaller id first
    assert _groups(manager) == []
    assert duplicates.duplicates_of(manager, a) == [] and duplicates.duplicates_of(manager, b) == []
    assert _restore(manager, a, b) == 1
    assert _groups(manager) == [([a, b], 2)]
    assert [m.lead.id for m in duplicates.duplicates_of(manager, a)] == [b]


def test_dismissing_again_changes_nothing(manager: Actor) -> None:
    a, b, c = _phone_twins(manager, 3)
    assert _dismiss(manager, a, b) == 1
    assert _dismiss(manager, a, b, c) == 2  # (a, b) was already there
    assert _stored(manager.team_id) == {(a, b), (a, c), (b, c)}
    assert _restore(manager, a, b, c) == 3 and _restore(manager, a, b) == 0


def test_a_group_stays_while_one_of_its_pairs_stands_and_loses_a_lead_dismissed_against_all(manager: Actor) -> None:
    a, b, c = _phone_twins(manager, 3)
    _dismiss(manager, a, b)
    # a and b may still each be the person c is: the whole group stays, the least dismissed first.
    assert _groups(manager) == [([c, a, b], 3)]
    _dismiss(manager, a, c)
    assert _groups(manager) == [([b, c], 2)]  # a is no one else here: it leaves the group
    _dismiss(manager, b, c)
    assert _groups(manager) == []


def test_a_group_bigger_than_shown_brings_its_other_leads_forward(manager: Actor,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duplicates, "MAX_GROUP_LEADS", 2)
    a, b, c = _phone_twins(manager, 3)
    assert _groups(manager) == [([a, b], 3)]
    _dismiss(manager, a, b)  # the two shown
    assert _groups(manager) == [([c, a], 3)]


def test_the_same_pair_found_by_another_reason_is_hidden_too(manager: Actor) -> None:
    a = make_lead(manager, first_name="Lou", last_name="Grant", email="lou@acme.com", company="Acme")
    b = make_lead(manager, first_name="Lou", last_name="Grant", email="lou+2@acme.com", company="acme ")
    assert {tuple(ids) for ids, _ in _groups(manager, reasons=[DuplicateReason.NAME_COMPANY])} == {(a.id, b.id)}
    _dismiss(manager, a.id, b.id)
    assert _groups(manager) == []
    assert _groups(manager, reasons=[DuplicateReason.NAME_COMPANY]) == []


def test_duplicates_of_leaves_out_only_the_leads_dismissed_against_it(manager: Actor) -> None:
    a, b, c = _phone_twins(manager, 3)
    _dismiss(manager, a, b)
    assert [m.lead.id for m in duplicates.duplicates_of(manager, a)] == [c]
    assert [m.lead.id for m in duplicates.duplicates_of(manager, b)] == [c]
    assert [m.lead.id for m in duplicates.duplicates_of(manager, c)] == [a, b]


def test_another_team_or_a_hidden_lead_cannot_be_dismissed(manager: Actor) -> None:
    rival = make_member(make_team(), TeamRole.OWNER)
    agent = make_member(manager.team_id, TeamRole.MEMBER)
    other = make_member(manager.team_id, TeamRole.MEMBER)
    mine = make_lead(manager, phone="+14155550161").id
    theirs = make_lead(rival, phone="+14155550161").id
    hidden = make_lead(manager, phone="+14155550161", assigned_to_id=other.user_id).id
    with pytest.raises(NotFound):
        _dismiss(manager, mine, theirs)
    with pytest.raises(NotFound):
        _dismiss(agent, mine, hidden)  # the agent sees the unassigned lead, not a teammate's
    _dismiss(manager, mine, hidden)
    with pytest.raises(NotFound):
        _restore(agent, mine, hidden)
    with pytest.raises(NotFound):
        _restore(rival, mine, theirs)
    assert _stored(manager.team_id) == {(mine, hidden)} and _stored(rival.team_id) == set()


def test_fewer_than_two_different_leads_are_refused() -> None:
    with pytest.raises(ValidationError):
        DismissDuplicates(lead_ids=[7, 7])
    with pytest.raises(ValidationError):
        DismissDuplicates(lead_ids=list(range(1, 30)))  # more than a group shows
    assert DismissDuplicates(lead_ids=[9, 3, 9]).lead_ids == [3, 9]


def test_dismissing_and_undoing_are_audited(manager: Actor) -> None:
    a, b = _phone_twins(manager)
    _dismiss(manager, a, b)
    _restore(manager, a, b)
    with transaction() as s:
        entries = s.execute(select(AuditLog.action, AuditLog.changes, AuditLog.user_id)
                            .where(AuditLog.team_id == manager.team_id, AuditLog.action.like("lead.duplicates_%"))
                            .order_by(AuditLog.id)).all()
    assert [(e.action, e.changes, e.user_id) for e in entries] == [
        ("lead.duplicates_dismiss", {"lead_ids": [a, b], "pairs": 1}, manager.user_id),
        ("lead.duplicates_restore", {"lead_ids": [a, b], "pairs": 1}, manager.user_id)]


def test_deleting_a_lead_deletes_its_dismissals(manager: Actor) -> None:
    a, b, c = _phone_twins(manager, 3)
    _dismiss(manager, a, b, c)
    leads.delete_lead(manager, b)
    assert _stored(manager.team_id) == {(a, c)}


def test_managers_list_the_dismissed_pairs_newest_first_page_by_page(manager: Actor) -> None:
    a, b, c = _phone_twins(manager, 3)
    _dismiss(manager, a, b)
    _dismiss(manager, b, c)
    first = duplicate_dismissals.list_dismissals(manager, limit=1)
    assert [[lead.id for lead in p.leads] for p in first.items] == [[b, c]]
    assert first.items[0].dismissed_by == manager.name and first.next_cursor
    rest = duplicate_dismissals.list_dismissals(manager, before_id=first.next_cursor, limit=1)
    assert [[lead.id for lead in p.leads] for p in rest.items] == [[a, b]] and rest.next_cursor is None
    with pytest.raises(PermissionDenied):
        duplicate_dismissals.list_dismissals(make_member(manager.team_id, TeamRole.MEMBER))
    rival = make_member(make_team(), TeamRole.OWNER)
    assert duplicate_dismissals.list_dismissals(rival).items == []


def test_the_lookup_reads_only_the_pairs_of_the_leads_asked_about(manager: Actor) -> None:
    a, b, c, d = _phone_twins(manager, 4)
    _dismiss(manager, a, b, c, d)
    with transaction() as s:
        assert duplicate_dismissals.dismissed_among(s, manager.team_id, [a, c]) == {a: {c}, c: {a}}
        assert sorted(duplicate_dismissals.dismissed_partners(s, manager.team_id, c)) == [a, b, d]
        assert s.scalar(select(func.count()).select_from(DuplicateDismissal)) == 6
