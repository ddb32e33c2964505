"""Task inputs (create/update/filter) and outputs (task, counts)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, model_validator

from crm.enums import TaskPriority, TaskStatus
from crm.schemas.common import InputModel
from crm.schemas.leads import UserRef


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone (e.g. 2026-11-25T17:00:00-05:00)")
    return value.astimezone(dt.UTC)


AwareDateTime = Annotated[dt.datetime, AfterValidator(_aware)]


class TaskView(StrEnum):
    TODAY = "today"  # open, due today in the user's time zone
    OVERDUE = "overdue"  # open, due before today
    UPCOMING = "upcoming"  # open, due after today
    ALL = "all"


class TaskCreate(InputModel):
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    due_date: AwareDateTime
    priority: TaskPriority = TaskPriority.MEDIUM
    lead_id: int | None = None
    assigned_to_id: int | None = None  # None: yourself


class TaskUpdate(InputModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    due_date: AwareDateTime | None = None
    priority: TaskPriority | None = None
    status: TaskStatus | None = None
    lead_id: int | None = None  # send null to detach the task from its lead
    assigned_to_id: int | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> TaskUpdate:
        cleared = [f for f in ("title", "due_date", "priority", "status", "assigned_to_id")
                   if f in self.model_fields_set and getattr(self, f) is None]
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be empty")
        return self


class TaskFilter(InputModel):
    view: TaskView = TaskView.ALL
    status: TaskStatus | None = None
    lead_id: int | None = None
    assigned_to_id: int | None = None
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


class LeadRef(BaseModel):
    id: int
    name: str


class TaskOut(BaseModel):
    id: int
    title: str
    description: str | None
    due_date: dt.datetime
    priority: TaskPriority
    status: TaskStatus
    lead: LeadRef | None
    assignee: UserRef
    completed_at: dt.datetime | None
    overdue: bool  # open and its due time has passed

    @property
    def is_open(self) -> bool:
        return self.status in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


class TaskCounts(BaseModel):
    today: int
    overdue: int
    upcoming: int
