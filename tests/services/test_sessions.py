"""Browser sessions: idle (30 min) and absolute (12 h) expiry, team switch, deactivation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from crm.db import transaction
from crm.enums import TeamRole
from crm.errors import AuthenticationFailed, NotFound
from crm.orm import TeamMember, User, UserSession
from crm.schemas.auth import LoginInput
from crm.security import hash_password
from crm.services import auth, sessions
from tests.factories import PASSWORD, make_member, make_team


def _shift(token: str, **moves: dt.timedelta) -> None:
    """Move a session's times into the past (no sleeping)."""
    from crm.services.auth import hash_token

    with transaction() as session:
        row = session.scalars(select(UserSession).where(UserSession.token_hash == hash_token(token))).one()
        for column, delta in moves.items():
            setattr(row, column, getattr(row, column) - delta)


def test_a_session_resumes_and_only_its_hash_is_stored(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MANAGER)
    token = sessions.start_browser_session(agent.user_id, agent.team_id, ip_address="10.0.0.1", user_agent="UA")
    actor = sessions.resume_browser_session(token)
    assert actor is not None
    assert (actor.user_id, actor.team_id, actor.team_role) == (agent.user_id, agent.team_id, TeamRole.MANAGER)
    with transaction() as session:
        row = session.scalars(select(UserSession)).one()
        assert token not in row.token_hash and len(row.token_hash) == 64
        assert abs((row.expires_at - row.created_at) - dt.timedelta(hours=12)) < dt.timedelta(seconds=2)
    assert sessions.resume_browser_session("not-a-token") is None
    assert sessions.resume_browser_session("") is None


def test_idle_for_more_than_30_minutes_ends_the_session(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    token = sessions.start_browser_session(agent.user_id, agent.team_id)
    _shift(token, last_seen_at=dt.timedelta(minutes=29))
    assert sessions.resume_browser_session(token) is not None  # activity refreshes last_seen_at
    _shift(token, last_seen_at=dt.timedelta(minutes=31))
    assert sessions.resume_browser_session(token) is None
    _shift(token, last_seen_at=-dt.timedelta(minutes=31))
    assert sessions.resume_browser_session(token) is None  # ended for good


def test_activity_cannot_stretch_a_session_past_12_hours(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    token = sessions.start_browser_session(agent.user_id, agent.team_id)
    _shift(token, created_at=dt.timedelta(hours=11, minutes=59), expires_at=dt.timedelta(hours=11, minutes=59))
    assert sessions.resume_browser_session(token) is not None
    _shift(token, created_at=dt.timedelta(minutes=2), expires_at=dt.timedelta(minutes=2))
    assert sessions.resume_browser_session(token) is None


def test_last_seen_is_written_at_most_once_a_minute(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    token = sessions.start_browser_session(agent.user_id, agent.team_id)
    _shift(token, last_seen_at=dt.timedelta(seconds=20))
    with transaction() as session:
        before = session.scalars(select(UserSession.last_seen_at)).one()
    sessions.resume_browser_session(token)
    with transaction() as session:
        assert session.scalars(select(UserSession.last_seen_at)).one() == before
    _shift(token, last_seen_at=dt.timedelta(minutes=2))
    sessions.resume_browser_session(token)
    with transaction() as session:
        assert dt.datetime.now(dt.UTC) - session.scalars(select(UserSession.last_seen_at)).one() \
            < dt.timedelta(seconds=5)


def test_deactivated_user_cannot_resume_nor_sign_in(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    token = sessions.start_browser_session(agent.user_id, agent.team_id)
    with transaction() as session:
        session.execute(update(User).where(User.id == agent.user_id).values(is_active=False))
    assert sessions.resume_browser_session(token) is None
    with pytest.raises(AuthenticationFailed, match="deactivated"):
        auth.authenticate(LoginInput(email=agent.email, password=PASSWORD))
    with pytest.raises(AuthenticationFailed):
        sessions.start_browser_session(agent.user_id, agent.team_id)
    with transaction() as session:  # reactivated: the old session stays ended
        session.execute(update(User).where(User.id == agent.user_id).values(is_active=True))
    assert sessions.resume_browser_session(token) is None


def test_switch_team_only_to_my_teams_and_it_sticks(db: str) -> None:
    home, second, foreign = make_team(), make_team(), make_team()
    me = make_member(home, TeamRole.OWNER)
    with transaction() as session:
        session.add(TeamMember(team_id=second, user_id=me.user_id, role=TeamRole.MEMBER))
    token = sessions.start_browser_session(me.user_id, home)
    switched = sessions.switch_session_team(token, second)
    assert (switched.team_id, switched.team_role) == (second, TeamRole.MEMBER)
    assert sessions.resume_browser_session(token).team_id == second  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        sessions.switch_session_team(token, foreign)
    with transaction() as session:  # removed from `second`: falls back to the first team
        session.execute(TeamMember.__table__.delete().where(TeamMember.team_id == second))
    assert sessions.resume_browser_session(token).team_id == home  # type: ignore[union-attr]
    sessions.end_browser_session(token)
    assert sessions.resume_browser_session(token) is None
    with pytest.raises(AuthenticationFailed):
        sessions.switch_session_team(token, home)


def test_end_all_sessions_ends_every_browser(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    other = make_member(make_team(), TeamRole.MEMBER)
    mine = [sessions.start_browser_session(agent.user_id, agent.team_id) for _ in range(3)]
    theirs = sessions.start_browser_session(other.user_id, other.team_id)
    sessions.end_all_sessions(agent.user_id)
    assert [sessions.resume_browser_session(t) for t in mine] == [None, None, None]
    assert sessions.resume_browser_session(theirs) is not None


def test_two_factor_flag_is_on_the_actor(db: str) -> None:
    agent = make_member(make_team(), TeamRole.ADMIN)
    with transaction() as session:
        session.execute(update(User).where(User.id == agent.user_id)
                        .values(two_factor_enabled=True, password_hash=hash_password(PASSWORD)))
    token = sessions.start_browser_session(agent.user_id, agent.team_id)
    assert sessions.resume_browser_session(token).two_factor_enabled is True  # type: ignore[union-attr]
    assert auth.get_actor(agent.user_id).two_factor_enabled is True
