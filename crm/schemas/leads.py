"""Lead inputs (create/update/filter) and outputs (summary/detail/timeline)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from crm.enums import ActivityType, LeadSource, LeadStatus, LeadType
from crm.schemas.common import Email, InputModel, Phone


class LeadSort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    NAME = "name"
    SCORE = "score"
    VALUE = "value"
    LAST_CONTACT = "last_contact"


class LeadCreate(InputModel):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: Email | None = None
    phone: Phone | None = None
    company: str | None = Field(default=None, max_length=200)
    position: str | None = Field(default=None, max_length=200)
    lead_type: LeadType = LeadType.BUYER
    status: LeadStatus = LeadStatus.NEW
    source: LeadSource = LeadSource.OTHER
    value: Decimal | None = Field(default=None, ge=0, le=Decimal("999999999999.99"), decimal_places=2)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=50)
    zip_code: str | None = Field(default=None, max_length=20)
    assigned_to_id: int | None = None

    @model_validator(mode="after")
    def _reachable(self) -> LeadCreate:
        if not self.email and not self.phone:
            raise ValueError("a lead needs an email or a phone number")
        return self


class LeadUpdate(InputModel):
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: Email | None = None
    phone: Phone | None = None
    company: str | None = Field(default=None, max_length=200)
    position: str | None = Field(default=None, max_length=200)
    lead_type: LeadType | None = None
    source: LeadSource | None = None
    value: Decimal | None = Field(default=None, ge=0, le=Decimal("999999999999.99"), decimal_places=2)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=50)
    zip_code: str | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> LeadUpdate:
        # Omitting a field keeps its value; sending null for a required one is an error.
        cleared = [f for f in ("first_name", "lead_type", "source") if f in self.model_fields_set
                   and getattr(self, f) is None]
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be empty")
        return self


class LeadFilter(InputModel):
    search: str | None = Field(default=None, max_length=200)
    statuses: list[LeadStatus] = []
    sources: list[LeadSource] = []
    assigned_to_id: int | None = None
    unassigned: bool = False
    sort: LeadSort = LeadSort.NEWEST
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


class UserRef(BaseModel):
    id: int
    name: str


class LeadSummary(BaseModel):
    id: int
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    status: LeadStatus
    source: LeadSource
    lead_type: LeadType
    score: int
    value: Decimal | None
    city: str | None
    assigned_to: UserRef | None
    created_at: dt.datetime
    last_contact_at: dt.datetime | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class TimelineEntry(BaseModel):
    kind: str  # "activity" | "note" | "task" | "message"
    type: ActivityType | None
    title: str
    body: str | None
    author: str | None
    at: dt.datetime


class NoteOut(BaseModel):
    id: int
    content: str
    author: str | None
    created_at: dt.datetime
    author_id: int | None = None
    updated_at: dt.datetime | None = None


class LeadDetail(LeadSummary):
    company: str | None
    position: str | None
    state: str | None
    zip_code: str | None
    stage: str | None
    tags: list[str]
    updated_at: dt.datetime
    timeline: list[TimelineEntry]


class NoteCreate(InputModel):
    content: str = Field(min_length=1, max_length=10_000)


class StatusChange(InputModel):
    status: LeadStatus


class LeadAssign(InputModel):
    user_id: int | None = None  # None: back to the unassigned pool


class LeadSelection(InputModel):
    """Which leads a bulk action touches: explicit ids, or the whole filtered view (never both)."""

    ids: list[int] | None = Field(default=None, min_length=1, max_length=1000)
    filter: LeadFilter | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LeadSelection:
        if (self.ids is None) == (self.filter is None):
            raise ValueError("give either ids or filter (exactly one)")
        return self


class LeadBulkChanges(InputModel):
    status: LeadStatus | None = None
    source: LeadSource | None = None
    lead_type: LeadType | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> LeadBulkChanges:
        if self.status is None and self.source is None and self.lead_type is None:
            raise ValueError("change at least one of status, source, lead_type")
        return self


class BulkUpdate(InputModel):
    selection: LeadSelection
    changes: LeadBulkChanges


class BulkAssign(InputModel):
    selection: LeadSelection
    user_id: int | None = None


class BulkResult(BaseModel):
    count: int
