"""Task use cases: follow-ups agents owe, listed by day in the user's own time zone.

Row scope: agents (MEMBER) see and act on the tasks assigned to them; MANAGER and above see
every task of the team. Assigning a task to someone else needs ASSIGN_LEADS; a task's lead
must be a lead the actor can see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, aliased

from crm.db import SessionFactory, transaction
from crm.enums import TaskStatus
from crm.errors import NotFound
from crm.orm import Lead, Task, User
from crm.schemas.common import Actor, Page
from crm.schemas.leads import UserRef
from crm.schemas.tasks import LeadRef, TaskCounts, TaskCreate, TaskFilter, TaskOut, TaskUpdate, TaskView
from crm.services.access import load_lead, require_team_member, user_timezone
from crm.services.audit import emit_event, jsonable, record_audit
from crm.services.permissions import Action, require

OPEN = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


def _visible(actor: Actor) -> ColumnElement[bool]:
    """WHERE clause of the tasks `actor` may see: agents their own, managers and above the team's."""
    clause = Task.team_id == actor.team_id
    if actor.sees_all_team_data:
        return clause
    return clause & (Task.assigned_to_id == actor.user_id)


def list_tasks(
    actor: Actor, filters: TaskFilter, *, now: dt.datetime | None = None, sessions: SessionFactory | None = None
) -> Page[TaskOut]:
    """One page of the tasks the actor may see, in due order ("today" is the user's local day)."""
    now = _now(now)
    with transaction(sessions) as session:
        day_start, day_end = _local_day(session, actor, now)
        where = _filter_clauses(actor, filters, day_start, day_end)
        total = session.scalar(select(func.count()).select_from(Task).where(*where)) or 0
        stmt = (_select().where(*where).order_by(Task.due_date.asc(), Task.id.asc())
                .limit(filters.page_size).offset((filters.page - 1) * filters.page_size))
        items = [_out(row, now) for row in session.execute(stmt).all()]
    return Page(items=items, total=total, page=filters.page, page_size=filters.page_size)


def task_counts(
    actor: Actor, *, assigned_to_id: int | None = None, now: dt.datetime | None = None,
    sessions: SessionFactory | None = None,
) -> TaskCounts:
    """How many open tasks are due today, overdue and upcoming (for tabs and badges)."""
    now = _now(now)
    with transaction(sessions) as session:
        day_start, day_end = _local_day(session, actor, now)
        base = [_visible(actor), Task.status.in_(OPEN)]
        if assigned_to_id is not None:
            base.append(Task.assigned_to_id == assigned_to_id)

        def count(*extra: ColumnElement[bool]) -> int:
            return session.scalar(select(func.count()).select_from(Task).where(*base, *extra)) or 0

        return TaskCounts(
            today=count(Task.due_date >= day_start, Task.due_date < day_end),
            overdue=count(Task.due_date < day_start),
            upcoming=count(Task.due_date >= day_end),
        )


def get_task(actor: Actor, task_id: int, *, sessions: SessionFactory | None = None) -> TaskOut:
    """A task the actor may see; other ids (also other teams') answer NotFound."""
    with transaction(sessions) as session:
        _load(session, actor, task_id)
        return _read(session, task_id)


def create_task(actor: Actor, data: TaskCreate, *, sessions: SessionFactory | None = None) -> TaskOut:
    """Create a task (for yourself by default); its lead must be one you can see."""
    with transaction(sessions) as session:
        assigned_to_id = data.assigned_to_id if data.assigned_to_id is not None else actor.user_id
        if assigned_to_id != actor.user_id:
            require(actor, Action.ASSIGN_LEADS)
            require_team_member(session, actor, assigned_to_id)
        if data.lead_id is not None:
            load_lead(session, actor, data.lead_id)
        task = Task(team_id=actor.team_id, created_by_id=actor.user_id, assigned_to_id=assigned_to_id,
                    **data.model_dump(exclude={"assigned_to_id"}), status=TaskStatus.PENDING)
        session.add(task)
        session.flush()
        record_audit(session, actor=actor, action="task.create", resource="task", resource_id=task.id,
                     changes={k: jsonable(v) for k, v in data.model_dump(exclude_none=True).items()})
        emit_event(session, actor, type="task.created", resource="task", resource_id=task.id,
                   payload={"task_id": task.id, "lead_id": task.lead_id, "assigned_to_id": assigned_to_id})
        return _read(session, task.id)


def update_task(actor: Actor, task_id: int, data: TaskUpdate, *, sessions: SessionFactory | None = None) -> TaskOut:
    """Change the given fields of a task; reassigning it to someone else needs ASSIGN_LEADS."""
    changes = data.model_dump(exclude_unset=True)
    with transaction(sessions) as session:
        task = _load(session, actor, task_id, for_update=True)
        new_assignee = changes.get("assigned_to_id")
        if new_assignee is not None and new_assignee != task.assigned_to_id:
            if new_assignee != actor.user_id:
                require(actor, Action.ASSIGN_LEADS)
            require_team_member(session, actor, new_assignee)
        if changes.get("lead_id") is not None and changes["lead_id"] != task.lead_id:
            load_lead(session, actor, changes["lead_id"])
        diff = {k: {"from": jsonable(getattr(task, k)), "to": jsonable(v)}
                for k, v in changes.items() if getattr(task, k) != v}
        for key, value in changes.items():
            setattr(task, key, value)
        if "status" in diff:
            task.completed_at = _now(None) if task.status is TaskStatus.COMPLETED else None
        if diff:
            session.flush()
            record_audit(session, actor=actor, action="task.update", resource="task", resource_id=task.id,
                         changes=diff)
            emit_event(session, actor, type="task.updated", resource="task", resource_id=task.id,
                       payload={"task_id": task.id, "fields": sorted(diff)})
        return _read(session, task.id)


def delete_task(actor: Actor, task_id: int, *, sessions: SessionFactory | None = None) -> None:
    """Delete a task the actor may see."""
    with transaction(sessions) as session:
        task = _load(session, actor, task_id, for_update=True)
        lead_id = task.lead_id
        session.delete(task)
        record_audit(session, actor=actor, action="task.delete", resource="task", resource_id=task_id,
                     changes={"title": task.title, "lead_id": lead_id})
        emit_event(session, actor, type="task.deleted", resource="task", resource_id=task_id,
                   payload={"task_id": task_id, "lead_id": lead_id})


def complete_task(
    actor: Actor, task_id: int, *, now: dt.datetime | None = None, sessions: SessionFactory | None = None
) -> TaskOut:
    """Mark a task done and record when (idempotent: completing it again changes nothing)."""
    return _set_done(actor, task_id, done=True, now=_now(now), sessions=sessions)


def uncomplete_task(
    actor: Actor, task_id: int, *, now: dt.datetime | None = None, sessions: SessionFactory | None = None
) -> TaskOut:
    """Reopen a completed task (back to PENDING, completed_at cleared)."""
    return _set_done(actor, task_id, done=False, now=_now(now), sessions=sessions)


def _set_done(actor: Actor, task_id: int, *, done: bool, now: dt.datetime,
              sessions: SessionFactory | None) -> TaskOut:
    with transaction(sessions) as session:
        task = _load(session, actor, task_id, for_update=True)
        is_done = task.status is TaskStatus.COMPLETED
        if done != is_done:
            old = task.status
            task.status = TaskStatus.COMPLETED if done else TaskStatus.PENDING
            task.completed_at = now if done else None
            session.flush()
            verb = "complete" if done else "uncomplete"
            record_audit(session, actor=actor, action=f"task.{verb}", resource="task", resource_id=task.id,
                         changes={"status": {"from": old.value, "to": task.status.value}})
            emit_event(session, actor, type=f"task.{verb}d", resource="task", resource_id=task.id,
                       payload={"task_id": task.id, "lead_id": task.lead_id})
        return _read(session, task.id, now)


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(dt.UTC)


def _local_day(session: Session, actor: Actor, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start of today, start of tomorrow) in the user's time zone, as UTC instants (DST-safe)."""
    tz = user_timezone(session, actor)
    today = now.astimezone(tz).date()
    start = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _filter_clauses(actor: Actor, f: TaskFilter, day_start: dt.datetime, day_end: dt.datetime) -> list[Any]:
    clauses: list[Any] = [_visible(actor)]
    if f.view is not TaskView.ALL:
        clauses.append(Task.status.in_(OPEN))
    if f.view is TaskView.TODAY:
        clauses += [Task.due_date >= day_start, Task.due_date < day_end]
    elif f.view is TaskView.OVERDUE:
        clauses.append(Task.due_date < day_start)
    elif f.view is TaskView.UPCOMING:
        clauses.append(Task.due_date >= day_end)
    if f.status is not None:
        clauses.append(Task.status == f.status)
    if f.lead_id is not None:
        clauses.append(Task.lead_id == f.lead_id)
    if f.assigned_to_id is not None:
        clauses.append(Task.assigned_to_id == f.assigned_to_id)
    return clauses


_assignee = aliased(User)


def _select() -> Select[Any]:
    return (select(Task, _assignee.name, Lead.first_name, Lead.last_name)
            .join(_assignee, _assignee.id == Task.assigned_to_id)
            .outerjoin(Lead, Lead.id == Task.lead_id))


def _load(session: Session, actor: Actor, task_id: int, *, for_update: bool = False) -> Task:
    stmt = select(Task).where(Task.id == task_id, _visible(actor))
    if for_update:
        stmt = stmt.with_for_update()
    task = session.scalars(stmt).one_or_none()
    if task is None:
        raise NotFound(f"Task {task_id} was not found.")
    return task


def _read(session: Session, task_id: int, now: dt.datetime | None = None) -> TaskOut:
    session.flush()
    return _out(session.execute(_select().where(Task.id == task_id)).one(), _now(now))


def _out(row: Any, now: dt.datetime) -> TaskOut:
    task, assignee_name, first, last = row
    return TaskOut(
        id=task.id, title=task.title, description=task.description, due_date=task.due_date,
        priority=task.priority, status=task.status,
        lead=LeadRef(id=task.lead_id, name=f"{first} {last or ''}".strip()) if task.lead_id else None,
        assignee=UserRef(id=task.assigned_to_id, name=assignee_name or ""),
        completed_at=task.completed_at, overdue=task.status in OPEN and task.due_date < now,
    )
