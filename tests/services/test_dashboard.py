"""Dashboard KPIs and series, aggregated in the database for what the actor may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import update

from crm.db import transaction
from crm.enums import LeadSource, LeadStatus, TaskPriority, TeamRole
from crm.orm import Lead, Task
from crm.services import dashboard
from tests.factories import make_lead, make_member, make_team

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def test_kpis_and_series(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    agent = make_member(team, TeamRole.MEMBER)
    won = make_lead(owner, status=LeadStatus.WON, value=Decimal("600000"), source=LeadSource.ZILLOW)
    make_lead(owner, status=LeadStatus.QUALIFIED, value=Decimal("300000"), assigned_to_id=agent.user_id)
    old = make_lead(owner, status=LeadStatus.LOST, value=Decimal("900000"))
    make_lead(make_member(make_team(), TeamRole.OWNER), value=Decimal("1"))  # another team
    with transaction() as session:
        session.execute(update(Lead).where(Lead.id == won.id).values(
            won_at=dt.datetime(2026, 9, 3, tzinfo=dt.UTC), created_at=NOW - dt.timedelta(days=2)))
        session.execute(update(Lead).where(Lead.id == old.id).values(created_at=NOW - dt.timedelta(days=90)))
        session.add(Task(team_id=team, title="Call back", assigned_to_id=agent.user_id,
                         due_date=NOW + dt.timedelta(hours=2), priority=TaskPriority.HIGH))
        session.add(Task(team_id=team, title="Tomorrow", assigned_to_id=agent.user_id,
                         due_date=NOW + dt.timedelta(days=1, hours=2)))
    overview = dashboard.get_overview(owner, now=NOW)
    k = overview.kpis
    assert (k.total_leads, k.tasks_due_today) == (3, 1)
    assert k.conversion_rate == 1 / 3
    assert k.open_pipeline_value == Decimal("300000.00")
    assert {c.key: c.count for c in overview.by_status}["WON"] == 1
    assert [c.key for c in overview.by_status] == [s.value for s in LeadStatus]
    revenue = {m.month: m.amount for m in overview.won_revenue_by_month}
    assert len(revenue) == 12 and revenue["2026-09"] == Decimal("600000") and revenue["2026-11"] == 0


def test_agent_dashboard_counts_their_own_book(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    ava, ben = make_member(team), make_member(team)
    make_lead(owner, assigned_to_id=ava.user_id)
    make_lead(owner, assigned_to_id=ben.user_id)
    make_lead(owner, assigned_to_id=ben.user_id)
    assert dashboard.get_overview(ava).kpis.total_leads == 1
    assert dashboard.get_pipeline_summary(owner).stages[0].count == 3
