"""Throttling of sign-in (5 failures / 15 minutes per account and per IP) and no enumeration."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from crm.db import transaction
from crm.enums import TeamRole
from crm.errors import AuthenticationFailed, RateLimited
from crm.orm import AuditLog, LoginAttempt
from crm.schemas.auth import LoginInput
from crm.services import auth
from tests.factories import PASSWORD, make_member, make_team


def _fail(email: str, ip: str | None = "10.0.0.1") -> None:
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(LoginInput(email=email, password="wrong-password-123"), ip_address=ip)


def test_sixth_rapid_bad_login_is_refused_with_a_readable_wait(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    for _ in range(5):
        _fail(owner.email)
    with pytest.raises(RateLimited) as exc:
        auth.authenticate(LoginInput(email=owner.email, password="wrong-password-123"), ip_address="10.0.0.1")
    assert exc.value.message == "Too many sign-in attempts. Try again in 15 minutes."
    assert 14 * 60 < exc.value.retry_after <= 15 * 60
    # Even the right password waits: the throttle stops guessing, whatever the guess.
    with pytest.raises(RateLimited):
        auth.authenticate(LoginInput(email=owner.email, password=PASSWORD), ip_address="10.9.9.9")
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt)
                              .where(LoginAttempt.email == owner.email)) == 5
        assert session.scalar(select(func.count()).select_from(AuditLog)
                              .where(AuditLog.action == "auth.login_throttled")) == 2


def test_the_wait_counts_down_and_then_sign_in_works_again(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    for _ in range(5):
        _fail(owner.email)
    with transaction() as session:  # the attempts happened 12 minutes ago
        session.execute(update(LoginAttempt).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=12)))
    with pytest.raises(RateLimited, match="Try again in 3 minutes"):
        auth.authenticate(LoginInput(email=owner.email, password=PASSWORD), ip_address="10.0.0.2")
    with transaction() as session:
        session.execute(update(LoginAttempt).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)))
    assert auth.authenticate(LoginInput(email=owner.email, password=PASSWORD), ip_address="10.0.0.1").user_id


def test_per_ip_throttle_across_different_emails(db: str) -> None:
    team = make_team()
    victims = [make_member(team, TeamRole.MEMBER) for _ in range(3)]
    for i in range(5):
        _fail(victims[i % 3].email if i < 3 else f"nobody{i}@nowhere.com", ip="203.0.113.7")
    with pytest.raises(RateLimited, match="Try again in 15 minutes"):
        auth.authenticate(LoginInput(email=victims[0].email, password=PASSWORD), ip_address="203.0.113.7")
    # Another address is not affected (each account has at most 2 failures).
    assert auth.authenticate(LoginInput(email=victims[0].email, password=PASSWORD), ip_address="198.51.100.1")


def test_unknown_and_known_emails_are_throttled_alike(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    messages = []
    for email in (owner.email, "ghost@nowhere-agency.com"):
        for n in range(5):
            _fail(email, ip=f"192.0.2.{n}{len(messages)}")
        with pytest.raises(RateLimited) as exc:
            auth.authenticate(LoginInput(email=email, password="wrong-password-123"), ip_address="192.0.2.99")
        messages.append(exc.value.message)
    assert messages[0] == messages[1]


def test_a_success_resets_the_account_counter(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    for n in range(4):
        _fail(owner.email, ip=f"10.1.0.{n}")
    auth.authenticate(LoginInput(email=owner.email, password=PASSWORD), ip_address="10.2.0.1")
    for n in range(4):
        _fail(owner.email, ip=f"10.3.0.{n}")
    assert auth.authenticate(LoginInput(email=owner.email, password=PASSWORD), ip_address="10.4.0.1")
