"""TOTP two-factor: enrolment, sign-in with a code or a single-use recovery code, disabling."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlalchemy import select

from crm.db import transaction
from crm.enums import TeamRole
from crm.errors import (
    AuthenticationFailed,
    Conflict,
    PermissionDenied,
    RateLimited,
    TwoFactorRequired,
    ValidationFailed,
)
from crm.orm import User
from crm.schemas.auth import LoginInput
from crm.schemas.common import Actor
from crm.security import decrypt_secret
from crm.services import auth, two_factor
from tests.factories import PASSWORD, make_member, make_team


class Totp(pyotp.TOTP):
    """An authenticator that hands out codes of time steps not used yet in this test.

    The server accepts the current step ±1, each step once; later steps first, so the
    code stays valid if the clock ticks over before it is checked. No sleeping.
    """

    used: set[int]

    def fresh(self) -> str:
        now = time.time()
        current = self.timecode(now)
        offset = next(o for o in (1, 0, -1) if current + o not in self.used)
        self.used.add(current + offset)
        return self.at(now, counter_offset=offset)


def _enrol(actor: Actor) -> tuple[Totp, list[str]]:
    setup = two_factor.begin_setup(actor)
    totp = Totp(setup.secret)
    totp.used = set()
    codes = two_factor.confirm_setup(actor, totp.fresh())
    return totp, codes


def _ticket(actor: Actor) -> str:
    with pytest.raises(TwoFactorRequired) as exc:
        auth.authenticate(LoginInput(email=actor.email, password=PASSWORD), ip_address="10.0.0.1")
    assert exc.value.message == "Enter the 6-digit code from your authenticator app."
    return exc.value.ticket


def _other_code(totp: pyotp.TOTP) -> str:
    """A valid-looking code of a step that is not accepted now (±1 steps are)."""
    return totp.at(time.time(), counter_offset=3)


def test_setup_gives_a_qr_and_stores_the_secret_encrypted(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER, email="olivia@harborandoak.com")
    setup = two_factor.begin_setup(owner)
    assert setup.otpauth_uri.startswith("otpauth://totp/RealEstate%20Pro:olivia%40harborandoak.com?secret=")
    assert setup.qr_svg.startswith("<svg") and setup.qr_png_data_uri.startswith("data:image/png;base64,")
    with transaction() as session:
        user = session.get(User, owner.user_id)
        assert user.two_factor_enabled is False
        assert setup.secret not in user.two_factor_secret
        assert decrypt_secret(user.two_factor_secret) == setup.secret
    with pytest.raises(ValidationFailed, match="not right"):
        two_factor.confirm_setup(owner, _other_code(pyotp.TOTP(setup.secret)))
    codes = two_factor.confirm_setup(owner, pyotp.TOTP(setup.secret).now())
    assert len(codes) == 10 and len(set(codes)) == 10
    with transaction() as session:
        user = session.get(User, owner.user_id)
        assert user.two_factor_enabled is True
        stored = user.two_factor_recovery_codes
        assert len(stored) == 10 and not set(codes) & set(stored)
    with pytest.raises(Conflict):
        two_factor.begin_setup(owner)


def test_sign_in_needs_the_code_once_2fa_is_on(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    totp, _ = _enrol(owner)
    ticket = _ticket(owner)
    with pytest.raises(AuthenticationFailed, match="code is not right"):
        auth.complete_two_factor(ticket, _other_code(totp), ip_address="10.0.0.1")
    with pytest.raises(AuthenticationFailed, match="code is not right"):
        auth.complete_two_factor(ticket, "abcdef", ip_address="10.0.0.1")
    code = totp.fresh()
    signed = auth.complete_two_factor(ticket, code, ip_address="10.0.0.1")
    assert signed.user_id == owner.user_id
    with pytest.raises(AuthenticationFailed, match="expired"):  # the ticket is single use
        auth.complete_two_factor(ticket, "123456", ip_address="10.0.0.1")
    # And the same code never works twice, even with a fresh ticket.
    with pytest.raises(AuthenticationFailed, match="code is not right"):
        auth.complete_two_factor(_ticket(owner), code, ip_address="10.0.0.1")
    # API login: the ticket comes back as TwoFactorRequired, then tokens.
    with pytest.raises(TwoFactorRequired) as exc:
        auth.login(LoginInput(email=owner.email, password=PASSWORD))
    assert auth.login_two_factor(exc.value.ticket, totp.fresh()).access_token


def test_a_recovery_code_works_once(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    _, codes = _enrol(owner)
    assert auth.complete_two_factor(_ticket(owner), codes[0].lower().replace("-", " ")).user_id == owner.user_id
    with pytest.raises(AuthenticationFailed, match="code is not right"):
        auth.complete_two_factor(_ticket(owner), codes[0])
    assert two_factor.recovery_codes_left(owner) == 9


def test_wrong_codes_are_throttled(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    totp, _ = _enrol(owner)
    ticket = _ticket(owner)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.complete_two_factor(ticket, _other_code(totp), ip_address="10.0.0.1")
    with pytest.raises(RateLimited, match="Try again in 15 minutes"):
        auth.complete_two_factor(ticket, totp.fresh(), ip_address="10.0.0.1")


def test_expired_ticket_is_refused(db: str) -> None:
    import datetime as dt

    from sqlalchemy import update

    from crm.orm import AuthToken

    owner = make_member(make_team(), TeamRole.OWNER)
    totp, _ = _enrol(owner)
    ticket = _ticket(owner)
    with transaction() as session:
        session.execute(update(AuthToken).where(AuthToken.purpose == "login_ticket")
                        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    with pytest.raises(AuthenticationFailed, match="expired"):
        auth.complete_two_factor(ticket, totp.fresh())


def test_disable_needs_password_and_code(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    totp, codes = _enrol(owner)
    with pytest.raises(ValidationFailed, match="password") as exc:
        two_factor.disable(owner, "not-my-password", totp.fresh())
    assert exc.value.field == "password"
    with pytest.raises(ValidationFailed, match="code is not right"):
        two_factor.disable(owner, PASSWORD, _other_code(totp))
    two_factor.disable(owner, PASSWORD, codes[3])
    with transaction() as session:
        user = session.scalars(select(User).where(User.id == owner.user_id)).one()
        assert (user.two_factor_enabled, user.two_factor_secret, user.two_factor_recovery_codes) == (False, None, None)
    assert auth.authenticate(LoginInput(email=owner.email, password=PASSWORD)).user_id == owner.user_id
    with pytest.raises(Conflict):
        two_factor.disable(owner, PASSWORD, codes[4])


@pytest.mark.parametrize("role", list(TeamRole))
def test_sensitive_pages_require_2fa_for_owners_and_admins(db: str, role: TeamRole) -> None:
    actor = make_member(make_team(), role)
    if role in (TeamRole.OWNER, TeamRole.ADMIN):
        with pytest.raises(PermissionDenied, match="Turn on two-factor"):
            two_factor.require_for_sensitive(actor)
        _enrol(actor)
        two_factor.require_for_sensitive(auth.get_actor(actor.user_id, actor.team_id))
    else:
        two_factor.require_for_sensitive(actor)


def test_wrong_passwords_when_disabling_are_throttled(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    _, codes = _enrol(owner)
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            two_factor.disable(owner, "guess-guess-guess", codes[0])
    with pytest.raises(RateLimited, match="Try again in 15 minutes"):
        two_factor.disable(owner, PASSWORD, codes[0])
    assert two_factor.recovery_codes_left(owner) == 10  # nothing was spent while refused


def test_a_user_deactivated_after_the_password_step_cannot_finish(db: str) -> None:
    from sqlalchemy import update

    owner = make_member(make_team(), TeamRole.OWNER)
    totp, _ = _enrol(owner)
    ticket = _ticket(owner)
    with transaction() as session:
        session.execute(update(User).where(User.id == owner.user_id).values(is_active=False))
    with pytest.raises(AuthenticationFailed, match="expired"):
        auth.complete_two_factor(ticket, totp.fresh())
