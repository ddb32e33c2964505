"""Plotly figures for the dashboard, built from the dashboard read models."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from crm.schemas.dashboard import CountBy, MonthAmount
from crm.ui.format import enum_label

# One palette for statuses everywhere (chart bars and badges agree).
STATUS_COLORS = {
    "NEW": "#3b82f6",
    "CONTACTED": "#06b6d4",
    "QUALIFIED": "#8b5cf6",
    "PROPOSAL": "#f59e0b",
    "NEGOTIATION": "#f97316",
    "WON": "#16a34a",
    "LOST": "#9ca3af",
}
_LAYOUT = {"margin": {"l": 8, "r": 8, "t": 40, "b": 8}, "height": 340, "showlegend": False}


def leads_by_status(rows: list[CountBy]) -> go.Figure:
    """Bar per status, in pipeline order (the service returns them in that order)."""
    fig = go.Figure(go.Bar(
        x=[enum_label(r.key) for r in rows],
        y=[r.count for r in rows],
        marker_color=[STATUS_COLORS.get(r.key, "#64748b") for r in rows],
        text=[r.count for r in rows],
        textposition="outside",
        hovertemplate="%{x}: %{y:,} leads<extra></extra>",
    ))
    fig.update_layout(title="Leads by status", yaxis_title="Leads", **_LAYOUT)
    return fig


def leads_by_source(rows: list[CountBy]) -> go.Figure:
    """Donut of lead sources, largest first."""
    fig = go.Figure(go.Pie(
        labels=[enum_label(r.key) for r in rows],
        values=[r.count for r in rows],
        hole=0.55,
        sort=False,
        textinfo="percent",
        hovertemplate="%{label}: %{value:,} leads (%{percent})<extra></extra>",
    ))
    fig.update_layout(title="Leads by source", **{**_LAYOUT, "showlegend": True})
    return fig


def won_revenue_by_month(rows: list[MonthAmount]) -> go.Figure:
    """Won deal value per month, dollars on the axis."""
    months = [dt.date.fromisoformat(f"{r.month}-01") for r in rows]
    fig = go.Figure(go.Bar(
        x=[m.strftime("%b %Y") for m in months],
        y=[float(r.amount) for r in rows],
        marker_color=STATUS_COLORS["WON"],
        hovertemplate="%{x}: $%{y:,.0f}<extra></extra>",
    ))
    fig.update_layout(title="Won revenue by month", yaxis_tickprefix="$", yaxis_tickformat=",.0f", **_LAYOUT)
    return fig
