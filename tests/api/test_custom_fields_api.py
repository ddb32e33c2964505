"""Custom lead fields over HTTP: managing definitions, values on lead writes, readable errors."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from crm.enums import TeamRole
from tests.factories import make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]
URL = "/api/settings/custom-fields"


def test_definition_crud_order_and_conflicts(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    headers = login(owner)
    created = client.post(URL, headers=headers, json={"label": "Preferred areas", "field_type": "MULTI_SELECT",
                                                      "choices": ["Downtown", "Uptown"]})
    assert created.status_code == 201, created.text
    areas = created.json()
    assert (areas["key"], areas["choices"]) == ("preferred_areas", ["Downtown", "Uptown"])
    assert created.headers["Location"] == f"{URL}/{areas['id']}"
    budget = client.post(URL, headers=headers, json={"label": "Max budget", "field_type": "NUMBER",
                                                     "required": True}).json()
    assert client.post(URL, headers=headers, json={"label": "Max budget", "field_type": "TEXT"}).status_code == 409
    assert client.post(URL, headers=headers, json={"label": "Financing", "field_type": "SELECT"}).status_code == 422
    assert client.post(URL, headers=headers, json={"label": "X", "field_type": "DATE",
                                                   "team_id": 1}).status_code == 422
    # Key and type are fixed after creation.
    assert client.put(f"{URL}/{areas['id']}", headers=headers, json={"field_type": "TEXT"}).status_code == 422
    lead = make_lead(owner, custom_fields={"max_budget": 1, "preferred_areas": ["Uptown"]})
    refused = client.put(f"{URL}/{areas['id']}", headers=headers, json={"choices": ["Downtown"]})
    assert refused.status_code == 409
    assert "1 lead still uses 'Uptown'" in refused.json()["error"]["message"]
    ordered = client.put(f"{URL}/order", headers=headers, json={"ids": [budget["id"], areas["id"]]})
    assert [d["key"] for d in ordered.json()] == ["max_budget", "preferred_areas"]
    assert [d["key"] for d in client.get(URL, headers=headers).json()] == ["max_budget", "preferred_areas"]
    assert client.delete(f"{URL}/{areas['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/leads/{lead.id}", headers=headers).json()["custom_fields"] == {"max_budget": 1}


def test_members_read_definitions_but_cannot_manage_them(client: TestClient, login: Login) -> None:
    team = make_team()
    owner, agent = make_member(team, TeamRole.OWNER), make_member(team, TeamRole.MEMBER)
    field_id = client.post(URL, headers=login(owner), json={"label": "Pre-approved",
                                                            "field_type": "BOOLEAN"}).json()["id"]
    headers = login(agent)
    assert [d["label"] for d in client.get(URL, headers=headers).json()] == ["Pre-approved"]
    assert client.post(URL, headers=headers, json={"label": "X", "field_type": "TEXT"}).status_code == 403
    assert client.put(f"{URL}/{field_id}", headers=headers, json={"label": "Y"}).status_code == 403
    assert client.delete(f"{URL}/{field_id}", headers=headers).status_code == 403
    stranger = make_member(make_team(), TeamRole.OWNER)
    assert client.put(f"{URL}/{field_id}", headers=login(stranger), json={"label": "Y"}).status_code == 404


def test_lead_writes_validate_and_merge_custom_values(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    headers = login(owner)
    client.post(URL, headers=headers, json={"label": "Move-in by", "field_type": "DATE", "required": True})
    client.post(URL, headers=headers, json={"label": "Financing", "field_type": "SELECT",
                                            "choices": ["Cash", "Mortgage"]})
    base = {"first_name": "Ann", "phone": "+14155550100"}
    missing = client.post("/api/leads", headers=headers, json=base)
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "custom_fields.move_in_by"
    bad = client.post("/api/leads", headers=headers, json={**base, "custom_fields": {"move_in_by": "soon"}})
    assert bad.status_code == 422 and "Move-in by" in bad.json()["error"]["message"]
    unknown = client.post("/api/leads", headers=headers, json={**base, "custom_fields": {"move_in_by": "2027-01-31",
                                                                                        "pets": "2 cats"}})
    assert unknown.status_code == 422
    created = client.post("/api/leads", headers=headers, json={**base, "custom_fields": {
        "move_in_by": "2027-01-31", "financing": "cash"}})
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    assert created.json()["custom_fields"] == {"move_in_by": "2027-01-31", "financing": "Cash"}
    updated = client.put(f"/api/leads/{lead_id}", headers=headers, json={"custom_fields": {"financing": None}})
    assert updated.json()["custom_fields"] == {"move_in_by": "2027-01-31"}
    cleared = client.put(f"/api/leads/{lead_id}", headers=headers, json={"custom_fields": {"move_in_by": None}})
    assert cleared.status_code == 422


def test_leads_list_and_export_filter_on_custom_fields(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    headers = login(owner)
    client.post(URL, headers=headers, json={"label": "Max budget", "field_type": "NUMBER"})
    client.post(URL, headers=headers, json={"label": "Areas", "field_type": "MULTI_SELECT",
                                            "choices": ["Downtown", "Uptown", "Seaport"]})
    rich = make_lead(owner, first_name="Rich", custom_fields={"max_budget": 900000, "areas": ["Seaport"]})
    make_lead(owner, first_name="Modest", custom_fields={"max_budget": 300000, "areas": ["Downtown"]})
    make_lead(owner, first_name="Blank")

    def names(*conditions: str) -> set[str]:
        resp = client.get("/api/leads", headers=headers, params={"cf": list(conditions)})
        assert resp.status_code == 200, resp.text
        return {item["first_name"] for item in resp.json()["items"]}

    assert names("max_budget:gte:500000") == {"Rich"}
    assert names("areas:any_of:Uptown|Downtown") == {"Modest"}
    assert names("areas:is_empty") == {"Blank"}
    assert names("max_budget:lte:900000", "areas:any_of:Seaport") == {"Rich"}
    unknown = client.get("/api/leads", headers=headers, params={"cf": "pets:eq:cat"})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "custom.pets"
    bad_op = client.get("/api/leads", headers=headers, params={"cf": "max_budget:between:1"})
    assert bad_op.status_code == 422
    exported = client.get("/api/leads/export", headers=headers, params={"cf": "max_budget:gte:500000"})
    assert exported.status_code == 200
    body = exported.content.decode("utf-8-sig")
    assert "Max budget" in body.splitlines()[0] and "Rich" in body and "Modest" not in body
    assert rich.custom_fields == {"max_budget": 900000, "areas": ["Seaport"]}
