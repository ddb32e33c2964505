"""Sign-in, the acting identity, and API tokens (15-minute access, rotating 7-day refresh)."""

from __future__ import annotations

import datetime as dt
import secrets

import jwt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.config import get_settings
from crm.db import SessionFactory, transaction
from crm.enums import TeamRole
from crm.errors import AuthenticationFailed, NotFound, PermissionDenied
from crm.orm import RefreshToken, Team, TeamMember, User
from crm.schemas.auth import (
    CurrentUser,
    DemoAccount,
    LoginInput,
    LoginResult,
    Membership,
    SignedInUser,
    TokenPair,
)
from crm.schemas.common import Actor
from crm.security import create_token, decode_token, dummy_verify, verify_password
from crm.services.audit import record_audit

BAD_CREDENTIALS = "Email or password is incorrect."


def authenticate(
    data: LoginInput, *, ip_address: str | None = None, user_agent: str | None = None,
    sessions: SessionFactory | None = None,
) -> SignedInUser:
    """Check credentials; the same message for unknown email and wrong password."""
    email = data.email.strip().lower()
    with transaction(sessions) as session:
        user = session.scalars(select(User).where(User.email == email)).one_or_none()
        if user is None:
            dummy_verify(data.password)
            ok = False
        else:
            ok = verify_password(data.password, user.password_hash)
        if not ok or user is None:
            record_audit(session, action="auth.login_failed", resource="user",
                         resource_id=user.id if user else None, user_id=user.id if user else None,
                         changes={"email": email}, ip_address=ip_address, user_agent=user_agent)
        elif not user.is_active:
            record_audit(session, action="auth.login_refused_inactive", resource="user",
                         resource_id=user.id, user_id=user.id, ip_address=ip_address, user_agent=user_agent)
        else:
            user.last_login_at = dt.datetime.now(dt.UTC)
            user.last_login_ip = ip_address
            record_audit(session, action="auth.login", resource="user", resource_id=user.id,
                         user_id=user.id, ip_address=ip_address, user_agent=user_agent)
            return _signed_in(session, user)
    if user is not None and ok and not user.is_active:
        raise AuthenticationFailed("This account is deactivated. Ask your team owner to reactivate it.")
    raise AuthenticationFailed(BAD_CREDENTIALS)


def login(
    data: LoginInput, *, ip_address: str | None = None, user_agent: str | None = None,
    sessions: SessionFactory | None = None,
) -> LoginResult:
    """Check credentials and issue API tokens for the user's first team."""
    user = authenticate(data, ip_address=ip_address, user_agent=user_agent, sessions=sessions)
    if not user.memberships:
        raise PermissionDenied("This account does not belong to a team yet. Ask a team owner to invite you.")
    tokens = issue_tokens(get_actor(user.user_id, user.memberships[0].team_id, sessions=sessions),
                          sessions=sessions)
    return LoginResult(**tokens.model_dump(), user=user)


def current_user(actor: Actor, *, sessions: SessionFactory | None = None) -> CurrentUser:
    """Describe the acting user: the team they act in and all their teams."""
    return CurrentUser(
        user_id=actor.user_id, email=actor.email, name=actor.name, system_role=actor.system_role,
        team_id=actor.team_id, team_role=actor.team_role,
        memberships=list_memberships(actor.user_id, sessions=sessions),
    )


def get_actor(user_id: int, team_id: int | None = None, *, sessions: SessionFactory | None = None) -> Actor:
    """Build the Actor for a signed-in user in one of their teams (first team by default).

    Read fresh on every request, so a role change or deactivation takes effect at once.
    """
    with transaction(sessions) as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise AuthenticationFailed("Your session has ended. Please sign in again.")
        stmt = (
            select(TeamMember)
            .where(TeamMember.user_id == user_id)
            .order_by(TeamMember.joined_at, TeamMember.id)
        )
        if team_id is not None:
            stmt = stmt.where(TeamMember.team_id == team_id)
        member = session.scalars(stmt.limit(1)).one_or_none()
        if member is None:
            raise NotFound("You are not a member of this team.")
        return Actor(user_id=user.id, team_id=member.team_id, team_role=member.role,
                     system_role=user.role, name=user.name, email=user.email)


def issue_tokens(actor: Actor, *, sessions: SessionFactory | None = None) -> TokenPair:
    """Issue an access token and a refresh token whose id is stored for rotation/revocation."""
    settings = get_settings()
    jti = secrets.token_urlsafe(24)
    refresh_ttl = dt.timedelta(days=settings.refresh_token_days)
    with transaction(sessions) as session:
        session.add(RefreshToken(user_id=actor.user_id, jti=jti,
                                 expires_at=dt.datetime.now(dt.UTC) + refresh_ttl))
    claims = {"sub": str(actor.user_id), "team": actor.team_id}
    access_ttl = dt.timedelta(minutes=settings.access_token_minutes)
    return TokenPair(
        access_token=create_token(claims, expires_in=access_ttl, token_type="access"),
        refresh_token=create_token({**claims, "jti": jti}, expires_in=refresh_ttl, token_type="refresh"),
        expires_in=int(access_ttl.total_seconds()),
    )


def refresh_tokens(refresh_token: str, *, sessions: SessionFactory | None = None) -> TokenPair:
    """Rotate: a refresh token works once; reusing a spent one revokes the whole family."""
    try:
        claims = decode_token(refresh_token, token_type="refresh")
    except jwt.InvalidTokenError:
        raise AuthenticationFailed("The refresh token is invalid or expired.") from None
    user_id = int(claims["sub"])
    with transaction(sessions) as session:
        now = dt.datetime.now(dt.UTC)
        # Spend the token with one conditional UPDATE: of concurrent requests carrying the same
        # token exactly one sees a row change; a read-then-write would let several through.
        spent = session.execute(
            update(RefreshToken)
            .where(RefreshToken.jti == claims.get("jti"), RefreshToken.user_id == user_id,
                   RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now)
            .values(revoked_at=now)
        ).rowcount
        reused = False
        if spent != 1:
            known = session.scalar(select(RefreshToken.id).where(RefreshToken.jti == claims.get("jti"),
                                                                 RefreshToken.user_id == user_id))
            if known is None:
                raise AuthenticationFailed("The refresh token is invalid or expired.")
            # A spent token came back: someone holds a copy. End every session of this user.
            session.execute(update(RefreshToken).where(RefreshToken.user_id == user_id,
                                                       RefreshToken.revoked_at.is_(None))
                            .values(revoked_at=now))
            record_audit(session, action="auth.refresh_reuse_detected", resource="user",
                         resource_id=user_id, user_id=user_id)
            reused = True
    if reused:
        raise AuthenticationFailed("This session was ended for your safety. Please sign in again.")
    actor = get_actor(user_id, claims.get("team"), sessions=sessions)
    return issue_tokens(actor, sessions=sessions)


def actor_from_access_token(
    token: str, *, team_id: int | None = None, sessions: SessionFactory | None = None
) -> Actor:
    """Verify an access token and return the Actor it stands for (in `team_id` if given).

    A team the user no longer belongs to ends the token's validity (401), while an explicit
    `team_id` the user is not a member of answers "not found".
    """
    try:
        claims = decode_token(token, token_type="access")
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("The access token has expired.") from None
    except jwt.InvalidTokenError:
        raise AuthenticationFailed("The access token is invalid.") from None
    if team_id is not None:
        return get_actor(int(claims["sub"]), team_id, sessions=sessions)
    try:
        return get_actor(int(claims["sub"]), claims.get("team"), sessions=sessions)
    except NotFound:
        raise AuthenticationFailed("You are no longer a member of this team. Please sign in again.") from None


def list_memberships(user_id: int, *, sessions: SessionFactory | None = None) -> list[Membership]:
    """Return the teams a user belongs to, for the team switcher."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(Team.id, Team.name, TeamMember.role)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.user_id == user_id)
            .order_by(Team.name)
        ).all()
    return [Membership(team_id=r.id, team_name=r.name, role=r.role) for r in rows]


def demo_accounts() -> list[DemoAccount]:
    """Return the demo sign-ins to show on the sign-in page — only in demo mode."""
    if not get_settings().demo_mode:
        return []
    from crm.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    return [
        DemoAccount(email=a.email, name=a.name, role=TeamRole(a.team_role), password=DEMO_PASSWORD)
        for a in DEMO_ACCOUNTS
        if a.email.endswith("@harborandoak.com")
    ]


def _signed_in(session: Session, user: User) -> SignedInUser:
    rows = session.execute(
        select(Team.id, Team.name, TeamMember.role)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user.id)
        .order_by(TeamMember.joined_at, Team.id)
    ).all()
    return SignedInUser(
        user_id=user.id, email=user.email, name=user.name, system_role=user.role,
        memberships=[Membership(team_id=r.id, team_name=r.name, role=r.role) for r in rows],
    )
