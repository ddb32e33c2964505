"""Team inputs (create, rename, invite, change a role) and outputs (team, member, invitation)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field

from crm.enums import SubscriptionTier, TeamRole
from crm.schemas.common import Email, InputModel


class TeamCreate(InputModel):
    name: str = Field(min_length=2, max_length=200)


class TeamUpdate(InputModel):
    """Only the name can be changed here; tier, slug and owner have their own flows."""

    name: str = Field(min_length=2, max_length=200)


class TeamOut(BaseModel):
    id: int
    name: str
    slug: str
    subscription_tier: SubscriptionTier
    member_count: int
    your_role: TeamRole
    created_at: dt.datetime


class MemberOut(BaseModel):
    user_id: int
    name: str
    email: str
    role: TeamRole
    joined_at: dt.datetime
    is_active: bool


class InviteInput(InputModel):
    email: Email
    role: TeamRole = TeamRole.MEMBER


class RoleChange(InputModel):
    role: TeamRole


class TransferInput(InputModel):
    user_id: int


class AcceptInvitationInput(InputModel):
    token: str = Field(min_length=10, max_length=200)


class InvitationStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


class InvitationOut(BaseModel):
    """An invitation as its team sees it; the link itself only travels by email."""

    id: int
    email: str
    role: TeamRole
    invited_by: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    status: InvitationStatus


class InvitationPreview(BaseModel):
    """What the accept-invitation page shows before anyone signs in."""

    team_name: str
    email: str
    role: TeamRole
    inviter_name: str | None
    expires_at: dt.datetime
    status: InvitationStatus
