"""The app shell: OpenAPI, CORS, the error envelope, and no secrets or traces in error bodies."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from crm.api.errors import validation_response
from crm.api.main import create_app
from crm.enums import TeamRole
from tests.factories import make_member, make_team

SECRET_PASSWORD = "Zebra-Sentinel-Passw0rd-4417"


def test_openapi_lists_the_routes_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "RealEstate Pro API"
    assert schema["info"]["version"]
    paths = schema["paths"]
    assert {"/api/health", "/api/auth/login", "/api/auth/refresh", "/api/auth/me",
            "/api/leads", "/api/leads/{lead_id}"} <= set(paths)
    assert set(paths["/api/leads"]) == {"get", "post"}
    params = {p["name"] for p in paths["/api/leads"]["get"]["parameters"]}
    assert {"search", "status", "source", "tag_id", "assigned_to_id", "unassigned", "score_min", "score_max",
            "created_from", "last_contact_to", "never_contacted", "sort", "cursor", "page_size"} <= params
    assert "page" not in params  # keyset pages: a cursor, never an offset
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert client.get("/api/docs").status_code == 200


def test_cors_allows_configured_origins_only(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization,x-team-id"}
    ok = client.options("/api/leads", headers={"Origin": "http://localhost:8501", **preflight})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "http://localhost:8501"
    evil = client.options("/api/leads", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in evil.headers


def test_unknown_route_and_method_use_the_error_envelope(client: TestClient) -> None:
    missing = client.get("/api/nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = client.delete("/api/auth/login")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_unexpected_errors_answer_500_without_details(db: str, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app()

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("internal detail: postgres://admin:hunter2@db")

    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        resp = client.get("/api/boom")
    assert resp.status_code == 500
    assert resp.json() == {"error": {"code": "internal_error", "field": None,
                                     "message": "Something went wrong on our side. Please try again."}}
    assert "hunter2" not in resp.text and "Traceback" not in resp.text
    assert any(r.exc_info and "hunter2" in str(r.exc_info[1]) for r in caplog.records)


def test_the_password_never_appears_in_an_error_body(client: TestClient) -> None:
    user = make_member(make_team(), TeamRole.OWNER)
    attempts = [
        {"json": {"email": user.email, "password": SECRET_PASSWORD}},  # wrong password
        {"json": {"email": "ghost@nowhere-agency.com", "password": SECRET_PASSWORD}},  # unknown user
        {"json": {"email": "x", "password": SECRET_PASSWORD}},  # email too short
        {"json": {"email": user.email, "password": SECRET_PASSWORD * 10}},  # password too long
        {"json": {"email": user.email, "password": SECRET_PASSWORD, "remember": True}},  # extra field
        {"json": {"password": SECRET_PASSWORD}},  # email missing
        {"json": {"email": user.email, "password": [SECRET_PASSWORD]}},  # wrong type
        {"json": [{"email": user.email, "password": SECRET_PASSWORD}]},  # wrong shape
        {"content": f'{{"email": "{user.email}", "password": "{SECRET_PASSWORD}"',  # truncated JSON
         "headers": {"Content-Type": "application/json"}},
        {"data": {"email": user.email, "password": SECRET_PASSWORD}},  # form-encoded
    ]
    for attempt in attempts:
        resp = client.post("/api/auth/login", **attempt)
        assert resp.status_code in (401, 422), (attempt, resp.status_code)
        assert "error" in resp.json()
        assert SECRET_PASSWORD not in resp.text, attempt
    refresh = client.post("/api/auth/refresh", json={"refresh_token": SECRET_PASSWORD})
    assert refresh.status_code == 401
    assert SECRET_PASSWORD not in refresh.text


def test_validation_messages_that_quote_a_secret_are_scrubbed(db: str) -> None:
    # A custom validator may quote its input; secrets must not travel back in the error.
    body = {"email": "a@b.co", "credentials": {"password": "tr0ub4dor&3"}, "api_key": "sk-live-1234"}
    errors = [
        {"type": "value_error", "loc": ("body", "credentials", "password"), "msg": "Value error, 'tr0ub4dor&3' is weak"},
        {"type": "value_error", "loc": ("body", "api_key"), "msg": "Value error, sk-live-1234 is revoked"},
    ]
    resp = validation_response(errors, body)
    text = resp.body.decode()
    assert resp.status_code == 422
    assert "tr0ub4dor&3" not in text and "sk-live-1234" not in text
    assert "credentials.password: '[redacted]' is weak" in text
