"""Sign-in, the acting identity, and API tokens (15-minute access, rotating 7-day refresh).

Also the account lifecycle: register, verify email, forgot/reset and change password,
sign-out everywhere, throttling of sign-in attempts and the two-factor step of sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets

import jwt
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.config import get_settings
from crm.db import SessionFactory, transaction
from crm.enums import TeamRole
from crm.errors import (
    AuthenticationFailed,
    DomainError,
    NotFound,
    PermissionDenied,
    RateLimited,
    TwoFactorRequired,
    ValidationFailed,
)
from crm.orm import AuditLog, AuthToken, LoginAttempt, RefreshToken, Team, TeamMember, User, UserSession
from crm.schemas.auth import (
    CurrentUser,
    DemoAccount,
    LoginInput,
    LoginResult,
    Membership,
    RegisterInput,
    SignedInUser,
    TokenPair,
)
from crm.schemas.common import Actor
from crm.security import create_token, decode_token, dummy_verify, hash_password, verify_password
from crm.services import passwords, teams, two_factor
from crm.services.audit import record_audit
from crm.services.mailer import send_email

BAD_CREDENTIALS = "Email or password is incorrect."
BAD_LINK = "This link is invalid, expired or already used. Ask for a new one."
LOGIN_TICKET = "login_ticket"
VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
TICKET_TTL = dt.timedelta(minutes=5)
VERIFY_TTL = dt.timedelta(hours=24)
RESET_TTL = dt.timedelta(hours=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def hash_token(raw: str) -> str:
    """SHA-256 of a random token: the only form in which emailed links and tickets are stored."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _normalize_email(email: str) -> str:
    return email.strip().lower()


# --- throttling -------------------------------------------------------------------------------

def wait_message(seconds: int, what: str = "sign-in attempts") -> str:
    """Say how long to wait, e.g. "Too many sign-in attempts. Try again in 12 minutes." (at least 1)."""
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many {what}. Try again in {minutes} {unit}."


def _wait_from(times: list[dt.datetime], now: dt.datetime) -> int:
    """Seconds until fewer than the limit of `times` (newest first) stay inside the window."""
    settings = get_settings()
    if len(times) < settings.auth_max_attempts:
        return 0
    window = dt.timedelta(minutes=settings.auth_window_minutes)
    free_at = times[settings.auth_max_attempts - 1] + window
    return max(0, math.ceil((free_at - now).total_seconds()))


def login_wait_seconds(session: Session, email: str, ip_address: str | None) -> int:
    """How long sign-in for `email` or from `ip_address` stays refused (0: not throttled).

    Counts failed attempts in the sliding window: per account (since its last success) and
    per client IP (across every email, so spraying many accounts from one address is caught).
    """
    settings = get_settings()
    now = _now()
    since = now - dt.timedelta(minutes=settings.auth_window_minutes)
    limit = settings.auth_max_attempts
    last_ok = session.scalar(select(func.max(LoginAttempt.created_at)).where(
        LoginAttempt.email == email, LoginAttempt.succeeded.is_(True), LoginAttempt.created_at > since))
    start = max(since, last_ok) if last_ok else since
    by_email = list(session.scalars(
        select(LoginAttempt.created_at).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False),
                                              LoginAttempt.created_at > start)
        .order_by(LoginAttempt.created_at.desc()).limit(limit)))
    waits = [_wait_from(by_email, now)]
    if ip_address:
        by_ip = list(session.scalars(
            select(LoginAttempt.created_at).where(LoginAttempt.ip_address == ip_address,
                                                  LoginAttempt.succeeded.is_(False),
                                                  LoginAttempt.created_at > since)
            .order_by(LoginAttempt.created_at.desc()).limit(limit)))
        waits.append(_wait_from(by_ip, now))
    return max(waits)


def _request_wait_seconds(session: Session, actions: tuple[str, ...], ip_address: str | None) -> int:
    """Throttle for register / forgot-password: requests per IP counted in the audit log."""
    if not ip_address:
        return 0
    settings = get_settings()
    now = _now()
    since = now - dt.timedelta(minutes=settings.auth_window_minutes)
    times = list(session.scalars(
        select(AuditLog.created_at).where(AuditLog.action.in_(actions), AuditLog.ip_address == ip_address,
                                          AuditLog.created_at > since)
        .order_by(AuditLog.created_at.desc()).limit(settings.auth_max_attempts)))
    return _wait_from(times, now)


def _record_attempt(session: Session, email: str, ip_address: str | None, *, succeeded: bool) -> None:
    session.add(LoginAttempt(email=email[:320], ip_address=ip_address, succeeded=succeeded))


# --- revocation -------------------------------------------------------------------------------

def revoke_everything(session: Session, user_id: int, *, keep_session_hash: str | None = None) -> None:
    """End every refresh token and browser session of a user (optionally keeping one session)."""
    now = _now()
    session.execute(update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_session_hash is not None:
        stmt = stmt.where(UserSession.token_hash != keep_session_hash)
    session.execute(stmt.values(revoked_at=now))


# --- sign-in ----------------------------------------------------------------------------------

def authenticate(
    data: LoginInput, *, ip_address: str | None = None, user_agent: str | None = None,
    sessions: SessionFactory | None = None,
) -> SignedInUser:
    """Check credentials; the same message for unknown email and wrong password.

    Refuses with RateLimited after 5 failures in 15 minutes per account or per IP, and raises
    TwoFactorRequired(ticket) instead of signing in when the account has two-factor on.
    """
    email = _normalize_email(data.email)
    error: DomainError
    with transaction(sessions) as session:
        wait = login_wait_seconds(session, email, ip_address)
        if wait:
            record_audit(session, action="auth.login_throttled", resource="user", changes={"email": email},
                         ip_address=ip_address, user_agent=user_agent)
            error = RateLimited(wait_message(wait), retry_after=wait)
        else:
            user = session.scalars(select(User).where(User.email == email)).one_or_none()
            if user is None:
                dummy_verify(data.password)
                ok = False
            else:
                ok = verify_password(data.password, user.password_hash)
            if not ok or user is None:
                _record_attempt(session, email, ip_address, succeeded=False)
                record_audit(session, action="auth.login_failed", resource="user",
                             resource_id=user.id if user else None, user_id=user.id if user else None,
                             changes={"email": email}, ip_address=ip_address, user_agent=user_agent)
                error = AuthenticationFailed(BAD_CREDENTIALS)
            elif not user.is_active:
                _record_attempt(session, email, ip_address, succeeded=False)
                record_audit(session, action="auth.login_refused_inactive", resource="user",
                             resource_id=user.id, user_id=user.id, ip_address=ip_address, user_agent=user_agent)
                error = AuthenticationFailed("This account is deactivated. Ask your team owner to reactivate it.")
            elif user.two_factor_enabled:
                ticket = secrets.token_urlsafe(32)
                session.add(AuthToken(user_id=user.id, purpose=LOGIN_TICKET, token_hash=hash_token(ticket),
                                      expires_at=_now() + TICKET_TTL))
                record_audit(session, action="auth.login_second_factor_requested", resource="user",
                             resource_id=user.id, user_id=user.id, ip_address=ip_address, user_agent=user_agent)
                error = TwoFactorRequired(ticket)
            else:
                return _complete_sign_in(session, user, ip_address=ip_address, user_agent=user_agent)
    raise error


def complete_two_factor(
    ticket: str, code: str, *, ip_address: str | None = None, user_agent: str | None = None,
    sessions: SessionFactory | None = None,
) -> SignedInUser:
    """Finish a sign-in with a TOTP code or an unused recovery code (throttled like passwords)."""
    error: DomainError
    with transaction(sessions) as session:
        now = _now()
        row = session.scalars(select(AuthToken).where(AuthToken.token_hash == hash_token(ticket),
                                                      AuthToken.purpose == LOGIN_TICKET)).one_or_none()
        user = session.get(User, row.user_id) if row is not None else None
        if row is None or user is None or row.used_at is not None or row.expires_at <= now:
            raise AuthenticationFailed("This sign-in has expired. Please sign in again.")
        wait = login_wait_seconds(session, user.email, ip_address)
        if wait:
            record_audit(session, action="auth.login_throttled", resource="user", resource_id=user.id,
                         user_id=user.id, ip_address=ip_address, user_agent=user_agent)
            error = RateLimited(wait_message(wait), retry_after=wait)
        elif not user.is_active or not user.two_factor_enabled:
            error = AuthenticationFailed("This sign-in has expired. Please sign in again.")
        elif two_factor.check_code(session, user, code):
            spent = session.execute(update(AuthToken).where(AuthToken.id == row.id, AuthToken.used_at.is_(None))
                                    .values(used_at=now)).rowcount
            if spent != 1:
                raise AuthenticationFailed("This sign-in has expired. Please sign in again.")
            return _complete_sign_in(session, user, ip_address=ip_address, user_agent=user_agent,
                                     method="password+totp")
        else:
            _record_attempt(session, user.email, ip_address, succeeded=False)
            record_audit(session, action="auth.login_second_factor_failed", resource="user", resource_id=user.id,
                         user_id=user.id, ip_address=ip_address, user_agent=user_agent)
            error = AuthenticationFailed("That code is not right. Check your authenticator app and try again.",
                                         field="code")
    raise error


def _complete_sign_in(session: Session, user: User, *, ip_address: str | None, user_agent: str | None,
                      method: str = "password") -> SignedInUser:
    user.last_login_at = _now()
    user.last_login_ip = ip_address
    _record_attempt(session, user.email, ip_address, succeeded=True)
    record_audit(session, action="auth.login", resource="user", resource_id=user.id, user_id=user.id,
                 changes={"method": method}, ip_address=ip_address, user_agent=user_agent)
    return _signed_in(session, user)


def login(
    data: LoginInput, *, ip_address: str | None = None, user_agent: str | None = None,
    sessions: SessionFactory | None = None,
) -> LoginResult:
    """Check credentials and issue API tokens for the user's first team.

    Raises TwoFactorRequired(ticket) when the account has two-factor on: finish with
    `login_two_factor(ticket, code)`.
    """
    user = authenticate(data, ip_address=ip_address, user_agent=user_agent, sessions=sessions)
    return _tokens_for(user, sessions=sessions)


def login_two_factor(
    ticket: str, code: str, *, ip_address: str | None = None, user_agent: str | None = None,
    sessions: SessionFactory | None = None,
) -> LoginResult:
    """Second step of an API sign-in: the ticket from `login` plus a TOTP or recovery code."""
    user = complete_two_factor(ticket, code, ip_address=ip_address, user_agent=user_agent, sessions=sessions)
    return _tokens_for(user, sessions=sessions)


def _tokens_for(user: SignedInUser, *, sessions: SessionFactory | None) -> LoginResult:
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


def get_actor(
    user_id: int, team_id: int | None = None, *, sessions: SessionFactory | None = None,
    password_stamp: int | None = None,
) -> Actor:
    """Build the Actor for a signed-in user in one of their teams (first team by default).

    Read fresh on every request, so a role change or deactivation takes effect at once.
    `password_stamp` (an access token's "pv" claim): a token issued before the last password
    change or reset carries an older stamp and is refused.
    """
    with transaction(sessions) as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise AuthenticationFailed("Your session has ended. Please sign in again.")
        if password_stamp is not None and password_stamp != _password_stamp(user):
            raise AuthenticationFailed("Your password was changed. Please sign in again.")
        actor = actor_in_session(session, user, team_id)
        if actor is None:
            raise NotFound("You are not a member of this team.")
        return actor


def _password_stamp(user: User) -> int:
    """Milliseconds of the last password change: access tokens carry it to die with a change."""
    return int(user.password_changed_at.timestamp() * 1000) if user.password_changed_at else 0


def actor_in_session(session: Session, user: User, team_id: int | None = None) -> Actor | None:
    """The Actor for `user` in `team_id` (first team if None), inside the caller's transaction."""
    stmt = (
        select(TeamMember)
        .where(TeamMember.user_id == user.id)
        .order_by(TeamMember.joined_at, TeamMember.id)
    )
    if team_id is not None:
        stmt = stmt.where(TeamMember.team_id == team_id)
    member = session.scalars(stmt.limit(1)).one_or_none()
    if member is None:
        return None
    return Actor(user_id=user.id, team_id=member.team_id, team_role=member.role,
                 system_role=user.role, name=user.name, email=user.email,
                 two_factor_enabled=user.two_factor_enabled)


def issue_tokens(actor: Actor, *, sessions: SessionFactory | None = None) -> TokenPair:
    """Issue an access token and a refresh token whose id is stored for rotation/revocation."""
    settings = get_settings()
    jti = secrets.token_urlsafe(24)
    refresh_ttl = dt.timedelta(days=settings.refresh_token_days)
    with transaction(sessions) as session:
        session.add(RefreshToken(user_id=actor.user_id, jti=jti,
                                 expires_at=dt.datetime.now(dt.UTC) + refresh_ttl))
        user = session.get(User, actor.user_id)
        stamp = _password_stamp(user) if user is not None else 0
    claims = {"sub": str(actor.user_id), "team": actor.team_id, "pv": stamp}
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
    stamp = int(claims.get("pv", 0))
    if team_id is not None:
        return get_actor(int(claims["sub"]), team_id, sessions=sessions, password_stamp=stamp)
    try:
        return get_actor(int(claims["sub"]), claims.get("team"), sessions=sessions, password_stamp=stamp)
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


# --- account lifecycle ------------------------------------------------------------------------

def _issue_link_token(session: Session, user_id: int, purpose: str, ttl: dt.timedelta) -> str:
    raw = secrets.token_urlsafe(32)
    session.add(AuthToken(user_id=user_id, purpose=purpose, token_hash=hash_token(raw), expires_at=_now() + ttl))
    return raw


def _find_link_token(session: Session, raw: str, purpose: str) -> AuthToken | None:
    row = session.scalars(select(AuthToken).where(AuthToken.token_hash == hash_token(raw),
                                                  AuthToken.purpose == purpose)).one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= _now():
        return None
    return row


def _spend(session: Session, row: AuthToken) -> bool:
    """Mark a token used with one conditional UPDATE: of concurrent uses exactly one wins."""
    return session.execute(update(AuthToken).where(AuthToken.id == row.id, AuthToken.used_at.is_(None))
                           .values(used_at=_now())).rowcount == 1


def _send_verification(session: Session, user: User) -> None:
    raw = _issue_link_token(session, user.id, VERIFY_EMAIL, VERIFY_TTL)
    link = f"{get_settings().app_url}/verify-email?token={raw}"
    send_email(session, to=user.email, subject="Confirm your email for RealEstate Pro", kind="verify_email",
               text=f"Hi {user.name},\n\nConfirm your email address by opening this link (valid 24 hours):\n"
                    f"{link}\n\nIf you did not sign up, ignore this message.")


def register(data: RegisterInput, *, ip_address: str | None = None, user_agent: str | None = None,
             sessions: SessionFactory | None = None) -> None:
    """Create an account (unverified) owning a new team, or joining one through an invitation.

    An email that already has an account gets a "you already have an account" message
    instead, and the caller sees exactly the same outcome (no account enumeration).
    """
    email = _normalize_email(data.email)
    passwords.check_password(data.password, email=email, name=data.name)
    password_hash = hash_password(data.password)  # also spent for known emails: same timing
    with transaction(sessions) as session:
        wait = _request_wait_seconds(session, ("auth.register", "auth.register_existing"), ip_address)
        if wait:
            error = RateLimited(wait_message(wait, "sign-up attempts"), retry_after=wait)
            record_audit(session, action="auth.register_throttled", resource="user", ip_address=ip_address,
                         user_agent=user_agent)
        else:
            error = None
            existing = session.scalars(select(User).where(User.email == email)).one_or_none()
            if existing is not None:
                link = f"{get_settings().app_url}/forgot-password"
                send_email(session, to=email, subject="You already have a RealEstate Pro account",
                           kind="account_exists",
                           text=f"Hi {existing.name},\n\nSomeone (hopefully you) tried to sign up with this "
                                f"email, but you already have an account. Sign in, or reset your password "
                                f"here: {link}\n\nIf this was not you, you can ignore this message.")
                record_audit(session, action="auth.register_existing", resource="user", resource_id=existing.id,
                             user_id=existing.id, ip_address=ip_address, user_agent=user_agent)
            else:
                user = User(email=email, name=data.name, password_hash=password_hash, email_verified=False,
                            password_changed_at=_now())
                session.add(user)
                session.flush()
                if data.invitation_token:
                    membership = teams.accept_invitation_in_session(session, user.id, data.invitation_token)
                    # The invitation reached this mailbox: that proves the address (done by teams).
                    team_id = membership.team_id
                else:
                    team_id = teams.create_team_in_session(session, user.id,
                                                           data.team_name or f"{data.name}'s team").id
                    _send_verification(session, user)
                record_audit(session, action="auth.register", resource="user", resource_id=user.id,
                             user_id=user.id, team_id=team_id, changes={"email": email},
                             ip_address=ip_address, user_agent=user_agent)
    if error is not None:
        raise error


def verify_email(token: str, *, sessions: SessionFactory | None = None) -> None:
    """Confirm an email address with the single-use link token (24 hours)."""
    with transaction(sessions) as session:
        row = _find_link_token(session, token, VERIFY_EMAIL)
        if row is None or not _spend(session, row):
            raise ValidationFailed(BAD_LINK, field="token")
        user = session.get(User, row.user_id)
        if user is None:
            raise ValidationFailed(BAD_LINK, field="token")
        user.email_verified = True
        record_audit(session, action="auth.email_verified", resource="user", resource_id=user.id, user_id=user.id)


def resend_verification(actor: Actor, *, sessions: SessionFactory | None = None) -> None:
    """Send a fresh verification link to the actor (nothing to do once verified)."""
    with transaction(sessions) as session:
        user = session.get(User, actor.user_id)
        if user is None or user.email_verified:
            return
        _send_verification(session, user)
        record_audit(session, actor=actor, action="auth.verification_resent", resource="user", resource_id=user.id)


def request_password_reset(email: str, *, ip_address: str | None = None,
                           sessions: SessionFactory | None = None) -> None:
    """Email a reset link (1 hour, single use) if the account exists; the same outcome either way."""
    email = _normalize_email(email)
    with transaction(sessions) as session:
        wait = _request_wait_seconds(session, ("auth.password_reset_requested",), ip_address)
        if wait:
            error: RateLimited | None = RateLimited(wait_message(wait, "password reset requests"), retry_after=wait)
        else:
            error = None
            user = session.scalars(select(User).where(User.email == email)).one_or_none()
            if user is not None and user.is_active:
                raw = _issue_link_token(session, user.id, RESET_PASSWORD, RESET_TTL)
                link = f"{get_settings().app_url}/reset-password?token={raw}"
                send_email(session, to=user.email, subject="Reset your RealEstate Pro password",
                           kind="reset_password",
                           text=f"Hi {user.name},\n\nChoose a new password with this link (valid 1 hour, "
                                f"usable once):\n{link}\n\nIf you did not ask for this, ignore this message; "
                                f"your password stays the same.")
            record_audit(session, action="auth.password_reset_requested", resource="user",
                         resource_id=user.id if user else None, user_id=user.id if user else None,
                         ip_address=ip_address)
    if error is not None:
        raise error


def reset_password(token: str, new_password: str, *, sessions: SessionFactory | None = None) -> None:
    """Set a new password with a reset link; every browser session and refresh token ends."""
    with transaction(sessions) as session:
        row = _find_link_token(session, token, RESET_PASSWORD)
        user = session.get(User, row.user_id) if row is not None else None
        if row is None or user is None or not user.is_active:
            raise ValidationFailed(BAD_LINK, field="token")
        passwords.check_password(new_password, email=user.email, name=user.name)  # before spending the link
        if not _spend(session, row):
            raise ValidationFailed(BAD_LINK, field="token")
        _set_password(session, user, new_password)
        # Any other reset link still in a mailbox dies with this one.
        session.execute(update(AuthToken).where(AuthToken.user_id == user.id, AuthToken.purpose == RESET_PASSWORD,
                                                AuthToken.used_at.is_(None)).values(used_at=_now()))
        user.email_verified = True  # the link reached the mailbox
        revoke_everything(session, user.id)
        record_audit(session, action="auth.password_reset", resource="user", resource_id=user.id, user_id=user.id)


def change_password(actor: Actor, current_password: str, new_password: str, *,
                    keep_session: str | None = None, sessions: SessionFactory | None = None) -> None:
    """Change the actor's password; every other browser session and every refresh token ends.

    `keep_session`: the raw browser-session token of the caller, which stays signed in.
    """
    error: DomainError | None = None
    with transaction(sessions) as session:
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound("Your account was not found.")
        wait = login_wait_seconds(session, user.email, None)
        if wait:
            error = RateLimited(wait_message(wait, "wrong passwords"), retry_after=wait)
        elif not verify_password(current_password, user.password_hash):
            _record_attempt(session, user.email, None, succeeded=False)
            record_audit(session, actor=actor, action="auth.password_change_failed", resource="user",
                         resource_id=user.id)
            error = ValidationFailed("Your current password is not right.", field="current_password")
        else:
            passwords.check_password(new_password, email=user.email, name=user.name)
            _set_password(session, user, new_password)
            revoke_everything(session, user.id,
                              keep_session_hash=hash_token(keep_session) if keep_session else None)
            record_audit(session, actor=actor, action="auth.password_changed", resource="user", resource_id=user.id)
    if error is not None:
        raise error


def _set_password(session: Session, user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    user.password_changed_at = _now()


def logout(actor: Actor, *, sessions: SessionFactory | None = None) -> None:
    """Sign out everywhere: every refresh token and browser session of the user ends."""
    with transaction(sessions) as session:
        revoke_everything(session, actor.user_id)
        record_audit(session, actor=actor, action="auth.logout", resource="user", resource_id=actor.user_id)
