"""The Leads page's bulk actions bar: pick leads (table rows or a list), pick an action, apply it
to the picked leads or to every lead matching the filters (evaluated by the service in SQL)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from crm.enums import LeadSource, LeadStatus, LeadType
from crm.errors import PermissionDenied
from crm.schemas.common import Actor
from crm.schemas.leads import BulkResult, LeadBulkChanges, LeadFilter, LeadSelection, LeadSummary
from crm.services import leads, tags
from crm.services.permissions import Action, require
from crm.ui import cached
from crm.ui.errors import attempt
from crm.ui.format import count, enum_label

IDS_KEY = "leads_bulk_ids"
SCOPE_KEY = "leads_bulk_scope"
ACTION_KEY = "leads_bulk_action"
NOTICE_KEY = "leads_bulk_notice"
RESET_KEY = "leads_bulk_reset"
SELECTED, ALL = "selected", "all"
UNASSIGNED = 0

ACTIONS = {
    "status": "Change status",
    "assign": "Assign to",
    "tag": "Add tags",
    "source": "Change source",
    "type": "Change type",
    "delete": "Delete",
}
# The permission each action needs (the services check it too).
NEEDS = {"status": Action.EDIT_LEADS, "source": Action.EDIT_LEADS, "type": Action.EDIT_LEADS,
         "tag": Action.EDIT_LEADS, "assign": Action.ASSIGN_LEADS, "delete": Action.BULK_DELETE}


def refusal(actor: Actor, action: str) -> str | None:
    """Why the actor's role may not run `action` (the permission service's own words), or None."""
    try:
        require(actor, NEEDS[action])
    except PermissionDenied as exc:
        return exc.message
    return None


def sync_from_table(table_key: str, ids: list[int]) -> None:
    """on_select of the table: the rows picked there become the selection."""
    rows = st.session_state[table_key]["selection"]["rows"]
    st.session_state[IDS_KEY] = [ids[r] for r in rows if r < len(ids)]


def clear_selection() -> None:
    st.session_state[IDS_KEY] = []


def select_page(ids: list[int]) -> None:
    st.session_state[IDS_KEY] = list(ids)


def take_notice() -> str | None:
    return st.session_state.pop(NOTICE_KEY, None)


def bulk_bar(actor: Actor, items: list[LeadSummary], total: int, matching: LeadFilter,
             team: dict[int, str], on_done: Callable[[], None], *, total_is_exact: bool = True) -> None:
    """Render the bar. `matching` is the page's filter (its cursor is dropped: "all matching" is the
    whole view). An inexact `total` is a lower bound ("500+"); the notice after an action says how
    many leads it really touched."""
    matching = matching.model_copy(update={"cursor": None})
    total_text = count(total) + ("" if total_is_exact else "+")
    if st.session_state.pop(RESET_KEY, False):
        for key in (IDS_KEY, "leads_bulk_confirm", "leads_bulk_tags"):
            st.session_state.pop(key, None)
    names = {lead.id: lead.full_name for lead in items}
    # Leads picked on another page (or filtered away) are no longer on screen: drop them.
    st.session_state[IDS_KEY] = [i for i in st.session_state.get(IDS_KEY, []) if i in names]

    with st.container(border=True):
        st.markdown(":material/checklist: **Bulk actions**")
        pick, all_col, none_col = st.columns([6, 1.3, 1.1], vertical_alignment="bottom")
        selected: list[int] = pick.multiselect(
            "Selected leads", list(names), format_func=names.__getitem__, key=IDS_KEY,
            placeholder="Tick rows in the table, or pick leads here")
        all_col.button("Whole page", key="leads_bulk_select_page", icon=":material/select_all:",
                       on_click=select_page, args=(list(names),))
        none_col.button("Clear", key="leads_bulk_clear", icon=":material/deselect:", on_click=clear_selection)

        scope = st.radio(
            "Apply to", [SELECTED, ALL], horizontal=True, key=SCOPE_KEY,
            format_func=lambda s: (f"Selected leads ({count(len(selected))})" if s == SELECTED
                                   else f"All {total_text} matching leads"))
        action_col, value_col, apply_col = st.columns([2, 3, 1.2], vertical_alignment="bottom")
        action = action_col.selectbox("Action", list(ACTIONS), format_func=ACTIONS.__getitem__, key=ACTION_KEY)
        value = _value_widget(value_col, action, team)
        target = len(selected) if scope == SELECTED else total

        blocked = refusal(actor, action)
        if blocked is None and scope == SELECTED and not selected:
            blocked = "Select at least one lead, or apply to all matching leads."
        if blocked is None and action == "delete":
            how_many = f"{count(target)} lead{'s' if target != 1 else ''}" if scope == SELECTED or total_is_exact \
                else f"every matching lead ({total_text})"
            confirmed = st.checkbox(f"Yes, delete {how_many} with their notes, tasks and history",
                                    key="leads_bulk_confirm")
            if not confirmed:
                blocked = "Tick the confirmation to delete."
        apply = apply_col.button("Apply", key="leads_bulk_apply", type="primary", icon=":material/done_all:",
                                 disabled=blocked is not None)
        if blocked is not None:
            st.caption(blocked)
        if not apply or blocked is not None:
            return
        selection = attempt(lambda: LeadSelection(ids=selected) if scope == SELECTED
                            else LeadSelection(filter=matching))
        if selection is None:
            return
        message = _run(actor, action, value, selection, selected, team)
        if message is not None:
            cached.forget_reads()
            st.session_state[NOTICE_KEY] = message
            st.session_state[RESET_KEY] = True
            on_done()
            st.rerun()


def _value_widget(column: st.delta_generator.DeltaGenerator, action: str, team: dict[int, str]) -> object:
    if action == "status":
        return column.selectbox("New status", list(LeadStatus), format_func=enum_label, key="leads_bulk_status")
    if action == "source":
        return column.selectbox("New source", list(LeadSource), format_func=enum_label, key="leads_bulk_source")
    if action == "type":
        return column.selectbox("New type", list(LeadType), format_func=enum_label, key="leads_bulk_type")
    if action == "assign":
        return column.selectbox("Assignee", [UNASSIGNED, *team], key="leads_bulk_assignee",
                                format_func=lambda uid: "Nobody (back to the pool)" if uid == UNASSIGNED
                                else team.get(uid, "Former member"))
    if action == "tag":
        return column.text_input("Tags", key="leads_bulk_tags", placeholder="Comma-separated, e.g. VIP, Spring 2027")
    column.caption("Deletes the leads for good.")
    return None


def _plural(n: int) -> str:
    return f"{count(n)} lead{'s' if n != 1 else ''}"


def _run(actor: Actor, action: str, value: object, selection: LeadSelection, selected: list[int],
         team: dict[int, str]) -> str | None:
    """Call the service; return the notice to show, or None when it was refused (error shown)."""
    result: BulkResult | None
    if action in ("status", "source", "type"):
        field = {"status": "status", "source": "source", "type": "lead_type"}[action]
        changes = attempt(lambda: LeadBulkChanges(**{field: value}))
        result = attempt(lambda: leads.bulk_update(actor, selection, changes)) if changes else None
        if result is not None:
            return f"{ACTIONS[action].removeprefix('Change ').capitalize()} set to {enum_label(str(value))} " \
                   f"on {_plural(result.count)}."
    elif action == "assign":
        user_id = None if value == UNASSIGNED else int(str(value))
        result = attempt(lambda: leads.bulk_assign(actor, selection, user_id))
        if result is not None:
            who = team.get(user_id, "the new assignee") if user_id else "the pool"
            return f"{_plural(result.count)} assigned to {who}." if user_id else \
                f"{_plural(result.count)} returned to {who}."
    elif action == "tag":
        names = [n.strip() for n in str(value or "").split(",") if n.strip()]
        if not names:
            st.error("Type at least one tag.", icon=":material/error:")
            return None
        # One set-based call, for picked leads and for every matching lead alike (new names create tags).
        tagged = attempt(lambda: tags.bulk_tag(actor, selection, add_names=names))
        if tagged is not None:
            return f"Tagged {_plural(tagged.count)} with {', '.join(names)}."
    elif action == "delete":
        result = attempt(lambda: leads.bulk_delete(actor, selection))
        if result is not None:
            return f"Deleted {_plural(result.count)}."
    return None
