"""Lead import inputs (mapping, options) and outputs (job, preview, report lines)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from crm.enums import DuplicateMode, ImportOutcome, ImportStatus, LeadSource, LeadStatus, LeadType
from crm.schemas.common import InputModel

MAX_COLUMNS = 200
Target = Annotated[str, StringConstraints(max_length=80)]
# File column header -> target ("email", "custom:budget"…); None or "" leaves the column out.
ImportMapping = dict[Annotated[str, StringConstraints(max_length=255)], Target | None]
TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class ImportOptions(InputModel):
    """What to do with duplicates, and what every imported lead gets."""

    duplicate_mode: DuplicateMode = DuplicateMode.SKIP
    tag_ids: list[int] = Field(default=[], max_length=20)
    tag_names: list[TagName] = Field(default=[], max_length=20)  # created when missing
    assigned_to_id: int | None = None  # a team member; a row's own "Assigned to" wins
    default_source: LeadSource = LeadSource.OTHER
    default_status: LeadStatus = LeadStatus.NEW
    default_lead_type: LeadType = LeadType.BUYER
    dry_run: bool = False


class ImportRequest(InputModel):
    """The JSON parts of an upload: how columns map, and the options."""

    mapping: ImportMapping = Field(default={}, max_length=MAX_COLUMNS)
    options: ImportOptions = ImportOptions()


class ImportJob(BaseModel):
    id: int
    filename: str
    file_format: str
    file_size: int
    status: ImportStatus
    dry_run: bool
    mapping: dict[str, str | None]
    options: dict[str, object]
    total_rows: int | None
    processed_rows: int
    created_count: int
    updated_count: int
    skipped_count: int
    failed_count: int
    error: str | None
    created_by_id: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    resumable: bool  # interrupted (failed, or running with an expired lease): resume_import continues it


class PreviewRow(BaseModel):
    row_number: int
    values: dict[str, str]  # target -> the value that would be stored (display form)
    outcome: ImportOutcome | None  # None: would be created or updated (decided at import time)
    problems: list[str]


class ImportPreview(BaseModel):
    headers: list[str]
    suggested_mapping: dict[str, str | None]
    mapping: dict[str, str | None]  # the mapping the rows were checked with
    targets: dict[str, str]  # target -> label, custom fields included
    rows: list[PreviewRow]
    file_format: str


class ImportReportLine(BaseModel):
    row_number: int
    outcome: ImportOutcome
    lead_id: int | None
    message: str | None


class ImportProgress(BaseModel):
    """Reported after each committed batch."""

    processed_rows: int
    created: int
    updated: int
    skipped: int
    failed: int
    fraction: float | None  # share of the file read (CSV), None when unknown
