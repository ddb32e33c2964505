"""Shared DTO building blocks: the acting user, pages of results, validated fields."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict

from crm.enums import SystemRole, TeamRole

T = TypeVar("T")


class Actor(BaseModel):
    """Who is acting, in which team, with which role: every service call carries one."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    team_id: int
    team_role: TeamRole
    system_role: SystemRole = SystemRole.USER
    name: str = ""
    email: str = ""
    two_factor_enabled: bool = False

    @property
    def sees_all_team_data(self) -> bool:
        """MANAGER and above see every lead of the team; agents see theirs and unassigned ones."""
        return self.team_role in (TeamRole.OWNER, TeamRole.ADMIN, TeamRole.MANAGER)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class InputModel(BaseModel):
    """Base of every input: unknown fields are refused (no mass assignment), strings trimmed."""

    # hide_input_in_errors: a refused password or API key must not end up in logs via str(exc).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)


def _normalize_email(value: str) -> str:
    try:
        # Deliverability needs DNS, which a CRM must not depend on to save a lead.
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"'{value}' is not a valid email address: {exc}") from None


def _normalize_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        raise ValueError(f"'{value}' is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{value}' is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Email = Annotated[str, AfterValidator(_normalize_email)]
Phone = Annotated[str, AfterValidator(_normalize_phone)]
