"""The activity feed: list and read what happened with leads, log calls, meetings and showings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from crm.db import SessionFactory, transaction
from crm.errors import NotFound, ValidationFailed
from crm.orm import Activity, Lead, User
from crm.schemas.activities import ActivityCreate, ActivityFilter, ActivityOut
from crm.schemas.common import Actor, Page
from crm.schemas.leads import UserRef
from crm.services.access import load_lead, visible_leads
from crm.services.audit import emit_event, record_audit
from crm.services.permissions import Action, require

# A logged time may run a little ahead of the server clock, not into the future.
CLOCK_SKEW = dt.timedelta(minutes=5)


def list_activities(actor: Actor, filters: ActivityFilter, *,
                    sessions: SessionFactory | None = None) -> Page[ActivityOut]:
    """One page of the activities the actor may see, newest first.

    Agents see the activities of the leads they see; managers and above the whole team's
    (campaign activities without a lead included).
    """
    with transaction(sessions) as session:
        if filters.lead_id is not None:
            load_lead(session, actor, filters.lead_id)
        where = _visible(actor)
        if filters.lead_id is not None:
            where.append(Activity.lead_id == filters.lead_id)
        if filters.type is not None:
            where.append(Activity.type == filters.type)
        if filters.since is not None:
            where.append(Activity.created_at >= filters.since)
        if filters.until is not None:
            where.append(Activity.created_at < filters.until)
        base = select(Activity.id).outerjoin(Lead, Lead.id == Activity.lead_id).where(*where)
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = _rows(session, where, limit=filters.page_size, offset=(filters.page - 1) * filters.page_size)
    return Page(items=rows, total=total, page=filters.page, page_size=filters.page_size)


def get_activity(actor: Actor, activity_id: int, *, sessions: SessionFactory | None = None) -> ActivityOut:
    """One activity, if the actor may see its lead (another team's id answers NotFound)."""
    with transaction(sessions) as session:
        rows = _rows(session, [*_visible(actor), Activity.id == activity_id], limit=1)
    if not rows:
        raise NotFound(f"Activity {activity_id} was not found.")
    return rows[0]


def log_activity(actor: Actor, data: ActivityCreate, *, sessions: SessionFactory | None = None) -> ActivityOut:
    """Log a call, meeting, email, SMS or showing on a lead; it moves the lead's last contact forward."""
    require(actor, Action.EDIT_LEADS)
    now = dt.datetime.now(dt.UTC)
    occurred = data.occurred_at.astimezone(dt.UTC) if data.occurred_at else now
    if occurred > now + CLOCK_SKEW:
        raise ValidationFailed("An activity cannot be logged in the future.", field="occurred_at")
    with transaction(sessions) as session:
        lead = load_lead(session, actor, data.lead_id, for_update=True)
        activity = Activity(team_id=actor.team_id, lead_id=lead.id, user_id=actor.user_id, type=data.type,
                            title=data.title, description=data.description, created_at=occurred,
                            metadata_={"logged_by_hand": True})
        session.add(activity)
        if lead.last_contact_at is None or lead.last_contact_at < occurred:
            lead.last_contact_at = occurred
        session.flush()
        record_audit(session, actor=actor, action="activity.log", resource="activity", resource_id=activity.id,
                     changes={"lead_id": lead.id, "type": data.type.value})
        emit_event(session, actor, type="activity.logged", resource="lead", resource_id=lead.id,
                   payload={"lead_id": lead.id, "activity_id": activity.id, "type": data.type.value})
        return _rows(session, [Activity.id == activity.id], limit=1)[0]


def _visible(actor: Actor) -> list[Any]:
    if actor.sees_all_team_data:
        return [Activity.team_id == actor.team_id]
    # Only activities on leads the agent sees; outer join keeps the clause usable in counts.
    return [Activity.team_id == actor.team_id, Activity.lead_id.is_not(None), visible_leads(actor)]


def _rows(session: Session, where: list[Any], *, limit: int, offset: int = 0) -> list[ActivityOut]:
    user = aliased(User)
    stmt = (
        select(Activity, Lead.first_name, Lead.last_name, user.id, user.name)
        .outerjoin(Lead, Lead.id == Activity.lead_id)
        .outerjoin(user, user.id == Activity.user_id)
        .where(*where)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(limit).offset(offset)
    )
    return [
        ActivityOut(
            id=a.id, type=a.type, title=a.title, description=a.description, lead_id=a.lead_id,
            lead_name=f"{first} {last}".strip() if first is not None else None,
            user=UserRef(id=uid, name=uname or "") if uid else None,
            metadata=a.metadata_, created_at=a.created_at,
        )
        for a, first, last, uid, uname in session.execute(stmt).all()
    ]
