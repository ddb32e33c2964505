"""Sign-in inputs and the identity DTOs returned to entry points."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from crm.enums import SystemRole, TeamRole
from crm.schemas.common import Email, InputModel

# Long enough to let the password policy answer with a readable reason past 128 characters.
PASSWORD_FIELD_MAX = 1024


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


class RegisterInput(InputModel):
    """Sign-up: a new account that owns a new team, or joins one through an invitation."""

    email: Email = Field(max_length=320)
    password: str = Field(min_length=1, max_length=PASSWORD_FIELD_MAX)
    name: str = Field(min_length=1, max_length=200)
    team_name: str | None = Field(default=None, min_length=1, max_length=200)
    invitation_token: str | None = Field(default=None, min_length=10, max_length=200)


class TwoFactorChallenge(BaseModel):
    """The password was right and the account has two-factor on: send the code with this ticket."""

    two_factor_required: Literal[True] = True
    ticket: str
    message: str = "Enter the 6-digit code from your authenticator app."


class TwoFactorLoginInput(InputModel):
    ticket: str = Field(min_length=10, max_length=200)
    code: str = Field(min_length=6, max_length=32)


class ForgotPasswordInput(InputModel):
    email: str = Field(min_length=3, max_length=320)


class ResetPasswordInput(InputModel):
    token: str = Field(min_length=10, max_length=200)
    new_password: str = Field(min_length=1, max_length=PASSWORD_FIELD_MAX)


class VerifyEmailInput(InputModel):
    token: str = Field(min_length=10, max_length=200)


class ChangePasswordInput(InputModel):
    current_password: str = Field(min_length=1, max_length=PASSWORD_FIELD_MAX)
    new_password: str = Field(min_length=1, max_length=PASSWORD_FIELD_MAX)


class MessageOut(BaseModel):
    """A plain confirmation for actions that return nothing else."""

    message: str


class TwoFactorSetup(BaseModel):
    """What an authenticator app needs; shown once while enabling two-factor."""

    secret: str
    otpauth_uri: str
    qr_svg: str
    qr_png_data_uri: str = ""


class TwoFactorCodeInput(InputModel):
    code: str = Field(min_length=6, max_length=32)


class TwoFactorDisableInput(InputModel):
    password: str = Field(min_length=1, max_length=PASSWORD_FIELD_MAX)
    code: str = Field(min_length=6, max_length=32)


class RecoveryCodes(BaseModel):
    """Ten single-use codes, shown once; only their hashes are kept."""

    recovery_codes: list[str]
