"""Dashboard read models: KPIs and chart series, aggregated in the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.enums import LeadStatus, TaskStatus
from crm.orm import Lead, Task
from crm.schemas.common import Actor
from crm.schemas.dashboard import (
    CountBy,
    DashboardOverview,
    Kpis,
    MonthAmount,
    PipelineStage,
    PipelineSummary,
)
from crm.services.access import user_timezone, visible_leads

OPEN_STATUSES = [s for s in LeadStatus if s.is_open]


def get_overview(
    actor: Actor, *, now: dt.datetime | None = None, months: int = 12, sessions: SessionFactory | None = None
) -> DashboardOverview:
    """Return the dashboard's KPIs and chart series for the leads the actor may see."""
    now = now or dt.datetime.now(dt.UTC)
    seen = visible_leads(actor)
    with transaction(sessions) as session:
        # Day and month boundaries in the user's own time zone, like the Tasks page.
        tz = user_timezone(session, actor)
        local_now = now.astimezone(tz)
        month_start = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
        day_start = dt.datetime.combine(local_now.date(), dt.time(), tzinfo=tz)  # DST-safe
        day_end = dt.datetime.combine(local_now.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        first_month = _add_months(local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
                                  -(months - 1))
        totals = session.execute(
            select(
                func.count(),
                func.sum(case((Lead.created_at >= month_start, 1), else_=0)),
                func.sum(case((Lead.status == LeadStatus.WON, 1), else_=0)),
                func.sum(case((Lead.status.in_(OPEN_STATUSES), Lead.value), else_=0)),
            ).where(seen)
        ).one()
        total, new_this_month, won, open_value = totals
        task_where = [Task.team_id == actor.team_id, Task.status.in_([TaskStatus.PENDING, TaskStatus.IN_PROGRESS]),
                      Task.due_date >= day_start.astimezone(dt.UTC), Task.due_date < day_end]
        if not actor.sees_all_team_data:
            task_where.append(Task.assigned_to_id == actor.user_id)
        tasks_today = session.scalar(select(func.count()).select_from(Task).where(*task_where)) or 0
        by_status = dict(session.execute(select(Lead.status, func.count()).where(seen).group_by(Lead.status)).all())
        by_source = session.execute(
            select(Lead.source, func.count()).where(seen).group_by(Lead.source).order_by(func.count().desc())
        ).all()
        month = _month_key(session, Lead.won_at)
        revenue = dict(session.execute(
            select(month, func.sum(Lead.value))
            .where(seen, Lead.status == LeadStatus.WON, Lead.won_at >= first_month.astimezone(dt.UTC))
            .group_by(month)
        ).all())
    months_axis = [_add_months(first_month, i).strftime("%Y-%m") for i in range(months)]
    return DashboardOverview(
        kpis=Kpis(
            total_leads=total or 0,
            new_this_month=new_this_month or 0,
            conversion_rate=(won or 0) / total if total else 0.0,
            open_pipeline_value=Decimal(open_value or 0).quantize(Decimal("0.01")),
            tasks_due_today=tasks_today,
        ),
        by_status=[CountBy(key=s.value, count=by_status.get(s, 0)) for s in LeadStatus],
        by_source=[CountBy(key=src.value, count=n) for src, n in by_source],
        won_revenue_by_month=[MonthAmount(month=m, amount=Decimal(revenue.get(m) or 0)) for m in months_axis],
    )


def get_pipeline_summary(actor: Actor, *, sessions: SessionFactory | None = None) -> PipelineSummary:
    """Return lead count and value per status, plus open and won totals."""
    with transaction(sessions) as session:
        rows = {
            status: (count, value)
            for status, count, value in session.execute(
                select(Lead.status, func.count(), func.coalesce(func.sum(Lead.value), 0))
                .where(visible_leads(actor)).group_by(Lead.status)
            ).all()
        }
    stages = [
        PipelineStage(status=s.value, count=rows.get(s, (0, 0))[0], value=Decimal(rows.get(s, (0, 0))[1]))
        for s in LeadStatus
    ]
    total = sum(st.count for st in stages)
    won = rows.get(LeadStatus.WON, (0, 0))
    return PipelineSummary(
        stages=stages,
        open_value=sum((st.value for st in stages if LeadStatus(st.status).is_open), Decimal(0)),
        won_value=Decimal(won[1]),
        conversion_rate=won[0] / total if total else 0.0,
    )


def _month_key(session: Session, column: Any) -> Any:
    """Return a 'YYYY-MM' (UTC) SQL expression for `column` on the session's dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def _add_months(day: dt.datetime, months: int) -> dt.datetime:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)
