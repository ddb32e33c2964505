"""Pipeline: one column per status with counts, value and the top leads; move a lead to another column."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from crm.enums import LeadSource, LeadStatus
from crm.schemas.leads import LeadFilter, LeadSort
from crm.services import dashboard, leads
from crm.ui import cached, components, session
from crm.ui.errors import attempt
from crm.ui.format import count, enum_label, money
from crm.ui.pipeline_board import (
    ANY,
    UNASSIGNED,
    VALUE_SUM_LIMIT,
    card_caption,
    column_count,
    column_value,
    move_key,
    move_lead,
    take_outcome,
)

CARD_CHOICES = (5, 10, 20)

actor = session.require_actor()
team = {user.id: user.name for user in cached.assignees(actor)}


def assignee_label(choice: str | int) -> str:
    if choice == ANY:
        return "Anyone"
    if choice == UNASSIGNED:
        return "Unassigned"
    return team.get(int(choice), "Former member")


st.title("Pipeline")

assignee_col, source_col, size_col = st.columns([2, 3, 1])
assignee = assignee_col.selectbox("Assignee", [ANY, UNASSIGNED, *team], format_func=assignee_label,
                                  key="pipeline_assignee", persist_state="session")
sources = source_col.multiselect("Source", list(LeadSource), format_func=enum_label, key="pipeline_sources",
                                 placeholder="All", persist_state="session")
per_column = size_col.selectbox("Cards per column", CARD_CHOICES, key="pipeline_cards", persist_state="session")

if outcome := take_outcome():
    kind, message = outcome
    if kind == "success":
        st.toast(message, icon=":material/check_circle:")
        st.success(message, icon=":material/check_circle:")
    else:
        st.error(message, icon=":material/error:")

filtered = assignee != ANY or bool(sources)
# Unfiltered, the per-status totals come from one aggregate; filtered, from the column's own rows.
summary = None if filtered else attempt(lambda: dashboard.get_pipeline_summary(actor))
stage_values = {LeadStatus(stage.status): stage.value for stage in summary.stages} if summary else {}

columns = st.columns(len(LeadStatus), gap="small")
for status, column in zip(LeadStatus, columns, strict=True):
    filters = LeadFilter(
        statuses=[status], sources=sources, sort=LeadSort.SCORE,
        unassigned=assignee == UNASSIGNED, assigned_to_id=assignee if isinstance(assignee, int) else None,
        page_size=VALUE_SUM_LIMIT if filtered else per_column,
    )
    page = attempt(lambda filters=filters: leads.list_leads(actor, filters))
    if page is None:
        st.stop()
    with column:
        components.status_badge(status)
        value = stage_values.get(status, Decimal(0)) if summary else column_value(page)
        shown_value = money(value) if value is not None else f"value n/a (over {count(VALUE_SUM_LIMIT)})"
        noun = "lead" if page.total == 1 else "leads"
        st.caption(f"**{column_count(page)}** {noun} · {shown_value}")
        if not page.total:
            st.caption("_No leads_")
        for lead in page.items[:per_column]:
            with st.container(border=True):
                st.page_link("pages/lead_detail.py", label=lead.full_name, query_params={"id": str(lead.id)})
                st.caption(card_caption(lead))
                st.selectbox(
                    "Move to", list(LeadStatus), index=list(LeadStatus).index(lead.status),
                    format_func=enum_label, key=move_key(lead.id), label_visibility="collapsed",
                    on_change=move_lead, args=(actor, lead.id, lead.full_name),
                )
        if page.total > per_column:
            st.caption(f"+ {count(page.total - per_column)}{'' if page.total_is_exact else '+'} more")

