"""Custom lead field values: checking and normalising what is stored, formatting what is shown.

Stored forms (Lead.custom_fields, one JSON object per lead; a key is absent when the field is empty):
TEXT a trimmed string (≤ 1000 chars), NUMBER a JSON number (int when integral), DATE "YYYY-MM-DD",
SELECT the exact choice, MULTI_SELECT a list of choices in definition order, BOOLEAN true/false.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict

from crm.enums import CustomFieldType
from crm.errors import ValidationFailed

TEXT_MAX = 1000
NUMBER_LIMIT = 1e15  # beyond this a float no longer holds every integer exactly
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
# Import files: the spellings people type in spreadsheets. Ambiguous ones (D.M.Y vs M.D.Y) are refused.
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "x", "on"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "off"})
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NUMBER_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")


class FieldDefinition(BaseModel):
    """One custom lead field of a team, as services and pages see it."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    label: str
    field_type: CustomFieldType
    required: bool = False
    choices: tuple[str, ...] = ()
    position: int = 0


def clean_values(
    definitions: list[FieldDefinition] | tuple[FieldDefinition, ...],
    values: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None = None,
    creating: bool,
    coerce_text: bool = False,
) -> dict[str, Any]:
    """Return the complete custom-field object to store: `existing` with `values` applied.

    A None/empty value clears its key. Raises ValidationFailed(field="custom_fields.<key>") for an
    unknown key, a value of the wrong type, an unknown choice, a required field missing on create
    or cleared on update. `coerce_text=True` also accepts the strings of an import file.
    """
    by_key = {d.key: d for d in definitions}
    unknown = [k for k in values if k not in by_key]
    if unknown:
        raise ValidationFailed(f"Unknown custom field: {', '.join(sorted(unknown))}.",
                               field=f"custom_fields.{sorted(unknown)[0]}")
    # Keys of deleted definitions are stripped when deleted; drop any stray one rather than keep it.
    result = {k: v for k, v in (existing or {}).items() if k in by_key}
    for key, raw in values.items():
        definition = by_key[key]
        value = clean_value(definition, raw, coerce_text=coerce_text)
        if value is None:
            if definition.required and not creating:
                raise ValidationFailed(f"{definition.label} is required and cannot be cleared.",
                                       field=f"custom_fields.{key}")
            result.pop(key, None)
        else:
            result[key] = value
    if creating:
        for definition in definitions:
            if definition.required and definition.key not in result:
                raise ValidationFailed(f"{definition.label} is required.", field=f"custom_fields.{definition.key}")
    return result


def clean_value(definition: FieldDefinition, raw: Any, *, coerce_text: bool = False) -> Any:
    """The stored form of one value, or None when it is empty (raises ValidationFailed if invalid)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw):
        return None
    parser = _PARSERS[definition.field_type]
    try:
        return parser(definition, raw, coerce_text)
    except _Invalid as exc:
        raise ValidationFailed(f"{definition.label}: {exc}", field=f"custom_fields.{definition.key}") from None


def format_value(definition: FieldDefinition, value: Any, *, thousands: bool = False) -> str:
    """A stored value as a person reads it: "a; b" for lists, Yes/No, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if definition.field_type is CustomFieldType.BOOLEAN:
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if definition.field_type is CustomFieldType.NUMBER and isinstance(value, (int, float)):
        if thousands:
            return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
        return str(value)
    return str(value)


def diff_values(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Per-key audit diff of two stored objects: {"custom_fields.<key>": {"from": …, "to": …}}."""
    old, new = old or {}, new or {}
    return {f"custom_fields.{k}": {"from": old.get(k), "to": new.get(k)}
            for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}


class _Invalid(ValueError):
    """A value that does not fit its field; the message completes "<Label>: …"."""


def _text(d: FieldDefinition, raw: Any, coerce: bool) -> str:
    if not isinstance(raw, str):
        if not (coerce and isinstance(raw, (int, float, Decimal, dt.date))) or isinstance(raw, bool):
            raise _Invalid("expected text.")
        raw = str(raw)
    text = raw.strip()
    if len(text) > TEXT_MAX:
        raise _Invalid(f"at most {TEXT_MAX} characters.")
    return text


def _number(d: FieldDefinition, raw: Any, coerce: bool) -> int | float:
    if isinstance(raw, bool):
        raise _Invalid("expected a number.")
    if isinstance(raw, str):
        if not coerce:
            raise _Invalid("expected a number.")
        raw = _number_from_text(raw)
    if not isinstance(raw, (int, float, Decimal)):
        raise _Invalid("expected a number.")
    number = float(raw)
    if not math.isfinite(number) or abs(number) >= NUMBER_LIMIT:
        raise _Invalid("expected a finite number below 10^15.")
    if isinstance(raw, int):
        return raw
    return int(number) if number.is_integer() else number


def _number_from_text(text: str) -> Decimal:
    # "$1,200.50", "€ 950", "1 200": currency signs and grouping go; anything else is refused.
    cleaned = re.sub(r"[\s$€£¥]", "", text)
    if not cleaned or not _NUMBER_TEXT.match(cleaned) or cleaned in {"+", "-", "."}:
        raise _Invalid(f"'{text}' is not a number.")
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation:
        raise _Invalid(f"'{text}' is not a number.") from None


def _date(d: FieldDefinition, raw: Any, coerce: bool) -> str:
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        day = raw
    elif isinstance(raw, str):
        day = _date_from_text(raw.strip(), coerce)
    else:
        raise _Invalid("expected a date (YYYY-MM-DD).")
    if not DATE_MIN <= day <= DATE_MAX:
        raise _Invalid(f"the date must lie between {DATE_MIN} and {DATE_MAX}.")
    return day.isoformat()


def _date_from_text(text: str, coerce: bool) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    if coerce:
        # Spreadsheets write ISO timestamps ("2027-03-15 00:00:00") and US month/day/year.
        try:
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            pass
        if match := _US_DATE.match(text):
            month, day, year = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                pass
        raise _Invalid(f"'{text}' is not a date (use YYYY-MM-DD or MM/DD/YYYY).")
    raise _Invalid(f"'{text}' is not a date (use YYYY-MM-DD).")


def _choice(d: FieldDefinition, raw: Any, coerce: bool) -> str:
    if not isinstance(raw, str):
        raise _Invalid("expected one of the choices.")
    wanted = raw.strip().casefold()
    for choice in d.choices:
        if choice.casefold() == wanted:
            return choice
    raise _Invalid(f"'{raw.strip()}' is not one of the choices ({', '.join(d.choices)}).")


def _choices(d: FieldDefinition, raw: Any, coerce: bool) -> list[str] | None:
    if isinstance(raw, str):
        if not coerce:
            raise _Invalid("expected a list of choices.")
        raw = [part for part in re.split(";" if ";" in raw else ",", raw) if part.strip()]
    if not isinstance(raw, (list, tuple, set, frozenset)):
        raise _Invalid("expected a list of choices.")
    picked = {_choice(d, item, coerce) for item in raw}
    ordered = [c for c in d.choices if c in picked]
    return ordered or None


def _boolean(d: FieldDefinition, raw: Any, coerce: bool) -> bool:
    if isinstance(raw, bool):
        return raw
    if coerce and (isinstance(raw, str) or (isinstance(raw, int) and raw in (0, 1))):
        word = str(raw).strip().casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _Invalid(f"'{raw}' is not yes or no.")
    raise _Invalid("expected true or false.")


_PARSERS = {
    CustomFieldType.TEXT: _text,
    CustomFieldType.NUMBER: _number,
    CustomFieldType.DATE: _date,
    CustomFieldType.SELECT: _choice,
    CustomFieldType.MULTI_SELECT: _choices,
    CustomFieldType.BOOLEAN: _boolean,
}
