"""Dashboard and analytics read models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel


class Kpis(BaseModel):
    total_leads: int
    new_this_month: int
    conversion_rate: float  # won / all leads, 0..1
    open_pipeline_value: Decimal
    tasks_due_today: int


class CountBy(BaseModel):
    key: str
    count: int


class MonthAmount(BaseModel):
    month: str  # YYYY-MM
    amount: Decimal


class DashboardOverview(BaseModel):
    kpis: Kpis
    by_status: list[CountBy]
    by_source: list[CountBy]
    won_revenue_by_month: list[MonthAmount]


class SnapshotOut(BaseModel):
    team_id: int
    date: dt.date
    total_leads: int
    new_leads: int
    qualified_leads: int
    won_leads: int
    total_revenue: Decimal
    new_revenue: Decimal
    active_campaigns: int
    emails_sent: int
    emails_opened: int
    conversion_rate: float
    avg_lead_score: float


class PipelineStage(BaseModel):
    status: str
    count: int
    value: Decimal


class PipelineSummary(BaseModel):
    stages: list[PipelineStage]
    open_value: Decimal
    won_value: Decimal
    conversion_rate: float
