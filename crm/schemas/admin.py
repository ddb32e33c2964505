"""Administration: users list/filters and audit-log filters/entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, model_validator

from crm.enums import SystemRole
from crm.schemas.auth import Membership
from crm.schemas.common import InputModel


class UserFilter(InputModel):
    search: str | None = Field(default=None, max_length=200)
    active: bool | None = None
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


class AdminUserOut(BaseModel):
    id: int
    email: str
    name: str
    system_role: SystemRole
    is_active: bool
    email_verified: bool
    two_factor_enabled: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None
    memberships: list[Membership]


class AuditFilter(InputModel):
    action: str | None = Field(default=None, max_length=100)
    resource: str | None = Field(default=None, max_length=64)
    user_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)

    @model_validator(mode="after")
    def _ordered(self) -> AuditFilter:
        if self.since and self.until and self.since > self.until:
            raise ValueError("'since' must be before 'until'")
        return self


class AuditOut(BaseModel):
    id: int
    created_at: dt.datetime
    user_id: int | None
    user_name: str | None
    team_id: int | None
    action: str
    resource: str
    resource_id: str | None
    changes: dict[str, Any] | None
    ip_address: str | None
    user_agent: str | None
