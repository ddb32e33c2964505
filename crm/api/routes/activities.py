"""Activities: the team's feed, one activity, a lead's activities, and logging calls or meetings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ValidationError

from crm.api.deps import CurrentActor
from crm.api.errors import as_request_validation_error
from crm.api.schemas import error_responses
from crm.enums import ActivityType
from crm.schemas.activities import ActivityCreate, ActivityFilter, ActivityOut
from crm.schemas.common import Page
from crm.services import activities

router = APIRouter(prefix="/api", tags=["activities"])


def activity_filter(
    lead_id: int | None = None,
    type: ActivityType | None = None,  # noqa: A002 - the public parameter name
    since: Annotated[dt.datetime | None, Query(description="ISO 8601 with a time zone.")] = None,
    until: Annotated[dt.datetime | None, Query(description="ISO 8601 with a time zone (exclusive).")] = None,
    page: Annotated[int, Query(description="1-based.")] = 1,
    page_size: Annotated[int, Query(description="1 to 200.")] = 50,
) -> ActivityFilter:
    """Query string -> ActivityFilter; its rules answer 422 like any parameter."""
    try:
        return ActivityFilter(lead_id=lead_id, type=type, since=since, until=until, page=page, page_size=page_size)
    except ValidationError as exc:
        raise as_request_validation_error(exc, location="query") from None


@router.get("/activities", response_model=Page[ActivityOut], responses=error_responses(401, 404, 422))
def list_activities(actor: CurrentActor, filters: Annotated[ActivityFilter, Depends(activity_filter)]) -> Page[ActivityOut]:
    """The activities you may see, newest first."""
    return activities.list_activities(actor, filters)


@router.post("/activities", response_model=ActivityOut, status_code=201, responses=error_responses(401, 404, 422))
def log_activity(actor: CurrentActor, data: ActivityCreate, response: Response) -> ActivityOut:
    """Log a call, meeting, email, SMS or showing on a lead."""
    activity = activities.log_activity(actor, data)
    response.headers["Location"] = f"/api/activities/{activity.id}"
    return activity


@router.get("/activities/{activity_id}", response_model=ActivityOut, responses=error_responses(401, 404))
def get_activity(actor: CurrentActor, activity_id: int) -> ActivityOut:
    """One activity; ids you may not see answer 404."""
    return activities.get_activity(actor, activity_id)


@router.get("/leads/{lead_id}/activities", response_model=Page[ActivityOut], responses=error_responses(401, 404, 422))
def lead_activities(actor: CurrentActor, lead_id: int, page: int = 1, page_size: int = 50) -> Page[ActivityOut]:
    """A lead's activities, newest first."""
    try:
        filters = ActivityFilter(lead_id=lead_id, page=page, page_size=page_size)
    except ValidationError as exc:
        raise as_request_validation_error(exc, location="query") from None
    return activities.list_activities(actor, filters)
