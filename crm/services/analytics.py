"""Daily analytics snapshots: one row per team per day, recomputed idempotently."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import case, delete, func, select

from crm.db import SessionFactory, transaction
from crm.enums import ActivityType, CampaignStatus, LeadStatus, MessageDirection, MessageType
from crm.orm import Activity, AnalyticsSnapshot, Campaign, Lead, Message, Team
from crm.schemas.common import Actor
from crm.schemas.dashboard import SnapshotOut


def list_team_ids(*, sessions: SessionFactory | None = None) -> list[int]:
    """Return every team id (system job use: the snapshot flow iterates over teams)."""
    with transaction(sessions) as session:
        return list(session.scalars(select(Team.id).order_by(Team.id)))


def take_daily_snapshot(team_id: int, day: dt.date, *, sessions: SessionFactory | None = None) -> SnapshotOut:
    """Compute `day`'s metrics for one team (UTC day) and replace that day's row.

    A system job (no user actor): it reads one team's rows and writes only that team's snapshot.
    """
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    with transaction(sessions) as session:
        lead = session.execute(
            select(
                func.count(),
                func.sum(case((Lead.created_at >= start, 1), else_=0)),
                func.sum(case((Lead.status == LeadStatus.QUALIFIED, 1), else_=0)),
                func.sum(case((Lead.status == LeadStatus.WON, 1), else_=0)),
                func.sum(case((Lead.status == LeadStatus.WON, Lead.value), else_=0)),
                func.sum(case(((Lead.status == LeadStatus.WON) & (Lead.won_at >= start), Lead.value), else_=0)),
                func.avg(Lead.score),
            ).where(Lead.team_id == team_id, Lead.created_at < end)
        ).one()
        total, new, qualified, won, revenue, new_revenue, avg_score = lead
        by_status = {s.value: n for s, n in session.execute(
            select(Lead.status, func.count()).where(Lead.team_id == team_id, Lead.created_at < end)
            .group_by(Lead.status)).all()}
        by_source = {s.value: n for s, n in session.execute(
            select(Lead.source, func.count()).where(Lead.team_id == team_id, Lead.created_at < end)
            .group_by(Lead.source)).all()}
        active_campaigns = session.scalar(select(func.count()).select_from(Campaign).where(
            Campaign.team_id == team_id, Campaign.status == CampaignStatus.ACTIVE)) or 0
        emails_sent = session.scalar(select(func.count()).select_from(Message).where(
            Message.team_id == team_id, Message.type == MessageType.EMAIL,
            Message.direction == MessageDirection.OUTBOUND,
            Message.created_at >= start, Message.created_at < end)) or 0
        emails_opened = session.scalar(select(func.count()).select_from(Activity).where(
            Activity.team_id == team_id, Activity.type == ActivityType.EMAIL_OPENED,
            Activity.created_at >= start, Activity.created_at < end)) or 0
        session.execute(delete(AnalyticsSnapshot).where(
            AnalyticsSnapshot.team_id == team_id, AnalyticsSnapshot.date == day))
        snap = AnalyticsSnapshot(
            team_id=team_id, date=day, total_leads=total or 0, new_leads=new or 0,
            qualified_leads=qualified or 0, won_leads=won or 0,
            total_revenue=Decimal(revenue or 0).quantize(Decimal("0.01")),
            new_revenue=Decimal(new_revenue or 0).quantize(Decimal("0.01")),
            active_campaigns=active_campaigns, emails_sent=emails_sent, emails_opened=emails_opened,
            conversion_rate=(won or 0) / total if total else 0.0,
            avg_lead_score=float(avg_score or 0.0),
            raw_data={"by_status": by_status, "by_source": by_source},
        )
        session.add(snap)
        session.flush()
        return _out(snap)


def list_snapshots(actor: Actor, *, days: int = 90, sessions: SessionFactory | None = None) -> list[SnapshotOut]:
    """Return the actor's team's snapshots for the last `days` days, oldest first."""
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)
    with transaction(sessions) as session:
        rows = session.scalars(select(AnalyticsSnapshot).where(
            AnalyticsSnapshot.team_id == actor.team_id, AnalyticsSnapshot.date >= since)
            .order_by(AnalyticsSnapshot.date)).all()
        return [_out(r) for r in rows]


def _out(s: AnalyticsSnapshot) -> SnapshotOut:
    return SnapshotOut.model_validate(s, from_attributes=True)
