"""A user's first minute in a real browser: sign in -> dashboard -> leads -> a lead's page."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def _timed(label: str, timings: dict[str, float], started: float) -> None:
    timings[label] = round(time.monotonic() - started, 2)


def test_sign_in_dashboard_leads_and_a_lead(app_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)  # a cold Streamlit start on 2 cores takes several seconds
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    page.goto(app_url)
    expect(page.get_by_text("Sign in to your brokerage workspace.")).to_be_visible()
    _timed("sign-in page", timings, t0)
    # Demo mode shows the demo accounts on the sign-in page.
    expect(page.get_by_text("agent@harborandoak.com").first).to_be_visible()

    page.get_by_label("Email").fill("manager@harborandoak.com")
    page.get_by_label("Password", exact=True).fill("demo-password-2026")
    t0 = time.monotonic()
    page.get_by_role("button", name=re.compile("Sign in")).click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Total leads")).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    _timed("dashboard after sign-in", timings, t0)

    t0 = time.monotonic()
    page.get_by_role("link", name="Leads", exact=True).click()  # not "Import leads"
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Showing 1–50 of"))).to_be_visible()
    _timed("leads", timings, t0)
    # Keyset paging: the cursors of the pages passed are kept in the session.
    page.get_by_role("button", name=re.compile("Next")).click()
    expect(page.get_by_text(re.compile(r"Showing 51–100 of"))).to_be_visible()
    page.get_by_role("button", name=re.compile("Previous")).click()
    expect(page.get_by_text(re.compile(r"Showing 1–50 of"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Previous"))).to_be_disabled()
    page.wait_for_load_state("networkidle")

    page.get_by_label("Jump to a lead").click()
    option = page.get_by_role("option").first
    name = option.inner_text().split("·")[0].strip()
    option.click()
    t0 = time.monotonic()
    page.get_by_role("button", name=re.compile("Open lead")).click()
    expect(page.get_by_role("heading", name=re.compile(re.escape(name.split()[0])))).to_be_visible()
    expect(page.get_by_text("Score", exact=True)).to_be_visible()
    _timed("lead page", timings, t0)
    page.get_by_role("tab", name="Timeline").click()
    expect(page.get_by_text("Log a call, meeting or showing")).to_be_visible()
    expect(page.get_by_text(re.compile("Lead created|New lead from"))).to_be_visible()
    assert "/lead" in page.url
    print(f"\nbrowser timings (s): {timings}")
