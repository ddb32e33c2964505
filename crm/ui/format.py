"""Display formatting shared by pages: money, percentages, enum labels, times, safe markdown."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from crm.config import get_settings
from crm.errors import DomainError
from crm.schemas.common import Actor
from crm.services import profile

DASH = "—"

# Labels that `str.title()` would get wrong.
_LABELS = {
    "REALTOR_COM": "Realtor.com",
    "BUYER_SELLER": "Buyer & seller",
    "SIGN_CALL": "Sign call",
    "PAST_CLIENT": "Past client",
    "OPEN_HOUSE": "Open house",
    "COLD_OUTREACH": "Cold outreach",
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def enum_label(value: StrEnum | str | None) -> str:
    """Human label of an enum value: 'OPEN_HOUSE' -> 'Open house'."""
    if value is None:
        return DASH
    raw = str(value)
    return _LABELS.get(raw, raw.replace("_", " ").capitalize())


def money(value: Decimal | float | int | None) -> str:
    """Whole dollars with thousands separators: 1234567.8 -> '$1,234,568'."""
    if value is None:
        return DASH
    return f"${Decimal(value):,.0f}"


def percent(rate: float) -> str:
    """A 0..1 ratio as a percentage with one decimal: 0.2 -> '20.0%'."""
    return f"{rate:.1%}"


def count(n: int) -> str:
    return f"{n:,}"


def viewer_timezone() -> dt.tzinfo:
    """The browser's time zone when Streamlit knows it, else UTC."""
    name = st.context.timezone
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return dt.UTC


def user_zone(actor: Actor) -> dt.tzinfo:
    """The signed-in user's own time zone (profile), else the product's default.

    Due dates are typed and shown in it — the zone the services compute "today" in.
    """
    try:
        name = profile.get_profile(actor).timezone or get_settings().timezone
    except DomainError:
        name = get_settings().timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def absolute_time(at: dt.datetime | None) -> str:
    """'Nov 25, 2026 2:31 PM' in the viewer's time zone."""
    if at is None:
        return DASH
    local = at.astimezone(viewer_timezone())
    hour = local.hour % 12 or 12  # portable: strftime's %-I is glibc-only
    return f"{local:%b} {local.day}, {local.year} {hour}:{local:%M %p}"


def relative_time(at: dt.datetime | None, *, now: dt.datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago', or the date for older times."""
    if at is None:
        return DASH
    seconds = ((now or dt.datetime.now(dt.UTC)) - at).total_seconds()
    if seconds < 60:  # also absorbs small clock skew between the app and the database
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    if days < 30:
        return "yesterday" if days == 1 else f"{days} days ago"
    local = at.astimezone(viewer_timezone())
    return f"{local:%b} {local.day}, {local.year}"


def md_escape(text: str | None) -> str:
    """Escape user-typed text before it goes into st.markdown (no links or images from data)."""
    if not text:
        return ""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
