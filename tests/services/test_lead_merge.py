"""Merging two leads: every referencing row moves, chosen values win, the log is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from crm.db import transaction
from crm.enums import (
    AppointmentType,
    ExecutionStatus,
    ImportOutcome,
    InterestKind,
    MessageDirection,
    MessageType,
    PropertyType,
    TeamRole,
    WorkflowTrigger,
)
from crm.errors import NotFound, PermissionDenied, ValidationFailed
from crm.orm import (
    Activity,
    AIInsight,
    Appointment,
    AuditLog,
    BuyerRequirement,
    DomainEvent,
    DuplicateDismissal,
    Lead,
    LeadImport,
    LeadImportRow,
    LeadMerge,
    LeadPropertyInterest,
    LeadScore,
    Message,
    Note,
    Property,
    Tag,
    Task,
    Workflow,
    WorkflowExecution,
    lead_tags,
)
from crm.schemas.common import Actor
from crm.schemas.duplicates import DismissDuplicates, MergeRequest
from crm.services import duplicate_dismissals, lead_merge, leads
from crm.services.lead_merge import lead_references
from tests.factories import make_lead, make_member, make_team

NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


def _property(s: Session, team_id: int, **kw: Any) -> int:
    p = Property(team_id=team_id, address="1 Elm St", city="Austin", state="TX", zip_code="78701",
                 list_price=Decimal("500000"), property_type=PropertyType.SINGLE_FAMILY, **kw)
    s.add(p)
    s.flush()
    return p.id


def _import_row(s: Session, team_id: int, lead_id: int) -> None:
    job = LeadImport(team_id=team_id, filename="a.csv", file_format="csv", storage_key="k", file_sha256="0" * 64,
                     file_size=1, mapping={}, options={})
    s.add(job)
    s.flush()
    s.add(LeadImportRow(import_id=job.id, row_number=1, outcome=ImportOutcome.CREATED, lead_id=lead_id))


def _workflow_run(s: Session, team_id: int, lead_id: int) -> None:
    wf = Workflow(team_id=team_id, name="Nurture", trigger_type=WorkflowTrigger.LEAD_CREATED, actions=[])
    s.add(wf)
    s.flush()
    s.add(WorkflowExecution(team_id=team_id, workflow_id=wf.id, status=ExecutionStatus.SUCCESS, lead_id=lead_id))


# One builder per column referencing leads.id: a new table referencing leads fails
# test_every_reference_to_leads_has_a_builder until it is added here (and the merge checked).
ROW_BUILDERS: dict[str, Callable[[Session, int, int], Any]] = {
    "activities": lambda s, t, lead: s.add(Activity(team_id=t, lead_id=lead, type="CALL_MADE", title="Call")),
    "ai_insights": lambda s, t, lead: s.add(AIInsight(team_id=t, lead_id=lead, type="recommendation", title="Call",
                                                      description="Call them", confidence=0.9)),
    "appointments": lambda s, t, lead: s.add(Appointment(team_id=t, lead_id=lead, title="Showing", start_time=NOW,
                                                         end_time=NOW + dt.timedelta(hours=1),
                                                         type=AppointmentType.SHOWING)),
    "buyer_requirements": lambda s, t, lead: s.add(BuyerRequirement(team_id=t, lead_id=lead)),
    "lead_import_rows": _import_row,
    "lead_merges.survivor_id": lambda s, t, lead: s.add(LeadMerge(
        team_id=t, survivor_id=lead, merged_lead_id=999_999, merged_snapshot={}, chosen={}, moved={})),
    "lead_property_interests": lambda s, t, lead: s.add(LeadPropertyInterest(
        team_id=t, lead_id=lead, property_id=_property(s, t), kind=InterestKind.SAVED)),
    "lead_scores": lambda s, t, lead: s.add(LeadScore(team_id=t, lead_id=lead, overall_score=40)),
    "lead_tags": lambda s, t, lead: s.execute(insert(lead_tags).values(lead_id=lead, tag_id=_tag(s, t, "Own tag"))),
    "messages": lambda s, t, lead: s.add(Message(team_id=t, lead_id=lead, type=MessageType.EMAIL,
                                                 direction=MessageDirection.INBOUND, body="Hi", from_address="a@b.c",
                                                 to_address="d@e.f")),
    "notes": lambda s, t, lead: s.add(Note(team_id=t, lead_id=lead, content="Likes gardens")),
    "properties.seller_lead_id": lambda s, t, lead: _property(s, t, seller_lead_id=lead),
    "tasks": lambda s, t, lead: s.add(Task(team_id=t, lead_id=lead, title="Call back", due_date=NOW,
                                           assigned_to_id=s.get(Lead, lead).created_by_id)),
    "workflow_executions": _workflow_run,
}


def _tag(s: Session, team_id: int, name: str) -> int:
    tag = s.scalar(select(Tag).where(Tag.team_id == team_id, Tag.name == name))
    if tag is None:
        tag = Tag(team_id=team_id, name=name)
        s.add(tag)
        s.flush()
    return tag.id


def _count(s: Session, name: str, lead_id: int) -> int:
    column = next(c for c in lead_references() if lead_merge._reference_name(c) == name)
    return s.scalar(select(func.count()).select_from(column.table).where(column == lead_id)) or 0


@pytest.fixture
def manager(db: str) -> Actor:
    return make_member(make_team(), TeamRole.MANAGER)


def test_every_reference_to_leads_has_a_builder() -> None:
    assert sorted(lead_merge._reference_name(c) for c in lead_references()) == sorted(ROW_BUILDERS)


def test_merge_moves_every_row_referencing_the_merged_lead(manager: Actor) -> None:
    survivor = make_lead(manager, first_name="Ann", last_name="Lee")
    merged = make_lead(manager, first_name="Anne", last_name="Lee")
    with transaction() as s:
        for build in ROW_BUILDERS.values():
            build(s, manager.team_id, merged.id)
    with transaction() as s:
        before = {name: _count(s, name, survivor.id) for name in ROW_BUILDERS}
    out = lead_merge.merge_leads(manager, MergeRequest(survivor_id=survivor.id, merged_id=merged.id))
    with transaction() as s:
        for name in ROW_BUILDERS:
            assert _count(s, name, merged.id) == 0, name
            # The merged lead's LEAD_CREATED activity moves too; the merge logs an activity and
            # a merge entry of its own.
            extra = {"activities": 3, "lead_merges.survivor_id": 2}.get(name, 1)
            assert _count(s, name, survivor.id) == before[name] + extra, name
        assert s.get(Lead, merged.id) is None
    assert out.moved["notes"] == 1 and out.moved["lead_tags"] == 1 and out.moved["activities"] == 2


def test_rows_the_survivor_already_has_are_kept_once(manager: Actor) -> None:
    survivor = make_lead(manager)
    merged = make_lead(manager)
    with transaction() as s:
        shared, mine, theirs = (_tag(s, manager.team_id, n) for n in ("Shared", "Mine", "Theirs"))
        s.execute(insert(lead_tags), [{"lead_id": survivor.id, "tag_id": shared}, {"lead_id": survivor.id, "tag_id": mine},
                                      {"lead_id": merged.id, "tag_id": shared}, {"lead_id": merged.id, "tag_id": theirs}])
        home = _property(s, manager.team_id)
        for lead_id, kind in ((survivor.id, InterestKind.VIEWED), (merged.id, InterestKind.VIEWED),
                              (merged.id, InterestKind.TOURED)):
            s.add(LeadPropertyInterest(team_id=manager.team_id, lead_id=lead_id, property_id=home, kind=kind))
        s.add_all([LeadScore(team_id=manager.team_id, lead_id=survivor.id, overall_score=70),
                   LeadScore(team_id=manager.team_id, lead_id=merged.id, overall_score=20)])
    out = lead_merge.merge_leads(manager, MergeRequest(survivor_id=survivor.id, merged_id=merged.id))
    assert leads.get_lead(manager, survivor.id).tags == ["Mine", "Shared", "Theirs"]
    with transaction() as s:
        kinds = s.scalars(select(LeadPropertyInterest.kind).where(LeadPropertyInterest.lead_id == survivor.id)).all()
        assert sorted(kinds) == [InterestKind.TOURED, InterestKind.VIEWED]
        assert s.scalars(select(LeadScore.overall_score).where(LeadScore.lead_id == survivor.id)).all() == [70]
    assert out.moved["dropped_duplicates"] == {"lead_tags": 1, "lead_property_interests": 1, "lead_scores": 1}


def test_chosen_fields_win_and_empty_ones_are_filled(manager: Actor) -> None:
    survivor = make_lead(manager, first_name="Jon", last_name="Reed", city="Austin", phone="+14155550100",
                         custom_fields={})
    merged = make_lead(manager, first_name="Jonathan", last_name="Reed", city="Dallas", company="Acme",
                       value=Decimal("900000.00"))
    with transaction() as s:
        s.get(Lead, survivor.id).custom_fields = {"budget": 1, "pets": "dog"}
        s.get(Lead, merged.id).custom_fields = {"budget": 2, "schools": "yes"}
    lead_merge.merge_leads(manager, MergeRequest(survivor_id=survivor.id, merged_id=merged.id, chosen={
        "first_name": "merged", "city": "survivor", "value": "merged", "custom_fields.budget": "merged"}))
    with transaction() as s:
        lead = s.get(Lead, survivor.id)
        assert (lead.first_name, lead.city, lead.value, lead.company, lead.phone) == (
            "Jonathan", "Austin", Decimal("900000.00"), "Acme", "+14155550100")
        assert lead.custom_fields == {"budget": 2, "pets": "dog", "schools": "yes"}


def test_the_survivor_can_take_the_merged_leads_email(manager: Actor) -> None:
    survivor = make_lead(manager, email="old@acme.com")
    merged = make_lead(manager, email="new@acme.com")
    lead_merge.merge_leads(manager, MergeRequest(survivor_id=survivor.id, merged_id=merged.id,
                                                 chosen={"email": "merged"}))
    assert leads.get_lead(manager, survivor.id).email == "new@acme.com"


def test_the_merge_is_logged_with_a_snapshot_activity_audit_and_event(manager: Actor) -> None:
    survivor = make_lead(manager, first_name="Sue", last_name="Park")
    merged = make_lead(manager, first_name="Susan", last_name="Park", city="Reno")
    with transaction() as s:
        s.execute(insert(lead_tags).values(lead_id=merged.id, tag_id=_tag(s, manager.team_id, "VIP")))
    out = lead_merge.merge_leads(manager, MergeRequest(survivor_id=survivor.id, merged_id=merged.id,
                                                       chosen={"first_name": "merged"}))
    assert out.merged_lead_id == merged.id and out.merged_name == "Susan Park"
    assert out.merged_snapshot["city"] == "Reno" and out.merged_snapshot["tags"] == ["VIP"]
    assert out.chosen["first_name"] == merged.id
    history = lead_merge.merge_history(manager, survivor.id)
    assert [h.id for h in history] == [out.id] and history[0].merged_by == manager.name
    timeline = leads.get_lead(manager, survivor.id).timeline
    assert any(e.title == "Merged with Susan Park" for e in timeline)
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "lead.merge")) == 1
        assert s.scalar(select(func.count()).select_from(DomainEvent).where(DomainEvent.type == "lead.merged")) == 1


def test_a_failed_merge_changes_nothing(manager: Actor) -> None:
    survivor = make_lead(manager, email="a@acme.com", phone=None)
    merged = make_lead(manager, email="b@acme.com", phone=None)
    with pytest.raises(ValidationFailed):  # not a field of a lead
        lead_merge.merge_leads(manager, MergeRequest(survivor_id=survivor.id, merged_id=merged.id,
                                                     chosen={"nonsense": "merged"}))
    with transaction() as s:
        assert s.get(Lead, merged.id) is not None
        assert s.scalar(select(func.count()).select_from(LeadMerge)) == 0


def test_the_preview_compares_fields_and_counts_what_moves(manager: Actor) -> None:
    survivor = make_lead(manager, first_name="Al", city=None)
    merged = make_lead(manager, first_name="Albert", city="Boise")
    leads.add_note(manager, merged.id, leads.NoteCreate(content="Called"))
    preview = lead_merge.merge_preview(manager, survivor.id, merged.id)
    fields = {f.field: f for f in preview.fields}
    assert fields["city"].default == "merged" and fields["city"].differs
    assert fields["first_name"].default == "merged"  # the merged lead was updated last
    assert not fields["source"].differs
    assert preview.moving["Notes"] == 1 and preview.moving["Activities"] == 1


def test_agents_may_not_merge(manager: Actor) -> None:
    agent = make_member(manager.team_id, TeamRole.MEMBER)
    a, b = make_lead(agent), make_lead(agent)
    with pytest.raises(PermissionDenied):
        lead_merge.merge_leads(agent, MergeRequest(survivor_id=a.id, merged_id=b.id))


def test_another_teams_lead_cannot_be_merged(manager: Actor) -> None:
    rival = make_member(make_team(), TeamRole.OWNER)
    mine, theirs = make_lead(manager), make_lead(rival)
    for survivor, merged in ((mine.id, theirs.id), (theirs.id, mine.id)):
        with pytest.raises(NotFound):
            lead_merge.merge_leads(manager, MergeRequest(survivor_id=survivor, merged_id=merged))
    with pytest.raises(NotFound):
        lead_merge.merge_history(manager, theirs.id)
    assert leads.get_lead(rival, theirs.id).id == theirs.id


def test_a_lead_cannot_be_merged_with_itself(manager: Actor) -> None:
    lead = make_lead(manager)
    with pytest.raises(ValueError):
        MergeRequest(survivor_id=lead.id, merged_id=lead.id)
    with pytest.raises(ValidationFailed):
        lead_merge.merge_leads(manager, MergeRequest.model_construct(survivor_id=lead.id, merged_id=lead.id,
                                                                     chosen={}))


def test_not_duplicates_marks_of_the_merged_lead_pass_to_the_survivor(manager: Actor) -> None:
    early = make_lead(manager)  # a lower id than the survivor: the pair's order changes sides
    survivor, merged, late, both = make_lead(manager), make_lead(manager), make_lead(manager), make_lead(manager)
    dismiss = duplicate_dismissals.dismiss_duplicates
    dismiss(manager, DismissDuplicates(lead_ids=[survivor.id, merged.id]))  # merged anyway
    dismiss(manager, DismissDuplicates(lead_ids=[merged.id, early.id]))
    dismiss(manager, DismissDuplicates(lead_ids=[merged.id, late.id]))
    dismiss(manager, DismissDuplicates(lead_ids=[merged.id, both.id]))
    dismiss(manager, DismissDuplicates(lead_ids=[survivor.id, both.id]))  # the survivor has this one already
    out = lead_merge.merge_leads(manager, MergeRequest(survivor_id=survivor.id, merged_id=merged.id))
    with transaction() as s:
        pairs = {(low, high) for low, high in s.execute(select(DuplicateDismissal.lead_id_low,
                                                                DuplicateDismissal.lead_id_high))}
    assert pairs == {(early.id, survivor.id), (survivor.id, late.id), (survivor.id, both.id)}
    assert out.moved["duplicate_dismissals"] == 2
    marks = duplicate_dismissals.list_dismissals(manager).items
    assert {m.dismissed_by for m in marks} == {manager.name}  # who said so stays on each mark
