"""Widgets for a team's custom lead fields: form inputs, filter-bar controls, read-only values.

Widget keys are `f"{key_prefix}_{field key}"` (filters add `_min`/`_max`), so a page can preset or
reset them through st.session_state (saved views do).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from crm.enums import CustomFieldType
from crm.schemas.common import Actor
from crm.schemas.leads import CustomFieldFilter
from crm.services import custom_fields
from crm.services.custom_fields import FieldDefinition, format_value
from crm.ui.format import md_escape

T = CustomFieldType
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
_YES_NO: dict[bool | None, str] = {None: "—", True: "Yes", False: "No"}
_BOOLEAN_FILTER = {"Any": None, "Yes": True, "No": False, "Not set": "empty"}


@st.cache_data(ttl=60, show_spinner=False, hash_funcs={Actor: lambda a: (a.user_id, a.team_id, a.team_role.value)})
def definitions(actor: Actor) -> list[FieldDefinition]:
    """The team's custom fields (cached a minute; `forget_definitions()` after a change)."""
    return custom_fields.list_definitions(actor)


def forget_definitions() -> None:
    definitions.clear()


def input_widgets(
    fields: Sequence[FieldDefinition], key_prefix: str, current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One input per field (works inside st.form); returns {key: value}, None where left blank.

    Values are ready for LeadCreate/LeadUpdate.custom_fields: dates as "YYYY-MM-DD", numbers
    as int when whole. Required fields carry a "*" in their label.
    """
    current = current or {}
    values: dict[str, Any] = {}
    columns = st.columns(2) if len(fields) > 1 else [st.container()]
    for n, field in enumerate(fields):
        with columns[n % len(columns)]:
            values[field.key] = _input(field, f"{key_prefix}_{field.key}", current.get(field.key))
    return values


def changed_values(current: Mapping[str, Any], submitted: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted keys whose value differs from the lead's (None clears one): an update's payload."""
    return {k: v for k, v in submitted.items() if current.get(k) != v}


def filter_controls(fields: Sequence[FieldDefinition], key_prefix: str) -> list[CustomFieldFilter]:
    """Compact controls (for a popover in the leads filter bar); returns the conditions set."""
    conditions: list[CustomFieldFilter] = []
    for field in fields:
        key = f"{key_prefix}_{field.key}"
        if field.field_type is T.TEXT:
            text = st.text_input(field.label, key=key, placeholder="contains…")
            if text and text.strip():
                conditions.append(CustomFieldFilter(key=field.key, op="contains", value=text.strip()))
        elif field.field_type in (T.NUMBER, T.DATE):
            conditions += _range_filter(field, key)
        elif field.field_type in (T.SELECT, T.MULTI_SELECT):
            picked = st.multiselect(field.label, list(field.choices), key=key, placeholder="any")
            if picked:
                conditions.append(CustomFieldFilter(key=field.key, op="any_of", value=picked))
        else:
            choice = st.segmented_control(field.label, list(_BOOLEAN_FILTER), key=key, default="Any")
            wanted = _BOOLEAN_FILTER.get(choice or "Any")
            if wanted == "empty":
                conditions.append(CustomFieldFilter(key=field.key, op="is_empty"))
            elif wanted is not None:
                conditions.append(CustomFieldFilter(key=field.key, op="eq", value=wanted))
    return conditions


def value_rows(fields: Sequence[FieldDefinition], values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, readable value) of every field, "—" where empty, in the team's order."""
    return [(f.label, format_value(f, values.get(f.key), thousands=True) or "—") for f in fields]


def show_values(fields: Sequence[FieldDefinition], values: Mapping[str, Any]) -> None:
    """The lead's custom field values as "Label: value" lines (read-only)."""
    st.markdown("  \n".join(f"**{md_escape(label)}:** {md_escape(text)}" for label, text in value_rows(fields, values)))


def _input(field: FieldDefinition, key: str, value: Any) -> Any:
    label = f"{field.label} *" if field.required else field.label
    if field.field_type is T.TEXT:
        text = st.text_input(label, value=value or "", max_chars=1000, key=key)
        return text.strip() or None
    if field.field_type is T.NUMBER:
        number = st.number_input(label, value=float(value) if value is not None else None, step=1.0,
                                 format="%g", key=key)
        return None if number is None else int(number) if float(number).is_integer() else number
    if field.field_type is T.DATE:
        day = st.date_input(label, value=dt.date.fromisoformat(value) if value else None,
                            min_value=DATE_MIN, max_value=DATE_MAX, key=key)
        return day.isoformat() if isinstance(day, dt.date) else None
    if field.field_type is T.SELECT:
        options = list(field.choices)
        return st.selectbox(label, options, index=options.index(value) if value in options else None,
                            placeholder="—", key=key)
    if field.field_type is T.MULTI_SELECT:
        picked = st.multiselect(label, list(field.choices),
                                default=[c for c in value or [] if c in field.choices], key=key)
        return [c for c in field.choices if c in picked] or None
    options = list(_YES_NO)
    return st.selectbox(label, options, index=options.index(value if isinstance(value, bool) else None),
                        format_func=_YES_NO.__getitem__, key=key)


def _range_filter(field: FieldDefinition, key: str) -> list[CustomFieldFilter]:
    low_col, high_col = st.columns(2)
    if field.field_type is T.NUMBER:
        low = low_col.number_input(f"{field.label} from", value=None, step=1.0, format="%g", key=f"{key}_min")
        high = high_col.number_input("to", value=None, step=1.0, format="%g", key=f"{key}_max")
    else:
        low = low_col.date_input(f"{field.label} from", value=None, min_value=DATE_MIN, max_value=DATE_MAX,
                                 key=f"{key}_min")
        high = high_col.date_input("to", value=None, min_value=DATE_MIN, max_value=DATE_MAX, key=f"{key}_max")
    conditions = []
    if low is not None:
        conditions.append(CustomFieldFilter(key=field.key, op="gte", value=low))
    if high is not None:
        conditions.append(CustomFieldFilter(key=field.key, op="lte", value=high))
    return conditions
