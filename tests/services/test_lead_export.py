"""Lead export: the whole filtered view, neutralised formulas, role and tenancy rules."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from crm.enums import LeadStatus, TeamRole
from crm.errors import PermissionDenied
from crm.schemas.leads import LeadFilter
from crm.services import lead_export
from crm.services.lead_export import ExportFormat, neutralize
from tests.factories import make_lead, make_member, make_team


def _csv_rows(actor, filters: LeadFilter) -> list[dict[str, str]]:
    data = b"".join(lead_export.export_leads(actor, filters)).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(data)))


def test_cells_a_spreadsheet_would_run_are_neutralised() -> None:
    for text in ("=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralize(text) == "'" + text
    assert neutralize("Dana") == "Dana" and neutralize(42) == 42 and neutralize(None) == ""


def test_export_is_the_whole_filtered_view_not_one_page(db: str) -> None:
    team = make_team()
    manager = make_member(team, TeamRole.MANAGER)
    for i in range(7):
        make_lead(manager, first_name=f"Won{i}", status=LeadStatus.WON)
    make_lead(manager, first_name="=cmd|' /C calc'!A0", last_name="@evil", company="+danger")
    make_lead(make_member(make_team(), TeamRole.OWNER), first_name="Foreign")
    rows = _csv_rows(manager, LeadFilter(statuses=[LeadStatus.WON], page_size=2))
    assert sorted(r["First name"] for r in rows) == [f"Won{i}" for i in range(7)]
    everything = _csv_rows(manager, LeadFilter())
    assert len(everything) == 8 and "Foreign" not in {r["First name"] for r in everything}
    evil = next(r for r in everything if r["Last name"] == "'@evil")
    assert evil["First name"].startswith("'=") and evil["Company"] == "'+danger"


def test_xlsx_export_holds_the_rows_as_text_not_formulas(db: str) -> None:
    manager = make_member(make_team(), TeamRole.MANAGER)
    make_lead(manager, first_name="=1+2", last_name="Formula")
    book = zipfile.ZipFile(io.BytesIO(b"".join(lead_export.export_leads(manager, LeadFilter(), ExportFormat.XLSX))))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    strings = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else sheet
    assert "<f>" not in sheet  # no formula cells
    assert "&apos;=1+2" in strings or "'=1+2" in strings


def test_agents_cannot_export(db: str) -> None:
    agent = make_member(make_team(), TeamRole.MEMBER)
    with pytest.raises(PermissionDenied):
        lead_export.export_leads(agent, LeadFilter())
