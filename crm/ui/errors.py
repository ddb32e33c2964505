"""Turn domain and validation errors into messages a user can act on (never a traceback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from crm.errors import DomainError

T = TypeVar("T")

FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "position": "Position",
    "lead_type": "Type",
    "status": "Status",
    "source": "Source",
    "value": "Value",
    "city": "City",
    "state": "State",
    "zip_code": "ZIP code",
    "assigned_to_id": "Assignee",
    "content": "Note",
    "password": "Password",
    "search": "Search",
}


def validation_messages(exc: ValidationError) -> list[str]:
    """One readable sentence per problem, prefixed with the form label of the field."""
    messages: list[str] = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
        text = _sentence(error)
        if not label:
            messages.append(text[:1].upper() + text[1:])
        elif text.startswith(("is ", "must ", "can ")):
            messages.append(f"{label} {text}")
        else:
            messages.append(f"{label}: {text}")
    return messages


def show_validation_error(exc: ValidationError) -> None:
    """Render a pydantic ValidationError as a list of per-field messages."""
    lines = validation_messages(exc)
    intro = "Please fix this and try again:" if len(lines) == 1 else "Please fix these and try again:"
    st.error("\n".join([intro, *(f"- {line}" for line in lines)]), icon=":material/error:")


def show_domain_error(exc: DomainError) -> None:
    """Render a DomainError; its message is written for users."""
    st.error(exc.message, icon=":material/error:")


def attempt(action: Callable[[], T]) -> T | None:
    """Run a service call, showing a readable error and returning None if it is refused.

    Only errors meant for users are caught; anything else is a bug and must surface as one.
    """
    try:
        return action()
    except ValidationError as exc:
        show_validation_error(exc)
    except DomainError as exc:
        show_domain_error(exc)
    return None


def _sentence(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "is required."
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters."
    if kind == "enum":
        return "is not one of the choices."
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more."
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}."
    if kind == "decimal_max_places":
        return f"can have at most {ctx.get('decimal_places')} decimals."
    if kind == "extra_forbidden":
        return "is not a field of this form."
    msg = str(error["msg"]).removeprefix("Value error, ")
    return msg[:1].upper() + msg[1:].rstrip(".") + "."
