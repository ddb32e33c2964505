"""Sign-in, rotating refresh tokens and bearer authentication over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from crm.db import transaction
from crm.enums import TeamRole
from crm.orm import AuditLog, TeamMember, User
from crm.security import create_token
from tests.factories import PASSWORD, make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]


def _login(client: TestClient, email: str, password: str = PASSWORD):  # noqa: ANN202 - httpx.Response
    return client.post("/api/auth/login", json={"email": email, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_a_15_minute_token_pair_that_opens_the_api(client: TestClient) -> None:
    team = make_team("Harbor & Oak")
    owner = make_member(team, TeamRole.OWNER, name="Olivia Owner")
    make_lead(owner)

    resp = _login(client, owner.email.upper())  # emails are case-insensitive
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["expires_in"] == 900
    assert body["token_type"] == "bearer"
    assert body["access_token"] and body["refresh_token"]
    assert body["user"]["email"] == owner.email
    assert body["user"]["memberships"] == [{"team_id": team, "team_name": "Harbor & Oak", "role": "OWNER"}]

    me = client.get("/api/auth/me", headers=_bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["user_id"] == owner.user_id
    assert me.json()["team_id"] == team
    assert me.json()["team_role"] == "OWNER"
    listed = client.get("/api/leads", headers=_bearer(body["access_token"]))
    assert listed.status_code == 200
    assert listed.json()["total"] == 1


def test_login_is_audited_with_client_ip_and_user_agent(client: TestClient) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    resp = client.post("/api/auth/login", json={"email": owner.email, "password": PASSWORD},
                       headers={"User-Agent": "pytest-agent/1.0"})
    assert resp.status_code == 200
    with transaction() as session:
        row = session.scalars(select(AuditLog).where(AuditLog.action == "auth.login",
                                                     AuditLog.user_id == owner.user_id)).one()
        assert row.ip_address == "testclient"  # TestClient's peer address
        assert row.user_agent == "pytest-agent/1.0"


def test_wrong_password_and_unknown_email_get_the_same_401(client: TestClient) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    wrong_password = _login(client, owner.email, "not-the-password")
    unknown_email = _login(client, "nobody@nowhere-agency.com", "not-the-password")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"]["code"] == "authentication_failed"
    assert wrong_password.headers["WWW-Authenticate"] == "Bearer"
    assert "access_token" not in wrong_password.text


def test_deactivated_user_is_refused(client: TestClient) -> None:
    team = make_team()
    gone = make_member(team, TeamRole.MEMBER, active=False)
    resp = _login(client, gone.email)
    assert resp.status_code == 401
    assert "deactivated" in resp.json()["error"]["message"]


def test_deactivation_ends_an_open_session_at_once(client: TestClient, login: Login) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    headers = login(agent)
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    with transaction() as session:
        session.execute(update(User).where(User.id == agent.user_id).values(is_active=False))
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_whole_family(client: TestClient) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    first = _login(client, owner.email).json()

    second = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["expires_in"] == 900
    assert pair["refresh_token"] != first["refresh_token"]
    assert client.get("/api/auth/me", headers=_bearer(pair["access_token"])).status_code == 200

    replay = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "authentication_failed"
    # The replay means a copy leaked: the token issued by the legitimate rotation dies too.
    after = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert after.status_code == 401


def test_missing_malformed_and_foreign_scheme_credentials_get_401(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        resp = client.get("/api/auth/me", headers=headers)
        assert resp.status_code == 401, headers
        assert resp.headers["WWW-Authenticate"] == "Bearer"
        assert resp.json()["error"]["code"] == "authentication_failed"


def test_expired_access_token_gets_401(client: TestClient) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    token = create_token({"sub": str(owner.user_id), "team": owner.team_id},
                         expires_in=dt.timedelta(seconds=-30), token_type="access")
    resp = client.get("/api/leads", headers=_bearer(token))
    assert resp.status_code == 401
    assert "expired" in resp.json()["error"]["message"]


def test_refresh_token_is_not_an_access_token_and_vice_versa(client: TestClient) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    pair = _login(client, owner.email).json()
    assert client.get("/api/auth/me", headers=_bearer(pair["refresh_token"])).status_code == 401
    resp = client.post("/api/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert resp.status_code == 401


def test_token_signed_with_another_key_gets_401(client: TestClient) -> None:
    import jwt

    owner = make_member(make_team(), TeamRole.OWNER)
    now = dt.datetime.now(dt.UTC)
    forged = jwt.encode({"sub": str(owner.user_id), "team": owner.team_id, "type": "access",
                         "iat": now, "exp": now + dt.timedelta(minutes=5)}, "x" * 48, algorithm="HS256")
    assert client.get("/api/auth/me", headers=_bearer(forged)).status_code == 401


def test_x_team_id_switches_to_another_of_my_teams_only(client: TestClient, login: Login) -> None:
    home, second, foreign = make_team("Home"), make_team("Second"), make_team("Foreign")
    me = make_member(home, TeamRole.OWNER)
    with transaction() as session:
        session.add(TeamMember(team_id=second, user_id=me.user_id, role=TeamRole.MEMBER))
    other_owner = make_member(second, TeamRole.OWNER)
    make_lead(other_owner)  # unassigned: visible to a MEMBER of `second`
    make_member(foreign, TeamRole.OWNER)

    headers = login(me)
    assert client.get("/api/leads", headers=headers).json()["total"] == 0
    switched = client.get("/api/auth/me", headers={**headers, "X-Team-Id": str(second)}).json()
    assert (switched["team_id"], switched["team_role"]) == (second, "MEMBER")
    assert {m["team_name"] for m in switched["memberships"]} == {"Home", "Second"}
    assert client.get("/api/leads", headers={**headers, "X-Team-Id": str(second)}).json()["total"] == 1

    refused = client.get("/api/leads", headers={**headers, "X-Team-Id": str(foreign)})
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"


def test_user_removed_from_the_tokens_team_must_sign_in_again(client: TestClient, login: Login) -> None:
    team = make_team()
    agent = make_member(team, TeamRole.MEMBER)
    headers = login(agent)
    with transaction() as session:
        session.execute(TeamMember.__table__.delete().where(TeamMember.user_id == agent.user_id))
    resp = client.get("/api/leads", headers=headers)
    assert resp.status_code == 401
