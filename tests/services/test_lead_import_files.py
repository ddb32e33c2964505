"""Lead import files and mapping: encodings, delimiters, XLSX, header matching, exact normalisation."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import openpyxl
import pytest

from crm.enums import LeadSource, LeadStatus, LeadType
from crm.errors import ValidationFailed
from crm.schemas.common import _normalize_email, _normalize_phone
from crm.services.lead_import_files import detect_format, iter_rows
from crm.services.lead_import_mapping import (
    parse_lead_type,
    parse_source,
    parse_status,
    parse_value,
    split_full_name,
    split_tags,
    suggest_mapping,
    unique_headers,
)
from crm.services.lead_import_normalize import normalize_email, normalize_phone


def _rows(path: Path, name: str) -> list[list[str]]:
    return list(iter_rows(path, detect_format(path, name)))


@pytest.mark.parametrize(("data", "expected_delimiter"), [
    ("Name,Email\nJosé Núñez,jose@x.com\n".encode("utf-8-sig"), ","),  # Excel's UTF-8 with BOM
    ("Name;Email\nJosé Núñez;jose@x.com\n".encode(), ";"),  # European Excel
    ("Name\tEmail\nJosé Núñez\tjose@x.com\n".encode(), "\t"),
    ("Name|Email\nJosé Núñez|jose@x.com\n".encode(), "|"),
    ("Name,Email\r\nJosé Núñez,jose@x.com\r\n".encode("cp1252"), ","),  # old Windows export
])
def test_csv_encodings_and_delimiters_are_detected(tmp_path: Path, data: bytes, expected_delimiter: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert detect_format(path, "f.csv").delimiter == expected_delimiter
    assert _rows(path, "f.csv") == [["Name", "Email"], ["José Núñez", "jose@x.com"]]


def test_quoted_fields_keep_delimiters_and_newlines_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('Name,Notes,Email\n"Smith, John","line one\nline two",j@x.com\n\n,,\nAnn,,a@x.com\n')
    assert _rows(path, "f.csv") == [["Name", "Notes", "Email"], ["Smith, John", "line one\nline two", "j@x.com"],
                                    ["Ann", "", "a@x.com"]]


def test_xlsx_first_sheet_values_become_strings(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone", "Since", "Budget", "VIP"])
    sheet.append(["Ann Lee", 4155550123, dt.datetime(2024, 3, 15), 450000.5, True])
    sheet.append([None, None, None, None, None])
    sheet.append(["Bob", "(415) 555-0199", dt.date(2023, 1, 2), 300000, False])
    book.create_sheet("Other").append(["ignored"])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    assert detect_format(path, "leads.xlsx").kind == "xlsx"
    assert _rows(path, "leads.xlsx") == [
        ["Name", "Phone", "Since", "Budget", "VIP"],
        ["Ann Lee", "4155550123", "2024-03-15", "450000.5", "yes"],
        ["Bob", "(415) 555-0199", "2023-01-02", "300000", "no"],
    ]


@pytest.mark.parametrize(("name", "data"), [("leads.pdf", b"%PDF-1.4 ..."), ("leads.xls", b"\xd0\xcf\x11\xe0"),
                                            ("x.csv", b"\x00\x01binary"), ("x.csv", b"   ")])
def test_other_file_types_are_refused_with_a_clear_error(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / "upload"
    path.write_bytes(data)
    with pytest.raises(ValidationFailed) as err:
        detect_format(path, name)
    assert err.value.field == "file"


def test_common_export_headers_are_matched() -> None:
    headers = ["Given name", "Surname", "E-mail Address", "Cell Phone", "Brokerage", "Lead Source", "Stage",
               "Lead Type", "Price", "City", "State", "Postal code", "Tags", "Assigned To", "Favourite colour",
               "Budget max"]
    mapping = suggest_mapping(headers, [("budget_max", "Budget max")])
    assert mapping == {
        "Given name": "first_name", "Surname": "last_name", "E-mail Address": "email", "Cell Phone": "phone",
        "Brokerage": "company", "Lead Source": "source", "Stage": "status", "Lead Type": "lead_type",
        "Price": "value", "City": "city", "State": "state", "Postal code": "zip_code", "Tags": "tags",
        "Assigned To": "assigned_to", "Favourite colour": None, "Budget max": "custom:budget_max",
    }
    assert suggest_mapping(["first_name", "last_name", "email", "phone"]) == {
        "first_name": "first_name", "last_name": "last_name", "email": "email", "phone": "phone"}
    # A lone full-name column is split; next to first/last names it is left out.
    assert suggest_mapping(["Full Name", "Email"])["Full Name"] == "full_name"
    assert suggest_mapping(["Name", "First Name", "Last Name", "Email"])["Name"] is None
    # Each target once: a second "Phone" column is not mapped over the first.
    assert suggest_mapping(["Mobile", "Phone", "Email"]) == {"Mobile": "phone", "Phone": None, "Email": "email"}
    assert unique_headers(["Phone", "Phone", ""]) == ["Phone", "Phone (2)", "Column 3"]


def test_values_of_other_crms_map_forgivingly() -> None:
    assert parse_source("Zillow") is parse_source("zillow.com") is parse_source("Zillow Premier Agent") \
        is LeadSource.ZILLOW
    assert parse_source("Realtor.com") is LeadSource.REALTOR_COM
    assert parse_source("Facebook Ads") is LeadSource.SOCIAL
    assert parse_source("OPEN_HOUSE") is LeadSource.OPEN_HOUSE
    assert parse_source("Billboard on I-5") is None
    assert parse_status("Closed Won") is LeadStatus.WON and parse_status("Under contract") is LeadStatus.NEGOTIATION
    assert parse_status("attempted contact") is LeadStatus.CONTACTED and parse_status("???") is None
    assert parse_lead_type("Buyer & Seller") is parse_lead_type("buyer/seller") is LeadType.BUYER_SELLER
    assert parse_lead_type("Tenant") is LeadType.RENTER
    assert [parse_value(v) for v in ("$450,000", "450k", "1.2M", "975000.5", "call me", "-5")] == [
        450000, 450000, 1200000, parse_value("975000.50"), None, None]
    assert split_full_name("Smith, John") == ("John", "Smith")
    assert split_full_name("Dr. Ann Lee Jr") == ("Ann", "Lee Jr")
    assert split_tags("vip; buyer, vip ,") == ["vip", "buyer"]


def _outcome(fn, value: str) -> str:
    try:
        return fn(value)
    except ValueError as exc:
        return f"error: {exc}"


def test_fast_phone_path_gives_exactly_the_schema_result() -> None:
    rng = random.Random(7)
    shapes = ["({a}) {b}-{c}", "{a}.{b}.{c}", "+1 {a}-{b}-{c}", "1 ({a}) {b}{c}", "{a}{b}{c}", "+1{a}{b}{c}",
              "1-{a}-{b}-{c}", "{a} {b} {c}", "({a}){b}-{c}", "+44 20 {b} {c}", "{b}-{c}", "{a}-{b}-{c} x12"]
    for _ in range(20_000):
        value = rng.choice(shapes).format(a=f"{rng.randrange(1000):03d}", b=f"{rng.randrange(1000):03d}",
                                          c=f"{rng.randrange(10000):04d}")
        assert _outcome(normalize_phone, value) == _outcome(_normalize_phone, value), value


def test_fast_email_path_gives_exactly_the_schema_result() -> None:
    locals_ = ["john", "John.Smith", "a+b", "o'neil", "a..b", ".a", "a.", "ü", "x" * 65, "J_D-1", ""]
    domains = ["Example.COM", "gmail.com", "a-b.co.uk", "test", "foo.test", "x.local", "xn--bcher-kva.ch",
               "ab--cd.com", "-a.com", "a-.com", "1.2.3.4", "a.b1", "b.c", "y.onion", "mail.in valid", "bücher.de",
               "a" * 64 + ".com"]
    for local in locals_:
        for domain in domains:
            value = f"{local}@{domain}"
            assert _outcome(normalize_email, value) == _outcome(_normalize_email, value), value
