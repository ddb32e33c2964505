"""Glue between form widgets and input schemas: blanks become None, edits become a diff."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

# Fields whose blank value means "leave empty" rather than "the empty string".
REQUIRED_TEXT = frozenset({"first_name", "last_name"})


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Trim text, turn blank optional fields into None and numbers into Decimal money."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip()
            if not value and key not in REQUIRED_TEXT:
                value = None
        elif isinstance(value, float | int) and not isinstance(value, bool) and key == "value":
            value = Decimal(str(value)).quantize(Decimal("0.01"))
        out[key] = value
    return out


def without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset fields so the schema's defaults apply."""
    return {k: v for k, v in values.items() if v is not None}


def changed_fields(current: BaseModel, submitted: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted fields whose value differs from the current record (for partial updates)."""
    changes: dict[str, Any] = {}
    for key, value in clean(submitted).items():
        before = getattr(current, key)
        if isinstance(before, Decimal) and value is not None:
            same = Decimal(before) == Decimal(value)
        else:
            same = before == value
        if not same:
            changes[key] = value
    return changes
