"""Leads: search, filter, sort and page through the leads you may see; open one; add a new one;
change, assign, tag or delete many at once (the picked rows, or every lead matching the filters)."""

from __future__ import annotations

import streamlit as st

from crm.enums import LeadSource, LeadStatus, LeadType
from crm.schemas.leads import LeadCreate, LeadFilter, LeadSort
from crm.services import leads
from crm.ui import bulk_actions, cached, forms, lead_export, session
from crm.ui.errors import attempt
from crm.ui.format import count, enum_label
from crm.ui.tables import lead_columns, leads_frame

PAGE_SIZE = 50
PAGE_KEY = "leads_page"
TABLE_VERSION_KEY = "leads_table_version"
CREATED_KEY = "leads_created"
RESET_NEW_FORM_KEY = "leads_new_reset"
BULK_MODE_KEY = "leads_bulk_mode"
NEW_FIELDS = ("first_name", "last_name", "email", "phone", "company", "lead_type", "source", "status",
              "value", "city", "state", "zip_code", "assigned_to_id")
ANY, UNASSIGNED = "any", "unassigned"
SORT_LABELS = {
    LeadSort.NEWEST: "Newest first", LeadSort.OLDEST: "Oldest first", LeadSort.NAME: "Name (A–Z)",
    LeadSort.SCORE: "Highest score", LeadSort.VALUE: "Highest value", LeadSort.LAST_CONTACT: "Last contacted",
}

actor = session.require_actor()
team = {user.id: user.name for user in cached.assignees(actor)}


def to_first_page() -> None:
    st.session_state[PAGE_KEY] = 1


def step_page(delta: int) -> None:
    st.session_state[PAGE_KEY] = max(1, st.session_state.get(PAGE_KEY, 1) + delta)


def new_table() -> None:
    """A fresh table key: its row selection starts empty."""
    st.session_state[TABLE_VERSION_KEY] = st.session_state.get(TABLE_VERSION_KEY, 0) + 1


def open_lead(lead_id: int) -> None:
    st.session_state["lead_detail_id"] = lead_id
    # A fresh table key on return, so the old row selection does not reopen this lead.
    st.session_state[TABLE_VERSION_KEY] = st.session_state.get(TABLE_VERSION_KEY, 0) + 1
    st.switch_page("pages/lead_detail.py", query_params={"id": str(lead_id)})


def assignee_label(choice: str | int) -> str:
    if choice == ANY:
        return "Anyone"
    if choice == UNASSIGNED:
        return "Unassigned"
    return team.get(int(choice), "Former member")


def new_lead_form() -> None:
    if st.session_state.pop(RESET_NEW_FORM_KEY, False):
        for field in NEW_FIELDS:
            st.session_state.pop(f"leads_new_{field}", None)
    with st.form("leads_new_form"):
        first, last = st.columns(2)
        values = {
            "first_name": first.text_input("First name *", key="leads_new_first_name"),
            "last_name": last.text_input("Last name", key="leads_new_last_name"),
        }
        email, phone, company = st.columns(3)
        values["email"] = email.text_input("Email", key="leads_new_email", placeholder="name@example.com")
        values["phone"] = phone.text_input("Phone", key="leads_new_phone", placeholder="(617) 555-0123")
        values["company"] = company.text_input("Company", key="leads_new_company")
        kind, source, status, value = st.columns(4)
        values["lead_type"] = kind.selectbox("Type", list(LeadType), format_func=enum_label,
                                             key="leads_new_lead_type")
        values["source"] = source.selectbox("Source", list(LeadSource), format_func=enum_label,
                                            index=list(LeadSource).index(LeadSource.OTHER), key="leads_new_source")
        values["status"] = status.selectbox("Status", list(LeadStatus), format_func=enum_label,
                                            key="leads_new_status")
        values["value"] = value.number_input("Value ($)", min_value=0, step=5000, value=None,
                                             key="leads_new_value", placeholder="Expected deal value")
        city, state, zip_code, assignee = st.columns(4)
        values["city"] = city.text_input("City", key="leads_new_city")
        values["state"] = state.text_input("State", key="leads_new_state")
        values["zip_code"] = zip_code.text_input("ZIP code", key="leads_new_zip_code")
        if actor.sees_all_team_data:
            values["assigned_to_id"] = assignee.selectbox(
                "Assigned to", [None, *team], format_func=lambda uid: "Unassigned" if uid is None else team[uid],
                key="leads_new_assigned_to_id")
        else:
            assignee.caption("New leads you add are assigned to you.")
        st.caption("\\* required — and an email or a phone number.")
        submitted = st.form_submit_button("Create lead", type="primary", icon=":material/person_add:")
    if submitted:
        data = forms.without_none(forms.clean(values))
        created = attempt(lambda: leads.create_lead(actor, LeadCreate(**data)))
        if created is not None:
            cached.forget_reads()
            st.session_state[CREATED_KEY] = (created.id, created.full_name)
            st.session_state[RESET_NEW_FORM_KEY] = True
            st.rerun()


st.title("Leads")

if bulk_notice := bulk_actions.take_notice():
    st.toast(bulk_notice, icon=":material/check_circle:")
    st.success(bulk_notice, icon=":material/check_circle:")

if created := st.session_state.pop(CREATED_KEY, None):
    created_id, created_name = created
    st.toast(f"Lead {created_name} created", icon=":material/check_circle:")
    st.success(f"Lead **{created_name}** was created.", icon=":material/check_circle:")
    st.page_link("pages/lead_detail.py", label=f"Open {created_name}", icon=":material/arrow_forward:",
                 query_params={"id": str(created_id)})

with st.expander("New lead", icon=":material/person_add:"):
    new_lead_form()

search_col, status_col, source_col, assignee_col, sort_col = st.columns([3, 2, 2, 2, 2])
search = search_col.text_input("Search", key="leads_search", type="search", on_change=to_first_page,
                               placeholder="Name, email, company or phone", persist_state="session")
statuses = status_col.multiselect("Status", list(LeadStatus), format_func=enum_label, key="leads_statuses",
                                  on_change=to_first_page, placeholder="All", persist_state="session")
sources = source_col.multiselect("Source", list(LeadSource), format_func=enum_label, key="leads_sources",
                                 on_change=to_first_page, placeholder="All", persist_state="session")
assignee = assignee_col.selectbox("Assignee", [ANY, UNASSIGNED, *team], format_func=assignee_label,
                                  key="leads_assignee", on_change=to_first_page, persist_state="session")
sort = sort_col.selectbox("Sort by", list(LeadSort), format_func=SORT_LABELS.__getitem__, key="leads_sort",
                          on_change=to_first_page, persist_state="session")

filters = attempt(lambda: LeadFilter(
    search=search or None, statuses=statuses, sources=sources, sort=sort, page_size=PAGE_SIZE,
    unassigned=assignee == UNASSIGNED,
    assigned_to_id=assignee if isinstance(assignee, int) else None,
    page=st.session_state.get(PAGE_KEY, 1),
))
result = attempt(lambda: leads.list_leads(actor, filters)) if filters is not None else None
if result is None:
    st.stop()
if result.total and result.page > result.pages:  # the list shrank under us: show its last page
    st.session_state[PAGE_KEY] = result.pages
    st.rerun()

if not result.total:
    st.info("No leads match these filters." if (search or statuses or sources or assignee != ANY)
            else "No leads yet. Create the first one with **New lead** above.", icon=":material/search_off:")
    st.stop()

first_row = (result.page - 1) * result.page_size + 1
last_row = first_row + len(result.items) - 1
noun = "lead" if result.total == 1 else "leads"
caption_col, export_col = st.columns([5, 1], vertical_alignment="center")
caption_col.caption(f"{count(result.total)} {noun} · Showing {count(first_row)}–{count(last_row)} of {count(result.total)}")
with export_col:
    lead_export.export_control(actor, filters, result.total)

bulk_mode = st.toggle("Select leads for bulk actions", key=BULK_MODE_KEY, on_change=new_table,
                      help="Tick rows to change, assign, tag or delete them together")
table_key = f"leads_table_{st.session_state.get(TABLE_VERSION_KEY, 0)}"
page_ids = [lead.id for lead in result.items]
if bulk_mode:
    st.dataframe(
        leads_frame(result.items), key=table_key, selection_mode="multi-row", hide_index=True,
        on_select=lambda: bulk_actions.sync_from_table(table_key, page_ids), column_config=lead_columns(),
    )
    bulk_actions.bulk_bar(actor, result.items, result.total, filters, team, on_done=new_table)
else:
    selection = st.dataframe(
        leads_frame(result.items), key=table_key,
        on_select="rerun", selection_mode="single-row", hide_index=True, column_config=lead_columns(),
    )
    if selection.selection.rows:
        open_lead(result.items[selection.selection.rows[0]].id)

names = {lead.id: lead.full_name for lead in result.items}
pick, open_col, prev, page_no, nxt = st.columns([4, 1.4, 1.3, 1, 1.1], vertical_alignment="bottom")
choice = pick.selectbox("Jump to a lead", list(names), format_func=names.__getitem__, index=None,
                        placeholder="Select a row above, or pick a lead here", key="leads_open_choice")
opened = open_col.button("Open lead", key="leads_open_button", icon=":material/open_in_new:", disabled=choice is None)
if opened and choice is not None:
    open_lead(choice)
prev.button("Previous", key="leads_prev", icon=":material/chevron_left:", on_click=step_page, args=(-1,),
            disabled=result.page <= 1)
page_no.number_input(f"Page (of {count(result.pages)})", min_value=1, max_value=result.pages, key=PAGE_KEY,
                     persist_state="session")
nxt.button("Next", key="leads_next", icon=":material/chevron_right:", on_click=step_page, args=(1,),
           disabled=result.page >= result.pages)
