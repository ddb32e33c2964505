"""Saved reports and the daily analytics snapshots the dashboard trends read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import ReportType
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[ReportType] = mapped_column(enum_column(ReportType))
    description: Mapped[str | None] = mapped_column(Text)
    filters: Mapped[dict[str, Any] | None]
    group_by: Mapped[list[Any] | None]
    metrics: Mapped[list[Any] | None]
    is_scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule: Mapped[str | None] = mapped_column(String(100))  # cron expression
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_with: Mapped[list[Any] | None]  # user ids
    last_run_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]


class AnalyticsSnapshot(Base):
    """One row per team per day; re-running a day replaces its row."""

    __tablename__ = "analytics_snapshots"
    __table_args__ = (UniqueConstraint("team_id", "date"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    date: Mapped[dt.date] = mapped_column(Date)
    total_leads: Mapped[int] = mapped_column(Integer)
    new_leads: Mapped[int] = mapped_column(Integer)
    qualified_leads: Mapped[int] = mapped_column(Integer)
    won_leads: Mapped[int] = mapped_column(Integer)
    total_revenue: Mapped[Decimal]
    new_revenue: Mapped[Decimal]
    active_campaigns: Mapped[int] = mapped_column(Integer)
    emails_sent: Mapped[int] = mapped_column(Integer)
    emails_opened: Mapped[int] = mapped_column(Integer)
    conversion_rate: Mapped[float] = mapped_column(Float)
    avg_lead_score: Mapped[float] = mapped_column(Float)
    raw_data: Mapped[dict[str, Any]]
    created_at: Mapped[created_at_col]
