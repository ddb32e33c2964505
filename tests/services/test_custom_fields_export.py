"""Lead export with custom fields: one column per field, readable values, formulas neutralised."""

from __future__ import annotations

import csv
import io

import openpyxl

from crm.enums import CustomFieldType, TeamRole
from crm.schemas.custom_fields import CustomFieldCreate
from crm.schemas.leads import CustomFieldFilter, LeadFilter
from crm.services import custom_fields, lead_export
from crm.services.lead_export import ExportFormat
from tests.factories import make_lead, make_member, make_team

T = CustomFieldType


def _define(actor, label: str, field_type: CustomFieldType, **extra) -> None:  # type: ignore[no-untyped-def]
    custom_fields.create_definition(actor, CustomFieldCreate(label=label, field_type=field_type, **extra))


def test_export_has_one_readable_column_per_custom_field(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    _define(owner, "Max budget", T.NUMBER)
    _define(owner, "Preferred areas", T.MULTI_SELECT, choices=["Downtown", "Uptown"])
    _define(owner, "Pre-approved", T.BOOLEAN)
    _define(owner, "Move-in by", T.DATE)
    _define(owner, "Lender notes", T.TEXT)
    make_lead(owner, first_name="Ann", custom_fields={
        "max_budget": 450000, "preferred_areas": ["Uptown", "Downtown"], "pre_approved": True,
        "move_in_by": "2027-03-15", "lender_notes": "=HYPERLINK(\"http://evil\")"})
    make_lead(owner, first_name="Bob", custom_fields={"pre_approved": False})
    data = b"".join(lead_export.export_leads(owner, LeadFilter(sort="name"))).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(data)))
    assert header[-5:] == ["Max budget", "Preferred areas", "Pre-approved", "Move-in by", "Lender notes"]
    by_name = {r[1]: r[-5:] for r in rows}
    assert by_name["Ann"] == ["450000", "Downtown; Uptown", "Yes", "2027-03-15", "'=HYPERLINK(\"http://evil\")"]
    assert by_name["Bob"] == ["", "", "No", "", ""]
    # The export follows custom-field filters like the list does.
    only_ann = b"".join(lead_export.export_leads(owner, LeadFilter(custom=[
        CustomFieldFilter(key="max_budget", op="gte", value=1000)]))).decode("utf-8-sig")
    assert [r[1] for r in list(csv.reader(io.StringIO(only_ann)))[1:]] == ["Ann"]


def test_xlsx_export_carries_the_custom_columns(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    _define(owner, "Max budget", T.NUMBER)
    make_lead(owner, custom_fields={"max_budget": 1200.5})
    data = b"".join(lead_export.export_leads(owner, LeadFilter(), ExportFormat.XLSX))
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Leads"]
    header, row = list(sheet.iter_rows(values_only=True))
    assert header[-1] == "Max budget" and row[-1] == 1200.5  # a number, not text
