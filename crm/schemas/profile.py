"""The signed-in user's own profile: name, time zone, language, avatar."""

from __future__ import annotations

import zoneinfo

from pydantic import BaseModel, Field, field_validator

from crm.schemas.common import InputModel

LANGUAGES: dict[str, str] = {
    "en": "English", "es": "Español", "fr": "Français", "pt": "Português", "de": "Deutsch",
    "it": "Italiano", "nl": "Nederlands", "zh": "中文", "ja": "日本語", "ko": "한국어",
}


class Profile(BaseModel):
    name: str
    email: str
    timezone: str
    language: str
    avatar_url: str | None
    two_factor_enabled: bool
    email_verified: bool


class ProfileUpdate(InputModel):
    """Only these fields: email, role, team or activity can not be set here (no mass assignment)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=16)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value not in zoneinfo.available_timezones():
            raise ValueError(f"'{value}' is not a known time zone; use a name like America/New_York.")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.lower()
        if code not in LANGUAGES:
            raise ValueError(f"'{value}' is not a supported language; choose one of {', '.join(LANGUAGES)}.")
        return code
