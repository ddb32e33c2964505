"""Export the leads of a filtered view as CSV or XLSX, streamed with flat memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from crm.db import SessionFactory, transaction
from crm.orm import Lead, Tag, User, lead_tags
from crm.schemas.common import Actor
from crm.schemas.leads import LeadFilter
from crm.services.audit import record_audit
from crm.services.custom_fields import FieldDefinition, format_value, load_definitions
from crm.services.leads import _SORTS, _filter_clauses
from crm.services.permissions import Action, require

BATCH = 1000
COLUMNS = ("ID", "First name", "Last name", "Email", "Phone", "Company", "Status", "Source", "Type", "Score",
           "Value", "City", "State", "ZIP", "Assigned to", "Tags", "Created (UTC)", "Last contact (UTC)")
# A spreadsheet runs a cell starting with one of these as a formula (CSV/formula injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        return "text/csv; charset=utf-8" if self is ExportFormat.CSV else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralize(value: Any) -> Any:
    """Keep numbers as numbers; prefix text that a spreadsheet would evaluate with a quote."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_leads(
    actor: Actor, filters: LeadFilter, fmt: ExportFormat = ExportFormat.CSV, *,
    sessions: SessionFactory | None = None,
) -> Iterator[bytes]:
    """Return the bytes of the whole filtered view (every page), in `fmt`, as a stream.

    The permission check and the audit entry happen now; rows are read in batches as the
    caller consumes the stream, so a million rows never sit in memory.
    """
    require(actor, Action.IMPORT_EXPORT)
    with transaction(sessions) as session:
        fields = load_definitions(session, actor.team_id)  # one column per custom field, after the standard ones
        record_audit(session, actor=actor, action="lead.export", resource="lead",
                     changes={"format": fmt.value, "filter": filters.model_dump(mode="json", exclude={"cursor", "page_size"})})
    rows = _rows(actor, filters, fields, sessions)
    header = (*COLUMNS, *(f.label for f in fields))
    return _csv(rows, header) if fmt is ExportFormat.CSV else _xlsx(rows, header)


def _rows(actor: Actor, filters: LeadFilter, fields: list[FieldDefinition],
          sessions: SessionFactory | None) -> Iterator[tuple[Any, ...]]:
    with transaction(sessions) as session:
        assignee = aliased(User)
        stmt = (
            select(Lead.id, Lead.first_name, Lead.last_name, Lead.email, Lead.phone, Lead.company,
                   Lead.status, Lead.source, Lead.lead_type, Lead.score, Lead.value, Lead.city, Lead.state,
                   Lead.zip_code, assignee.name, _tags_of_lead(session), Lead.created_at, Lead.last_contact_at,
                   Lead.custom_fields)
            .outerjoin(assignee, assignee.id == Lead.assigned_to_id)
            .where(*_filter_clauses(session, actor, filters))
            .order_by(*_SORTS[filters.sort])
            .execution_options(yield_per=BATCH)
        )
        for row in session.execute(stmt):
            yield (*row[:-1], *_custom_cells(fields, row[-1] or {}))


def _custom_cells(fields: list[FieldDefinition], values: dict[str, Any]) -> list[Any]:
    # Numbers stay numbers for the spreadsheet; the rest as people read them ("a; b", Yes/No).
    # Text goes through _cell -> neutralize like every other cell.
    cells: list[Any] = []
    for field in fields:
        value = values.get(field.key)
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        cells.append(value if numeric else format_value(field, value))
    return cells


def _tags_of_lead(session: Session) -> Any:
    joined = (func.group_concat(Tag.name, "; ") if session.get_bind().dialect.name == "sqlite"
              else func.string_agg(Tag.name, "; "))
    return (select(joined).select_from(lead_tags).join(Tag, Tag.id == lead_tags.c.tag_id)
            .where(lead_tags.c.lead_id == Lead.id).scalar_subquery())


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, StrEnum):
        return value.value
    return neutralize(value)


def _csv(rows: Iterator[tuple[Any, ...]], header: tuple[str, ...]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # a BOM so that Excel opens UTF-8 names correctly
    writer.writerow([neutralize(h) for h in header])
    for n, row in enumerate(rows, 1):
        writer.writerow([_cell(v) for v in row])
        if n % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx(rows: Iterator[tuple[Any, ...]], header: tuple[str, ...]) -> Iterator[bytes]:
    import xlsxwriter

    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        # constant_memory: rows are flushed to disk as they are written (flat memory).
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False})
        sheet = book.add_worksheet("Leads")
        sheet.write_row(0, 0, [neutralize(h) for h in header])
        for n, row in enumerate(rows, 1):
            sheet.write_row(n, 0, [_cell(v) for v in row])
        book.close()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 16):
                yield chunk
    finally:
        os.unlink(path)
