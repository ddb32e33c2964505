"""Browser sessions of the Streamlit app: a random token in a signed cookie, its hash here.

A session ends after `session_idle_minutes` (30) without activity, `session_absolute_hours`
(12) after it started however active the user is, when the user signs out everywhere,
changes or resets their password, or is deactivated (ASVS 7.3, 7.4).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update

from crm.config import get_settings
from crm.db import SessionFactory, transaction
from crm.errors import AuthenticationFailed, NotFound
from crm.orm import User, UserSession
from crm.schemas.common import Actor
from crm.services.audit import record_audit
from crm.services.auth import actor_in_session, hash_token, revoke_everything

# last_seen_at is written at most this often, so a page full of reruns is not a write storm.
TOUCH_EVERY = dt.timedelta(minutes=1)
ENDED = "Your session has ended. Please sign in again."


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start_browser_session(user_id: int, team_id: int | None, *, ip_address: str | None = None,
                          user_agent: str | None = None, sessions: SessionFactory | None = None) -> str:
    """Open a browser session for a user who just signed in; return the raw token (kept only hashed)."""
    settings = get_settings()
    raw = secrets.token_urlsafe(32)
    now = _now()
    with transaction(sessions) as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise AuthenticationFailed(ENDED)
        session.add(UserSession(
            user_id=user_id, team_id=team_id, token_hash=hash_token(raw), last_seen_at=now,
            expires_at=now + dt.timedelta(hours=settings.session_absolute_hours),
            ip_address=ip_address, user_agent=(user_agent or None) and user_agent[:500],
        ))
        record_audit(session, action="auth.session_started", resource="user_session", resource_id=user_id,
                     user_id=user_id, team_id=team_id, ip_address=ip_address, user_agent=user_agent)
    return raw


def _live(row: UserSession | None, now: dt.datetime) -> bool:
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return False
    idle = dt.timedelta(minutes=get_settings().session_idle_minutes)
    return now - row.last_seen_at <= idle


def resume_browser_session(token: str, *, sessions: SessionFactory | None = None) -> Actor | None:
    """Return the Actor of a live session, or None (unknown, ended, idle too long, too old, user inactive).

    Falls back to the user's first team when they left the session's team.
    """
    if not token:
        return None
    now = _now()
    with transaction(sessions) as session:
        row = session.scalars(select(UserSession).where(UserSession.token_hash == hash_token(token))).one_or_none()
        if row is None:
            return None
        if not _live(row, now):
            if row.revoked_at is None:
                row.revoked_at = now
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            row.revoked_at = now
            return None
        actor = actor_in_session(session, user, row.team_id) if row.team_id is not None else None
        if actor is None:
            actor = actor_in_session(session, user, None)
            if actor is None:
                return None
            row.team_id = actor.team_id
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
        return actor


def switch_session_team(token: str, team_id: int, *, sessions: SessionFactory | None = None) -> Actor:
    """Act in another of the user's teams from now on (NotFound for a team they are not in)."""
    now = _now()
    with transaction(sessions) as session:
        row = session.scalars(select(UserSession).where(UserSession.token_hash == hash_token(token))).one_or_none()
        user = session.get(User, row.user_id) if row is not None else None
        if row is None or user is None or not user.is_active or not _live(row, now):
            raise AuthenticationFailed(ENDED)
        actor = actor_in_session(session, user, team_id)
        if actor is None:
            raise NotFound("You are not a member of this team.")
        row.team_id = team_id
        row.last_seen_at = now
        return actor


def end_browser_session(token: str, *, sessions: SessionFactory | None = None) -> None:
    """End one browser session (this browser only); unknown tokens are ignored."""
    if not token:
        return
    with transaction(sessions) as session:
        session.execute(update(UserSession).where(UserSession.token_hash == hash_token(token),
                                                  UserSession.revoked_at.is_(None)).values(revoked_at=_now()))


def end_all_sessions(user_id: int, *, sessions: SessionFactory | None = None) -> None:
    """End every browser session and refresh token of a user (sign-out everywhere)."""
    with transaction(sessions) as session:
        revoke_everything(session, user_id)
        record_audit(session, action="auth.sessions_ended", resource="user", resource_id=user_id, user_id=user_id)
