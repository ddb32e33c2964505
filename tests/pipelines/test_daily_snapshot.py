"""The daily-snapshot flow and the service behind it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from crm.db import transaction
from crm.enums import LeadStatus, TeamRole
from crm.orm import AnalyticsSnapshot, Lead
from crm.services import analytics
from tests.factories import make_lead, make_member, make_team

DAY = dt.date(2026, 3, 14)


def _backdate(lead_id: int, when: dt.datetime) -> None:
    with transaction() as session:
        session.execute(update(Lead).where(Lead.id == lead_id).values(created_at=when))


def _brokerage() -> tuple[int, int]:
    team, other = make_team(), make_team()
    owner = make_member(team, TeamRole.OWNER)
    noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC)
    _backdate(make_lead(owner, status=LeadStatus.WON, value=Decimal("500000")).id, noon - dt.timedelta(days=3))
    _backdate(make_lead(owner, status=LeadStatus.QUALIFIED).id, noon)
    _backdate(make_lead(owner).id, noon)
    _backdate(make_lead(owner).id, noon + dt.timedelta(days=1))  # after the day: not counted
    make_lead(make_member(other, TeamRole.OWNER))  # another team: never counted
    return team, other


def test_snapshot_counts_one_teams_day(db: str) -> None:
    team, _ = _brokerage()
    snap = analytics.take_daily_snapshot(team, DAY)
    assert (snap.total_leads, snap.new_leads, snap.qualified_leads, snap.won_leads) == (3, 2, 1, 1)
    assert snap.total_revenue == Decimal("500000.00")
    assert snap.conversion_rate == pytest.approx(1 / 3)


def test_rerunning_a_day_replaces_its_row(db: str) -> None:
    team, _ = _brokerage()
    analytics.take_daily_snapshot(team, DAY)
    with transaction() as session:
        session.execute(update(Lead).where(Lead.team_id == team).values(status=LeadStatus.WON))
    again = analytics.take_daily_snapshot(team, DAY)
    with transaction() as session:
        rows = session.scalar(select(func.count()).select_from(AnalyticsSnapshot)
                              .where(AnalyticsSnapshot.team_id == team, AnalyticsSnapshot.date == DAY))
    assert rows == 1 and again.won_leads == 3


@pytest.mark.flows
def test_flow_snapshots_every_team(db: str, prefect_server: None) -> None:
    from pipelines.daily_snapshot import daily_snapshot

    team, other = _brokerage()
    totals = daily_snapshot(day=DAY)
    assert totals == {team: 3, other: 0}
    daily_snapshot(day=DAY)  # idempotent re-run
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(AnalyticsSnapshot)) == 2


def test_serve_schedules_the_flow_on_cron() -> None:
    from pipelines.serve import build_deployments

    (deployment,) = build_deployments()
    assert deployment.flow_name == "daily-snapshot"
    assert deployment.schedules[0].schedule.cron == "5 0 * * *"
