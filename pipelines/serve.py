"""Serve every flow on its cron schedule: `python -m pipelines.serve` (needs PREFECT_API_URL)."""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from crm.config import get_settings
from pipelines.daily_snapshot import daily_snapshot


def build_deployments() -> list[RunnerDeployment]:
    """Return the deployments this process serves, with schedules from settings."""
    settings = get_settings()
    return [
        daily_snapshot.to_deployment(
            name="nightly",
            schedule=Cron(settings.snapshot_cron, timezone=settings.timezone),
            description="Fill yesterday's analytics snapshot for every team.",
        ),
    ]


if __name__ == "__main__":
    serve(*build_deployments(), limit=4)
