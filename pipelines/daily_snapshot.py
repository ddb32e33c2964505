"""The `daily-snapshot` flow: fill AnalyticsSnapshot for one day, for every team."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger, task

from crm.services import analytics


@task(retries=3, retry_delay_seconds=[1, 5, 30])
def list_teams() -> list[int]:
    return analytics.list_team_ids()


@task(retries=3, retry_delay_seconds=[1, 5, 30], task_run_name="snapshot-team-{team_id}-{day}")
def snapshot_team(team_id: int, day: dt.date) -> int:
    snap = analytics.take_daily_snapshot(team_id, day)
    return snap.total_leads


@flow(name="daily-snapshot", log_prints=True)
def daily_snapshot(day: dt.date | None = None) -> dict[int, int]:
    """Snapshot `day` (default: yesterday, the last complete UTC day); re-running replaces it."""
    day = day or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    totals = {team_id: snapshot_team(team_id, day) for team_id in list_teams()}
    get_run_logger().info("Snapshot %s written for %d team(s)", day.isoformat(), len(totals))
    return totals
