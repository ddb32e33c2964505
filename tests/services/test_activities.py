"""Activities: logging calls and meetings, the feed's filters and visibility, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from crm.enums import ActivityType, LeadStatus, TeamRole
from crm.errors import NotFound, ValidationFailed
from crm.schemas.activities import ActivityCreate, ActivityFilter
from crm.services import activities, leads
from tests.factories import make_lead, make_member, make_team


def _call(lead_id: int, at: dt.datetime | None = None, kind: ActivityType = ActivityType.CALL_MADE) -> ActivityCreate:
    return ActivityCreate(lead_id=lead_id, type=kind, title="Called about the listing", occurred_at=at)


def test_logging_a_call_updates_last_contact_only_forward(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER, name="Olive")
    lead = make_lead(owner)
    assert leads.get_lead(owner, lead.id).last_contact_at is None
    logged = activities.log_activity(owner, _call(lead.id))
    assert (logged.type, logged.lead_id, logged.user.name) == (ActivityType.CALL_MADE, lead.id, "Olive")
    after = leads.get_lead(owner, lead.id).last_contact_at
    assert after is not None and abs(after - logged.created_at) < dt.timedelta(seconds=1)
    activities.log_activity(owner, _call(lead.id, dt.datetime.now(dt.UTC) - dt.timedelta(days=3)))
    assert leads.get_lead(owner, lead.id).last_contact_at == after  # an older call does not move it back
    assert leads.get_lead(owner, lead.id).timeline[0].title == "Called about the listing"


def test_only_contact_types_can_be_logged_and_not_in_the_future(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    with pytest.raises(ValidationError):
        _call(lead.id, kind=ActivityType.STATUS_CHANGED)
    with pytest.raises(ValidationError):
        _call(lead.id, at=dt.datetime(2026, 1, 1))  # naive
    with pytest.raises(ValidationFailed):
        activities.log_activity(owner, _call(lead.id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1)))


def test_feed_filters_by_lead_type_and_time(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    a, b = make_lead(owner), make_lead(owner)
    now = dt.datetime.now(dt.UTC)
    activities.log_activity(owner, _call(a.id, now - dt.timedelta(days=10)))
    activities.log_activity(owner, _call(a.id, now - dt.timedelta(hours=1), ActivityType.SHOWING_COMPLETED))
    leads.change_lead_status(owner, b.id, LeadStatus.CONTACTED)
    calls = activities.list_activities(owner, ActivityFilter(type=ActivityType.CALL_MADE))
    assert [i.lead_id for i in calls.items] == [a.id] and calls.total == 1
    recent_a = activities.list_activities(owner, ActivityFilter(lead_id=a.id, since=now - dt.timedelta(days=1),
                                                                     until=now - dt.timedelta(minutes=30)))
    assert [i.type for i in recent_a.items] == [ActivityType.SHOWING_COMPLETED]
    everything = activities.list_activities(owner, ActivityFilter(page_size=2))
    assert everything.total == 5 and len(everything.items) == 2  # 2 created, 2 logged, 1 status change
    assert everything.items[0].created_at >= everything.items[1].created_at


def test_agents_see_activities_of_their_leads_only(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    agent, other = make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER)
    mine = make_lead(owner, assigned_to_id=agent.user_id)
    theirs = make_lead(owner, assigned_to_id=other.user_id)
    hidden = activities.log_activity(owner, _call(theirs.id))
    activities.log_activity(owner, _call(mine.id))
    seen = activities.list_activities(agent, ActivityFilter())
    assert {i.lead_id for i in seen.items} == {mine.id}
    with pytest.raises(NotFound):
        activities.get_activity(agent, hidden.id)
    with pytest.raises(NotFound):
        activities.list_activities(agent, ActivityFilter(lead_id=theirs.id))
    with pytest.raises(NotFound):
        activities.log_activity(agent, _call(theirs.id))
    stranger = make_member(make_team(), TeamRole.OWNER)
    with pytest.raises(NotFound):
        activities.get_activity(stranger, hidden.id)
    assert activities.list_activities(stranger, ActivityFilter()).total == 0
