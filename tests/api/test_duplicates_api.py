"""Duplicates, merge, merge history, properties of interest and bulk tags over the REST API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient

from crm.db import transaction
from crm.enums import InterestKind, PropertyType, TeamRole
from crm.orm import LeadPropertyInterest, Property
from crm.services import leads
from tests.api.conftest import Login
from tests.factories import make_lead, make_member, make_team


def test_duplicates_are_listed_and_found_for_one_lead(client: TestClient, login: Login) -> None:
    manager = make_member(make_team(), TeamRole.MANAGER)
    a = make_lead(manager, first_name="Ann", email="ann.lee@gmail.com")
    b = make_lead(manager, first_name="Anne", email="annlee+zillow@gmail.com")
    headers = login(manager)
    resp = client.get("/api/leads/duplicates", headers=headers, params={"reason": "email", "limit": 5})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [sorted(lead["id"] for lead in g["leads"]) for g in body["groups"]] == [sorted([a.id, b.id])]
    assert body["groups"][0]["reasons"] == ["email"] and body["next_cursor"] is None
    resp = client.get(f"/api/leads/{a.id}/duplicates", headers=headers)
    assert resp.status_code == 200 and [m["lead"]["id"] for m in resp.json()] == [b.id]
    assert client.get("/api/leads/duplicates", headers=headers, params={"limit": 0}).status_code == 422
    assert client.get("/api/leads/duplicates", headers=headers, params={"reason": "vibes"}).status_code == 422


def test_merge_then_history(client: TestClient, login: Login) -> None:
    manager = make_member(make_team(), TeamRole.MANAGER)
    keep = make_lead(manager, first_name="Bo", email="bo@old.com")
    drop = make_lead(manager, first_name="Bob", email="bo@new.com")
    headers = login(manager)
    preview = client.get("/api/leads/merge/preview", headers=headers,
                         params={"survivor_id": keep.id, "merged_id": drop.id})
    assert preview.status_code == 200 and {f["field"] for f in preview.json()["fields"] if f["differs"]} >= {
        "first_name", "email"}
    resp = client.post("/api/leads/merge", headers=headers, json={
        "survivor_id": keep.id, "merged_id": drop.id, "chosen": {"email": "merged", "first_name": "merged"}})
    assert resp.status_code == 200, resp.text
    assert resp.json()["merged_lead_id"] == drop.id
    lead = client.get(f"/api/leads/{keep.id}", headers=headers).json()
    assert (lead["first_name"], lead["email"]) == ("Bob", "bo@new.com")
    assert client.get(f"/api/leads/{drop.id}", headers=headers).status_code == 404
    history = client.get(f"/api/leads/{keep.id}/merges", headers=headers).json()
    assert [h["merged_lead_id"] for h in history] == [drop.id]


def test_merge_refusals(client: TestClient, login: Login) -> None:
    team = make_team()
    manager, agent = make_member(team, TeamRole.MANAGER), make_member(team, TeamRole.MEMBER)
    a, b = make_lead(agent), make_lead(agent)
    body = {"survivor_id": a.id, "merged_id": b.id}
    assert client.post("/api/leads/merge", headers=login(agent), json=body).status_code == 403
    same = client.post("/api/leads/merge", headers=login(manager), json={"survivor_id": a.id, "merged_id": a.id})
    assert same.status_code == 422
    unknown = client.post("/api/leads/merge", headers=login(manager), json={**body, "chosen": {"email": "both"}})
    assert unknown.status_code == 422
    extra = client.post("/api/leads/merge", headers=login(manager), json={**body, "team_id": 1})
    assert extra.status_code == 422
    assert leads.get_lead(manager, b.id).id == b.id  # nothing was merged


def test_properties_of_interest(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    with transaction() as s:
        home = Property(team_id=owner.team_id, address="9 Bay St", city="Tampa", state="FL", zip_code="33602",
                        list_price=Decimal("725000"), property_type=PropertyType.TOWNHOUSE, beds=3)
        s.add(home)
        s.flush()
        s.add(LeadPropertyInterest(team_id=owner.team_id, lead_id=lead.id, property_id=home.id,
                                   kind=InterestKind.INQUIRED, created_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)))
    resp = client.get(f"/api/leads/{lead.id}/properties", headers=login(owner))
    assert resp.status_code == 200
    [row] = resp.json()
    assert (row["address"], row["beds"], row["kinds"], row["list_price"]) == ("9 Bay St", 3, ["INQUIRED"], "725000.00")


def test_bulk_tags_over_ids_and_a_filter(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    a, b = make_lead(owner), make_lead(owner, status="CONTACTED")
    headers = login(owner)
    resp = client.post("/api/leads/bulk/tags", headers=headers, json={
        "selection": {"ids": [a.id, b.id]}, "add_names": ["Spring"]})
    assert resp.status_code == 200 and resp.json() == {"count": 2, "added": 2, "removed": 0}
    spring = next(t["id"] for t in client.get("/api/tags", headers=headers).json() if t["name"] == "Spring")
    resp = client.post("/api/leads/bulk/tags", headers=headers, json={
        "selection": {"filter": {"statuses": ["CONTACTED"]}}, "remove_tag_ids": [spring]})
    assert resp.json() == {"count": 1, "added": 0, "removed": 1}
    assert leads.get_lead(owner, a.id).tags == ["Spring"] and leads.get_lead(owner, b.id).tags == []
    empty = client.post("/api/leads/bulk/tags", headers=headers, json={"selection": {"ids": [a.id]}})
    assert empty.status_code == 422


def test_not_duplicates_is_marked_listed_and_undone(client: TestClient, login: Login) -> None:
    manager = make_member(make_team(), TeamRole.MANAGER)
    a = make_lead(manager, first_name="Ann", phone="+14155550171")
    b = make_lead(manager, first_name="Bo", phone="+14155550171")
    headers = login(manager)
    resp = client.post("/api/leads/duplicates/dismiss", headers=headers, json={"lead_ids": [b.id, a.id]})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"lead_ids": [a.id, b.id], "pairs": 1}
    assert client.get("/api/leads/duplicates", headers=headers).json()["groups"] == []
    assert client.get(f"/api/leads/{a.id}/duplicates", headers=headers).json() == []
    listed = client.get("/api/leads/duplicates/dismissed", headers=headers, params={"limit": 10})
    assert listed.status_code == 200
    [pair] = listed.json()["items"]
    assert [lead["id"] for lead in pair["leads"]] == [a.id, b.id] and listed.json()["next_cursor"] is None
    undo = client.delete("/api/leads/duplicates/dismiss", headers=headers, params={"lead_id": [a.id, b.id]})
    assert undo.status_code == 200 and undo.json()["pairs"] == 1
    groups = client.get("/api/leads/duplicates", headers=headers).json()["groups"]
    assert [sorted(lead["id"] for lead in g["leads"]) for g in groups] == [[a.id, b.id]]


def test_not_duplicates_refusals(client: TestClient, login: Login) -> None:
    team = make_team()
    manager, agent = make_member(team, TeamRole.MANAGER), make_member(team, TeamRole.MEMBER)
    rival = make_member(make_team(), TeamRole.OWNER)
    mine, theirs = make_lead(manager), make_lead(rival)
    headers = login(manager)
    one = client.post("/api/leads/duplicates/dismiss", headers=headers, json={"lead_ids": [mine.id]})
    assert one.status_code == 422
    same = client.delete("/api/leads/duplicates/dismiss", headers=headers, params={"lead_id": [mine.id, mine.id]})
    assert same.status_code == 422 and same.json()["error"]["code"] == "validation_failed"
    extra = client.post("/api/leads/duplicates/dismiss", headers=headers,
                        json={"lead_ids": [mine.id, make_lead(manager).id], "team_id": rival.team_id})
    assert extra.status_code == 422
    foreign = client.post("/api/leads/duplicates/dismiss", headers=headers, json={"lead_ids": [mine.id, theirs.id]})
    assert foreign.status_code == 404
    assert client.get("/api/leads/duplicates/dismissed", headers=login(agent)).status_code == 403
    assert client.post("/api/leads/duplicates/dismiss", json={"lead_ids": [mine.id, theirs.id]}).status_code == 401
