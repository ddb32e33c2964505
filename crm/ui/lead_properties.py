"""The lead page's Properties tab (listings of interest) and its "possible duplicates" notice."""

from __future__ import annotations

import streamlit as st

from crm.schemas.common import Actor
from crm.schemas.leads import LeadDetail
from crm.services import duplicates, lead_properties
from crm.ui.errors import attempt
from crm.ui.format import absolute_time, enum_label, money


def duplicates_notice(actor: Actor, lead: LeadDetail) -> None:
    """A warning with a link to compare, when other leads look like this one."""
    matches = attempt(lambda: duplicates.duplicates_of(actor, lead.id))
    if not matches:
        return
    n = len(matches)
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.warning(f"{n} possible duplicate{'s' if n != 1 else ''} of this lead.", icon=":material/content_copy:")
        st.page_link("pages/duplicates.py", label="Compare and merge", icon=":material/compare_arrows:",
                     query_params={"lead": str(lead.id)})


def properties_tab(actor: Actor, lead: LeadDetail) -> None:
    """Listings the lead viewed, saved, asked about or toured, most recent first."""
    interests = attempt(lambda: lead_properties.list_interests(actor, lead.id))
    if interests is None:
        return
    if not interests:
        st.info("No listings yet: homes this lead views, saves, asks about or tours show up here.",
                icon=":material/home:")
        return
    st.dataframe(
        [{
            "Address": f"{i.address}, {i.city}, {i.state} {i.zip_code}",
            "Price": money(i.list_price),
            "Status": enum_label(i.status),
            "Type": enum_label(i.property_type),
            "Beds": i.beds,
            "Baths": float(i.baths) if i.baths is not None else None,
            "Sq ft": i.sqft,
            "Interest": ", ".join(enum_label(k) for k in i.kinds),
            "Last": absolute_time(i.last_at),
        } for i in interests],
        hide_index=True, width="stretch",
    )
