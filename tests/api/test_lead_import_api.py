"""Lead import over the API: multipart upload, background run, preview, list, report, resume/cancel."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crm.config import get_settings
from crm.enums import TeamRole
from tests.factories import make_lead, make_member, make_team

FILE = b"First Name,Last Name,E-mail,Mobile,Lead Source\nAnn,Lee,ANN@x.com,(415) 555-0101,Zillow\n" \
       b"Bob,Roe,bob@x.com,,web\nDup,,ann@x.com,,\nBad,,nope,,\n"


@pytest.fixture(autouse=True)
def _uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATAR_DIR", str(tmp_path / "avatars"))
    get_settings.cache_clear()


def test_upload_runs_in_the_background_and_reports_each_row(client: TestClient, login) -> None:
    manager = make_member(make_team(), TeamRole.MANAGER)
    headers = login(manager)
    resp = client.post("/api/leads/import", headers=headers, files={"file": ("leads.csv", FILE, "text/csv")},
                       data={"options": json.dumps({"duplicate_mode": "SKIP", "tag_names": ["api"]})})
    assert resp.status_code == 202, resp.text
    job = resp.json()
    assert job["status"] == "PENDING" and job["mapping"]["E-mail"] == "email"
    # TestClient runs background tasks before returning: the job is done.
    done = client.get(f"/api/leads/imports/{job['id']}", headers=headers).json()
    assert (done["status"], done["created_count"], done["skipped_count"], done["failed_count"]) == (
        "COMPLETED", 2, 1, 1)
    assert [j["id"] for j in client.get("/api/leads/imports", headers=headers).json()] == [job["id"]]
    rows = client.get(f"/api/leads/imports/{job['id']}/rows", headers=headers, params={"outcome": "FAILED"}).json()
    assert [r["row_number"] for r in rows] == [4] and "not a valid email" in rows[0]["message"]
    report = client.get(f"/api/leads/imports/{job['id']}/report", headers=headers)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [line[1] for line in lines] == ["Outcome", "CREATED", "CREATED", "SKIPPED", "FAILED"]
    leads = client.get("/api/leads", headers=headers).json()["items"]
    assert sorted(lead["email"] for lead in leads) == ["ann@x.com", "bob@x.com"]


def test_dry_run_flag_and_custom_mapping(client: TestClient, login) -> None:
    manager = make_member(make_team(), TeamRole.MANAGER)
    headers = login(manager)
    mapping = {"First Name": "first_name", "E-mail": "email"}
    resp = client.post("/api/leads/import", headers=headers, files={"file": ("leads.csv", FILE, "text/csv")},
                       data={"mapping": json.dumps(mapping), "dry_run": "true"})
    assert resp.status_code == 202, resp.text
    done = client.get(f"/api/leads/imports/{resp.json()['id']}", headers=headers).json()
    assert done["dry_run"] and done["created_count"] == 2
    assert client.get("/api/leads", headers=headers).json()["items"] == []


def test_preview_shows_the_suggested_mapping_and_rows(client: TestClient, login) -> None:
    headers = login(make_member(make_team(), TeamRole.MANAGER))
    resp = client.post("/api/leads/import/preview", headers=headers,
                       files={"file": ("leads.csv", FILE, "text/csv")}, data={"rows": "2"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["suggested_mapping"]["Mobile"] == "phone" and len(body["rows"]) == 2
    assert body["rows"][0]["values"]["phone"] == "+14155550101"


@pytest.mark.parametrize(("data", "field"), [({"mapping": "{not json"}, "mapping"),
                                              ({"options": json.dumps({"duplicate_mode": "MERGE"})}, None),
                                              ({"options": json.dumps({"team_id": 5})}, None)])
def test_broken_form_fields_answer_422(client: TestClient, login, data: dict, field: str | None) -> None:
    headers = login(make_member(make_team(), TeamRole.MANAGER))
    resp = client.post("/api/leads/import", headers=headers, files={"file": ("x.csv", FILE, "text/csv")}, data=data)
    assert resp.status_code == 422, resp.text


def test_wrong_file_type_agents_and_other_teams_are_refused(client: TestClient, login) -> None:
    team = make_team()
    manager, agent = make_member(team, TeamRole.MANAGER), make_member(team, TeamRole.MEMBER)
    headers = login(manager)
    resp = client.post("/api/leads/import", headers=headers, files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")})
    assert resp.status_code == 422 and "CSV and XLSX" in resp.json()["error"]["message"]
    resp = client.post("/api/leads/import", headers=login(agent), files={"file": ("x.csv", FILE, "text/csv")})
    assert resp.status_code == 403
    job = client.post("/api/leads/import", headers=headers, files={"file": ("x.csv", FILE, "text/csv")}).json()
    stranger = login(make_member(make_team(), TeamRole.OWNER))
    for method, path in (("get", ""), ("get", "/report"), ("get", "/rows"), ("post", "/resume"), ("post", "/cancel")):
        assert getattr(client, method)(f"/api/leads/imports/{job['id']}{path}", headers=stranger).status_code == 404


def test_a_finished_import_cannot_be_resumed_or_cancelled(client: TestClient, login) -> None:
    manager = make_member(make_team(), TeamRole.MANAGER)
    make_lead(manager, email="someone@x.com")
    headers = login(manager)
    job = client.post("/api/leads/import", headers=headers, files={"file": ("x.csv", FILE, "text/csv")}).json()
    assert client.post(f"/api/leads/imports/{job['id']}/resume", headers=headers).status_code == 409
    assert client.post(f"/api/leads/imports/{job['id']}/cancel", headers=headers).status_code == 409
