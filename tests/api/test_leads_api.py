"""Leads over HTTP: list filters, creation rules and tenancy answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from crm.enums import LeadSource, LeadStatus, TeamRole
from crm.schemas.leads import LeadFilter
from crm.schemas.tags import TagAssign, TagCreate
from crm.services import leads, tags
from tests.factories import make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]


def test_list_filters_by_repeated_status_and_source(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    new_site = make_lead(owner, status=LeadStatus.NEW, source=LeadSource.WEBSITE)
    contacted_zillow = make_lead(owner, status=LeadStatus.CONTACTED, source=LeadSource.ZILLOW)
    make_lead(owner, status=LeadStatus.WON, source=LeadSource.ZILLOW)
    headers = login(owner)

    by_status = client.get("/api/leads?status=NEW&status=CONTACTED", headers=headers).json()
    assert {i["id"] for i in by_status["items"]} == {new_site.id, contacted_zillow.id}
    assert by_status["total"] == 2
    both = client.get("/api/leads", params={"status": ["NEW", "CONTACTED"], "source": "ZILLOW"},
                      headers=headers).json()
    assert [i["id"] for i in both["items"]] == [contacted_zillow.id]


def test_list_searches_and_filters_by_assignee(client: TestClient, login: Login) -> None:
    team = make_team()
    manager = make_member(team, TeamRole.MANAGER)
    agent = make_member(team, TeamRole.MEMBER, name="Ava Agent")
    smith = make_lead(manager, first_name="Jordan", last_name="Smithson", assigned_to_id=agent.user_id)
    pool = make_lead(manager, first_name="Casey", last_name="Pool")
    headers = login(manager)

    found = client.get("/api/leads", params={"search": "smith"}, headers=headers).json()
    assert [i["id"] for i in found["items"]] == [smith.id]
    assert found["items"][0]["assigned_to"] == {"id": agent.user_id, "name": "Ava Agent"}
    mine = client.get("/api/leads", params={"assigned_to_id": agent.user_id}, headers=headers).json()
    assert [i["id"] for i in mine["items"]] == [smith.id]
    unassigned = client.get("/api/leads", params={"unassigned": "true"}, headers=headers).json()
    assert [i["id"] for i in unassigned["items"]] == [pool.id]


def test_list_sorts_and_paginates(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    for last in ("Delta", "Alpha", "Echo", "Charlie", "Bravo"):
        make_lead(owner, last_name=last)
    headers = login(owner)

    first = client.get("/api/leads", params={"sort": "name", "page_size": 2}, headers=headers).json()
    page2 = client.get("/api/leads", params={"sort": "name", "page_size": 2, "cursor": first["next_cursor"]},
                       headers=headers)
    assert page2.status_code == 200
    body = page2.json()
    assert [i["last_name"] for i in body["items"]] == ["Charlie", "Delta"]
    assert (body["total"], body["total_is_exact"], body["page_size"]) == (5, True, 2)
    last = client.get("/api/leads", params={"sort": "name", "page_size": 2, "cursor": body["next_cursor"]},
                      headers=headers).json()
    assert [i["last_name"] for i in last["items"]] == ["Echo"] and last["next_cursor"] is None


def test_list_filters_by_tags_score_and_contact(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    hot, warm, cold = (make_lead(owner, first_name=n) for n in ("Hot", "Warm", "Cold"))
    tagged = {name: tags.create_tag(owner, TagCreate(name=name)).id for name in ("vip", "investor")}
    tags.add_tags_to_lead(owner, hot.id, TagAssign(tag_ids=[tagged["vip"]]))
    tags.add_tags_to_lead(owner, warm.id, TagAssign(tag_ids=[tagged["investor"]]))
    headers = login(owner)

    both = client.get("/api/leads", params=[("tag_id", tagged["vip"]), ("tag_id", tagged["investor"])],
                      headers=headers).json()
    assert sorted(i["first_name"] for i in both["items"]) == ["Hot", "Warm"]
    untouched = client.get("/api/leads", params={"never_contacted": "true", "score_max": 100}, headers=headers).json()
    assert untouched["total"] == 3 and cold.id in [i["id"] for i in untouched["items"]]


def test_count_gives_the_exact_total_the_list_stops_short_of(
    client: TestClient, login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    for status in (LeadStatus.NEW, LeadStatus.NEW, LeadStatus.NEW, LeadStatus.WON):
        make_lead(owner, status=status)
    monkeypatch.setattr(leads, "COUNT_CAP", 2)
    headers = login(owner)

    page = client.get("/api/leads", params={"status": "NEW", "page_size": 1}, headers=headers).json()
    assert (page["total"], page["total_is_exact"]) == (2, False)
    assert client.get("/api/leads/count", params={"status": "NEW"}, headers=headers).json() == {"total": 3}
    assert client.get("/api/leads/count", headers=headers).json() == {"total": 4}
    refused = client.get("/api/leads/count", params={"score_min": 101}, headers=headers)
    assert refused.status_code == 422


def test_list_refuses_bad_query_parameters_with_the_field_named(client: TestClient, login: Login) -> None:
    headers = login(make_member(make_team(), TeamRole.OWNER))
    for params, field in (({"page_size": 500}, "page_size"), ({"cursor": "not-a-cursor"}, "cursor"),
                          ({"status": "MAYBE"}, "status.0"), ({"sort": "random"}, "sort"),
                          ({"tag_id": "vip"}, "tag_id.0"), ({"score_min": 101}, "score_min"),
                          ({"created_from": "2026-02-30"}, "created_from")):
        resp = client.get("/api/leads", params=params, headers=headers)
        assert resp.status_code == 422, params
        error = resp.json()["error"]
        assert error["code"] == "validation_failed"
        assert error["field"] == field, error


def test_create_lead_answers_201_with_the_detail(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    resp = client.post("/api/leads", headers=login(owner), json={
        "first_name": "Dana", "last_name": "Lee", "email": "Dana.Lee@Example.com",
        "phone": "(415) 555-2671", "source": "ZILLOW", "value": "525000.00",
    })
    assert resp.status_code == 201, resp.text
    lead = resp.json()
    assert resp.headers["Location"] == f"/api/leads/{lead['id']}"
    assert (lead["email"], lead["phone"], lead["source"]) == ("dana.lee@example.com", "+14155552671", "ZILLOW")
    assert [e["type"] for e in lead["timeline"]] == ["LEAD_CREATED"]
    assert client.get(f"/api/leads/{lead['id']}", headers=login(owner)).json()["email"] == lead["email"]


def test_create_lead_validation_errors_name_the_fields_and_write_nothing(
    client: TestClient, login: Login
) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    headers = login(owner)

    bad = client.post("/api/leads", headers=headers, json={"first_name": "", "email": "not-an-email"})
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "validation_failed"
    assert {d["field"] for d in error["details"]} == {"first_name", "email"}
    assert "not a valid email address" in error["message"]
    unreachable = client.post("/api/leads", headers=headers, json={"first_name": "Nobody"})
    assert unreachable.status_code == 422
    assert "needs an email or a phone number" in unreachable.json()["error"]["message"]
    not_json = client.post("/api/leads", headers={**headers, "Content-Type": "application/json"},
                           content=b"{not json")
    assert not_json.status_code == 422
    assert not_json.json()["error"] | {"details": None} == {
        "code": "validation_failed", "message": "The body is not valid JSON.", "field": None, "details": None,
    }

    assert leads.list_leads(owner, LeadFilter()).total == 0


def test_create_lead_with_a_duplicate_email_is_a_409(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    make_lead(owner, email="same@buyer.com")
    resp = client.post("/api/leads", headers=login(owner), json={"first_name": "Twin", "email": "SAME@buyer.com"})
    assert resp.status_code == 409
    assert resp.json()["error"] == {
        "code": "conflict", "field": "email",
        "message": "A lead with email same@buyer.com already exists in this team.",
    }
    assert leads.list_leads(owner, LeadFilter()).total == 1


def test_team_id_in_the_body_is_refused_not_obeyed(client: TestClient, login: Login) -> None:
    mine, theirs = make_team(), make_team()
    owner = make_member(mine, TeamRole.OWNER)
    victim = make_member(theirs, TeamRole.OWNER)
    resp = client.post("/api/leads", headers=login(owner),
                       json={"first_name": "Sneaky", "email": "s@x.com", "team_id": theirs})
    assert resp.status_code == 422
    assert resp.json()["error"]["field"] == "team_id"
    assert leads.list_leads(owner, LeadFilter()).total == 0
    assert leads.list_leads(victim, LeadFilter()).total == 0


def test_assigning_to_a_user_of_another_team_is_not_found(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    stranger = make_member(make_team(), TeamRole.MEMBER)
    resp = client.post("/api/leads", headers=login(owner),
                       json={"first_name": "Pat", "email": "pat@x.com", "assigned_to_id": stranger.user_id})
    assert resp.status_code == 404
    assert leads.list_leads(owner, LeadFilter()).total == 0


def test_another_teams_lead_is_not_found_rather_than_forbidden(client: TestClient, login: Login) -> None:
    a = make_member(make_team(), TeamRole.OWNER)
    b = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(a)
    resp = client.get(f"/api/leads/{lead.id}", headers=login(b))
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
    # Indistinguishable from an id that does not exist at all.
    assert resp.json()["error"]["message"] == f"Lead {lead.id} was not found."
    missing = client.get("/api/leads/987654321", headers=login(b))
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert client.get(f"/api/leads/{lead.id}", headers=login(a)).status_code == 200


def test_member_cannot_see_another_agents_lead(client: TestClient, login: Login) -> None:
    team = make_team()
    manager = make_member(team, TeamRole.MANAGER)
    ava, ben = make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER)
    bens = make_lead(manager, assigned_to_id=ben.user_id)
    pool = make_lead(manager)
    headers = login(ava)
    assert client.get(f"/api/leads/{bens.id}", headers=headers).status_code == 404
    assert client.get(f"/api/leads/{pool.id}", headers=headers).status_code == 200
    assert [i["id"] for i in client.get("/api/leads", headers=headers).json()["items"]] == [pool.id]


def test_member_creating_a_lead_gets_it_assigned_to_themselves(client: TestClient, login: Login) -> None:
    team = make_team()
    ava = make_member(team, TeamRole.MEMBER, name="Ava")
    resp = client.post("/api/leads", headers=login(ava), json={"first_name": "Walk", "phone": "415-555-2671"})
    assert resp.status_code == 201
    assert resp.json()["assigned_to"] == {"id": ava.user_id, "name": "Ava"}


def test_update_status_assign_and_delete_a_lead(client: TestClient, login: Login) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    ava = make_member(team, TeamRole.MEMBER, name="Ava")
    lead = make_lead(owner)
    headers = login(owner)
    put = client.put(f"/api/leads/{lead.id}", headers=headers, json={"city": "Austin"})
    assert (put.status_code, put.json()["city"]) == (200, "Austin")
    status = client.patch(f"/api/leads/{lead.id}/status", headers=headers, json={"status": "QUALIFIED"})
    assert (status.status_code, status.json()["status"]) == (200, "QUALIFIED")
    assign = client.patch(f"/api/leads/{lead.id}/assign", headers=headers, json={"user_id": ava.user_id})
    assert assign.json()["assigned_to"] == {"id": ava.user_id, "name": "Ava"}
    assert client.delete(f"/api/leads/{lead.id}", headers=login(ava)).status_code == 403
    assert client.delete(f"/api/leads/{lead.id}", headers=headers).status_code == 204
    assert client.get(f"/api/leads/{lead.id}", headers=headers).status_code == 404


def test_bulk_routes_over_ids_and_over_a_filter(client: TestClient, login: Login) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    ava = make_member(team, TeamRole.MEMBER)
    zillow = [make_lead(owner, source=LeadSource.ZILLOW) for _ in range(3)]
    site = make_lead(owner, source=LeadSource.WEBSITE)
    headers = login(owner)
    updated = client.post("/api/leads/bulk/update", headers=headers, json={
        "selection": {"filter": {"sources": ["ZILLOW"]}}, "changes": {"status": "CONTACTED"}})
    assert updated.json() == {"count": 3}
    assert leads.get_lead(owner, site.id).status is LeadStatus.NEW
    assigned = client.post("/api/leads/bulk/assign", headers=headers, json={
        "selection": {"ids": [zillow[0].id, site.id]}, "user_id": ava.user_id})
    assert assigned.json() == {"count": 2}
    assert client.post("/api/leads/bulk/delete", headers=login(ava), json={"ids": [site.id]}).status_code == 403
    deleted = client.post("/api/leads/bulk/delete", headers=headers, json={"filter": {"statuses": ["CONTACTED"]}})
    assert deleted.json() == {"count": 3}
    assert [i["id"] for i in client.get("/api/leads", headers=headers).json()["items"]] == [site.id]


def test_bulk_selection_must_be_ids_or_filter(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    resp = client.post("/api/leads/bulk/delete", headers=login(owner), json={"ids": [lead.id], "filter": {}})
    assert resp.status_code == 422
    empty = client.post("/api/leads/bulk/update", headers=login(owner),
                        json={"selection": {"ids": [lead.id]}, "changes": {}})
    assert empty.status_code == 422


def test_foreign_ids_answer_404_on_every_lead_write(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    stranger = make_member(make_team(), TeamRole.OWNER)
    headers = login(stranger)
    calls = [
        ("PUT", f"/api/leads/{lead.id}", {"city": "Austin"}),
        ("DELETE", f"/api/leads/{lead.id}", None),
        ("PATCH", f"/api/leads/{lead.id}/status", {"status": "WON"}),
        ("PATCH", f"/api/leads/{lead.id}/assign", {"user_id": stranger.user_id}),
        ("POST", "/api/leads/bulk/update", {"selection": {"ids": [lead.id]}, "changes": {"status": "WON"}}),
        ("POST", "/api/leads/bulk/assign", {"selection": {"ids": [lead.id]}, "user_id": None}),
        ("POST", "/api/leads/bulk/delete", {"ids": [lead.id]}),
        ("POST", f"/api/leads/{lead.id}/tags", {"names": ["Hot"]}),
    ]
    for method, url, body in calls:
        resp = client.request(method, url, headers=headers, json=body)
        assert (resp.status_code, resp.json()["error"]["code"]) == (404, "not_found"), f"{method} {url}"
    filtered = client.post("/api/leads/bulk/update", headers=headers,
                           json={"selection": {"filter": {}}, "changes": {"status": "WON"}})
    assert filtered.json() == {"count": 0}
    assert leads.get_lead(owner, lead.id).status is LeadStatus.NEW


def test_export_streams_the_filtered_view_as_csv_and_refuses_agents(db: str) -> None:
    import csv
    import io

    from fastapi.testclient import TestClient

    from crm.api.main import create_app
    from crm.enums import LeadStatus, TeamRole
    from crm.services import auth
    from tests.factories import make_lead, make_member, make_team

    client = TestClient(create_app())
    team = make_team()
    manager, agent = make_member(team, TeamRole.MANAGER), make_member(team, TeamRole.MEMBER)
    make_lead(manager, first_name="=2+5", status=LeadStatus.QUALIFIED)
    make_lead(manager, first_name="Other", status=LeadStatus.NEW)
    bearer = {"Authorization": f"Bearer {auth.issue_tokens(manager).access_token}"}
    resp = client.get("/api/leads/export", params={"status": "QUALIFIED", "format": "csv"}, headers=bearer)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert 'filename="leads.csv"' in resp.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert [r["First name"] for r in rows] == ["'=2+5"]
    xlsx = client.get("/api/leads/export", params={"format": "xlsx"}, headers=bearer)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    denied = client.get("/api/leads/export",
                        headers={"Authorization": f"Bearer {auth.issue_tokens(agent).access_token}"})
    assert denied.status_code == 403
