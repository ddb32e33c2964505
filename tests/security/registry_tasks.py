"""Isolation-matrix and mass-assignment entries for the task use cases and routes.

Merged into tests/security/test_isolation_matrix.py (SERVICES/API) and
tests/security/test_mass_assignment.py (GUARDED). The dicts are built on first access
(module `__getattr__`) from the matrix module that is importing them, so the matrix can pull
them in right after its own SERVICES and API dicts without a circular import.

The world has no tasks: service calls create the task they act on (assigned to the acting
user on the own side, so agents can see it; to the other team's owner on the foreign side).
Routes use the `{task_id}` placeholder, filled through the matrix's PATH_IDS by
`task_path_id(side)`; each route's `prepare` first creates the acting user's own task.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from crm.db import transaction
from crm.enums import TaskStatus
from crm.orm import Task
from crm.schemas.common import Actor
from crm.schemas.tasks import TaskCreate, TaskFilter, TaskUpdate
from crm.services import tasks
from tests.security.registry_common import matrix_module as _matrix

_PREPARED: dict[int, int] = {}  # team id -> the task `prepare` created for the acting user
_CREATED: dict[str, int] = {}  # "own"/"foreign" -> task ids created for the list checks


def _due() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _new_task(team_id: int, assignee_id: int, title: str = "Matrix task") -> int:
    with transaction() as session:
        task = Task(team_id=team_id, title=title, due_date=_due(), status=TaskStatus.PENDING,
                    assigned_to_id=assignee_id, created_by_id=assignee_id)
        session.add(task)
        session.flush()
        return task.id


def task_for(a: Actor, s: Any) -> int:
    """A task of side `s`: the acting user's own task on their team, the owner's on the other."""
    return _new_task(s.team_id, a.user_id if s.team_id == a.team_id else s.owner.user_id)


def _both_sides(w: Any, a: Actor) -> None:
    _CREATED["own"] = task_for(a, w.own)
    _CREATED["foreign"] = task_for(a, w.foreign)


def _list(w: Any, a: Actor) -> Any:
    _both_sides(w, a)
    return tasks.list_tasks(a, TaskFilter())


def _no_foreign_tasks(_w: Any, _a: Actor, page: Any) -> None:
    ids = {t.id for t in page.items}
    assert _CREATED["own"] in ids and _CREATED["foreign"] not in ids


def _counts(w: Any, a: Actor) -> Any:
    _both_sides(w, a)
    return tasks.task_counts(a)


def _one_task_counted(_w: Any, _a: Actor, counts: Any) -> None:
    assert counts.today + counts.overdue + counts.upcoming == 1  # the foreign team's task is not counted


def task_path_id(side: Any) -> int:
    """For the matrix's PATH_IDS["task_id"]: the acting user's task (from `prepare`) on their own
    team, else a fresh task of the side's owner (the foreign side)."""
    task_id = _PREPARED.get(side.team_id)
    if task_id is not None and _exists(task_id, side.team_id):
        return task_id
    return _new_task(side.team_id, side.owner.user_id)


def _exists(task_id: int, team_id: int) -> bool:
    with transaction() as session:
        task = session.get(Task, task_id)
        return task is not None and task.team_id == team_id


def _prepare(a: Actor) -> None:
    _PREPARED[a.team_id] = _new_task(a.team_id, a.user_id)


def _body_create(_w: Any, s: Any, _a: Actor) -> dict[str, Any]:
    return {"title": "Api task", "due_date": _due().isoformat(), "lead_id": s.lead_id,
            "assigned_to_id": s.target.user_id}



def _services() -> dict[str, Any]:
    m = _matrix()
    Svc, LIST_SCOPE, ASSIGN = m.Svc, m.LIST_SCOPE, m.ASSIGN  # noqa: N806
    return {
        "tasks.list_tasks": Svc(lambda w, a, s: _list(w, a), foreign=None, scope=LIST_SCOPE,
                                check=_no_foreign_tasks),
        "tasks.task_counts": Svc(lambda w, a, s: _counts(w, a), foreign=None, scope=LIST_SCOPE,
                                 check=_one_task_counted),
        "tasks.get_task": Svc(lambda w, a, s: tasks.get_task(a, task_for(a, s))),
        # Assigning to someone else needs ASSIGN_LEADS (checked first); the foreign target and lead are 404.
        "tasks.create_task": Svc(lambda w, a, s: tasks.create_task(a, TaskCreate(
            title="Matrix", due_date=_due(), lead_id=s.lead_id, assigned_to_id=s.target.user_id)), allowed=ASSIGN),
        "tasks.update_task": Svc(lambda w, a, s: tasks.update_task(a, task_for(a, s), TaskUpdate(title="Renamed"))),
        "tasks.delete_task": Svc(lambda w, a, s: tasks.delete_task(a, task_for(a, s))),
        "tasks.complete_task": Svc(lambda w, a, s: tasks.complete_task(a, task_for(a, s))),
        "tasks.uncomplete_task": Svc(lambda w, a, s: tasks.uncomplete_task(a, task_for(a, s))),
    }


def _api() -> dict[str, Any]:
    m = _matrix()
    Api, ASSIGN = m.Api, m.ASSIGN  # noqa: N806
    return {
        "GET /api/tasks": Api(),
        "GET /api/tasks/counts": Api(),
        "POST /api/tasks": Api(ok=201, allowed=ASSIGN, resource_ids=True, body=_body_create),
        "GET /api/tasks/{task_id}": Api(resource_ids=True, prepare=_prepare),
        "PUT /api/tasks/{task_id}": Api(resource_ids=True, prepare=_prepare,
                                        body=lambda w, s, a: {"title": "Renamed"}),
        "DELETE /api/tasks/{task_id}": Api(ok=204, resource_ids=True, prepare=_prepare),
        "PATCH /api/tasks/{task_id}/complete": Api(resource_ids=True, prepare=_prepare),
        "PATCH /api/tasks/{task_id}/uncomplete": Api(resource_ids=True, prepare=_prepare),
    }


# For tests/security/test_mass_assignment.py: every id field of the task inputs and its guard.
GUARDED_TASKS = {
    "TaskCreate.assigned_to_id": "needs ASSIGN_LEADS unless it is yourself; must be a member of your team (404)",
    "TaskCreate.lead_id": "load_lead(actor): a lead you cannot see is 404",
    "TaskUpdate.assigned_to_id": "needs ASSIGN_LEADS unless it is yourself; must be a member of your team (404)",
    "TaskUpdate.lead_id": "load_lead(actor): a lead you cannot see is 404",
    "TaskFilter.assigned_to_id": "a read filter inside the actor's task scope: cannot widen the rows",
    "TaskFilter.lead_id": "a read filter inside the actor's task scope: cannot widen the rows",
}


def __getattr__(name: str) -> Any:
    if name == "SERVICES_TASKS":
        return _services()
    if name == "API_TASKS":
        return _api()
    raise AttributeError(name)
