"""Dashboard: the five KPIs and the pipeline, source and revenue charts."""

from __future__ import annotations

import streamlit as st

from crm.errors import DomainError
from crm.ui import cached, charts, session
from crm.ui.errors import show_domain_error
from crm.ui.format import count, money, percent

actor = session.require_actor()

st.title("Dashboard")
st.caption("Your team's pipeline at a glance." if actor.sees_all_team_data
           else "Your leads and the unassigned pool at a glance.")

try:
    overview = cached.dashboard_overview(actor)
except DomainError as exc:
    show_domain_error(exc)
    st.stop()

kpis = overview.kpis
columns = st.columns([1, 1, 1, 1.5, 1])  # room for a nine-digit dollar amount
columns[0].metric("Total leads", count(kpis.total_leads), border=True)
columns[1].metric("New this month", count(kpis.new_this_month), border=True)
columns[2].metric("Conversion rate", percent(kpis.conversion_rate), border=True,
                  help="Won leads as a share of all leads.")
columns[3].metric("Open pipeline value", money(kpis.open_pipeline_value), border=True,
                  help="Expected value of leads that are neither won nor lost.")
columns[4].metric("Tasks due today", count(kpis.tasks_due_today), border=True)

if kpis.total_leads == 0:
    st.info("No leads yet. Add your first lead and the charts will fill in.", icon=":material/lightbulb:")
    st.page_link("pages/leads.py", label="Go to Leads", icon=":material/group:")
    st.stop()

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.leads_by_status(overview.by_status), key="dashboard_by_status")
with right:
    st.plotly_chart(charts.leads_by_source(overview.by_source), key="dashboard_by_source")
st.plotly_chart(charts.won_revenue_by_month(overview.won_revenue_by_month), key="dashboard_revenue")
