"""TOTP two-factor authentication (RFC 6238) with single-use recovery codes.

The TOTP secret is stored AES-256-GCM encrypted (crm.security.encrypt_secret); recovery
codes are stored as SHA-256 hashes (they are 60-bit random values, so a fast hash is
enough) and each works once. A TOTP code is accepted one step either side of now
(valid_window=1) and only once: the used time step is remembered (ASVS 6.5.1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.enums import SystemRole, TeamRole
from crm.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited, ValidationFailed
from crm.orm import AuthToken, LoginAttempt, User
from crm.schemas.auth import TwoFactorSetup
from crm.schemas.common import Actor
from crm.security import decrypt_secret, encrypt_secret, verify_password
from crm.services.audit import record_audit

ISSUER = "RealEstate Pro"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
TOTP_STEP_PURPOSE = "totp_step"
WRONG_CODE = "That code is not right. Check your authenticator app and try again."
SENSITIVE_MESSAGE = "Turn on two-factor authentication in Settings before opening this page."


def _load(session: Session, actor: Actor, *, for_update: bool = False) -> User:
    stmt = select(User).where(User.id == actor.user_id)
    if for_update:
        stmt = stmt.with_for_update()
    user = session.scalars(stmt).one_or_none()
    if user is None:
        raise NotFound("Your account was not found.")
    return user


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalize_recovery(code).encode("ascii", "ignore")).hexdigest()


def _normalize_recovery(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", code).upper()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _totp(user: User) -> pyotp.TOTP | None:
    if not user.two_factor_secret:
        return None
    try:
        return pyotp.TOTP(decrypt_secret(user.two_factor_secret))
    except (InvalidTag, ValueError):
        return None


def _check_totp(session: Session, user: User, totp: pyotp.TOTP, code: str) -> bool:
    """Accept a 6-digit code of the current step or one either side, each step only once."""
    digits = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", digits) or not totp.verify(digits, valid_window=1):
        return False
    now = time.time()
    step = next((totp.timecode(now) + offset for offset in (0, -1, 1)
                 if hmac.compare_digest(totp.at(now, counter_offset=offset), digits)), None)
    if step is None:
        return False
    # Remember the used step; the unique token_hash makes a replay (even a concurrent one) fail.
    when = dt.datetime.now(dt.UTC)
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.purpose == TOTP_STEP_PURPOSE,
                                            AuthToken.expires_at < when))
    marker = hashlib.sha256(f"totp:{user.id}:{step}".encode()).hexdigest()
    try:
        with session.begin_nested():
            session.add(AuthToken(user_id=user.id, purpose=TOTP_STEP_PURPOSE, token_hash=marker,
                                  expires_at=when + dt.timedelta(minutes=3), used_at=when))
    except IntegrityError:
        return False
    return True


def _use_recovery_code(user: User, code: str) -> bool:
    wanted = _hash_recovery(code)
    stored = list(user.two_factor_recovery_codes or [])
    for index, candidate in enumerate(stored):
        if hmac.compare_digest(str(candidate), wanted):
            user.two_factor_recovery_codes = stored[:index] + stored[index + 1:]  # a new list: JSON change seen
            return True
    return False


def check_code(session: Session, user: User, code: str) -> bool:
    """True for a fresh TOTP code or an unused recovery code (which is then spent)."""
    totp = _totp(user)
    if totp is None:
        return False
    if _check_totp(session, user, totp, code):
        return True
    return len(_normalize_recovery(code)) == 12 and _use_recovery_code(user, code)


def begin_setup(actor: Actor, *, sessions: SessionFactory | None = None) -> TwoFactorSetup:
    """Create a new TOTP secret (kept encrypted, not yet active) and the QR code to scan it."""
    secret = pyotp.random_base32()
    with transaction(sessions) as session:
        user = _load(session, actor)
        if user.two_factor_enabled:
            raise Conflict("Two-factor authentication is already on. Turn it off first to set it up again.")
        user.two_factor_secret = encrypt_secret(secret)
        record_audit(session, actor=actor, action="2fa.setup_started", resource="user", resource_id=user.id)
        email = user.email
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m")
    return TwoFactorSetup(secret=secret, otpauth_uri=uri, qr_svg=qr.svg_inline(scale=5),
                          qr_png_data_uri=qr.png_data_uri(scale=5))


def confirm_setup(actor: Actor, code: str, *, sessions: SessionFactory | None = None) -> list[str]:
    """Turn two-factor on once a code from the app proves the secret was scanned.

    Returns 10 recovery codes: shown once, stored only as hashes.
    """
    with transaction(sessions) as session:
        user = _load(session, actor, for_update=True)
        if user.two_factor_enabled:
            raise Conflict("Two-factor authentication is already on.")
        totp = _totp(user)
        if totp is None:
            raise ValidationFailed("Start the two-factor setup first.", field="code")
        ok = _check_totp(session, user, totp, code)
        if ok:
            codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
            user.two_factor_enabled = True
            user.two_factor_recovery_codes = [_hash_recovery(c) for c in codes]
            record_audit(session, actor=actor, action="2fa.enabled", resource="user", resource_id=user.id)
            return codes
        record_audit(session, actor=actor, action="2fa.code_rejected", resource="user", resource_id=user.id)
    raise ValidationFailed(WRONG_CODE, field="code")


def disable(actor: Actor, password: str, code: str, *, sessions: SessionFactory | None = None) -> None:
    """Turn two-factor off; needs the password and a current code (or a recovery code).

    Wrong passwords or codes count as failed sign-ins: throttled like the sign-in form.
    """
    from crm.services import auth  # auth imports this module for the sign-in step

    error: DomainError | None = None
    with transaction(sessions) as session:
        user = _load(session, actor, for_update=True)
        if not user.two_factor_enabled:
            raise Conflict("Two-factor authentication is already off.")
        wait = auth.login_wait_seconds(session, user.email, None)
        if wait:
            error = RateLimited(auth.wait_message(wait, "wrong attempts"), retry_after=wait)
        elif not verify_password(password, user.password_hash):
            error = ValidationFailed("Your password is not right.", field="password")
        elif not check_code(session, user, code):
            error = ValidationFailed(WRONG_CODE, field="code")
        else:
            user.two_factor_enabled = False
            user.two_factor_secret = None
            user.two_factor_recovery_codes = None
            record_audit(session, actor=actor, action="2fa.disabled", resource="user", resource_id=user.id)
            return
        if isinstance(error, ValidationFailed):
            session.add(LoginAttempt(email=user.email, ip_address=None, succeeded=False))
        record_audit(session, actor=actor, action="2fa.disable_refused", resource="user", resource_id=user.id,
                     changes={"reason": error.field or "throttled"})
    raise error


def recovery_codes_left(actor: Actor, *, sessions: SessionFactory | None = None) -> int:
    """How many unused recovery codes the actor still has."""
    with transaction(sessions) as session:
        return len(_load(session, actor).two_factor_recovery_codes or [])


def require_for_sensitive(actor: Actor) -> None:
    """Owners, team admins and system admins need two-factor on before billing, admin or API-key pages."""
    privileged = actor.team_role in (TeamRole.OWNER, TeamRole.ADMIN) or actor.system_role is SystemRole.ADMIN
    if privileged and not actor.two_factor_enabled:
        raise PermissionDenied(SENSITIVE_MESSAGE)
