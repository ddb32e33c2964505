"""Task services: local-day views around midnight, tenancy, roles, completion — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import update

from crm.db import transaction
from crm.enums import TaskPriority, TaskStatus, TeamRole
from crm.errors import NotFound, PermissionDenied
from crm.orm import AuditLog, User
from crm.schemas.common import Actor
from crm.schemas.tasks import TaskCreate, TaskFilter, TaskOut, TaskUpdate, TaskView
from crm.services import tasks
from tests.factories import make_lead, make_member, make_team

LA = ZoneInfo("America/Los_Angeles")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def set_timezone(actor: Actor, name: str) -> None:
    with transaction() as session:
        session.execute(update(User).where(User.id == actor.user_id).values(timezone=name))


def add_task(actor: Actor, due: dt.datetime, title: str = "Follow up", **fields: object) -> TaskOut:
    return tasks.create_task(actor, TaskCreate(title=title, due_date=due, **fields))


def titles(actor: Actor, view: TaskView, now: dt.datetime, **filters: object) -> list[str]:
    page = tasks.list_tasks(actor, TaskFilter(view=view, **filters), now=now)
    return [t.title for t in page.items]


@dataclass
class Office:
    team_id: int
    owner: Actor
    manager: Actor
    agent: Actor
    agent2: Actor
    rival: Actor


@pytest.fixture
def office(db: str) -> Office:
    team = make_team("Harbor")
    rival_team = make_team("Rival")
    return Office(team, make_member(team, TeamRole.OWNER), make_member(team, TeamRole.MANAGER),
                  make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER),
                  make_member(rival_team, TeamRole.OWNER))


# --- today / overdue / upcoming in the user's time zone ------------------------------------------

def _boundary_tasks(agent: Actor) -> None:
    add_task(agent, dt.datetime(2026, 11, 24, 23, 59, tzinfo=LA), "yesterday 23:59")
    add_task(agent, dt.datetime(2026, 11, 25, 0, 0, tzinfo=LA), "today 00:00")
    # 23:00 UTC on the 25th: "today" in Los Angeles, although the UTC date is already behind now's.
    add_task(agent, dt.datetime(2026, 11, 25, 15, 0, tzinfo=LA), "today 15:00")
    add_task(agent, dt.datetime(2026, 11, 25, 23, 59, 59, tzinfo=LA), "today 23:59:59")
    # 08:00 UTC on the 26th: the same UTC date as now, but tomorrow in Los Angeles.
    add_task(agent, dt.datetime(2026, 11, 26, 0, 0, tzinfo=LA), "tomorrow 00:00")


def test_views_follow_the_users_local_day_just_before_midnight(office: Office) -> None:
    set_timezone(office.agent, "America/Los_Angeles")
    _boundary_tasks(office.agent)
    now = dt.datetime(2026, 11, 25, 23, 30, tzinfo=LA)  # 07:30 UTC on Nov 26
    assert titles(office.agent, TaskView.OVERDUE, now) == ["yesterday 23:59"]
    assert titles(office.agent, TaskView.TODAY, now) == ["today 00:00", "today 15:00", "today 23:59:59"]
    assert titles(office.agent, TaskView.UPCOMING, now) == ["tomorrow 00:00"]
    assert tasks.task_counts(office.agent, now=now).model_dump() == {"today": 3, "overdue": 1, "upcoming": 1}
    today = tasks.list_tasks(office.agent, TaskFilter(view=TaskView.TODAY), now=now).items
    # `overdue` flags open tasks whose due time has passed, even earlier today.
    assert [t.overdue for t in today] == [True, True, False]


def test_views_roll_over_at_local_midnight(office: Office) -> None:
    set_timezone(office.agent, "America/Los_Angeles")
    _boundary_tasks(office.agent)
    now = dt.datetime(2026, 11, 26, 0, 0, 1, tzinfo=LA)
    assert titles(office.agent, TaskView.OVERDUE, now) == [
        "yesterday 23:59", "today 00:00", "today 15:00", "today 23:59:59"]
    assert titles(office.agent, TaskView.TODAY, now) == ["tomorrow 00:00"]
    assert titles(office.agent, TaskView.UPCOMING, now) == []


def test_the_same_instant_is_a_different_day_for_a_user_elsewhere(office: Office) -> None:
    set_timezone(office.agent, "Asia/Tokyo")
    due = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)  # 17:00 on the 26th in Tokyo, 00:00 in Los Angeles
    add_task(office.agent, due, "call")
    now = dt.datetime(2026, 11, 25, 23, 30, tzinfo=LA)  # 16:30 on the 26th in Tokyo
    assert titles(office.agent, TaskView.TODAY, now) == ["call"]
    set_timezone(office.agent, "America/Los_Angeles")
    assert titles(office.agent, TaskView.UPCOMING, now) == ["call"]


def test_a_25_hour_day_at_the_end_of_daylight_saving_time(office: Office) -> None:
    set_timezone(office.agent, "America/New_York")
    add_task(office.agent, dt.datetime(2026, 11, 1, 23, 30, tzinfo=NEW_YORK), "late on the long day")
    now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=NEW_YORK)
    assert titles(office.agent, TaskView.TODAY, now) == ["late on the long day"]


def test_closed_tasks_leave_the_day_views_but_stay_in_all(office: Office) -> None:
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=NEW_YORK)
    done = add_task(office.agent, now - dt.timedelta(days=2), "done")
    add_task(office.agent, now - dt.timedelta(days=2), "late")
    tasks.complete_task(office.agent, done.id, now=now)
    assert titles(office.agent, TaskView.OVERDUE, now) == ["late"]
    assert titles(office.agent, TaskView.ALL, now) == ["done", "late"]
    assert titles(office.agent, TaskView.ALL, now, status=TaskStatus.COMPLETED) == ["done"]
    assert tasks.task_counts(office.agent, now=now).overdue == 1


# --- who sees what --------------------------------------------------------------------------------

def test_agents_see_only_their_tasks_managers_the_teams(office: Office) -> None:
    due = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    mine = add_task(office.agent, due, "mine")
    theirs = add_task(office.agent2, due, "theirs")
    add_task(office.rival, due, "rival's")
    now = due
    assert titles(office.agent, TaskView.ALL, now) == ["mine"]
    assert titles(office.agent, TaskView.ALL, now, assigned_to_id=office.agent2.user_id) == []
    for boss in (office.manager, office.owner):
        assert sorted(titles(boss, TaskView.ALL, now)) == ["mine", "theirs"]
        assert titles(boss, TaskView.ALL, now, assigned_to_id=office.agent2.user_id) == ["theirs"]
    assert tasks.task_counts(office.agent, now=now).today + tasks.task_counts(office.agent, now=now).overdue == 1
    with pytest.raises(NotFound):
        tasks.get_task(office.agent, theirs.id)
    for call in (tasks.complete_task, tasks.uncomplete_task, tasks.delete_task):
        with pytest.raises(NotFound):
            call(office.agent, theirs.id)
    with pytest.raises(NotFound):
        tasks.update_task(office.agent, theirs.id, TaskUpdate(title="x"))
    assert tasks.get_task(office.manager, mine.id).assignee.id == office.agent.user_id


def test_another_teams_task_is_not_found_for_every_role(office: Office) -> None:
    foreign = add_task(office.rival, dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    for actor in (office.owner, office.manager, office.agent):
        with pytest.raises(NotFound):
            tasks.get_task(actor, foreign.id)
        with pytest.raises(NotFound):
            tasks.complete_task(actor, foreign.id)
        with pytest.raises(NotFound):
            tasks.delete_task(actor, foreign.id)


def test_filter_by_lead(office: Office) -> None:
    lead = make_lead(office.owner, assigned_to_id=office.agent.user_id)
    due = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    task = add_task(office.agent, due, "on the lead", lead_id=lead.id)
    add_task(office.agent, due, "elsewhere")
    assert titles(office.agent, TaskView.ALL, due, lead_id=lead.id) == ["on the lead"]
    assert task.lead is not None and task.lead.id == lead.id and task.lead.name == lead.full_name


# --- creating and assigning -----------------------------------------------------------------------

def test_a_task_on_a_lead_you_cannot_see_is_not_found(office: Office) -> None:
    due = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    colleagues = make_lead(office.owner, assigned_to_id=office.agent2.user_id)
    foreign = make_lead(office.rival)
    with pytest.raises(NotFound):
        add_task(office.agent, due, lead_id=colleagues.id)
    for actor in (office.agent, office.manager, office.owner):
        with pytest.raises(NotFound):
            add_task(actor, due, lead_id=foreign.id)
    pool = make_lead(office.owner)  # unassigned: agents may work it
    assert add_task(office.agent, due, lead_id=pool.id).lead is not None
    assert add_task(office.manager, due, lead_id=colleagues.id).lead is not None
    mine = add_task(office.agent, due, "mine")
    with pytest.raises(NotFound):
        tasks.update_task(office.agent, mine.id, TaskUpdate(lead_id=colleagues.id))


def test_assigning_to_someone_else_needs_assign_leads(office: Office) -> None:
    due = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    own = add_task(office.agent, due)
    assert own.assignee.id == office.agent.user_id
    assert add_task(office.agent, due, assigned_to_id=office.agent.user_id).assignee.id == office.agent.user_id
    with pytest.raises(PermissionDenied):
        add_task(office.agent, due, assigned_to_id=office.agent2.user_id)
    with pytest.raises(PermissionDenied):
        tasks.update_task(office.agent, own.id, TaskUpdate(assigned_to_id=office.agent2.user_id))
    handed = add_task(office.manager, due, assigned_to_id=office.agent2.user_id)
    assert handed.assignee.id == office.agent2.user_id
    assert titles(office.agent2, TaskView.ALL, due) == ["Follow up"]
    moved = tasks.update_task(office.manager, handed.id, TaskUpdate(assigned_to_id=office.agent.user_id))
    assert moved.assignee.id == office.agent.user_id
    with pytest.raises(NotFound):  # not a member of the team
        add_task(office.manager, due, assigned_to_id=office.rival.user_id)


def test_create_refuses_naive_due_dates_and_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        TaskCreate(title="x", due_date=dt.datetime(2026, 11, 25, 9, 0))
    with pytest.raises(ValidationError, match="Extra inputs"):
        TaskCreate(title="x", due_date=dt.datetime(2026, 11, 25, tzinfo=dt.UTC), team_id=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="cannot be empty"):
        TaskUpdate(title=None)


def test_update_changes_only_given_fields_and_is_audited(office: Office) -> None:
    due = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
    task = add_task(office.agent, due, "Call", description="ask about financing", priority=TaskPriority.HIGH)
    later = dt.datetime(2026, 11, 26, 9, 0, tzinfo=NEW_YORK)
    updated = tasks.update_task(office.agent, task.id, TaskUpdate(due_date=later, priority=TaskPriority.URGENT))
    assert updated.due_date == later and updated.priority is TaskPriority.URGENT
    assert updated.title == "Call" and updated.description == "ask about financing"
    with transaction() as session:
        actions = session.scalars(AuditLog.__table__.select().with_only_columns(AuditLog.action)
                                  .where(AuditLog.resource_id == str(task.id))).all()
    assert actions == ["task.create", "task.update"]


# --- completing -----------------------------------------------------------------------------------

def test_complete_and_uncomplete_toggle_completed_at(office: Office) -> None:
    now = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)
    task = add_task(office.agent, now - dt.timedelta(hours=1))
    assert task.completed_at is None and task.status is TaskStatus.PENDING
    done = tasks.complete_task(office.agent, task.id, now=now)
    assert done.status is TaskStatus.COMPLETED and done.completed_at == now and not done.overdue
    again = tasks.complete_task(office.agent, task.id, now=now + dt.timedelta(hours=1))
    assert again.completed_at == now  # idempotent: the first completion time stays
    reopened = tasks.uncomplete_task(office.agent, task.id, now=now)
    assert reopened.status is TaskStatus.PENDING and reopened.completed_at is None and reopened.overdue
    assert tasks.get_task(office.agent, task.id).completed_at is None
    via_update = tasks.update_task(office.agent, task.id, TaskUpdate(status=TaskStatus.COMPLETED))
    assert via_update.completed_at is not None


def test_manager_completes_an_agents_task_and_deletes_it(office: Office) -> None:
    task = add_task(office.agent, dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    assert tasks.complete_task(office.manager, task.id).completed_at is not None
    tasks.delete_task(office.manager, task.id)
    with pytest.raises(NotFound):
        tasks.get_task(office.agent, task.id)
