"""Saved views over HTTP: CRUD, sharing, 404 for private and foreign views, and a view's leads page by page."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from crm.db import transaction
from crm.enums import LeadStatus, TeamRole
from crm.orm import SavedView
from tests.factories import make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]


def test_saved_view_crud(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    headers = login(owner)
    created = client.post("/api/saved-views", headers=headers, json={
        "name": "Won deals", "filters": {"statuses": ["WON"], "sort": "value", "cursor": "x", "page_size": 10}})
    assert created.status_code == 201, created.text
    view = created.json()
    assert created.headers["Location"] == f"/api/saved-views/{view['id']}"
    assert (view["name"], view["shared"], view["mine"], view["sort"], view["problem"]) == (
        "Won deals", False, True, "value", None)
    assert view["filters"]["statuses"] == ["WON"] and view["filters"]["cursor"] is None
    assert client.post("/api/saved-views", headers=headers, json={"name": "WON DEALS"}).status_code == 409
    assert client.post("/api/saved-views", headers=headers, json={"name": ""}).status_code == 422
    assert client.post("/api/saved-views", headers=headers, json={
        "name": "Bad", "filters": {"score_min": 80, "score_max": 20}}).status_code == 422
    assert client.post("/api/saved-views", headers=headers, json={"name": "x", "owner_id": 1}).status_code == 422

    url = f"/api/saved-views/{view['id']}"
    assert client.get(url, headers=headers).json()["name"] == "Won deals"
    updated = client.put(url, headers=headers, json={"name": "Closed", "shared": True})
    assert (updated.json()["name"], updated.json()["shared"]) == ("Closed", True)
    assert [v["name"] for v in client.get("/api/saved-views", headers=headers).json()] == ["Closed"]
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    assert client.get("/api/saved-views", headers=headers).json() == []


def test_private_and_foreign_views_are_not_found_and_shared_ones_are_read_only_for_agents(
        client: TestClient, login: Login) -> None:
    team = make_team()
    owner, agent, agent2 = (make_member(team, TeamRole.OWNER), make_member(team, TeamRole.MEMBER),
                            make_member(team, TeamRole.MEMBER))
    private = client.post("/api/saved-views", headers=login(agent), json={"name": "Mine"}).json()
    shared = client.post("/api/saved-views", headers=login(agent), json={"name": "Ours", "shared": True}).json()
    stranger = make_member(make_team(), TeamRole.OWNER)
    for who in (owner, agent2, stranger):
        assert client.get(f"/api/saved-views/{private['id']}", headers=login(who)).status_code == 404
        assert client.get(f"/api/saved-views/{private['id']}/leads", headers=login(who)).status_code == 404
    assert client.get(f"/api/saved-views/{shared['id']}", headers=login(stranger)).status_code == 404
    teammate = login(agent2)
    listed = client.get("/api/saved-views", headers=teammate).json()
    assert [(v["name"], v["mine"], v["can_edit"]) for v in listed] == [("Ours", False, False)]
    refused = client.put(f"/api/saved-views/{shared['id']}", headers=teammate, json={"name": "Hijacked"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert client.delete(f"/api/saved-views/{shared['id']}", headers=teammate).status_code == 403
    assert client.put(f"/api/saved-views/{shared['id']}", headers=login(owner),
                      json={"shared": False}).status_code == 200


def test_a_views_leads_are_paged_with_a_cursor_within_the_callers_scope(client: TestClient, login: Login) -> None:
    team = make_team()
    owner, agent = make_member(team, TeamRole.OWNER), make_member(team, TeamRole.MEMBER)
    for n in range(3):
        make_lead(owner, first_name=f"Won{n}", status=LeadStatus.WON)
    make_lead(owner, first_name="Other", status=LeadStatus.WON, assigned_to_id=owner.user_id)
    make_lead(owner, first_name="Fresh")
    view = client.post("/api/saved-views", headers=login(owner), json={
        "name": "Won", "shared": True, "filters": {"statuses": ["WON"], "sort": "name"}}).json()
    url = f"/api/saved-views/{view['id']}/leads"
    first = client.get(url, headers=login(owner), params={"page_size": 2}).json()
    assert [lead["first_name"] for lead in first["items"]] == ["Other", "Won0"]
    assert (first["total"], first["total_is_exact"], first["page_size"]) == (4, True, 2)
    second = client.get(url, headers=login(owner), params={"page_size": 2, "cursor": first["next_cursor"]}).json()
    assert [lead["first_name"] for lead in second["items"]] == ["Won1", "Won2"]
    assert second["next_cursor"] is None
    as_agent = client.get(url, headers=login(agent)).json()  # the owner's own lead stays hidden
    assert [lead["first_name"] for lead in as_agent["items"]] == ["Won0", "Won1", "Won2"]
    assert client.get(url, headers=login(owner), params={"page_size": 0}).status_code == 422


def test_a_view_that_no_longer_validates_says_why(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    with transaction() as session:
        view = SavedView(team_id=owner.team_id, owner_id=owner.user_id, name="Stale", sort="newest",
                         filters={"custom": [{"key": "budget", "op": "gte", "value": 5}]})
        session.add(view)
        session.flush()
        view_id = view.id
    headers = login(owner)
    shown = client.get(f"/api/saved-views/{view_id}", headers=headers).json()
    assert shown["filters"] is None and shown["problem"] == "the custom field budget no longer exists."
    applied = client.get(f"/api/saved-views/{view_id}/leads", headers=headers)
    assert applied.status_code == 422
    assert applied.json()["error"]["message"].startswith("The view 'Stale' cannot be applied")
