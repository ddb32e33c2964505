"""Tables: lead summaries as a DataFrame plus the column formatting Streamlit should apply."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.schemas.leads import LeadSummary
from crm.ui.format import enum_label


def lead_columns() -> dict[str, st.column_config.Column]:
    """Column formats; times are shown in the viewer's time zone when the browser tells us."""
    tz = st.context.timezone or None
    return {
        "Name": st.column_config.TextColumn("Name", width="medium"),
        "Status": st.column_config.TextColumn("Status", width="small"),
        "Score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100, format="%d",
                                                 width="small"),
        "Value": st.column_config.NumberColumn("Value", format="$%,d"),
        "Source": st.column_config.TextColumn("Source", width="small"),
        "Type": st.column_config.TextColumn("Type", width="small"),
        "Assignee": st.column_config.TextColumn("Assignee", width="small"),
        "City": st.column_config.TextColumn("City", width="small"),
        "Email": st.column_config.TextColumn("Email"),
        "Phone": st.column_config.TextColumn("Phone", width="small"),
        "Created": st.column_config.DatetimeColumn("Created", format="MMM D, YYYY", timezone=tz,
                                                   width="small"),
        "Last contact": st.column_config.DatetimeColumn("Last contact", format="distance", timezone=tz,
                                                        width="small"),
    }


COLUMN_NAMES = ["Name", "Status", "Score", "Value", "Source", "Type", "Assignee", "City", "Email", "Phone",
                "Created", "Last contact"]


def leads_frame(items: list[LeadSummary]) -> pd.DataFrame:
    """One row per lead, in the order given; the row position maps back to `items`."""
    rows = [
        {
            "Name": lead.full_name,
            "Status": enum_label(lead.status),
            "Score": lead.score,
            "Value": float(lead.value) if lead.value is not None else None,
            "Source": enum_label(lead.source),
            "Type": enum_label(lead.lead_type),
            "Assignee": lead.assigned_to.name if lead.assigned_to else "Unassigned",
            "City": lead.city or "",
            "Email": lead.email or "",
            "Phone": lead.phone or "",
            "Created": lead.created_at,
            "Last contact": lead.last_contact_at,
        }
        for lead in items
    ]
    frame = pd.DataFrame(rows, columns=COLUMN_NAMES)
    for column in ("Created", "Last contact"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
