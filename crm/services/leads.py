"""Lead use cases: list, read, create, update, change status, add a note."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from crm.db import SessionFactory, transaction
from crm.enums import ActivityType, LeadStatus
from crm.errors import Conflict, ValidationFailed
from crm.orm import Activity, Lead, Note, Tag, TeamMember, User, lead_tags
from crm.schemas.common import Actor, Page
from crm.schemas.leads import (
    LeadCreate,
    LeadDetail,
    LeadFilter,
    LeadSort,
    LeadSummary,
    LeadUpdate,
    NoteCreate,
    NoteOut,
    TimelineEntry,
    UserRef,
)
from crm.services.access import load_lead, require_team_member, visible_leads
from crm.services.audit import emit_event, jsonable, record_audit
from crm.services.permissions import Action, can, require

TIMELINE_LIMIT = 100

_SORTS = {
    LeadSort.NEWEST: (Lead.created_at.desc(), Lead.id.desc()),
    LeadSort.OLDEST: (Lead.created_at.asc(), Lead.id.asc()),
    LeadSort.NAME: (Lead.last_name.asc(), Lead.first_name.asc(), Lead.id.asc()),
    LeadSort.SCORE: (Lead.score.desc(), Lead.id.desc()),
    LeadSort.VALUE: (Lead.value.desc().nulls_last(), Lead.id.desc()),
    LeadSort.LAST_CONTACT: (Lead.last_contact_at.desc().nulls_last(), Lead.id.desc()),
}


def list_leads(actor: Actor, filters: LeadFilter, *, sessions: SessionFactory | None = None) -> Page[LeadSummary]:
    """Return one page of the leads the actor may see, filtered and sorted in the database."""
    where = _filter_clauses(actor, filters)
    assignee = aliased(User)
    stmt: Select[Any] = (
        select(Lead, assignee.id, assignee.name)
        .outerjoin(assignee, assignee.id == Lead.assigned_to_id)
        .where(*where)
        .order_by(*_SORTS[filters.sort])
        .limit(filters.page_size)
        .offset((filters.page - 1) * filters.page_size)
    )
    with transaction(sessions) as session:
        total = session.scalar(select(func.count()).select_from(Lead).where(*where)) or 0
        rows = session.execute(stmt).all()
        items = [_summary(lead, uid, uname) for lead, uid, uname in rows]
    return Page(items=items, total=total, page=filters.page, page_size=filters.page_size)


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
        lead = Lead(
            team_id=actor.team_id, created_by_id=actor.user_id,
            **data.model_dump(exclude={"assigned_to_id"}), assigned_to_id=assigned_to_id,
        )
        if data.status is LeadStatus.WON:
            lead.won_at = dt.datetime.now(dt.UTC)
        session.add(lead)
        _flush_or_conflict(session, data.email)
        session.add(Activity(team_id=actor.team_id, lead_id=lead.id, user_id=actor.user_id,
                             type=ActivityType.LEAD_CREATED, title=f"Lead created by {actor.name or 'a user'}"))
        record_audit(session, actor=actor, action="lead.create", resource="lead", resource_id=lead.id,
                     changes={k: jsonable(v) for k, v in data.model_dump(exclude_none=True).items()})
        emit_event(session, actor, type="lead.created", resource="lead", resource_id=lead.id,
                   payload={"lead_id": lead.id, "source": lead.source.value})
        session.flush()
        return _detail(session, lead)


def update_lead(
    actor: Actor, lead_id: int, data: LeadUpdate, *, sessions: SessionFactory | None = None
) -> LeadDetail:
    """Change the given fields of a lead; untouched fields keep their values."""
    changes = data.model_dump(exclude_unset=True)
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id, for_update=True)
        if "email" in changes and changes["email"] and changes["email"] != lead.email:
            _ensure_email_free(session, actor.team_id, changes["email"])
        diff = {k: {"from": jsonable(getattr(lead, k)), "to": jsonable(v)}
                for k, v in changes.items() if getattr(lead, k) != v}
        for key, value in changes.items():
            setattr(lead, key, value)
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
            session.flush()
        return _detail(session, lead)


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


def _filter_clauses(actor: Actor, f: LeadFilter) -> list[Any]:
    clauses: list[Any] = [visible_leads(actor)]
    if f.search:
        term = f"%{f.search.lower()}%"
        digits = "".join(ch for ch in f.search if ch.isdigit())
        options = [
            func.lower(Lead.first_name).like(term),
            func.lower(Lead.last_name).like(term),
            func.lower(Lead.first_name + " " + Lead.last_name).like(term),
            Lead.email.like(term),
            func.lower(Lead.company).like(term),
        ]
        if len(digits) >= 3:
            options.append(Lead.phone.like(f"%{digits}%"))
        clauses.append(or_(*options))
    if f.statuses:
        clauses.append(Lead.status.in_(f.statuses))
    if f.sources:
        clauses.append(Lead.source.in_(f.sources))
    if f.unassigned:
        clauses.append(Lead.assigned_to_id.is_(None))
    elif f.assigned_to_id is not None:
        clauses.append(Lead.assigned_to_id == f.assigned_to_id)
    return clauses


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
    timeline = [
        TimelineEntry(kind="activity", type=a.type, title=a.title, body=a.description, author=name,
                      at=a.created_at) for a, name in activities
    ] + [
        TimelineEntry(kind="note", type=None, title="Note", body=n.content, author=name, at=n.created_at)
        for n, name in notes
    ]
    timeline.sort(key=lambda e: e.at, reverse=True)
    summary = _summary(lead, assignee.id if assignee else None, assignee.name if assignee else None)
    return LeadDetail(
        **summary.model_dump(), company=lead.company, position=lead.position, state=lead.state,
        zip_code=lead.zip_code, stage=lead.stage, tags=list(tags), updated_at=lead.updated_at,
        timeline=timeline[:TIMELINE_LIMIT],
    )

