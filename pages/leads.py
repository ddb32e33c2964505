"""Leads: search, filter, sort and page through the leads you may see; keep filters as smart lists
(saved views, private or shared); open one; add a new one; change, assign, tag or delete many at
once (the picked rows, or every lead matching the filters)."""

from __future__ import annotations

import streamlit as st

from crm.enums import LeadSource, LeadStatus, LeadType
from crm.schemas.duplicates import REASON_LABELS, DuplicateMatch, DuplicateProbe
from crm.schemas.leads import LeadCreate
from crm.services import duplicates, leads
from crm.ui import (
    bulk_actions,
    cached,
    custom_field_inputs,
    forms,
    lead_export,
    lead_filters,
    saved_views_bar,
    session,
)
from crm.ui.errors import attempt
from crm.ui.format import count, enum_label
from crm.ui.tables import lead_columns, leads_frame

TABLE_VERSION_KEY = "leads_table_version"
CREATED_KEY = "leads_created"
RESET_NEW_FORM_KEY = "leads_new_reset"
NEW_DUPLICATES_KEY = "leads_new_duplicates"  # (the submitted lead, its likely duplicates) until confirmed
NEW_DUPLICATES_SHOWN = 5  # links to look-alikes under the form
BULK_MODE_KEY = "leads_bulk_mode"
NEW_FIELDS = ("first_name", "last_name", "email", "phone", "company", "lead_type", "source", "status",
              "value", "city", "state", "zip_code", "assigned_to_id")

actor = session.require_actor()
team = {user.id: user.name for user in cached.assignees(actor)}


def new_table() -> None:
    """A fresh table key: its row selection starts empty."""
    st.session_state[TABLE_VERSION_KEY] = st.session_state.get(TABLE_VERSION_KEY, 0) + 1


def open_lead(lead_id: int) -> None:
    st.session_state["lead_detail_id"] = lead_id
    # A fresh table key on return, so the old row selection does not reopen this lead.
    st.session_state[TABLE_VERSION_KEY] = st.session_state.get(TABLE_VERSION_KEY, 0) + 1
    st.switch_page("pages/lead_detail.py", query_params={"id": str(lead_id)})


def clear_filters() -> None:
    """on_click of "Clear filters": every filter off, no smart list selected, back to page 1."""
    lead_filters.clear_filters()
    st.session_state[saved_views_bar.VIEW_KEY] = saved_views_bar.NONE
    lead_filters.to_first_page()


def new_lead_form() -> None:
    if st.session_state.pop(RESET_NEW_FORM_KEY, False):
        for field in NEW_FIELDS:
            st.session_state.pop(f"leads_new_{field}", None)
        for key in [k for k in st.session_state if str(k).startswith("leads_new_cf_")]:
            del st.session_state[key]
    fields = custom_field_inputs.definitions(actor)
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
        custom = custom_field_inputs.input_widgets(fields, "leads_new_cf") if fields else {}
        st.caption("\\* required — and an email or a phone number.")
        submitted = st.form_submit_button("Create lead", type="primary", icon=":material/person_add:")
    if submitted:
        data = forms.without_none(forms.clean(values))
        data["custom_fields"] = forms.without_none(custom)
        st.session_state.pop(NEW_DUPLICATES_KEY, None)
        if (request := attempt(lambda: LeadCreate(**data))) is not None:
            matches = likely_duplicates(request)
            if matches:
                st.session_state[NEW_DUPLICATES_KEY] = (request, matches)
            else:
                create_new_lead(request)
    if pending := st.session_state.get(NEW_DUPLICATES_KEY):
        confirm_duplicate(*pending)


def likely_duplicates(request: LeadCreate) -> list[DuplicateMatch]:
    """Leads the new one may duplicate (a "+tag" or dotted Gmail address, the same phone, a similar
    name at the same company). The very same email is the create's own refusal: no warning."""
    probe = DuplicateProbe.model_construct(first_name=request.first_name, last_name=request.last_name,
                                           email=request.email, phone=request.phone, company=request.company)
    matches = attempt(lambda: duplicates.find_matches(actor, probe)) or []
    return [] if any(request.email and m.lead.email == request.email for m in matches) else matches


def confirm_duplicate(request: LeadCreate, matches: list[DuplicateMatch]) -> None:
    """Name the look-alikes (with links) and create only on "Create anyway"."""
    n = len(matches)
    st.warning(f"This lead looks like {n} lead{'s' if n != 1 else ''} you already have. Open "
               f"{'them' if n != 1 else 'it'} to check, or create the new lead anyway.", icon=":material/content_copy:")
    for match in matches[:NEW_DUPLICATES_SHOWN]:
        lead = match.lead
        contact = " · ".join(v for v in (lead.email, lead.phone, lead.company) if v)
        why = ", ".join(REASON_LABELS[r].lower() for r in match.reasons)
        st.page_link("pages/lead_detail.py", label=f"{lead.full_name or 'Unnamed'} — {contact} ({why})",
                     icon=":material/person:", query_params={"id": str(lead.id)})
    if n > NEW_DUPLICATES_SHOWN:
        st.caption(f"…and {n - NEW_DUPLICATES_SHOWN} more.")
    anyway, cancel = st.columns(2)
    if anyway.button("Create anyway", key="leads_new_create_anyway", type="primary", icon=":material/person_add:"):
        create_new_lead(request)
    if cancel.button("Don't create", key="leads_new_duplicates_cancel", icon=":material/close:"):
        st.session_state.pop(NEW_DUPLICATES_KEY, None)
        st.rerun()


def create_new_lead(request: LeadCreate) -> None:
    created = attempt(lambda: leads.create_lead(actor, request))
    if created is not None:
        cached.forget_reads()
        st.session_state.pop(NEW_DUPLICATES_KEY, None)
        st.session_state[CREATED_KEY] = (created.id, created.full_name)
        st.session_state[RESET_NEW_FORM_KEY] = True
        st.rerun()


st.title("Leads")

for notice in (bulk_actions.take_notice(), saved_views_bar.take_notice()):
    if notice:
        st.toast(notice, icon=":material/check_circle:")
        st.success(notice, icon=":material/check_circle:")

if created := st.session_state.pop(CREATED_KEY, None):
    created_id, created_name = created
    st.toast(f"Lead {created_name} created", icon=":material/check_circle:")
    st.success(f"Lead **{created_name}** was created.", icon=":material/check_circle:")
    st.page_link("pages/lead_detail.py", label=f"Open {created_name}", icon=":material/arrow_forward:",
                 query_params={"id": str(created_id)})

with st.expander("New lead", icon=":material/person_add:"):
    new_lead_form()

# Smart lists first: picking one fills the filter bar below before it renders.
fields = custom_field_inputs.definitions(actor)
views = saved_views_bar.views(actor)
saved_views_bar.prepare(views, fields, team)
view_col, save_col, manage_col = st.columns([5, 1.3, 1.3], vertical_alignment="bottom")
view = saved_views_bar.picker(view_col, views, fields, team)

tag_names = {tag.id: tag.name for tag in lead_filters.team_tags(actor)}
main = lead_filters.main_filters(team, tag_names)
more_col, clear_col, note_col = st.columns([1.6, 1.4, 6], vertical_alignment="center")
with more_col:
    more = lead_filters.more_filters(fields)
filters = attempt(lambda: lead_filters.build_filter(main, more))
if filters is None:
    st.stop()
clear_col.button("Clear filters", key="leads_clear_filters", icon=":material/filter_alt_off:", on_click=clear_filters,
                 disabled=not lead_filters.is_filtered(filters) and view is None)
with note_col:
    saved_views_bar.actions(save_col, manage_col, actor, view, filters)

page_filters, page_no = lead_filters.page_filter(filters)
result = attempt(lambda: leads.list_leads(actor, page_filters))
if result is None:
    st.stop()
if not result.items and page_no > 1:  # the list shrank under us: start again at its first page
    lead_filters.to_first_page()
    st.rerun()

if not result.items:
    st.info("No leads match these filters." if lead_filters.is_filtered(filters)
            else "No leads yet. Create the first one with **New lead** above.", icon=":material/search_off:")
    st.stop()

first_row = (page_no - 1) * lead_filters.PAGE_SIZE + 1
last_row = first_row + len(result.items) - 1
# Past the count's cap the total is a lower bound, never smaller than the rows already passed;
# on the last page the rows passed are the exact total.
exact = result.total_is_exact or result.next_cursor is None
matching = result.total if result.total_is_exact else last_row if exact else max(result.total, last_row)
if not exact and (counted := lead_filters.counted_total(filters)) is not None:
    matching, exact = counted, True  # "Count all" was asked for this view
total = count(matching) + ("" if exact else "+")
noun = "lead" if matching == 1 and exact else "leads"
caption_col, count_col, export_col = st.columns([4, 1, 1], vertical_alignment="center")
caption_col.caption(f"{total} {noun} · Showing {count(first_row)}–{count(last_row)} of {total}")
if not exact:
    count_col.button("Count all", key="leads_count_all", icon=":material/functions:",
                     on_click=lambda: lead_filters.count_all(actor, filters),
                     help=f"The list stops counting at {count(leads.COUNT_CAP)} to stay fast; this counts every match")
with export_col:
    lead_export.export_control(actor, filters, matching, total_is_exact=exact)

bulk_mode = st.toggle("Select leads for bulk actions", key=BULK_MODE_KEY, on_change=new_table,
                      help="Tick rows to change, assign, tag or delete them together")
# One table key per page: a row ticked on page 1 must not appear ticked on page 2.
table_key = f"leads_table_{st.session_state.get(TABLE_VERSION_KEY, 0)}_{lead_filters.page_token(page_filters)}"
page_ids = [lead.id for lead in result.items]
if bulk_mode:
    st.dataframe(
        leads_frame(result.items), key=table_key, selection_mode="multi-row", hide_index=True,
        on_select=lambda: bulk_actions.sync_from_table(table_key, page_ids), column_config=lead_columns(),
    )
    bulk_actions.bulk_bar(actor, result.items, matching, filters, team, on_done=new_table, total_is_exact=exact)
else:
    selection = st.dataframe(
        leads_frame(result.items), key=table_key,
        on_select="rerun", selection_mode="single-row", hide_index=True, column_config=lead_columns(),
    )
    if selection.selection.rows:
        open_lead(result.items[selection.selection.rows[0]].id)

names = {lead.id: lead.full_name for lead in result.items}
pick, open_col, prev, page_col, nxt = st.columns([4, 1.4, 1.3, 1, 1.1], vertical_alignment="bottom")
choice = pick.selectbox("Jump to a lead", list(names), format_func=names.__getitem__, index=None,
                        placeholder="Select a row above, or pick a lead here", key="leads_open_choice")
opened = open_col.button("Open lead", key="leads_open_button", icon=":material/open_in_new:", disabled=choice is None)
if opened and choice is not None:
    open_lead(choice)
prev.button("Previous", key="leads_prev", icon=":material/chevron_left:", on_click=lead_filters.previous_page,
            disabled=page_no <= 1)
page_col.markdown(f"Page {count(page_no)}")
nxt.button("Next", key="leads_next", icon=":material/chevron_right:", on_click=lead_filters.next_page,
           args=(result.next_cursor or "",), disabled=result.next_cursor is None)
