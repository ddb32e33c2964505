"""Tags over HTTP: CRUD, uniqueness answers, tagging leads, and 404 for other teams' ids."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from crm.enums import TeamRole
from tests.factories import make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]


def test_tag_crud_and_tagging_a_lead(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    headers = login(owner)
    created = client.post("/api/tags", headers=headers, json={"name": "Hot", "color": "#FF0000"})
    assert created.status_code == 201
    tag_id = created.json()["id"]
    assert created.headers["Location"] == f"/api/tags/{tag_id}"
    assert client.post("/api/tags", headers=headers, json={"name": "HOT"}).status_code == 409
    assert client.post("/api/tags", headers=headers, json={"name": "Cold", "color": "blue"}).status_code == 422
    tagged = client.post(f"/api/leads/{lead.id}/tags", headers=headers, json={"tag_ids": [tag_id], "names": ["VIP"]})
    assert tagged.json() == ["Hot", "VIP"]
    listed = client.get("/api/tags", headers=headers).json()
    assert [(t["name"], t["lead_count"]) for t in listed] == [("Hot", 1), ("VIP", 1)]
    renamed = client.put(f"/api/tags/{tag_id}", headers=headers, json={"name": "Very hot"})
    assert renamed.json()["name"] == "Very hot"
    assert client.delete(f"/api/leads/{lead.id}/tags/{tag_id}", headers=headers).status_code == 204
    assert client.get(f"/api/leads/{lead.id}", headers=headers).json()["tags"] == ["VIP"]
    assert client.delete(f"/api/tags/{tag_id}", headers=headers).status_code == 204
    assert [t["name"] for t in client.get("/api/tags", headers=headers).json()] == ["VIP"]


def test_agents_cannot_rename_or_delete_tags(client: TestClient, login: Login) -> None:
    team = make_team()
    agent = make_member(team, TeamRole.MEMBER)
    headers = login(agent)
    tag_id = client.post("/api/tags", headers=headers, json={"name": "Hot"}).json()["id"]
    assert client.put(f"/api/tags/{tag_id}", headers=headers, json={"name": "x"}).status_code == 403
    assert client.delete(f"/api/tags/{tag_id}", headers=headers).status_code == 403


def test_other_teams_tags_are_not_found(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    tag_id = client.post("/api/tags", headers=login(owner), json={"name": "Hot"}).json()["id"]
    stranger = make_member(make_team(), TeamRole.OWNER)
    their_lead = make_lead(stranger)
    headers = login(stranger)
    for method, url, body in [("PUT", f"/api/tags/{tag_id}", {"name": "x"}), ("DELETE", f"/api/tags/{tag_id}", None),
                              ("POST", f"/api/leads/{their_lead.id}/tags", {"tag_ids": [tag_id]}),
                              ("DELETE", f"/api/leads/{their_lead.id}/tags/{tag_id}", None)]:
        resp = client.request(method, url, headers=headers, json=body)
        assert (resp.status_code, resp.json()["error"]["code"]) == (404, "not_found"), f"{method} {url}"
    assert client.get("/api/tags", headers=headers).json() == []
