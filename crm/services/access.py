"""Tenancy and role rules shared by every service: who may see and change what."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from crm.config import get_settings
from crm.enums import TeamRole
from crm.errors import NotFound, PermissionDenied
from crm.orm import Lead, TeamMember, User
from crm.schemas.common import Actor

MANAGERS = (TeamRole.OWNER, TeamRole.ADMIN, TeamRole.MANAGER)


def visible_leads(actor: Actor) -> ColumnElement[bool]:
    """Return the WHERE clause of the leads `actor` may see.

    Real-estate default: an agent works the leads assigned to them plus the unassigned pool;
    managers and above see the whole team. Another team's rows are never visible.
    """
    clause = Lead.team_id == actor.team_id
    if actor.sees_all_team_data:
        return clause
    return clause & or_(Lead.assigned_to_id == actor.user_id, Lead.assigned_to_id.is_(None))


def load_lead(session: Session, actor: Actor, lead_id: int, *, for_update: bool = False) -> Lead:
    """Fetch a lead the actor may see, or raise NotFound (also for other teams' ids)."""
    stmt = select(Lead).where(Lead.id == lead_id, visible_leads(actor))
    if for_update:
        stmt = stmt.with_for_update()
    lead = session.scalars(stmt).one_or_none()
    if lead is None:
        raise NotFound(f"Lead {lead_id} was not found.")
    return lead


def require_team_member(session: Session, actor: Actor, user_id: int) -> None:
    """Refuse ids of users who are not members of the actor's team."""
    found = session.scalar(
        select(TeamMember.id).where(TeamMember.team_id == actor.team_id, TeamMember.user_id == user_id)
    )
    if found is None:
        raise NotFound(f"User {user_id} is not a member of this team.")


def require_role(actor: Actor, *roles: TeamRole, action: str) -> None:
    """Raise PermissionDenied unless the actor holds one of `roles`."""
    if actor.team_role not in roles:
        raise PermissionDenied(f"Your role ({actor.team_role.value.lower()}) cannot {action}.")


def user_timezone(session: Session, actor: Actor) -> dt.tzinfo:
    """The actor's own time zone (profile), else the product's default: "today" is theirs."""
    for name in (session.scalar(select(User.timezone).where(User.id == actor.user_id)), get_settings().timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return dt.UTC
