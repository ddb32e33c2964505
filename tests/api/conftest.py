"""API test fixtures: a TestClient over the real app, pointed at the `db` test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from crm.api.main import create_app
from crm.schemas.common import Actor
from tests.factories import PASSWORD

Login = Callable[..., dict[str, str]]


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def login(client: TestClient) -> Login:
    """Sign `actor` in through the API and return the Authorization header for its access token."""

    def _login(actor: Actor, *, team_id: int | None = None) -> dict[str, str]:
        resp = client.post("/api/auth/login", json={"email": actor.email, "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}
        if team_id is not None:
            headers["X-Team-Id"] = str(team_id)
        return headers

    return _login
