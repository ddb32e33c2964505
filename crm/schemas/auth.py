"""Sign-in inputs and the identity DTOs returned to entry points."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crm.enums import SystemRole, TeamRole
from crm.schemas.common import InputModel


class LoginInput(InputModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=128)


class Membership(BaseModel):
    team_id: int
    team_name: str
    role: TeamRole


class SignedInUser(BaseModel):
    user_id: int
    email: str
    name: str
    system_role: SystemRole
    memberships: list[Membership]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshInput(InputModel):
    refresh_token: str = Field(min_length=10)


class DemoAccount(BaseModel):
    email: str
    name: str
    role: TeamRole
    password: str


class LoginResult(TokenPair):
    """The token pair plus who signed in and which teams they belong to."""

    user: SignedInUser


class CurrentUser(BaseModel):
    """The signed-in user: the team they act in and every membership."""

    user_id: int
    email: str
    name: str
    system_role: SystemRole
    team_id: int
    team_role: TeamRole
    memberships: list[Membership]
