"""A provider key marked with a sentinel must never leave encrypted storage.

It is stored through the API and the service, used server-side, sent through error paths,
and then looked for everywhere it could leak: every log record at DEBUG (including
SQLAlchemy's statement parameters), every API response (success and error bodies,
headers), every audit entry, every row of every table (outbox included), and the
provider_secrets row's ciphertext. The product has no export yet; when one is added it must
join this test.
"""

from __future__ import annotations

import base64
import logging
import secrets as pysecrets
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from crm.api.main import create_app
from crm.db import transaction
from crm.enums import ProviderName, TeamRole
from crm.orm import AuditLog, Base, ProviderSecret
from crm.schemas.common import Actor
from crm.schemas.secrets import ProviderKeyInput
from crm.security import decrypt_secret
from crm.services import secrets
from tests.factories import PASSWORD, make_member, make_team

Login = Callable[..., dict[str, str]]


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def login(client: TestClient) -> Login:
    def _login(actor: Actor) -> dict[str, str]:
        resp = client.post("/api/auth/login", json={"email": actor.email, "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}

    return _login


@pytest.fixture
def sentinel() -> str:
    return f"sk-SENTINEL-{pysecrets.token_hex(16)}"


def _forms(value: str) -> list[str]:
    """The sentinel as text and the encodings a careless leak would use."""
    core = value.removeprefix("sk-")
    return [value, core, base64.b64encode(value.encode()).decode(), value.encode().hex()]


def _assert_absent(text: str, sentinel: str, where: str) -> None:
    for form in _forms(sentinel):
        assert form not in text, f"the sentinel key leaked into {where}"


def test_sentinel_key_never_leaves_encrypted_storage(
    client: TestClient, login: Login, sentinel: str, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "httpx", "crm", "uvicorn", "fastapi"):
        caplog.set_level(logging.DEBUG, logger=name)
    team = make_team()
    agent = make_member(team, TeamRole.MEMBER)
    other = make_member(team, TeamRole.MANAGER)
    headers = login(agent)
    responses: list[httpx.Response] = []

    def call(method: str, path: str, **kw: object) -> httpx.Response:
        resp = client.request(method, path, **kw)  # type: ignore[arg-type]
        responses.append(resp)
        return resp

    # Stored through the API, read back, replaced through the service.
    saved = call("PUT", "/api/settings/api-keys", headers=headers, json={"provider": "OPENAI", "key": sentinel})
    assert saved.status_code == 200, saved.text
    assert saved.json()["last4"] == sentinel[-4:]
    assert call("GET", "/api/settings/api-keys", headers=headers).json()[0]["last4"] == sentinel[-4:]
    secrets.set_user_key(agent, ProviderKeyInput(provider=ProviderName.ANTHROPIC, key=SecretStr(sentinel)))

    # Used server-side (as the assistant does) — the only place the plaintext exists.
    assert secrets.reveal_user_key(agent, ProviderName.OPENAI) == sentinel
    assert secrets.reveal_user_key(other, ProviderName.OPENAI) is None  # another user's key stays theirs

    # Error paths carrying the key: validation errors, unknown fields, wrong endpoints, bad auth.
    call("PUT", "/api/settings/api-keys", headers=headers, json={"provider": "NOPE", "key": sentinel})
    call("PUT", "/api/settings/api-keys", headers=headers, json={"provider": "OPENAI", "key": f"{sentinel} x"})
    call("PUT", "/api/settings/api-keys", headers=headers,
         json={"provider": "OPENAI", "key": sentinel, "owner_id": 1})
    call("PUT", "/api/settings/api-keys", headers=headers, json={"provider": "OPENAI", "key": [sentinel]})
    call("PUT", "/api/settings/api-keys", json={"provider": "OPENAI", "key": sentinel})
    call("PUT", "/api/settings/api-keys", headers={"Authorization": f"Bearer {sentinel}"},
         json={"provider": "OPENAI", "key": sentinel})
    call("POST", "/api/auth/login", json={"email": agent.email, "password": sentinel})
    call("POST", "/api/auth/register", json={"email": "x@new-agency.com", "password": sentinel, "name": "X"})
    call("PUT", "/api/settings/password", headers=headers,
         json={"current_password": sentinel, "new_password": sentinel})
    call("POST", "/api/leads", headers=headers, json={"first_name": sentinel})
    call("PUT", "/api/settings/api-keys", headers=headers, content=f'{{"key": "{sentinel}"')  # broken JSON
    assert [r.status_code for r in responses[2:]] == [422, 422, 422, 422, 401, 401, 401, 202, 422, 422, 422]
    call("GET", "/api/settings/api-keys", headers=headers)
    call("DELETE", "/api/settings/api-keys/ANTHROPIC", headers=headers)

    # 1. API responses: bodies and headers.
    for resp in responses:
        _assert_absent(resp.text + str(dict(resp.headers)), sentinel, f"the response to {resp.request.url}")

    # 2. Logs at DEBUG, SQL parameters included.
    assert caplog.records, "nothing was logged: the capture is not working"
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records), "SQL logging not captured"
    for record in caplog.records:
        _assert_absent(record.getMessage() + str(record.args) + (record.exc_text or ""), sentinel,
                       f"the log record of {record.name}")
    _assert_absent(caplog.text, sentinel, "the log output")

    # 3. Audit entries, 4. the stored row, 5. every other table (outbox, events, ...).
    with transaction() as session:
        audits = session.scalars(select(AuditLog)).all()
        assert any(a.action == "secret.set" for a in audits)
        for entry in audits:
            _assert_absent(repr((entry.action, entry.resource, entry.resource_id, entry.changes,
                                 entry.user_agent)), sentinel, f"audit entry {entry.action}")
        row = session.scalars(select(ProviderSecret).where(ProviderSecret.provider == ProviderName.OPENAI)).one()
        _assert_absent(row.ciphertext, sentinel, "the provider_secrets ciphertext")
        assert row.last4 == sentinel[-4:]
        assert decrypt_secret(row.ciphertext) == sentinel
        for table in Base.metadata.sorted_tables:
            for values in session.execute(select(table)).all():
                _assert_absent(repr(tuple(values)), sentinel, f"table {table.name}")


def test_the_same_key_encrypts_differently_each_time(db: str, sentinel: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    ciphertexts = set()
    for _ in range(3):
        secrets.set_user_key(agent, ProviderKeyInput(provider=ProviderName.OPENAI, key=SecretStr(sentinel)))
        with transaction() as session:
            ciphertexts.add(session.scalars(select(ProviderSecret.ciphertext)).one())
    assert len(ciphertexts) == 3  # fresh nonce per value


def test_owners_and_admins_need_two_factor_for_the_api_keys_endpoints(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    resp = client.get("/api/settings/api-keys", headers=login(owner))
    assert resp.status_code == 403
    assert "two-factor" in resp.json()["error"]["message"]
