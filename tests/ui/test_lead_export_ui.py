"""The Leads page's export control: managers download the whole view; agents don't see it."""

from __future__ import annotations

import csv
import io

from tests.ui.conftest import Brokerage, open_page, signed_in_app


def test_manager_exports_the_whole_filtered_view_as_csv(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.manager), "pages/leads.py")
    at.button(key="leads_export_prepare").click().run()
    assert not at.exception
    fmt, data = at.session_state["leads_export_file"]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert fmt.value == "csv" and len(rows) == len(brokerage.leads)
    assert at.get("download_button")


def test_agents_have_no_export(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.agent), "pages/leads.py")
    assert not at.exception
    assert not [b for b in at.button if b.key == "leads_export_prepare"]
