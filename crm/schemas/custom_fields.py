"""Custom lead field definitions: what a team's managers send to add, change and order them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator, model_validator

from crm.enums import CustomFieldType
from crm.schemas.common import InputModel
from crm.schemas.leads import CustomFieldKey

MAX_CHOICES = 100
CHOICE_TYPES = frozenset({CustomFieldType.SELECT, CustomFieldType.MULTI_SELECT})
Choice = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _unique_choices(choices: list[str] | None) -> list[str] | None:
    # Input matches choices case-insensitively, so "Yes" and "yes" would be the same choice.
    if choices is None:
        return None
    seen: set[str] = set()
    for choice in choices:
        if choice.casefold() in seen:
            raise ValueError(f"the choice '{choice}' appears twice")
        seen.add(choice.casefold())
    return choices


class CustomFieldCreate(InputModel):
    label: str = Field(min_length=1, max_length=100)
    key: CustomFieldKey | None = None  # derived from the label when left out
    field_type: CustomFieldType
    required: bool = False
    choices: list[Choice] = Field(default=[], max_length=MAX_CHOICES)

    _unique = field_validator("choices")(_unique_choices)

    @model_validator(mode="after")
    def _choices_fit_type(self) -> CustomFieldCreate:
        if self.field_type in CHOICE_TYPES and not self.choices:
            raise ValueError("a select or multi-select field needs at least one choice")
        if self.field_type not in CHOICE_TYPES and self.choices:
            raise ValueError("only select and multi-select fields have choices")
        return self


class CustomFieldUpdate(InputModel):
    """Key and type are fixed once created (stored values and filters depend on them)."""

    label: str | None = Field(default=None, min_length=1, max_length=100)
    required: bool | None = None
    choices: list[Choice] | None = Field(default=None, min_length=1, max_length=MAX_CHOICES)

    _unique = field_validator("choices")(_unique_choices)


class CustomFieldOrder(InputModel):
    """Every definition id of the team, in the order forms and exports should show them."""

    ids: list[int] = Field(min_length=1, max_length=500)


def parse_filter_param(text: str) -> dict[str, Any]:
    """One custom-field condition from a query string, `key:op[:value]`, as CustomFieldFilter fields.

    "max_budget:gte:500000", "move_in_by:lte:2027-06-30", "preferred_areas:any_of:Downtown|Uptown",
    "pre_approved:eq:true", "lender_notes:contains:garden", "financing:is_empty". Values read as
    true/false, then a number, then an ISO date, else text; any_of splits on "|". Validation is
    left to the model (LeadFilter.custom), so a bad operator is reported at its place.
    """
    key, _, rest = text.partition(":")
    op, _, raw = rest.partition(":")
    value: Any = None
    if op == "any_of":
        value = [part for part in raw.split("|") if part]
    elif op in ("eq", "gte", "lte"):
        value = _typed(raw)
    elif raw:
        value = raw
    return {"key": key, "op": op, "value": value}


def _typed(raw: str) -> Any:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return raw
