"""Tasks: list by view (today/overdue/upcoming in your time zone), create, read, edit, complete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ValidationError

from crm.api.deps import CurrentActor
from crm.api.errors import as_request_validation_error
from crm.api.schemas import error_responses
from crm.enums import TaskStatus
from crm.schemas.common import Page
from crm.schemas.tasks import TaskCounts, TaskCreate, TaskFilter, TaskOut, TaskUpdate, TaskView
from crm.services import tasks

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


def task_filter(
    view: Annotated[TaskView, Query(description="today/overdue/upcoming: open tasks, in your time zone.")] =
    TaskView.ALL,
    status: TaskStatus | None = None,
    lead_id: int | None = None,
    assigned_to_id: Annotated[int | None, Query(description="Managers: one agent's tasks.")] = None,
    page: Annotated[int, Query(description="1-based.")] = 1,
    page_size: Annotated[int, Query(description="1 to 200.")] = 50,
) -> TaskFilter:
    """Query string -> TaskFilter; its own rules answer 422 like any parameter."""
    try:
        return TaskFilter(view=view, status=status, lead_id=lead_id, assigned_to_id=assigned_to_id,
                          page=page, page_size=page_size)
    except ValidationError as exc:
        raise as_request_validation_error(exc, location="query") from None


@router.get("", response_model=Page[TaskOut], responses=error_responses(401, 422))
def list_tasks(actor: CurrentActor, filters: Annotated[TaskFilter, Depends(task_filter)]) -> Page[TaskOut]:
    """One page of the tasks you may see (agents: their own; managers and above: the team's)."""
    return tasks.list_tasks(actor, filters)


@router.get("/counts", response_model=TaskCounts, responses=error_responses(401))
def task_counts(actor: CurrentActor) -> TaskCounts:
    """How many open tasks are due today, overdue and upcoming."""
    return tasks.task_counts(actor)


@router.post("", response_model=TaskOut, status_code=201, responses=error_responses(401, 403, 404, 422))
def create_task(actor: CurrentActor, data: TaskCreate, response: Response) -> TaskOut:
    """Create a task (for yourself unless `assigned_to_id` says otherwise: that needs ASSIGN_LEADS)."""
    task = tasks.create_task(actor, data)
    response.headers["Location"] = f"/api/tasks/{task.id}"
    return task


@router.get("/{task_id}", response_model=TaskOut, responses=error_responses(401, 404))
def get_task(actor: CurrentActor, task_id: int) -> TaskOut:
    """A task; ids you may not see answer 404."""
    return tasks.get_task(actor, task_id)


@router.put("/{task_id}", response_model=TaskOut, responses=error_responses(401, 403, 404, 422))
def update_task(actor: CurrentActor, task_id: int, data: TaskUpdate) -> TaskOut:
    """Change the given fields of a task."""
    return tasks.update_task(actor, task_id, data)


@router.delete("/{task_id}", status_code=204, responses=error_responses(401, 404))
def delete_task(actor: CurrentActor, task_id: int) -> Response:
    """Delete a task."""
    tasks.delete_task(actor, task_id)
    return Response(status_code=204)


@router.patch("/{task_id}/complete", response_model=TaskOut, responses=error_responses(401, 404))
def complete_task(actor: CurrentActor, task_id: int) -> TaskOut:
    """Mark a task done (records completed_at)."""
    return tasks.complete_task(actor, task_id)


@router.patch("/{task_id}/uncomplete", response_model=TaskOut, responses=error_responses(401, 404))
def uncomplete_task(actor: CurrentActor, task_id: int) -> TaskOut:
    """Reopen a completed task."""
    return tasks.uncomplete_task(actor, task_id)
