"""Lead use cases: list, read, create, update, delete, change status, assign, bulk actions, notes."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
    or_,
    select,
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
from crm.schemas.common import Actor, Page
from crm.schemas.leads import (
    BulkResult,
    LeadBulkChanges,
    LeadCreate,
    LeadDetail,
    LeadFilter,
    LeadSelection,
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



def _selection_scope(session: Session, actor: Actor, selection: LeadSelection) -> list[Any]:
    """WHERE clauses of the selected leads, always inside the actor's visible leads.

    Explicit ids must all be visible (else NotFound, like a single foreign id); a filter means
    the whole filtered view and stays in SQL however many rows it matches.
    """
    if selection.filter is not None:
        return _filter_clauses(actor, selection.filter)
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
    timeline.sort(key=lambda e: e.at, reverse=True)
    summary = _summary(lead, assignee.id if assignee else None, assignee.name if assignee else None)
    return LeadDetail(
        **summary.model_dump(), company=lead.company, position=lead.position, state=lead.state,
        zip_code=lead.zip_code, stage=lead.stage, tags=list(tags), updated_at=lead.updated_at,
        timeline=timeline[:TIMELINE_LIMIT],
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
