"""The pipeline board's logic: moving a card (as a widget callback), card text, column totals."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from crm.enums import LeadStatus
from crm.errors import DomainError
from crm.schemas.common import Actor
from crm.schemas.leads import LeadPage, LeadSummary
from crm.services import leads
from crm.ui import cached
from crm.ui.format import count, enum_label, md_escape, money

ANY, UNASSIGNED = "any", "unassigned"
OUTCOME_KEY = "pipeline_outcome"
# A filtered column's value is summed from its rows, read at most this many (one page).
VALUE_SUM_LIMIT = 200


def move_key(lead_id: int) -> str:
    return f"pipeline_move_{lead_id}"


def move_lead(actor: Actor, lead_id: int, name: str) -> None:
    """Callback of a card's "Move to" selectbox: change the status, remember the outcome for the run."""
    status = LeadStatus(st.session_state[move_key(lead_id)])
    try:
        leads.change_lead_status(actor, lead_id, status)
    except DomainError as exc:
        st.session_state[OUTCOME_KEY] = ("error", exc.message)
    else:
        st.session_state[OUTCOME_KEY] = ("success", f"{name} moved to {enum_label(status)}.")
        cached.forget_reads()
    # The card is drawn again in its new column; let its selectbox start from the lead's status.
    del st.session_state[move_key(lead_id)]


def take_outcome() -> tuple[str, str] | None:
    return st.session_state.pop(OUTCOME_KEY, None)


def column_value(page: LeadPage) -> Decimal | None:
    """Total value of a column from its rows, or None when the page does not hold all of them."""
    if page.next_cursor is not None:
        return None
    return sum((lead.value or Decimal(0) for lead in page.items), Decimal(0))


def column_count(page: LeadPage) -> str:
    """How many leads a column holds: "500+" once the count stops at its cap."""
    return count(page.total) + ("" if page.total_is_exact else "+")


def card_caption(lead: LeadSummary) -> str:
    who = md_escape(lead.assigned_to.name) if lead.assigned_to else "Unassigned"
    return f"{money(lead.value)} · {who} · score {lead.score}"
