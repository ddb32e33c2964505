"""Teams over HTTP: the plan's Team Management endpoints plus invitations, transfer and leave."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from crm.db import transaction
from crm.enums import TeamRole
from crm.services.mailer import last_email_to
from tests.factories import make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]


def _token_sent_to(email: str) -> str:
    with transaction() as session:
        mail = last_email_to(session, email)
        assert mail is not None
        match = re.search(r"accept-invite\?token=([A-Za-z0-9_\-]+)", mail.body)
    assert match
    return match.group(1)


def test_create_list_get_rename_and_delete_a_team(client: TestClient, login: Login) -> None:
    owner = make_member(make_team("First"), TeamRole.OWNER)
    headers = login(owner)
    created = client.post("/api/teams", json={"name": "Second Realty"}, headers=headers)
    assert created.status_code == 201, created.text
    team = created.json()
    assert created.headers["Location"] == f"/api/teams/{team['id']}"
    assert team["your_role"] == "OWNER" and team["member_count"] == 1
    assert {t["team_name"] for t in client.get("/api/teams", headers=headers).json()} == {"First", "Second Realty"}

    url = f"/api/teams/{team['id']}"
    assert client.get(url, headers=headers).json()["name"] == "Second Realty"
    assert client.put(url, json={"name": "Renamed"}, headers=headers).json()["name"] == "Renamed"
    assert client.delete(url, params={"confirm_name": "Wrong"}, headers=headers).status_code == 422
    assert client.delete(url, params={"confirm_name": "Renamed"}, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_invite_accept_members_role_remove(client: TestClient, login: Login) -> None:
    team = make_team("Harbor")
    owner = make_member(team, TeamRole.OWNER)
    joiner = make_member(make_team(), TeamRole.OWNER, email="joiner@example.com")
    headers = login(owner)
    sent = client.post(f"/api/teams/{team}/invite", json={"email": "joiner@example.com", "role": "MANAGER"},
                       headers=headers)
    assert sent.status_code == 201, sent.text
    assert "token" not in sent.json()  # the link only travels by email
    assert [i["email"] for i in client.get(f"/api/teams/{team}/invitations", headers=headers).json()] == [
        "joiner@example.com"]
    token = _token_sent_to("joiner@example.com")

    preview = client.post("/api/invitations/preview", json={"token": token})  # public
    assert preview.status_code == 200 and preview.json()["team_name"] == "Harbor"
    accepted = client.post("/api/invitations/accept", json={"token": token}, headers=login(joiner))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"team_id": team, "team_name": "Harbor", "role": "MANAGER"}
    again = client.post("/api/invitations/accept", json={"token": token}, headers=login(joiner))
    assert again.status_code == 422 and "already used" in again.json()["error"]["message"]

    members = client.get(f"/api/teams/{team}/members", headers=headers).json()
    assert [(m["user_id"], m["role"]) for m in members] == [(owner.user_id, "OWNER"), (joiner.user_id, "MANAGER")]
    role_url = f"/api/teams/{team}/members/{joiner.user_id}/role"
    assert client.patch(role_url, json={"role": "MEMBER"}, headers=headers).json()["role"] == "MEMBER"
    assert client.delete(f"/api/teams/{team}/members/{joiner.user_id}", headers=headers).status_code == 204
    assert client.get(f"/api/teams/{team}", headers=login(joiner, team_id=team)).status_code == 404


def test_revoke_transfer_and_leave(client: TestClient, login: Login) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    agent = make_member(team, TeamRole.MEMBER)
    headers = login(owner)
    client.post(f"/api/teams/{team}/invite", json={"email": "gone@example.com"}, headers=headers)
    [inv] = client.get(f"/api/teams/{team}/invitations", headers=headers).json()
    assert client.delete(f"/api/teams/{team}/invitations/{inv['id']}", headers=headers).status_code == 204
    assert client.post("/api/invitations/preview",
                       json={"token": _token_sent_to("gone@example.com")}).json()["status"] == "revoked"

    last = client.post(f"/api/teams/{team}/leave", headers=headers)
    assert last.status_code == 409 and "at least one owner" in last.json()["error"]["message"]
    moved = client.post(f"/api/teams/{team}/transfer", json={"user_id": agent.user_id}, headers=headers)
    assert moved.status_code == 200 and moved.json()["role"] == "OWNER"
    assert client.post(f"/api/teams/{team}/leave", headers=headers).status_code == 204


def test_roles_and_foreign_teams_get_403_and_404(client: TestClient, login: Login) -> None:
    team = make_team()
    make_member(team, TeamRole.OWNER)
    agent = make_member(team, TeamRole.MEMBER)
    foreign_owner = make_member(make_team(), TeamRole.OWNER)
    foreign_lead = make_lead(foreign_owner)
    headers = login(agent)
    denied = client.post(f"/api/teams/{team}/invite", json={"email": "x@example.com"}, headers=headers)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    foreign = foreign_owner.team_id
    assert client.get(f"/api/teams/{foreign}/members", headers=headers).status_code == 404
    assert client.delete(f"/api/teams/{team}/members/{foreign_owner.user_id}",
                         headers=login(make_member(team, TeamRole.ADMIN))).status_code == 404
    assert client.get(f"/api/leads/{foreign_lead.id}", headers=headers).status_code == 404
    assert client.get(f"/api/teams/{team}").status_code == 401


def test_inputs_cannot_smuggle_ids_or_roles(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    headers = login(owner)
    for body in ({"name": "X Team", "owner_id": 1}, {"name": "X Team", "subscription_tier": "ENTERPRISE"}):
        resp = client.post("/api/teams", json=body, headers=headers)
        assert resp.status_code == 422, body
    resp = client.put(f"/api/teams/{owner.team_id}", json={"name": "Y Team", "slug": "y"}, headers=headers)
    assert resp.status_code == 422
    resp = client.post(f"/api/teams/{owner.team_id}/invite",
                       json={"email": "a@example.com", "team_id": 999}, headers=headers)
    assert resp.status_code == 422
