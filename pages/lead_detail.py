"""Lead: who they are and where they stand, in tabs — Overview (details, status, assignee, edit),
Timeline, Notes, Tasks and Properties (listings of interest)."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from crm.enums import LeadSource, LeadStatus, LeadType
from crm.errors import DomainError, NotFound
from crm.schemas.leads import LeadDetail, LeadUpdate, NoteCreate
from crm.services import leads
from crm.services.permissions import Action, can
from crm.ui import cached, components, custom_field_inputs, forms, session
from crm.ui.errors import attempt, show_domain_error
from crm.ui.format import enum_label, money, relative_time, user_zone
from crm.ui.lead_extras import log_activity_form, notes_list, show_error, tag_editor
from crm.ui.lead_properties import duplicates_notice, properties_tab
from crm.ui.lead_tasks import tasks_tab

NOT_VISIBLE = "This lead does not exist or is not visible to you."
ID_KEY = "lead_detail_id"  # set by the Leads page; `?id=` in the URL wins
SHOWN_KEY = "lead_detail_shown_id"
NOTICE_KEY = "lead_detail_notice"
NOTE_KEY = "lead_detail_note"
NOTE_RESET_KEY = "lead_detail_note_reset"

actor = session.require_actor()


def back_to_leads() -> None:
    st.page_link("pages/leads.py", label="Back to Leads", icon=":material/arrow_back:")


def not_visible() -> NoReturn:
    st.error(NOT_VISIBLE, icon=":material/person_off:")
    back_to_leads()
    st.stop()


def requested_lead_id() -> int | None:
    raw = st.query_params.get("id")
    if raw is None:
        return st.session_state.get(ID_KEY)
    if not raw.isdigit():
        not_visible()
    st.session_state[ID_KEY] = int(raw)
    return int(raw)


def forget_widgets_of_other_lead(lead_id: int) -> None:
    """Widget values typed for one lead must not be carried over to the next one."""
    if st.session_state.get(SHOWN_KEY) == lead_id:
        return
    for key in list(st.session_state.keys()):
        if str(key).startswith("lead_detail_") and key not in (ID_KEY, SHOWN_KEY):
            del st.session_state[key]
    st.session_state[SHOWN_KEY] = lead_id


def saved(message: str) -> None:
    cached.forget_reads()
    st.session_state[NOTICE_KEY] = message
    st.rerun()


def status_panel(lead: LeadDetail) -> None:
    statuses = list(LeadStatus)
    new_status = st.selectbox("Status", statuses, index=statuses.index(lead.status), format_func=enum_label,
                              key="lead_detail_status")
    if st.button("Change status", key="lead_detail_change_status", type="primary", icon=":material/swap_horiz:"):
        if new_status == lead.status:
            st.info(f"The lead is already {enum_label(lead.status).lower()}.")
        elif attempt(lambda: leads.change_lead_status(actor, lead.id, new_status)) is not None:
            saved(f"Status changed to {enum_label(new_status)}.")


UNASSIGNED = 0  # selectbox value for "nobody"


def assignee_panel(lead: LeadDetail) -> None:
    """Managers and above assign to anyone; an agent claims an unassigned lead or hands theirs back."""
    current = lead.assigned_to.id if lead.assigned_to else None
    if can(actor, Action.ASSIGN_LEADS):
        team = {user.id: user.name for user in cached.assignees(actor)}
        if current is not None and current not in team:
            team[current] = lead.assigned_to.name if lead.assigned_to else "Former member"
        options = [UNASSIGNED, *team]
        choice = st.selectbox("Assigned to", options, index=options.index(current or UNASSIGNED),
                              format_func=lambda uid: "Unassigned" if uid == UNASSIGNED else team[uid],
                              key="lead_detail_assignee")
        if st.button("Change assignee", key="lead_detail_change_assignee", icon=":material/assignment_ind:"):
            target = None if choice == UNASSIGNED else int(choice)
            if target == current:
                st.info("The lead is already assigned that way.")
            elif attempt(lambda: leads.assign_lead(actor, lead.id, target)) is not None:
                saved(f"Lead assigned to {team[target]}." if target else "Lead returned to the pool.")
    elif current is None:
        st.caption("This lead is not assigned to anyone yet.")
        if st.button("Assign to me", key="lead_detail_claim", icon=":material/front_hand:") and \
                attempt(lambda: leads.assign_lead(actor, lead.id, actor.user_id)) is not None:
            saved("The lead is now assigned to you.")
    elif current == actor.user_id:
        st.caption("This lead is assigned to you.")
        if st.button("Return to the pool", key="lead_detail_release", icon=":material/undo:") and \
                attempt(lambda: leads.assign_lead(actor, lead.id, None)) is not None:
            saved("Lead returned to the pool.")
    else:
        st.caption("Only a manager can reassign this lead.")


def note_form(lead: LeadDetail) -> None:
    if st.session_state.pop(NOTE_RESET_KEY, False):  # set after a saved note; runs before the widget
        st.session_state.pop(NOTE_KEY, None)
    with st.form("lead_detail_note_form"):
        content = st.text_area("Note", key=NOTE_KEY, placeholder="What happened, what's next…",
                               height=100)
        submitted = st.form_submit_button("Add note", icon=":material/note_add:")
    if submitted and attempt(lambda: leads.add_note(actor, lead.id, NoteCreate(content=content))) is not None:
        st.session_state[NOTE_RESET_KEY] = True
        saved("Note added.")


def edit_form(lead: LeadDetail) -> None:
    with st.form("lead_detail_edit_form"):
        first, last = st.columns(2)
        values = {
            "first_name": first.text_input("First name", lead.first_name, key="lead_detail_edit_first_name"),
            "last_name": last.text_input("Last name", lead.last_name, key="lead_detail_edit_last_name"),
            "email": st.text_input("Email", lead.email or "", key="lead_detail_edit_email"),
            "phone": st.text_input("Phone", lead.phone or "", key="lead_detail_edit_phone"),
        }
        company, position = st.columns(2)
        values["company"] = company.text_input("Company", lead.company or "", key="lead_detail_edit_company")
        values["position"] = position.text_input("Position", lead.position or "", key="lead_detail_edit_position")
        kind, source = st.columns(2)
        values["lead_type"] = kind.selectbox("Type", list(LeadType), index=list(LeadType).index(lead.lead_type),
                                             format_func=enum_label, key="lead_detail_edit_lead_type")
        values["source"] = source.selectbox("Source", list(LeadSource), index=list(LeadSource).index(lead.source),
                                            format_func=enum_label, key="lead_detail_edit_source")
        values["value"] = st.number_input(
            "Value ($)", min_value=0.0, step=5000.0, format="%.2f", key="lead_detail_edit_value",
            value=float(lead.value) if lead.value is not None else None)
        city, state, zip_code = st.columns([2, 1, 1])
        values["city"] = city.text_input("City", lead.city or "", key="lead_detail_edit_city")
        values["state"] = state.text_input("State", lead.state or "", key="lead_detail_edit_state")
        values["zip_code"] = zip_code.text_input("ZIP code", lead.zip_code or "", key="lead_detail_edit_zip_code")
        fields = custom_field_inputs.definitions(actor)
        custom = custom_field_inputs.input_widgets(fields, "lead_detail_edit_cf", lead.custom_fields) if fields else {}
        submitted = st.form_submit_button("Save changes", type="primary", icon=":material/save:")
    if not submitted:
        return
    changes = forms.changed_fields(lead, values)
    if custom_changes := custom_field_inputs.changed_values(lead.custom_fields, custom):
        changes["custom_fields"] = custom_changes
    if not changes:
        st.info("Nothing to save: no field was changed.")
    elif attempt(lambda: leads.update_lead(actor, lead.id, LeadUpdate(**changes))) is not None:
        saved("Changes saved.")


back_to_leads()
lead_id = requested_lead_id()
if lead_id is None:
    st.info("Pick a lead on the Leads page to see it here.", icon=":material/touch_app:")
    st.stop()
forget_widgets_of_other_lead(lead_id)

try:
    lead = leads.get_lead(actor, lead_id)
except NotFound:
    not_visible()
except DomainError as exc:
    show_domain_error(exc)
    st.stop()

if notice := st.session_state.pop(NOTICE_KEY, None):
    st.toast(notice, icon=":material/check_circle:")
    st.success(notice, icon=":material/check_circle:")

st.title(lead.full_name)
with st.container(horizontal=True, gap="small"):
    components.status_badge(lead.status)
    st.badge(enum_label(lead.lead_type), icon=":material/person:", color="gray")
    st.badge(f"Source: {enum_label(lead.source)}", icon=":material/input:", color="gray")
    if lead.stage:
        st.badge(lead.stage, icon=":material/linear_scale:", color="gray")

score, value, assignee, contacted = st.columns(4)
score.metric("Score", f"{lead.score}/100", border=True)
value.metric("Value", money(lead.value), border=True)
assignee.metric("Assigned to", lead.assigned_to.name if lead.assigned_to else "Unassigned", border=True)
contacted.metric("Last contact", relative_time(lead.last_contact_at), border=True)
duplicates_notice(actor, lead)

show_error()
zone = user_zone(actor)
overview_tab, timeline_tab, notes_tab, task_tab, property_tab = st.tabs(
    ["Overview", "Timeline", "Notes", "Tasks", "Properties"], key="lead_detail_tabs")
with overview_tab:
    about, side = st.columns([3, 2], gap="large")
    with about:
        st.subheader("Contact")
        components.contact_lines(lead)
        if custom_fields := custom_field_inputs.definitions(actor):
            st.subheader("Details")
            custom_field_inputs.show_values(custom_fields, lead.custom_fields)
        st.subheader("Tags")
        components.tag_chips(lead.tags)
        with st.expander("Edit tags", icon=":material/sell:"):
            tag_editor(actor, lead)
        with st.expander("Edit details", icon=":material/edit:"):
            edit_form(lead)
    with side:
        st.subheader("Status")
        status_panel(lead)
        st.subheader("Assignee")
        assignee_panel(lead)
with timeline_tab:
    with st.expander("Log a call, meeting or showing", icon=":material/history_edu:"):
        log_activity_form(actor, lead, zone)
    kinds = {"activity": "Activities", "note": "Notes", "task": "Tasks", "message": "Messages"}
    shown = st.pills("Show", list(kinds), format_func=kinds.__getitem__, selection_mode="multi",
                     key="lead_detail_timeline_kinds", default=list(kinds))
    components.timeline([entry for entry in lead.timeline if entry.kind in shown or entry.kind not in kinds])
with notes_tab:
    st.subheader("Add a note")
    note_form(lead)
    st.subheader("Notes")
    notes_list(actor, lead)
with task_tab:
    tasks_tab(actor, lead, zone)
with property_tab:
    properties_tab(actor, lead)
