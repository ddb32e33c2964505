"""The Leads page's "Smart lists" bar: pick a saved view (its filter and sort fill the filter bar),
save the current filters as a view, and update, rename, share, unshare or delete the current one."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from crm.schemas.common import Actor
from crm.schemas.leads import LeadFilter
from crm.schemas.saved_views import SavedViewCreate, SavedViewOut, SavedViewUpdate
from crm.services import saved_views
from crm.services.custom_fields import FieldDefinition
from crm.ui import lead_filters
from crm.ui.errors import attempt

VIEW_KEY = "leads_view"
PENDING_KEY = "leads_view_pending"  # a view to select on the next run (the picker is drawn by then)
NOTICE_KEY = "leads_view_notice"
RESET_KEY = "leads_view_reset"
NEW_NAME, NEW_SHARED = "leads_view_new_name", "leads_view_new_shared"
CONFIRM_DELETE = "leads_view_confirm_delete"
NONE = 0  # the picker's "no smart list" option


def views(actor: Actor) -> list[SavedViewOut]:
    """The actor's views and the team's shared ones (read every run: they change rarely, and a
    teammate's unshare must show at once)."""
    return attempt(lambda: saved_views.list_views(actor)) or []


def prepare(found: Sequence[SavedViewOut], fields: Sequence[FieldDefinition], team: dict[int, str]) -> None:
    """Before any widget renders: select a view saved last run, forget a view that disappeared."""
    state = st.session_state
    if state.pop(RESET_KEY, False):
        for key in (NEW_NAME, NEW_SHARED, CONFIRM_DELETE):
            state.pop(key, None)
    if PENDING_KEY in state:
        state[VIEW_KEY] = state.pop(PENDING_KEY)
    if state.get(VIEW_KEY, NONE) not in {NONE, *(v.id for v in found)}:
        state[VIEW_KEY] = NONE  # deleted or unshared meanwhile


def take_notice() -> str | None:
    return st.session_state.pop(NOTICE_KEY, None)


def picker(column: st.delta_generator.DeltaGenerator, found: Sequence[SavedViewOut],
           fields: Sequence[FieldDefinition], team: dict[int, str]) -> SavedViewOut | None:
    """The smart-list selectbox; picking a view writes its filter and sort into the filter bar."""
    by_id = {v.id: v for v in found}

    def label(view_id: int) -> str:
        if view_id == NONE:
            return "All leads (no smart list)"
        view = by_id[view_id]
        owner = "" if view.mine else f" · shared by {view.owner.name}"
        mark = " · shared" if view.mine and view.shared else ""
        return f"{view.name}{owner}{mark}{' ⚠' if view.problem else ''}"

    def picked() -> None:
        view = by_id.get(st.session_state.get(VIEW_KEY, NONE))
        if view is None:
            lead_filters.clear_filters()
        elif view.filters is not None:
            lead_filters.apply_to_widgets(view.filters, fields, team)
        lead_filters.to_first_page()

    chosen = column.selectbox("Smart lists", [NONE, *by_id], format_func=label, key=VIEW_KEY, on_change=picked,
                              help="Saved filters and sort. Yours, and the ones teammates shared.")
    return by_id.get(chosen)


def actions(save_col: st.delta_generator.DeltaGenerator, manage_col: st.delta_generator.DeltaGenerator,
            actor: Actor, view: SavedViewOut | None, current: LeadFilter) -> None:
    """"Save view" for the current filters, and the current view's own actions."""
    with save_col.popover("Save view", icon=":material/bookmark_add:", use_container_width=True):
        name = st.text_input("Name", key=NEW_NAME, max_chars=100, placeholder="e.g. Hot Zillow buyers")
        shared = st.checkbox("Share with my team", key=NEW_SHARED,
                             help="Teammates can apply it; agents still see only their own and unassigned leads.")
        if st.button("Save", key="leads_view_save", type="primary", icon=":material/save:"):
            created = attempt(lambda: saved_views.create_view(
                actor, SavedViewCreate(name=name, filters=current, shared=shared)))
            if created is not None:
                _done(f"Saved view **{created.name}**" + (" (shared with your team)." if created.shared else "."),
                      select=created.id)
    if view is None:
        return
    if view.problem:
        st.warning(f"The view **{view.name}** cannot be applied: {view.problem} Update it with the current "
                   "filters, or delete it.", icon=":material/warning:")
    elif is_modified(view, current):
        st.caption(f"Filters changed since **{view.name}** was applied"
                   + (" — *Manage view › Update with current filters* saves them." if view.can_edit else "."))
    if not view.can_edit:
        manage_col.caption(f"Shared by {view.owner.name}")
        return
    with manage_col.popover("Manage view", icon=":material/edit_note:", use_container_width=True):
        _manage(actor, view, current)


def is_modified(view: SavedViewOut, current: LeadFilter) -> bool:
    if view.filters is None:
        return False
    return (saved_views.stored_filters(view.filters), view.filters.sort) != \
        (saved_views.stored_filters(current), current.sort)


def _manage(actor: Actor, view: SavedViewOut, current: LeadFilter) -> None:
    if st.button("Update with current filters", key="leads_view_update", icon=":material/sync:",
                 disabled=view.filters is not None and not is_modified(view, current)):
        _change(actor, view, SavedViewUpdate(filters=current), f"**{view.name}** now keeps the current filters.")
    name = st.text_input("Name", value=view.name, key=f"leads_view_rename_{view.id}", max_chars=100)
    if st.button("Rename", key="leads_view_rename", icon=":material/edit:", disabled=name.strip() == view.name):
        _change(actor, view, SavedViewUpdate(name=name), f"Renamed to **{name.strip()}**.")
    if view.shared:
        if st.button("Stop sharing", key="leads_view_unshare", icon=":material/lock:"):
            _change(actor, view, SavedViewUpdate(shared=False), f"**{view.name}** is private again.",
                    keep=view.mine)
    elif st.button("Share with my team", key="leads_view_share", icon=":material/group:"):
        _change(actor, view, SavedViewUpdate(shared=True), f"**{view.name}** is now shared with your team.")
    st.divider()
    sure = st.checkbox(f"Yes, delete the view {view.name!r}" + (" for the whole team" if view.shared else ""),
                       key=CONFIRM_DELETE)
    if st.button("Delete view", key="leads_view_delete", icon=":material/delete:", disabled=not sure):
        if attempt(lambda: saved_views.delete_view(actor, view.id) or True):
            _done(f"Deleted the view **{view.name}**. The filters stay as they were.", select=NONE)


def _change(actor: Actor, view: SavedViewOut, data: SavedViewUpdate, notice: str, *, keep: bool = True) -> None:
    if attempt(lambda: saved_views.update_view(actor, view.id, data)) is not None:
        _done(notice, select=view.id if keep else NONE)


def _done(notice: str, *, select: int) -> None:
    st.session_state[NOTICE_KEY] = notice
    st.session_state[PENDING_KEY] = select
    st.session_state[RESET_KEY] = True
    st.rerun()
