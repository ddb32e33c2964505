"""Settings over HTTP: profile, avatar, password change and two-factor enable/verify/disable."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient

from crm.enums import TeamRole
from tests.factories import PASSWORD, make_member, make_team

Login = Callable[..., dict[str, str]]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NEW_PASSWORD = "orchard-sparrow-cobalt-42"


@pytest.fixture(autouse=True)
def _avatar_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    from crm.config import get_settings

    monkeypatch.setenv("AVATAR_DIR", str(tmp_path / "avatars"))
    get_settings.cache_clear()


def test_every_settings_endpoint_needs_a_token(client: TestClient) -> None:
    for method, path in (("GET", "/api/settings/profile"), ("PUT", "/api/settings/profile"),
                         ("POST", "/api/settings/avatar"), ("GET", "/api/settings/avatar"),
                         ("PUT", "/api/settings/password"), ("POST", "/api/settings/2fa/enable"),
                         ("POST", "/api/settings/2fa/verify"), ("POST", "/api/settings/2fa/disable")):
        assert client.request(method, path).status_code in (401, 422), path


def test_profile_get_and_update(client: TestClient, login: Login) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER, name="Ann Agent")
    headers = login(agent)
    got = client.get("/api/settings/profile", headers=headers).json()
    assert got["name"] == "Ann Agent" and got["two_factor_enabled"] is False and got["avatar_url"] is None
    resp = client.put("/api/settings/profile", headers=headers, json={"timezone": "Mars/Base", "language": "en"})
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "timezone"
    resp = client.put("/api/settings/profile", headers=headers, json={"language": "fr"})
    assert resp.status_code == 200 and resp.json()["language"] == "fr"


def test_avatar_upload_download_and_refusals(client: TestClient, login: Login) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    headers = login(agent)
    assert client.get("/api/settings/avatar", headers=headers).status_code == 404
    up = client.post("/api/settings/avatar", headers=headers, files={"file": ("me.png", PNG, "image/png")})
    assert up.status_code == 200, up.text
    assert up.json()["avatar_url"].startswith("/api/settings/avatar")
    down = client.get("/api/settings/avatar", headers=headers)
    assert down.status_code == 200 and down.content == PNG
    assert down.headers["content-type"] == "image/png" and down.headers["x-content-type-options"] == "nosniff"
    html = client.post("/api/settings/avatar", headers=headers,
                       files={"file": ("x.png", b"<html><script>alert(1)</script>", "image/png")})
    assert html.status_code == 422
    big = client.post("/api/settings/avatar", headers=headers,
                      files={"file": ("big.png", PNG + b"\x00" * (2 * 1024 * 1024), "image/png")})
    assert big.status_code == 422 and "2 MB" in big.json()["error"]["message"]
    assert client.delete("/api/settings/avatar", headers=headers).json()["avatar_url"] is None


def test_change_password_returns_fresh_tokens_and_ends_the_old_ones(client: TestClient) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    old = client.post("/api/auth/login", json={"email": agent.email, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {old['access_token']}"}
    wrong = client.put("/api/settings/password", headers=headers,
                       json={"current_password": "nope-nope-nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "current_password"
    weak = client.put("/api/settings/password", headers=headers,
                      json={"current_password": PASSWORD, "new_password": "qwertyuiop12"})
    assert weak.status_code == 422 and "qwertyuiop12" not in weak.text
    ok = client.put("/api/settings/password", headers=headers,
                    json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert ok.status_code == 200, ok.text
    fresh = ok.json()
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert client.post("/api/auth/refresh", json={"refresh_token": old["refresh_token"]}).status_code == 401
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}
                      ).status_code == 200
    assert client.post("/api/auth/login", json={"email": agent.email, "password": NEW_PASSWORD}).status_code == 200


def test_two_factor_enable_verify_disable(client: TestClient, login: Login) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    headers = login(owner)
    setup = client.post("/api/settings/2fa/enable", headers=headers)
    assert setup.status_code == 200
    body = setup.json()
    assert body["qr_svg"].startswith("<svg") and body["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(body["secret"])
    bad = client.post("/api/settings/2fa/verify", headers=headers,
                      json={"code": totp.at(time.time(), counter_offset=4)})
    assert bad.status_code == 422
    good = client.post("/api/settings/2fa/verify", headers=headers,
                       json={"code": totp.at(time.time(), counter_offset=-1)})
    assert good.status_code == 200
    codes = good.json()["recovery_codes"]
    assert len(codes) == 10
    assert client.get("/api/settings/profile", headers=headers).json()["two_factor_enabled"] is True
    assert client.post("/api/settings/2fa/enable", headers=headers).status_code == 409

    refused = client.post("/api/settings/2fa/disable", headers=headers,
                          json={"password": "wrong-password!!", "code": codes[0]})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "password"
    off = client.post("/api/settings/2fa/disable", headers=headers, json={"password": PASSWORD, "code": codes[0]})
    assert off.status_code == 200
    assert "access_token" in client.post("/api/auth/login", json={"email": owner.email, "password": PASSWORD}).json()
