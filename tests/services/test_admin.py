"""Admin: user accounts (system admins only) and the audit log (scoped by who reads it)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm.db import transaction
from crm.enums import SystemRole, TeamRole
from crm.errors import NotFound, PermissionDenied, ValidationFailed
from crm.orm import RefreshToken, UserSession
from crm.schemas.admin import AuditFilter, UserFilter
from crm.schemas.teams import TeamUpdate
from crm.services import admin, auth, teams
from tests.factories import make_lead, make_member, make_team


def _sysadmin() -> object:
    return make_member(make_team(), TeamRole.MEMBER, system_role=SystemRole.ADMIN)


def test_users_list_is_for_system_admins_and_filters(db: str) -> None:
    root = _sysadmin()
    team = make_team("Harbor")
    ava = make_member(team, TeamRole.OWNER, name="Ava Stone", email="ava@harbor.com")
    make_member(team, TeamRole.MEMBER, name="Ben Idle", active=False)
    page = admin.list_users(root, UserFilter(search="STONE"))
    assert [u.id for u in page.items] == [ava.user_id]
    assert page.items[0].memberships[0].team_name == "Harbor"
    assert [u.name for u in admin.list_users(root, UserFilter(active=False)).items] == ["Ben Idle"]
    assert admin.list_users(root, UserFilter(page_size=2)).total == 3
    for role in TeamRole:  # team roles, even OWNER, do not make a system admin
        with pytest.raises(PermissionDenied):
            admin.list_users(make_member(make_team(), role), UserFilter())
    with pytest.raises(NotFound):
        admin.get_user(root, 999_999)


def test_deactivating_ends_sessions_and_tokens_and_blocks_sign_in(db: str) -> None:
    root = _sysadmin()
    agent = make_member(make_team(), TeamRole.MEMBER)
    auth.issue_tokens(agent)
    now = dt.datetime.now(dt.UTC)
    with transaction() as session:
        session.add(UserSession(user_id=agent.user_id, team_id=agent.team_id, token_hash="h" * 64,
                                last_seen_at=now, expires_at=now + dt.timedelta(hours=12)))
    out = admin.set_user_active(root, agent.user_id, False)
    assert out.is_active is False
    with transaction() as session:
        assert all(t.revoked_at for t in session.scalars(select(RefreshToken)))
        assert all(s.revoked_at for s in session.scalars(select(UserSession)))
    with pytest.raises(Exception, match="session has ended|deactivated"):
        auth.get_actor(agent.user_id)
    assert admin.set_user_active(root, agent.user_id, True).is_active is True
    assert auth.get_actor(agent.user_id).user_id == agent.user_id
    with pytest.raises(ValidationFailed):
        admin.set_user_active(root, root.user_id, False)
    actions = [e.action for e in admin.list_audit_logs(root, AuditFilter(action="admin.")).items]
    assert actions == ["admin.user_activate", "admin.user_deactivate"]


def test_audit_log_is_scoped_to_the_team_for_owners_and_admins(db: str) -> None:
    team = make_team()
    owner, team_admin, manager, member = (make_member(team, r) for r in TeamRole)
    foreign = make_member(make_team(), TeamRole.OWNER)
    make_lead(owner)
    make_lead(foreign)
    teams.update_team(owner, TeamUpdate(name="Renamed"))
    for reader in (owner, team_admin):
        entries = admin.list_audit_logs(reader, AuditFilter()).items
        assert {e.team_id for e in entries} == {team}
        assert {e.action for e in entries} == {"lead.create", "team.update"}
    for reader in (manager, member):
        with pytest.raises(PermissionDenied):
            admin.list_audit_logs(reader, AuditFilter())
    everything = admin.list_audit_logs(_sysadmin(), AuditFilter(resource="lead"))
    assert {e.team_id for e in everything.items} == {team, foreign.team_id}


def test_audit_filters_by_action_user_and_time(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER, name="Olga")
    manager = make_member(owner.team_id, TeamRole.MANAGER)
    make_lead(owner)
    make_lead(manager)
    teams.update_team(owner, TeamUpdate(name="Renamed"))
    by_user = admin.list_audit_logs(owner, AuditFilter(user_id=manager.user_id)).items
    assert [e.action for e in by_user] == ["lead.create"]
    team_only = admin.list_audit_logs(owner, AuditFilter(action="team.")).items
    assert [(e.action, e.user_name) for e in team_only] == [("team.update", "Olga")]
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert admin.list_audit_logs(owner, AuditFilter(since=future)).total == 0
    assert admin.list_audit_logs(owner, AuditFilter(until=future)).total == 3
    with pytest.raises(ValueError):
        AuditFilter(since=future, until=future - dt.timedelta(days=1))
