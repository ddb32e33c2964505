"""Register, verify email, forgot/reset and change password, sign-out everywhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select, update

from crm.db import transaction
from crm.enums import TeamRole
from crm.errors import AuthenticationFailed, NotFound, RateLimited, ValidationFailed
from crm.orm import AuthToken, OutboxDelivery, RefreshToken, TeamMember, User, UserSession
from crm.schemas.auth import LoginInput, RegisterInput
from crm.services import auth, sessions
from crm.services.mailer import last_email_to
from tests.factories import PASSWORD, make_member, make_team

NEW_PASSWORD = "kestrel-veranda-quartz-91"


def _link_token(email: str, path: str) -> str:
    with transaction() as session:
        mail = last_email_to(session, email)
        assert mail is not None
        match = re.search(rf"/{path}\?token=([A-Za-z0-9_\-]+)", mail.body)
        assert match, mail.body
        return match.group(1)


def _emails_to(email: str) -> list[OutboxDelivery]:
    with transaction() as session:
        return list(session.scalars(select(OutboxDelivery).where(OutboxDelivery.to_address == email)))


def _register(email: str, **kw: object) -> None:
    auth.register(RegisterInput(email=email, password=kw.pop("password", PASSWORD),  # type: ignore[arg-type]
                                name=kw.pop("name", "Nora Newcomer"), **kw))  # type: ignore[arg-type]


def test_register_creates_an_unverified_owner_of_a_new_team_and_verify_link_works_once(db: str) -> None:
    _register("Nora@NewAgency.com", team_name="Nora Realty")
    with transaction() as session:
        user = session.scalars(select(User).where(User.email == "nora@newagency.com")).one()
        assert user.email_verified is False
        member = session.scalars(select(TeamMember).where(TeamMember.user_id == user.id)).one()
        assert member.role is TeamRole.OWNER
        uid = user.id
    signed_in = auth.authenticate(LoginInput(email="nora@newagency.com", password=PASSWORD))
    assert signed_in.memberships[0].team_name == "Nora Realty"

    token = _link_token("nora@newagency.com", "verify-email")
    auth.verify_email(token)
    with transaction() as session:
        assert session.get(User, uid).email_verified is True
    with pytest.raises(ValidationFailed, match="invalid, expired or already used"):
        auth.verify_email(token)


def test_verify_link_expires(db: str) -> None:
    _register("late@newagency.com")
    token = _link_token("late@newagency.com", "verify-email")
    with transaction() as session:
        session.execute(update(AuthToken).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    with pytest.raises(ValidationFailed, match="expired"):
        auth.verify_email(token)


def test_register_with_a_known_email_looks_the_same_and_sends_a_notice(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    assert _register(owner.email) is None  # no error, no hint
    mails = _emails_to(owner.email)
    assert len(mails) == 1 and "already have a RealEstate Pro account" in mails[0].subject
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == owner.email)) == 1
        # Password unchanged.
    assert auth.authenticate(LoginInput(email=owner.email, password=PASSWORD))


def test_register_enforces_the_password_policy_before_anything(db: str) -> None:
    with pytest.raises(ValidationFailed, match="at least 12"):
        _register("short@newagency.com", password="Sh0rt-pass!")
    with pytest.raises(ValidationFailed, match="commonly used"):
        _register("common@newagency.com", password="password1234")
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_register_is_throttled_per_ip(db: str) -> None:
    for n in range(5):
        auth.register(RegisterInput(email=f"bulk{n}@newagency.com", password=PASSWORD, name="Bulk"),
                      ip_address="198.51.100.4")
    with pytest.raises(RateLimited, match="Try again in 15 minutes"):
        auth.register(RegisterInput(email="bulk9@newagency.com", password=PASSWORD, name="Bulk"),
                      ip_address="198.51.100.4")


def test_register_through_an_invitation_joins_that_team_verified(db: str) -> None:
    from crm.schemas.teams import InviteInput
    from crm.services import teams

    team = make_team("Harbor & Oak")
    owner = make_member(team, TeamRole.OWNER)
    teams.invite_member(owner, InviteInput(email="invitee@newagency.com", role=TeamRole.MANAGER))
    token = _link_token("invitee@newagency.com", "accept-invite")
    _register("invitee@newagency.com", invitation_token=token)
    user = auth.authenticate(LoginInput(email="invitee@newagency.com", password=PASSWORD))
    assert [(m.team_id, m.role) for m in user.memberships] == [(team, TeamRole.MANAGER)]
    with transaction() as session:
        assert session.get(User, user.user_id).email_verified is True
    with pytest.raises((ValidationFailed, NotFound)):
        _register("someone-else@newagency.com", invitation_token=token)


def test_password_reset_is_the_same_for_unknown_emails_single_use_and_ends_sessions(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    assert auth.request_password_reset("nobody@nowhere-agency.com") is None
    assert _emails_to("nobody@nowhere-agency.com") == []
    assert auth.request_password_reset(agent.email.upper()) is None
    token = _link_token(agent.email, "reset-password")

    pair = auth.login(LoginInput(email=agent.email, password=PASSWORD))
    browser = sessions.start_browser_session(agent.user_id, agent.team_id)

    with pytest.raises(ValidationFailed, match="at least 12"):
        auth.reset_password(token, "too-short")  # a refused password does not spend the link
    auth.reset_password(token, NEW_PASSWORD)
    with pytest.raises(ValidationFailed, match="already used"):
        auth.reset_password(token, NEW_PASSWORD + "x")

    with pytest.raises(AuthenticationFailed):
        auth.authenticate(LoginInput(email=agent.email, password=PASSWORD))
    assert auth.authenticate(LoginInput(email=agent.email, password=NEW_PASSWORD))
    assert sessions.resume_browser_session(browser) is None
    with pytest.raises(AuthenticationFailed):
        auth.refresh_tokens(pair.refresh_token)


def test_reset_link_expires_after_an_hour(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    auth.request_password_reset(agent.email)
    token = _link_token(agent.email, "reset-password")
    with transaction() as session:
        row = session.scalars(select(AuthToken).where(AuthToken.purpose == "reset_password")).one()
        assert dt.timedelta(minutes=59) < row.expires_at - row.created_at <= dt.timedelta(minutes=61)
        session.execute(update(AuthToken).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    with pytest.raises(ValidationFailed, match="expired"):
        auth.reset_password(token, NEW_PASSWORD)


def test_reset_requests_are_throttled_per_ip_identically(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    for n in range(5):
        auth.request_password_reset(agent.email if n % 2 else f"ghost{n}@x-agency.com", ip_address="192.0.2.5")
    with pytest.raises(RateLimited, match="password reset requests"):
        auth.request_password_reset("ghost@x-agency.com", ip_address="192.0.2.5")
    with pytest.raises(RateLimited, match="password reset requests"):
        auth.request_password_reset(agent.email, ip_address="192.0.2.5")


def test_change_password_keeps_this_session_and_ends_the_others(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    here = sessions.start_browser_session(agent.user_id, agent.team_id)
    elsewhere = sessions.start_browser_session(agent.user_id, agent.team_id)
    pair = auth.login(LoginInput(email=agent.email, password=PASSWORD))

    with pytest.raises(ValidationFailed, match="current password") as exc:
        auth.change_password(agent, "not-my-password", NEW_PASSWORD)
    assert exc.value.field == "current_password"
    with pytest.raises(ValidationFailed, match="commonly used"):
        auth.change_password(agent, PASSWORD, "qwertyuiop12")
    auth.change_password(agent, PASSWORD, NEW_PASSWORD, keep_session=here)

    assert sessions.resume_browser_session(here) is not None
    assert sessions.resume_browser_session(elsewhere) is None
    with pytest.raises(AuthenticationFailed):
        auth.refresh_tokens(pair.refresh_token)
    with pytest.raises(AuthenticationFailed, match="password was changed"):
        auth.actor_from_access_token(pair.access_token)
    assert auth.authenticate(LoginInput(email=agent.email, password=NEW_PASSWORD))


def test_logout_ends_every_session_and_refresh_token(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    browsers = [sessions.start_browser_session(agent.user_id, agent.team_id) for _ in range(2)]
    pairs = [auth.login(LoginInput(email=agent.email, password=PASSWORD)) for _ in range(2)]
    auth.logout(agent)
    assert all(sessions.resume_browser_session(b) is None for b in browsers)
    for pair in pairs:
        with pytest.raises(AuthenticationFailed):
            auth.refresh_tokens(pair.refresh_token)
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(RefreshToken)
                              .where(RefreshToken.revoked_at.is_(None))) == 0
        assert session.scalar(select(func.count()).select_from(UserSession)
                              .where(UserSession.revoked_at.is_(None))) == 0
