"""The Leads page's export control: the whole filtered view as CSV or XLSX."""

from __future__ import annotations

import streamlit as st

from crm.schemas.common import Actor
from crm.schemas.leads import LeadFilter
from crm.services import lead_export
from crm.services.lead_export import ExportFormat
from crm.services.permissions import Action, can
from crm.ui.errors import attempt
from crm.ui.format import count

FILE_KEY = "leads_export_file"


def export_control(actor: Actor, filters: LeadFilter, total: int, *, total_is_exact: bool = True) -> None:
    """A popover that prepares the file on demand (building it on every rerun would be wasteful)."""
    if not can(actor, Action.IMPORT_EXPORT):
        return
    filters = filters.model_copy(update={"cursor": None})  # the whole view, not from the page on screen
    how_many = count(total) + ("" if total_is_exact else "+")
    with st.popover("Export", icon=":material/download:"):
        st.caption(f"All {how_many} leads of this view, with their tags — not just this page. "
                   "Cells a spreadsheet would run as formulas are made harmless.")
        fmt = st.radio("Format", list(ExportFormat), format_func=lambda f: f.value.upper(),
                       horizontal=True, key="leads_export_format")
        if st.button("Prepare file", key="leads_export_prepare", icon=":material/description:"):
            with st.spinner(f"Exporting {how_many} leads…"):
                data = attempt(lambda: b"".join(lead_export.export_leads(actor, filters, fmt)))
            if data is not None:
                st.session_state[FILE_KEY] = (fmt, data)
        prepared = st.session_state.get(FILE_KEY)
        if prepared:
            fmt_done, data = prepared
            st.download_button(f"Download leads.{fmt_done.value}", data, file_name=f"leads.{fmt_done.value}",
                               mime=fmt_done.media_type, key="leads_export_download",
                               icon=":material/download:", type="primary")
