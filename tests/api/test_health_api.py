"""GET /api/health really asks the database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crm.api.main import create_app
from tests.conftest import reset_caches


def test_health_reports_ok_when_the_database_answers(client: TestClient) -> None:
    resp = client.get("/api/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "database": "ok"}


def test_health_answers_503_when_the_database_is_down(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        # Port 1 on localhost: nothing listens, the connection is refused at once.
        patch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
        reset_caches()
        with TestClient(create_app()) as client:
            resp = client.get("/api/health")
    reset_caches()
    assert resp.status_code == 503
    assert resp.json() == {"status": "unavailable", "database": "unavailable"}
    assert "127.0.0.1" not in resp.text
