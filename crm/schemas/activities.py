"""Activity inputs (log a call, filter the feed) and outputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from crm.enums import ActivityType
from crm.schemas.common import InputModel
from crm.schemas.leads import UserRef

# What a person may log by hand; the rest (status changes, sends, opens) is recorded by the system.
LOGGABLE = frozenset({
    ActivityType.CALL_MADE, ActivityType.CALL_RECEIVED, ActivityType.MEETING_COMPLETED,
    ActivityType.EMAIL_SENT, ActivityType.SMS_SENT, ActivityType.SHOWING_COMPLETED,
})
CONTACT_TYPES = LOGGABLE


class ActivityFilter(InputModel):
    lead_id: int | None = None
    type: ActivityType | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


class ActivityCreate(InputModel):
    lead_id: int
    type: ActivityType
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    occurred_at: AwareDatetime | None = None

    @field_validator("type")
    @classmethod
    def _loggable(cls, value: ActivityType) -> ActivityType:
        if value not in LOGGABLE:
            allowed = ", ".join(sorted(t.value for t in LOGGABLE))
            raise ValueError(f"only these types can be logged by hand: {allowed}")
        return value


class ActivityOut(BaseModel):
    id: int
    type: ActivityType
    title: str
    description: str | None
    lead_id: int | None
    lead_name: str | None
    user: UserRef | None
    metadata: dict[str, Any] | None
    created_at: dt.datetime
