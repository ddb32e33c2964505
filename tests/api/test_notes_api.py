"""Notes over HTTP: add, list, edit, delete; the author or a manager; 404 for other teams' ids."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from crm.enums import TeamRole
from tests.factories import make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]


def test_note_lifecycle_and_permissions(client: TestClient, login: Login) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    author, colleague = make_member(team, TeamRole.MEMBER, name="Ava"), make_member(team, TeamRole.MEMBER)
    lead = make_lead(owner)
    added = client.post(f"/api/leads/{lead.id}/notes", headers=login(author), json={"content": "Pre-approved"})
    assert added.status_code == 201
    note_id = added.json()["id"]
    listed = client.get(f"/api/leads/{lead.id}/notes", headers=login(owner)).json()
    assert [(n["id"], n["author"], n["author_id"]) for n in listed] == [(note_id, "Ava", author.user_id)]
    assert client.put(f"/api/notes/{note_id}", headers=login(colleague), json={"content": "x"}).status_code == 403
    assert client.delete(f"/api/notes/{note_id}", headers=login(colleague)).status_code == 403
    edited = client.put(f"/api/notes/{note_id}", headers=login(author), json={"content": "Pre-approved at 500k"})
    assert edited.json()["content"] == "Pre-approved at 500k"
    assert client.delete(f"/api/notes/{note_id}", headers=login(owner)).status_code == 204
    assert client.get(f"/api/leads/{lead.id}/notes", headers=login(owner)).json() == []


def test_other_teams_notes_are_not_found(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    note_id = client.post(f"/api/leads/{lead.id}/notes", headers=login(owner), json={"content": "a"}).json()["id"]
    headers = login(make_member(make_team(), TeamRole.OWNER))
    for method, url, body in [("GET", f"/api/leads/{lead.id}/notes", None),
                              ("POST", f"/api/leads/{lead.id}/notes", {"content": "b"}),
                              ("PUT", f"/api/notes/{note_id}", {"content": "b"}),
                              ("DELETE", f"/api/notes/{note_id}", None)]:
        resp = client.request(method, url, headers=headers, json=body)
        assert (resp.status_code, resp.json()["error"]["code"]) == (404, "not_found"), f"{method} {url}"
