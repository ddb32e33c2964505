"""Tasks over HTTP: views, creation rules, completion and tenancy answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from crm.enums import TeamRole
from crm.schemas.tasks import TaskCreate
from crm.services import tasks
from tests.factories import make_lead, make_member, make_team

Login = Callable[..., dict[str, str]]


def _iso(at: dt.datetime) -> str:
    return at.isoformat()


def test_create_read_update_complete_and_delete(client: TestClient, login: Login) -> None:
    team = make_team()
    agent = make_member(team, TeamRole.MEMBER)
    lead = make_lead(make_member(team, TeamRole.OWNER), assigned_to_id=agent.user_id)
    headers = login(agent)
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    resp = client.post("/api/tasks", json={"title": "Send comps", "due_date": _iso(due), "lead_id": lead.id,
                                          "priority": "HIGH"}, headers=headers)
    assert resp.status_code == 201, resp.text
    task = resp.json()
    assert resp.headers["Location"] == f"/api/tasks/{task['id']}"
    assert task["assignee"]["id"] == agent.user_id and task["lead"]["id"] == lead.id
    assert task["status"] == "PENDING" and task["completed_at"] is None and task["overdue"] is False

    url = f"/api/tasks/{task['id']}"
    assert client.get(url, headers=headers).json()["title"] == "Send comps"
    assert client.put(url, json={"title": "Send comps today"}, headers=headers).json()["title"] == "Send comps today"
    done = client.patch(f"{url}/complete", headers=headers).json()
    assert done["status"] == "COMPLETED" and done["completed_at"] is not None
    reopened = client.patch(f"{url}/uncomplete", headers=headers).json()
    assert reopened["status"] == "PENDING" and reopened["completed_at"] is None
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_views_and_counts(client: TestClient, login: Login) -> None:
    team = make_team()
    agent = make_member(team, TeamRole.MEMBER)
    now = dt.datetime.now(dt.UTC)
    for title, due in (("late", now - dt.timedelta(days=3)), ("later", now + dt.timedelta(days=3))):
        tasks.create_task(agent, TaskCreate(title=title, due_date=due))
    headers = login(agent)
    assert [t["title"] for t in client.get("/api/tasks?view=overdue", headers=headers).json()["items"]] == ["late"]
    assert [t["title"] for t in client.get("/api/tasks?view=upcoming", headers=headers).json()["items"]] == ["later"]
    assert client.get("/api/tasks", headers=headers).json()["total"] == 2
    counts = client.get("/api/tasks/counts", headers=headers).json()
    assert counts["overdue"] == 1 and counts["upcoming"] == 1
    assert client.get("/api/tasks?view=someday", headers=headers).status_code == 422
    assert client.get("/api/tasks?page_size=500", headers=headers).status_code == 422


def test_agents_see_theirs_managers_filter_by_assignee(client: TestClient, login: Login) -> None:
    team = make_team()
    manager = make_member(team, TeamRole.MANAGER)
    agent, agent2 = make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER)
    due = dt.datetime.now(dt.UTC)
    tasks.create_task(agent, TaskCreate(title="a", due_date=due))
    other = tasks.create_task(agent2, TaskCreate(title="b", due_date=due))
    agent_headers, manager_headers = login(agent), login(manager)
    assert [t["title"] for t in client.get("/api/tasks", headers=agent_headers).json()["items"]] == ["a"]
    assert client.get(f"/api/tasks/{other.id}", headers=agent_headers).status_code == 404
    assert client.get("/api/tasks", headers=manager_headers).json()["total"] == 2
    only = client.get("/api/tasks", params={"assigned_to_id": agent2.user_id}, headers=manager_headers).json()
    assert [t["title"] for t in only["items"]] == ["b"]


def test_assigning_to_someone_else_needs_assign_leads(client: TestClient, login: Login) -> None:
    team = make_team()
    agent, agent2 = make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER)
    manager = make_member(team, TeamRole.MANAGER)
    body = {"title": "x", "due_date": _iso(dt.datetime.now(dt.UTC)), "assigned_to_id": agent2.user_id}
    resp = client.post("/api/tasks", json=body, headers=login(agent))
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "permission_denied"
    assert client.post("/api/tasks", json=body, headers=login(manager)).status_code == 201


def test_foreign_ids_answer_404(client: TestClient, login: Login) -> None:
    team, rival_team = make_team(), make_team()
    owner = make_member(team, TeamRole.OWNER)
    rival = make_member(rival_team, TeamRole.OWNER)
    foreign_task = tasks.create_task(rival, TaskCreate(title="theirs", due_date=dt.datetime.now(dt.UTC)))
    foreign_lead = make_lead(rival)
    headers = login(owner)
    url = f"/api/tasks/{foreign_task.id}"
    for method, path, body in (("GET", url, None), ("PUT", url, {"title": "mine now"}), ("DELETE", url, None),
                               ("PATCH", f"{url}/complete", None), ("PATCH", f"{url}/uncomplete", None)):
        resp = client.request(method, path, json=body, headers=headers)
        assert resp.status_code == 404, f"{method} {path}: {resp.status_code}"
        assert resp.json()["error"]["code"] == "not_found"
    due = _iso(dt.datetime.now(dt.UTC))
    for extra in ({"lead_id": foreign_lead.id}, {"assigned_to_id": rival.user_id}):
        resp = client.post("/api/tasks", json={"title": "x", "due_date": due, **extra}, headers=headers)
        assert resp.status_code == 404, resp.text
    assert tasks.get_task(rival, foreign_task.id).title == "theirs"  # untouched


def test_bad_bodies_are_422(client: TestClient, login: Login) -> None:
    headers = login(make_member(make_team(), TeamRole.OWNER))
    naive = client.post("/api/tasks", json={"title": "x", "due_date": "2026-11-25T09:00:00"}, headers=headers)
    assert naive.status_code == 422 and naive.json()["error"]["field"] == "due_date"
    smuggled = client.post("/api/tasks", json={"title": "x", "due_date": "2026-11-25T09:00:00Z", "team_id": 1},
                           headers=headers)
    assert smuggled.status_code == 422 and smuggled.json()["error"]["field"] == "team_id"
    assert client.get("/api/tasks").status_code == 401
