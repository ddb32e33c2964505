"""Lead inputs (create/update/filter) and outputs (summary/detail/timeline)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

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


CustomFieldKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
# Values are checked against the team's definitions by crm.services.custom_fields on every write.
CustomFieldValues = dict[CustomFieldKey, Any]


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
    custom_fields: CustomFieldValues = {}

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
    # Keys given are set (None clears one); keys left out keep their values.
    custom_fields: CustomFieldValues | None = None

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> LeadUpdate:
        # Omitting a field keeps its value; sending null for a required one is an error.
        cleared = [f for f in ("first_name", "lead_type", "source") if f in self.model_fields_set
                   and getattr(self, f) is None]
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be empty")
        return self


class CustomFieldFilter(InputModel):
    """One condition on a custom field: eq/contains (text, select), gte/lte (number, date),
    any_of (select, multi-select: the lead has at least one of the values), is_set/is_empty."""

    key: CustomFieldKey
    op: Literal["eq", "contains", "gte", "lte", "any_of", "is_set", "is_empty"]
    value: str | float | bool | dt.date | list[str] | None = None


class LeadFilter(InputModel):
    """Which leads, in which order, and which page of them (keyset: `cursor` from the last page)."""

    search: str | None = Field(default=None, max_length=200)
    statuses: list[LeadStatus] = []
    sources: list[LeadSource] = []
    tag_ids: list[int] = Field(default=[], max_length=50)  # leads carrying any of these tags
    assigned_to_id: int | None = None
    unassigned: bool = False
    score_min: int | None = Field(default=None, ge=0, le=100)
    score_max: int | None = Field(default=None, ge=0, le=100)
    # Days in the acting user's time zone, both ends inclusive.
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    last_contact_from: dt.date | None = None
    last_contact_to: dt.date | None = None
    never_contacted: bool = False
    custom: list[CustomFieldFilter] = Field(default=[], max_length=10)
    sort: LeadSort = LeadSort.NEWEST
    cursor: str | None = Field(default=None, max_length=500)  # opaque, from LeadPage.next_cursor
    page_size: int = Field(default=50, ge=1, le=200)

    @model_validator(mode="after")
    def _ranges(self) -> LeadFilter:
        for low, high in (("score_min", "score_max"), ("created_from", "created_to"),
                          ("last_contact_from", "last_contact_to")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{low} must not be after {high}")
        return self


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


class LeadPage(BaseModel):
    """One keyset page of leads. `total` is exact up to COUNT_CAP matches, else a lower bound."""

    items: list[LeadSummary]
    total: int
    total_is_exact: bool
    next_cursor: str | None  # None: this is the last page
    page_size: int


class LeadCount(BaseModel):
    """The exact number of leads in a filtered view (the list's own total stops at a cap)."""

    total: int


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
    custom_fields: dict[str, Any] = {}
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
