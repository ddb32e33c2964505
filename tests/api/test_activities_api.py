"""Activities over HTTP: log a call, read the feed and a lead's activities, 404 for other teams' ids."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from crm.enums import TeamRole
from tests.factories import make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]


def test_log_a_call_and_read_it_back(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    headers = login(owner)
    logged = client.post("/api/activities", headers=headers, json={
        "lead_id": lead.id, "type": "CALL_MADE", "title": "Intro call", "occurred_at": "2026-01-05T10:00:00+01:00"})
    assert logged.status_code == 201
    activity = logged.json()
    assert logged.headers["Location"] == f"/api/activities/{activity['id']}"
    assert client.get(f"/api/activities/{activity['id']}", headers=headers).json()["title"] == "Intro call"
    detail = client.get(f"/api/leads/{lead.id}", headers=headers).json()
    assert detail["last_contact_at"].startswith("2026-01-05T09:00:00")
    feed = client.get("/api/activities", headers=headers, params={"type": "CALL_MADE"}).json()
    assert [i["id"] for i in feed["items"]] == [activity["id"]]
    of_lead = client.get(f"/api/leads/{lead.id}/activities", headers=headers).json()
    assert {i["type"] for i in of_lead["items"]} == {"CALL_MADE", "LEAD_CREATED"}


def test_bad_activity_input_is_a_422(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    headers = login(owner)
    system_type = client.post("/api/activities", headers=headers,
                              json={"lead_id": lead.id, "type": "STATUS_CHANGED", "title": "x"})
    assert (system_type.status_code, system_type.json()["error"]["field"]) == (422, "type")
    naive = client.get("/api/activities", headers=headers, params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422


def test_other_teams_activities_are_not_found(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    activity_id = client.post("/api/activities", headers=login(owner), json={
        "lead_id": lead.id, "type": "MEETING_COMPLETED", "title": "Met"}).json()["id"]
    headers = login(make_member(make_team(), TeamRole.OWNER))
    for method, url, body in [("GET", f"/api/activities/{activity_id}", None),
                              ("GET", f"/api/leads/{lead.id}/activities", None),
                              ("GET", f"/api/activities?lead_id={lead.id}", None),
                              ("POST", "/api/activities", {"lead_id": lead.id, "type": "CALL_MADE", "title": "x"})]:
        resp = client.request(method, url, headers=headers, json=body)
        assert (resp.status_code, resp.json()["error"]["code"]) == (404, "not_found"), f"{method} {url}"
    assert client.get("/api/activities", headers=headers).json()["total"] == 0
