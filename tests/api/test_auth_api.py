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


# --- issue 3: throttling, enumeration, account lifecycle and two-factor over HTTP ---------------

def _link_token(email: str, path: str) -> str:
    import re

    from crm.services.mailer import last_email_to

    with transaction() as session:
        mail = last_email_to(session, email)
        assert mail is not None
        match = re.search(rf"/{path}\?token=([A-Za-z0-9_\-]+)", mail.body)
        assert match, mail.body
        return match.group(1)


def test_sixth_bad_login_gets_429_with_retry_after_and_a_readable_wait(client: TestClient) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    for _ in range(5):
        assert _login(client, owner.email, "not-the-password").status_code == 401
    sixth = _login(client, owner.email, "not-the-password")
    assert sixth.status_code == 429
    assert 14 * 60 < int(sixth.headers["Retry-After"]) <= 15 * 60
    body = sixth.json()["error"]
    assert body["code"] == "rate_limited"
    assert body["message"] == "Too many sign-in attempts. Try again in 15 minutes."
    assert _login(client, owner.email).status_code == 429  # even with the right password


def test_per_ip_throttle_across_different_emails_over_http(client: TestClient) -> None:
    team = make_team()
    people = [make_member(team, TeamRole.MEMBER) for _ in range(5)]
    for person in people:
        assert _login(client, person.email, "not-the-password").status_code == 401
    assert _login(client, people[0].email).status_code == 429  # same client IP


def test_register_forgot_and_login_do_not_reveal_accounts(client: TestClient) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    known = client.post("/api/auth/register", json={"email": owner.email, "password": PASSWORD, "name": "X Y"})
    new = client.post("/api/auth/register", json={"email": "fresh@new-agency.com", "password": PASSWORD,
                                                  "name": "Fresh Agent"})
    assert known.status_code == new.status_code == 202
    assert known.json() == new.json()
    reset_known = client.post("/api/auth/forgot-password", json={"email": owner.email})
    reset_unknown = client.post("/api/auth/forgot-password", json={"email": "nobody@nowhere-agency.com"})
    assert reset_known.status_code == reset_unknown.status_code == 202
    assert reset_known.json() == reset_unknown.json()


def test_register_verify_reset_over_http(client: TestClient) -> None:
    weak = client.post("/api/auth/register", json={"email": "a@new-agency.com", "password": "password1234",
                                                   "name": "Ann"})
    assert weak.status_code == 422 and weak.json()["error"]["field"] == "password"
    assert "password1234" not in weak.text
    too_long = client.post("/api/auth/register", json={"email": "a@new-agency.com", "password": "x" * 129,
                                                       "name": "Ann"})
    assert too_long.status_code == 422 and "at most 128" in too_long.json()["error"]["message"]
    sneaky = client.post("/api/auth/register", json={"email": "a@new-agency.com", "password": PASSWORD,
                                                     "name": "Ann", "role": "ADMIN"})
    assert sneaky.status_code == 422

    assert client.post("/api/auth/register", json={"email": "a@new-agency.com", "password": PASSWORD,
                                                   "name": "Ann", "team_name": "Ann Realty"}).status_code == 202
    token = _link_token("a@new-agency.com", "verify-email")
    assert client.post("/api/auth/verify-email", json={"token": token}).status_code == 200
    again = client.post("/api/auth/verify-email", json={"token": token})
    assert again.status_code == 422 and "already used" in again.json()["error"]["message"]

    pair = _login(client, "a@new-agency.com").json()
    assert pair["user"]["memberships"][0]["team_name"] == "Ann Realty"
    client.post("/api/auth/forgot-password", json={"email": "a@new-agency.com"})
    reset = _link_token("a@new-agency.com", "reset-password")
    new_password = "veranda-kestrel-quartz-77"
    assert client.post("/api/auth/reset-password", json={"token": reset, "new_password": new_password}
                       ).status_code == 200
    assert client.post("/api/auth/reset-password", json={"token": reset, "new_password": new_password}
                       ).status_code == 422
    assert client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert client.get("/api/auth/me", headers=_bearer(pair["access_token"])).status_code == 401
    assert _login(client, "a@new-agency.com", new_password).status_code == 200


def test_logout_revokes_every_refresh_token(client: TestClient) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    first, second = _login(client, owner.email).json(), _login(client, owner.email).json()
    assert client.post("/api/auth/logout", headers=_bearer(first["access_token"])).status_code == 200
    for pair in (first, second):
        assert client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert client.post("/api/auth/logout").status_code == 401


def test_put_me_updates_the_profile_but_not_the_role(client: TestClient, login: Login) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    headers = login(agent)
    resp = client.put("/api/auth/me", headers=headers, json={"name": "Renamed", "timezone": "Europe/Paris"})
    assert resp.status_code == 200 and resp.json()["name"] == "Renamed"
    for field, value in (("role", "OWNER"), ("team_id", 1), ("email", "x@y.com"), ("is_active", True)):
        assert client.put("/api/auth/me", headers=headers, json={field: value}).status_code == 422
    assert client.get("/api/auth/me", headers=headers).json()["team_role"] == "MEMBER"


def test_login_with_two_factor_takes_a_ticket_and_a_code(client: TestClient) -> None:
    import time

    import pyotp

    from crm.services import two_factor

    owner = make_member(make_team(), TeamRole.OWNER)
    totp = pyotp.TOTP(two_factor.begin_setup(owner).secret)
    two_factor.confirm_setup(owner, totp.at(time.time(), counter_offset=-1))

    first = _login(client, owner.email)
    assert first.status_code == 200
    body = first.json()
    assert body["two_factor_required"] is True and "access_token" not in body
    wrong = client.post("/api/auth/2fa/verify", json={"ticket": body["ticket"], "code": "000000"})
    assert wrong.status_code == 401
    done = client.post("/api/auth/2fa/verify", json={"ticket": body["ticket"],
                                                     "code": totp.at(time.time(), counter_offset=1)})
    assert done.status_code == 200, done.text
    assert client.get("/api/auth/me", headers=_bearer(done.json()["access_token"])).status_code == 200
    replay = client.post("/api/auth/2fa/verify", json={"ticket": body["ticket"], "code": totp.now()})
    assert replay.status_code == 401
