"""Administration: the users list with activate/deactivate (system admins) and the audit log.

Users are global (they span teams), so managing them takes the system role ADMIN. The audit
log is readable by system admins (everything) and by team OWNERs/ADMINs (their team only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.enums import SystemRole
from crm.errors import NotFound, PermissionDenied, ValidationFailed
from crm.orm import AuditLog, RefreshToken, Team, TeamMember, User, UserSession
from crm.schemas.admin import AdminUserOut, AuditFilter, AuditOut, UserFilter
from crm.schemas.auth import Membership
from crm.schemas.common import Actor, Page
from crm.services.audit import record_audit
from crm.services.permissions import Action, require


def _is_system_admin(actor: Actor) -> bool:
    return actor.system_role is SystemRole.ADMIN


def _require_system_admin(actor: Actor) -> None:
    """Raise PermissionDenied unless the actor holds the system role ADMIN."""
    if not _is_system_admin(actor):
        raise PermissionDenied("Only system administrators can manage user accounts.")


def list_users(actor: Actor, filters: UserFilter, *, sessions: SessionFactory | None = None) -> Page[AdminUserOut]:
    """Return one page of every user account, searchable by name or email."""
    _require_system_admin(actor)
    where: list[Any] = []
    if filters.search:
        term = f"%{filters.search.lower()}%"
        where.append(or_(func.lower(User.name).like(term), User.email.like(term)))
    if filters.active is not None:
        where.append(User.is_active.is_(filters.active))
    with transaction(sessions) as session:
        total = session.scalar(select(func.count()).select_from(User).where(*where)) or 0
        users = session.scalars(
            select(User).where(*where).order_by(User.name, User.id)
            .limit(filters.page_size).offset((filters.page - 1) * filters.page_size)
        ).all()
        items = [_user_out(session, u) for u in users]
    return Page(items=items, total=total, page=filters.page, page_size=filters.page_size)


def get_user(actor: Actor, user_id: int, *, sessions: SessionFactory | None = None) -> AdminUserOut:
    """Return one user account with its team memberships."""
    _require_system_admin(actor)
    with transaction(sessions) as session:
        return _user_out(session, _load_user(session, user_id))


def set_user_active(
    actor: Actor, user_id: int, active: bool, *, sessions: SessionFactory | None = None
) -> AdminUserOut:
    """Activate or deactivate an account; deactivating ends its browser sessions and API tokens."""
    _require_system_admin(actor)
    with transaction(sessions) as session:
        user = _load_user(session, user_id, for_update=True)
        if user.id == actor.user_id and not active:
            raise ValidationFailed("You cannot deactivate your own account.")
        if user.is_active != active:
            user.is_active = active
            if not active:
                now = dt.datetime.now(dt.UTC)
                session.execute(update(UserSession).where(UserSession.user_id == user.id,
                                                          UserSession.revoked_at.is_(None)).values(revoked_at=now))
                session.execute(update(RefreshToken).where(RefreshToken.user_id == user.id,
                                                           RefreshToken.revoked_at.is_(None)).values(revoked_at=now))
            record_audit(session, actor=actor, action="admin.user_activate" if active else "admin.user_deactivate",
                         resource="user", resource_id=user.id, changes={"is_active": {"from": not active, "to": active}})
            session.flush()
        return _user_out(session, user)


def list_audit_logs(actor: Actor, filters: AuditFilter, *, sessions: SessionFactory | None = None) -> Page[AuditOut]:
    """Return audit entries, newest first: all of them for system admins, else the team's."""
    where: list[Any] = []
    if not _is_system_admin(actor):
        require(actor, Action.VIEW_AUDIT_LOG)
        where.append(AuditLog.team_id == actor.team_id)
    if filters.action:
        where.append(AuditLog.action.like(f"{filters.action}%"))
    if filters.resource:
        where.append(AuditLog.resource == filters.resource)
    if filters.user_id is not None:
        where.append(AuditLog.user_id == filters.user_id)
    if filters.since:
        where.append(AuditLog.created_at >= filters.since)
    if filters.until:
        where.append(AuditLog.created_at < filters.until)
    with transaction(sessions) as session:
        total = session.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0
        rows = session.execute(
            select(AuditLog, User.name).outerjoin(User, User.id == AuditLog.user_id).where(*where)
            .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            .limit(filters.page_size).offset((filters.page - 1) * filters.page_size)
        ).all()
    items = [AuditOut(id=a.id, created_at=a.created_at, user_id=a.user_id, user_name=name, team_id=a.team_id,
                      action=a.action, resource=a.resource, resource_id=a.resource_id, changes=a.changes,
                      ip_address=a.ip_address, user_agent=a.user_agent) for a, name in rows]
    return Page(items=items, total=total, page=filters.page, page_size=filters.page_size)


def _load_user(session: Session, user_id: int, *, for_update: bool = False) -> User:
    stmt = select(User).where(User.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    user = session.scalars(stmt).one_or_none()
    if user is None:
        raise NotFound(f"User {user_id} was not found.")
    return user


def _user_out(session: Session, user: User) -> AdminUserOut:
    rows = session.execute(
        select(Team.id, Team.name, TeamMember.role).join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user.id).order_by(Team.name)
    ).all()
    return AdminUserOut(
        id=user.id, email=user.email, name=user.name, system_role=user.role, is_active=user.is_active,
        email_verified=user.email_verified, two_factor_enabled=user.two_factor_enabled,
        created_at=user.created_at, last_login_at=user.last_login_at,
        memberships=[Membership(team_id=r.id, team_name=r.name, role=r.role) for r in rows],
    )
