"""Duplicate leads (groups and matches with their reasons), merging two leads, the merge log,
and a lead's properties of interest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from crm.enums import InterestKind, LeadStatus, PropertyStatus, PropertyType
from crm.schemas.common import Email, InputModel, Phone


class DuplicateReason(StrEnum):
    EMAIL = "email"  # the same address once Gmail dots and "+tags" are ignored
    PHONE = "phone"  # the same E.164 number
    NAME_COMPANY = "name_company"  # similar names at the same company
    NAME_PHONE = "name_phone"  # similar names with the same phone


REASON_LABELS = {
    DuplicateReason.EMAIL: "Same email",
    DuplicateReason.PHONE: "Same phone",
    DuplicateReason.NAME_COMPANY: "Similar name, same company",
    DuplicateReason.NAME_PHONE: "Similar name, same phone",
}


class DuplicateQuery(InputModel):
    """Which kinds of duplicates to look for (none: all) and which page of groups."""

    reasons: list[DuplicateReason] = []
    cursor: str | None = Field(default=None, max_length=1000)  # from DuplicatePage.next_cursor
    limit: int = Field(default=20, ge=1, le=100)


class DuplicateProbe(InputModel):
    """A lead about to be created: who in the team might already be it?"""

    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: Email | None = None
    phone: Phone | None = None
    company: str | None = Field(default=None, max_length=200)


class DuplicateLead(BaseModel):
    id: int
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    company: str | None
    status: LeadStatus
    assigned_to_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class DuplicateGroup(BaseModel):
    """Leads that look like one person; `size` counts them all, `leads` shows at most a few dozen."""

    key: str
    reasons: list[DuplicateReason]
    leads: list[DuplicateLead]
    size: int


class DuplicatePage(BaseModel):
    groups: list[DuplicateGroup]
    next_cursor: str | None  # None: nothing more to look at


class DuplicateMatch(BaseModel):
    lead: DuplicateLead
    reasons: list[DuplicateReason]


MAX_DISMISSED_LEADS = 25  # a group's shown leads (crm.services.duplicates.MAX_GROUP_LEADS): 300 pairs at most


class DismissDuplicates(InputModel):
    """Leads someone judged to be different people: no two of them are suggested as duplicates
    again (or, to undo it, are suggested again)."""

    lead_ids: list[int] = Field(min_length=2, max_length=MAX_DISMISSED_LEADS)

    @model_validator(mode="after")
    def _two_leads(self) -> DismissDuplicates:
        self.lead_ids = sorted(set(self.lead_ids))
        if len(self.lead_ids) < 2:
            raise ValueError("pick at least two different leads")
        return self


class DismissalResult(BaseModel):
    lead_ids: list[int]
    pairs: int  # pairs newly marked "not duplicates" (or, for an undo, suggested again)


class DismissedPair(BaseModel):
    """One pair marked "not duplicates": both leads, who said so and when."""

    id: int
    leads: list[DuplicateLead]  # the two leads, older id first
    dismissed_by: str | None
    created_at: dt.datetime


class DismissalPage(BaseModel):
    items: list[DismissedPair]
    next_cursor: int | None  # `before_id` of the next (older) page; None: no more


Side = Literal["survivor", "merged"]


class MergeRequest(InputModel):
    """Fold `merged_id` into `survivor_id`; `chosen` says, per differing field, whose value stays
    (standard field names, and "custom_fields.<key>" for custom fields). Unnamed fields keep the
    survivor's value, except empty ones, which take the merged lead's."""

    survivor_id: int
    merged_id: int
    chosen: dict[str, Side] = Field(default={}, max_length=200)

    @model_validator(mode="after")
    def _two_leads(self) -> MergeRequest:
        if self.survivor_id == self.merged_id:
            raise ValueError("a lead cannot be merged with itself")
        return self


class MergeField(BaseModel):
    """One row of the side-by-side comparison."""

    field: str  # "email", "custom_fields.budget", …
    label: str
    survivor_value: Any
    merged_value: Any
    differs: bool
    default: Side  # the newer non-empty value, else the survivor's


class MergePreview(BaseModel):
    survivor: DuplicateLead
    merged: DuplicateLead
    fields: list[MergeField]
    moving: dict[str, int]  # what moves from the merged lead to the survivor, by kind


class MergeOut(BaseModel):
    """One merge log entry."""

    id: int
    survivor_id: int | None
    merged_lead_id: int
    merged_name: str
    merged_by: str | None
    merged_snapshot: dict[str, Any]
    chosen: dict[str, Any]
    moved: dict[str, Any]
    created_at: dt.datetime


class PropertyInterest(BaseModel):
    """A listing a lead viewed, saved, asked about or toured (all their interactions with it)."""

    property_id: int
    address: str
    city: str
    state: str
    zip_code: str
    list_price: Decimal
    status: PropertyStatus
    property_type: PropertyType
    beds: int | None
    baths: Decimal | None
    sqft: int | None
    kinds: list[InterestKind]
    first_at: dt.datetime
    last_at: dt.datetime
