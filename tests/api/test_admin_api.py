"""Admin over HTTP: users list/get/activate/deactivate (system admins) and the audit log."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
from fastapi.testclient import TestClient

from crm.enums import SystemRole, TeamRole
from crm.schemas.common import Actor
from crm.services import auth, two_factor
from tests.factories import PASSWORD, make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]


def _two_factor_on(actor: Actor) -> None:
    setup = two_factor.begin_setup(actor)
    two_factor.confirm_setup(actor, pyotp.TOTP(setup.secret).now())


def _bearer(actor: Actor) -> dict[str, str]:
    """A token without the sign-in dance (with 2FA on, login needs a second step)."""
    return {"Authorization": f"Bearer {auth.issue_tokens(actor).access_token}"}


def test_system_admin_lists_gets_and_deactivates_users(client: TestClient, login: Login) -> None:
    root = make_member(make_team(), TeamRole.MEMBER, system_role=SystemRole.ADMIN)
    agent = make_member(make_team("Harbor"), TeamRole.MEMBER, name="Ava Agent")
    headers = login(root)
    gated = client.get("/api/admin/users", headers=headers)
    assert gated.status_code == 403 and "two-factor" in gated.json()["error"]["message"]
    _two_factor_on(root)  # system admins need two-factor too; the token sees it at once
    page = client.get("/api/admin/users", params={"search": "ava"}, headers=headers).json()
    assert [u["id"] for u in page["items"]] == [agent.user_id] and page["total"] == 1
    detail = client.get(f"/api/admin/users/{agent.user_id}", headers=headers).json()
    assert detail["memberships"][0]["team_name"] == "Harbor"
    assert "password_hash" not in detail and "two_factor_secret" not in detail
    assert client.get("/api/admin/users/999999", headers=headers).status_code == 404

    agent_headers = login(agent)
    off = client.patch(f"/api/admin/users/{agent.user_id}/deactivate", headers=headers)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert client.get("/api/auth/me", headers=agent_headers).status_code == 401  # token stops at once
    refused = client.post("/api/auth/login", json={"email": agent.email, "password": PASSWORD})
    assert refused.status_code == 401
    on = client.patch(f"/api/admin/users/{agent.user_id}/activate", headers=headers)
    assert on.json()["is_active"] is True
    assert client.get("/api/admin/users", params={"page_size": 0}, headers=headers).status_code == 422


def test_team_roles_cannot_manage_users(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    headers = login(owner)
    assert client.get("/api/admin/users", headers=headers).status_code == 403
    assert client.patch(f"/api/admin/users/{owner.user_id}/deactivate", headers=headers).status_code == 403


def test_audit_log_needs_two_factor_for_team_owners(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    refused = client.get("/api/admin/audit-logs", headers=login(owner))
    assert refused.status_code == 403 and "two-factor" in refused.json()["error"]["message"]
    _two_factor_on(owner)
    assert client.get("/api/admin/audit-logs", headers=_bearer(owner)).status_code == 200


def test_audit_log_endpoint_filters_and_scopes(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    member = make_member(owner.team_id, TeamRole.MEMBER)
    make_lead(owner)
    make_lead(make_member(make_team(), TeamRole.OWNER))
    _two_factor_on(owner)
    headers = _bearer(owner)
    page = client.get("/api/admin/audit-logs", params={"resource": "lead"}, headers=headers).json()
    assert [(e["action"], e["team_id"]) for e in page["items"]] == [("lead.create", owner.team_id)]
    assert client.get("/api/admin/audit-logs", headers=login(member)).status_code == 403
    bad = client.get("/api/admin/audit-logs", params={"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
                     headers=headers)
    assert bad.status_code == 422
