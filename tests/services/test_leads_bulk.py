"""Lead bulk actions, delete, and what status changes and assignments leave behind, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from crm.db import transaction
from crm.enums import (
    ActivityType,
    LeadSource,
    LeadStatus,
    MessageDirection,
    MessageType,
    NotificationType,
    TeamRole,
)
from crm.errors import NotFound, PermissionDenied
from crm.orm import Activity, DomainEvent, Lead, Message, Notification, Task
from crm.schemas.leads import LeadBulkChanges, LeadFilter, LeadSelection
from crm.services import leads
from tests.factories import make_lead, make_member, make_team


def _statuses(*ids: int) -> dict[int, LeadStatus]:
    with transaction() as session:
        return dict(session.execute(select(Lead.id, Lead.status).where(Lead.id.in_(ids))).all())  # type: ignore[arg-type]


def _count(model: type, *where: object) -> int:
    with transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _team() -> tuple:
    team = make_team()
    return (make_member(team, TeamRole.OWNER), make_member(team, TeamRole.MANAGER),
            make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER))


def test_selection_needs_exactly_one_of_ids_or_filter() -> None:
    with pytest.raises(ValidationError):
        LeadSelection()
    with pytest.raises(ValidationError):
        LeadSelection(ids=[1], filter=LeadFilter())
    with pytest.raises(ValidationError):
        LeadBulkChanges()


def test_bulk_update_by_ids_records_one_activity_and_event_per_moved_lead(db: str) -> None:
    owner, *_ = _team()
    a, b = make_lead(owner), make_lead(owner, status=LeadStatus.CONTACTED)
    result = leads.bulk_update(owner, LeadSelection(ids=[a.id, b.id]),
                               LeadBulkChanges(status=LeadStatus.CONTACTED, source=LeadSource.ZILLOW))
    assert result.count == 2
    assert _statuses(a.id, b.id) == {a.id: LeadStatus.CONTACTED, b.id: LeadStatus.CONTACTED}
    # Only `a` moved: b already was CONTACTED.
    assert _count(Activity, Activity.type == ActivityType.STATUS_CHANGED, Activity.lead_id == a.id) == 1
    assert _count(Activity, Activity.type == ActivityType.STATUS_CHANGED, Activity.lead_id == b.id) == 0
    with transaction() as session:
        event = session.scalars(select(DomainEvent).where(DomainEvent.type == "lead.status_changed")).one()
        assert event.resource_id == str(a.id)
        assert event.payload["from"] == "NEW" and event.payload["to"] == "CONTACTED"
        assert session.get(Lead, b.id).source is LeadSource.ZILLOW
    detail = leads.get_lead(owner, a.id)
    assert detail.timeline[0].type is ActivityType.STATUS_CHANGED


def test_bulk_update_to_won_stamps_won_at(db: str) -> None:
    owner, *_ = _team()
    lead = make_lead(owner)
    leads.bulk_update(owner, LeadSelection(ids=[lead.id]), LeadBulkChanges(status=LeadStatus.WON))
    with transaction() as session:
        assert session.get(Lead, lead.id).won_at is not None


def test_bulk_update_over_a_filtered_view_touches_only_matching_leads(db: str) -> None:
    owner, *_ = _team()
    hits = [make_lead(owner, source=LeadSource.ZILLOW) for _ in range(3)]
    miss = make_lead(owner, source=LeadSource.WEBSITE)
    other_team = make_member(make_team(), TeamRole.OWNER)
    foreign = make_lead(other_team, source=LeadSource.ZILLOW)
    result = leads.bulk_update(owner, LeadSelection(filter=LeadFilter(sources=[LeadSource.ZILLOW], page_size=1)),
                               LeadBulkChanges(status=LeadStatus.QUALIFIED))
    assert result.count == 3  # the whole view, not one page of it
    got = _statuses(*(h.id for h in hits), miss.id, foreign.id)
    assert [got[h.id] for h in hits] == [LeadStatus.QUALIFIED] * 3
    assert got[miss.id] is LeadStatus.NEW and got[foreign.id] is LeadStatus.NEW


def test_members_filtered_bulk_never_touches_another_agents_leads(db: str) -> None:
    owner, _manager, agent, other_agent = _team()
    mine = make_lead(owner, assigned_to_id=agent.user_id)
    pool = make_lead(owner)
    theirs = make_lead(owner, assigned_to_id=other_agent.user_id)
    result = leads.bulk_update(agent, LeadSelection(filter=LeadFilter()), LeadBulkChanges(status=LeadStatus.LOST))
    assert result.count == 2
    got = _statuses(mine.id, pool.id, theirs.id)
    assert got == {mine.id: LeadStatus.LOST, pool.id: LeadStatus.LOST, theirs.id: LeadStatus.NEW}
    # Asking for the other agent's leads by filter still stays inside what the agent sees.
    assert leads.bulk_update(agent, LeadSelection(filter=LeadFilter(assigned_to_id=other_agent.user_id)),
                             LeadBulkChanges(status=LeadStatus.LOST)).count == 0
    assert _statuses(theirs.id)[theirs.id] is LeadStatus.NEW


def test_bulk_by_ids_refuses_ids_the_actor_cannot_see(db: str) -> None:
    owner, _manager, agent, other_agent = _team()
    mine = make_lead(owner, assigned_to_id=agent.user_id)
    theirs = make_lead(owner, assigned_to_id=other_agent.user_id)
    with pytest.raises(NotFound):
        leads.bulk_update(agent, LeadSelection(ids=[mine.id, theirs.id]), LeadBulkChanges(status=LeadStatus.LOST))
    assert _statuses(mine.id, theirs.id) == {mine.id: LeadStatus.NEW, theirs.id: LeadStatus.NEW}


def test_bulk_assign_moves_leads_logs_them_and_notifies_the_assignee_once(db: str) -> None:
    owner, manager, agent, _ = _team()
    a, b = make_lead(owner), make_lead(owner, assigned_to_id=agent.user_id)
    result = leads.bulk_assign(manager, LeadSelection(ids=[a.id, b.id]), agent.user_id)
    assert result.count == 2
    assert _count(Activity, Activity.type == ActivityType.LEAD_ASSIGNED, Activity.lead_id == a.id) == 1
    assert _count(Activity, Activity.type == ActivityType.LEAD_ASSIGNED, Activity.lead_id == b.id) == 0
    assert _count(DomainEvent, DomainEvent.type == "lead.assigned") == 1
    assert _count(Notification, Notification.user_id == agent.user_id,
                  Notification.type == NotificationType.LEAD_ASSIGNED) == 1
    with pytest.raises(PermissionDenied):
        leads.bulk_assign(agent, LeadSelection(ids=[a.id]), None)
    with pytest.raises(NotFound):  # not a member of the team
        leads.bulk_assign(manager, LeadSelection(ids=[a.id]), make_member(make_team()).user_id)


@pytest.mark.parametrize("role, allowed", [(TeamRole.OWNER, True), (TeamRole.ADMIN, True),
                                           (TeamRole.MANAGER, False), (TeamRole.MEMBER, False)])
def test_bulk_delete_is_for_owners_and_admins(db: str, role: TeamRole, allowed: bool) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    actor = make_member(team, role)
    targets = [make_lead(owner, source=LeadSource.ZILLOW) for _ in range(2)]
    keep = make_lead(owner, source=LeadSource.WEBSITE)
    if not allowed:
        with pytest.raises(PermissionDenied):
            leads.bulk_delete(actor, LeadSelection(filter=LeadFilter(sources=[LeadSource.ZILLOW])))
        assert _count(Lead, Lead.team_id == team) == 3
        return
    assert leads.bulk_delete(actor, LeadSelection(filter=LeadFilter(sources=[LeadSource.ZILLOW]))).count == 2
    with transaction() as session:
        assert session.scalars(select(Lead.id).where(Lead.team_id == team)).all() == [keep.id]
    assert _count(Activity, Activity.lead_id.in_([t.id for t in targets])) == 0  # cascaded


def test_delete_lead_needs_delete_leads_and_hides_foreign_ids(db: str) -> None:
    owner, manager, agent, _ = _team()
    lead = make_lead(owner)
    with pytest.raises(PermissionDenied):
        leads.delete_lead(agent, lead.id)
    with pytest.raises(NotFound):
        leads.delete_lead(make_member(make_team(), TeamRole.OWNER), lead.id)
    leads.delete_lead(manager, lead.id)
    with pytest.raises(NotFound):
        leads.get_lead(owner, lead.id)
    assert _count(DomainEvent, DomainEvent.type == "lead.deleted") == 1


def test_status_change_notifies_the_assignee_but_not_the_actor(db: str) -> None:
    owner, manager, agent, _ = _team()
    lead = make_lead(owner, assigned_to_id=agent.user_id)
    leads.change_lead_status(manager, lead.id, LeadStatus.CONTACTED)
    leads.change_lead_status(agent, lead.id, LeadStatus.QUALIFIED)  # their own change: no notification
    with transaction() as session:
        rows = session.scalars(select(Notification).where(Notification.type == NotificationType.LEAD_STATUS_CHANGED)).all()
        assert [(n.user_id, n.metadata_) for n in rows] == [(agent.user_id, {"lead_id": lead.id})]
    assert _count(DomainEvent, DomainEvent.type == "lead.status_changed") == 2
    assert _count(Activity, Activity.type == ActivityType.STATUS_CHANGED, Activity.lead_id == lead.id) == 2


def test_assignment_logs_an_activity_emits_an_event_and_notifies_the_new_agent(db: str) -> None:
    owner, manager, agent, _ = _team()
    lead = make_lead(owner)
    leads.assign_lead(manager, lead.id, agent.user_id)
    leads.assign_lead(manager, lead.id, manager.user_id)  # to themselves: no notification
    assert _count(Notification, Notification.type == NotificationType.LEAD_ASSIGNED) == 1
    assert _count(Notification, Notification.user_id == agent.user_id) == 1
    assert _count(DomainEvent, DomainEvent.type == "lead.assigned") == 2
    assert _count(Activity, Activity.type == ActivityType.LEAD_ASSIGNED, Activity.lead_id == lead.id) == 2


def test_timeline_contains_the_leads_tasks_and_messages(db: str) -> None:
    owner, *_ = _team()
    lead = make_lead(owner)
    now = dt.datetime.now(dt.UTC)
    with transaction() as session:
        session.add_all([
            Task(team_id=owner.team_id, title="Send comps", due_date=now + dt.timedelta(days=1),
                 assigned_to_id=owner.user_id, lead_id=lead.id),
            Task(team_id=owner.team_id, title="First call", due_date=now - dt.timedelta(days=2),
                 assigned_to_id=owner.user_id, lead_id=lead.id, status="COMPLETED",
                 completed_at=now - dt.timedelta(days=1)),
            Message(team_id=owner.team_id, type=MessageType.EMAIL, direction=MessageDirection.OUTBOUND,
                    subject="Listings you asked for", body="Here they are", from_address="a@b.com",
                    to_address="c@d.com", lead_id=lead.id, user_id=owner.user_id),
        ])
    timeline = leads.get_lead(owner, lead.id).timeline
    titles = [(e.kind, e.title) for e in timeline]
    assert ("task", "Task due: Send comps") in titles
    assert ("task", "Task completed: First call") in titles
    assert ("message", "Email sent: Listings you asked for") in titles
    assert titles[0] == ("task", "Task due: Send comps")  # upcoming work on top
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)
