"""In real Chromium: the sign-in survives a reload (signed HttpOnly cookie), sign-out ends it,
and the 6th rapid bad password is refused with a readable wait.

Keep the throttling test last: it locks sign-ins from 127.0.0.1 for 15 minutes on this server.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

COOKIE = "rep_session"
SIGN_IN_CAPTION = "Sign in to your brokerage workspace."


def _session_cookie(page: Any) -> dict[str, Any] | None:
    return next((c for c in page.context.cookies() if c["name"] == COOKIE), None)


def _wait_for_cookie(page: Any, *, present: bool, timeout: float = 15) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cookie = _session_cookie(page)
        if (cookie is not None) == present:
            return cookie
        page.wait_for_timeout(200)
    raise AssertionError(f"the {COOKIE} cookie was {'never set' if present else 'not cleared'}")


def _sign_in(page: Any, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name=re.compile("Sign in")).click()


def test_sign_in_survives_a_reload_and_sign_out_ends_it(app_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    timings: dict[str, float] = {}
    page.goto(app_url)
    expect(page.get_by_text(SIGN_IN_CAPTION)).to_be_visible()
    _sign_in(page, "agent@harborandoak.com", "demo-password-2026")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    cookie = _wait_for_cookie(page, present=True)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert COOKIE not in page.evaluate("document.cookie")  # scripts cannot read it

    page.get_by_role("link", name="Leads").click()
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()
    t0 = time.monotonic()
    page.reload()
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()
    timings["reload → leads, still signed in"] = round(time.monotonic() - t0, 2)
    assert page.url.rstrip("/").endswith("/leads")
    expect(page.get_by_text(SIGN_IN_CAPTION)).to_have_count(0)

    # A new tab of the same browser is signed in too (the cookie, not the websocket, carries it).
    other = page.context.new_page()
    other.goto(f"{app_url}/settings")
    expect(other.get_by_role("heading", name="Settings")).to_be_visible()
    other.close()

    page.get_by_role("button", name=re.compile("Sign out")).click()
    expect(page.get_by_text(SIGN_IN_CAPTION)).to_be_visible()
    _wait_for_cookie(page, present=False)
    page.reload()
    expect(page.get_by_text(SIGN_IN_CAPTION)).to_be_visible()
    page.goto(f"{app_url}/leads")
    expect(page.get_by_text(SIGN_IN_CAPTION)).to_be_visible()
    print(f"\nbrowser timings (s): {timings}")


def test_a_stolen_cookie_is_dead_after_sign_out(app_url: str, page: Any) -> None:
    """Server-side revocation: replaying the cookie value after sign-out signs nobody in."""
    from playwright.sync_api import expect

    page.goto(app_url)
    _sign_in(page, "manager@harborandoak.com", "demo-password-2026")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    stolen = _wait_for_cookie(page, present=True)
    page.get_by_role("button", name=re.compile("Sign out")).click()
    expect(page.get_by_text(SIGN_IN_CAPTION)).to_be_visible()
    _wait_for_cookie(page, present=False)
    page.context.add_cookies([{k: stolen[k] for k in ("name", "value", "domain", "path", "httpOnly", "sameSite")}])
    page.goto(app_url)
    expect(page.get_by_text(SIGN_IN_CAPTION)).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)


def test_sign_in_with_two_factor_asks_for_the_code(
    app_url: str, page: Any, e2e_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyotp
    from playwright.sync_api import expect

    from crm.schemas.auth import LoginInput
    from crm.services import auth, two_factor
    from tests.conftest import reset_caches

    monkeypatch.setenv("DATABASE_URL", e2e_database_url)
    reset_caches()
    try:
        user = auth.authenticate(LoginInput(email="manager@harborandoak.com", password="demo-password-2026"))
        actor = auth.get_actor(user.user_id)
        setup = two_factor.begin_setup(actor)
        two_factor.confirm_setup(actor, pyotp.TOTP(setup.secret).now())
    finally:
        reset_caches()

    page.goto(app_url)
    _sign_in(page, "manager@harborandoak.com", "demo-password-2026")
    page.get_by_role("textbox", name="Authentication code").fill(pyotp.TOTP(setup.secret).at(time.time() + 30))
    page.get_by_role("button", name=re.compile("Verify")).click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    _wait_for_cookie(page, present=True)
    page.reload()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def _wait_until_idle(page: Any) -> None:
    """Wait for the script run a click started to finish (the app marks its state on the page)."""
    page.wait_for_timeout(300)
    page.locator('[data-test-script-state="notRunning"]').first.wait_for(state="attached")


def test_the_sixth_rapid_bad_password_shows_the_wait(app_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(app_url)
    expect(page.get_by_text(SIGN_IN_CAPTION)).to_be_visible()
    for attempt in range(1, 6):
        _sign_in(page, "owner@harborandoak.com", f"wrong-password-{attempt}")
        _wait_until_idle(page)
        expect(page.get_by_text("Email or password is incorrect.")).to_be_visible()
    _sign_in(page, "owner@harborandoak.com", "wrong-password-6")
    expect(page.get_by_text(re.compile(r"Try again in \d+ minutes?"))).to_be_visible()
