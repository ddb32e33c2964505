"""Lead import: upload a CSV/XLSX with a column mapping, preview it, run it in the background, get the report."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Query, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from crm.api.deps import CurrentActor
from crm.api.errors import as_request_validation_error
from crm.api.schemas import error_responses
from crm.enums import ImportOutcome, ImportStatus
from crm.errors import Conflict, DomainError, ValidationFailed
from crm.schemas.common import Actor
from crm.schemas.lead_import import ImportJob, ImportPreview, ImportReportLine, ImportRequest
from crm.services import lead_import

router = APIRouter(tags=["lead import"])
log = logging.getLogger(__name__)

MappingForm = Annotated[str | None, Form(description='JSON object: file column header -> target, e.g. '
                                                      '{"E-mail": "email", "Budget": "custom:budget"}; '
                                                      "left out: the suggested mapping.")]
OptionsForm = Annotated[str | None, Form(description="JSON object: duplicate_mode (SKIP, UPDATE, CREATE), tag_ids, "
                                                      "tag_names, assigned_to_id, default_source, default_status, "
                                                      "default_lead_type, dry_run.")]


def _request(mapping: str | None, options: str | None, dry_run: bool | None) -> ImportRequest:
    """The JSON form fields -> ImportRequest; a broken one answers 422 like any parameter."""
    parts: dict[str, Any] = {}
    for name, raw in (("mapping", mapping), ("options", options)):
        if raw:
            try:
                parts[name] = json.loads(raw)
            except json.JSONDecodeError:
                raise ValidationFailed(f"The {name} field is not valid JSON.", field=name) from None
    if dry_run is not None:
        parts.setdefault("options", {})
        if isinstance(parts["options"], dict):
            parts["options"]["dry_run"] = dry_run
    try:
        return ImportRequest.model_validate(parts)
    except ValidationError as exc:
        raise as_request_validation_error(exc, location="body") from None


def _run_in_background(actor: Actor, import_id: int, resume: bool) -> None:
    try:
        (lead_import.resume_import if resume else lead_import.run_import)(actor, import_id)
    except DomainError as exc:  # recorded on the job (FAILED) or someone else runs it
        log.info("lead import %s stopped: %s", import_id, exc.message)
    except Exception:
        log.exception("lead import %s failed", import_id)


@router.post("/api/leads/import", response_model=ImportJob, status_code=202,
             responses=error_responses(401, 403, 404, 422))
def start_import(actor: CurrentActor, file: UploadFile, background: BackgroundTasks,
                 mapping: MappingForm = None, options: OptionsForm = None,
                 dry_run: Annotated[bool | None, Form(description="Shortcut for options.dry_run.")] = None) -> ImportJob:
    """Upload a CSV or XLSX file (multipart field `file`, at most 200 MB) and import it in the background.

    Answers 202 with the job; poll GET /api/leads/imports/{id} for progress and counts.
    """
    request = _request(mapping, options, dry_run)
    job = lead_import.create_import(actor, file.file, file.filename or "import.csv", request.mapping or None,
                                    request.options)
    background.add_task(_run_in_background, actor, job.id, False)
    return job


@router.post("/api/leads/import/preview", response_model=ImportPreview, responses=error_responses(401, 403, 422))
def preview_import(actor: CurrentActor, file: UploadFile, mapping: MappingForm = None, options: OptionsForm = None,
                   rows: Annotated[int, Form(ge=1, le=200)] = lead_import.PREVIEW_ROWS) -> ImportPreview:
    """Headers, the suggested mapping and the first rows as they would be imported, with their problems."""
    request = _request(mapping, options, None)
    return lead_import.preview(actor, file=file.file, filename=file.filename or "import.csv",
                               mapping=request.mapping or None, options=request.options, n=rows)


@router.get("/api/leads/imports", response_model=list[ImportJob], responses=error_responses(401, 403))
def list_imports(actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[ImportJob]:
    """Your team's imports, newest first."""
    return lead_import.list_imports(actor, limit=limit)


@router.get("/api/leads/imports/{import_id}", response_model=ImportJob, responses=error_responses(401, 403, 404))
def get_import(actor: CurrentActor, import_id: int) -> ImportJob:
    """One import with its progress (processed_rows) and counts."""
    return lead_import.get_import(actor, import_id)


@router.post("/api/leads/imports/{import_id}/resume", response_model=ImportJob, status_code=202,
             responses=error_responses(401, 403, 404, 409))
def resume_import(actor: CurrentActor, import_id: int, background: BackgroundTasks) -> ImportJob:
    """Continue an interrupted import after its last committed batch (in the background)."""
    job = lead_import.get_import(actor, import_id)
    if not (job.resumable or job.status is ImportStatus.PENDING):
        raise Conflict("This import is running." if job.status is ImportStatus.RUNNING
                       else f"This import is {job.status.value.lower()} and cannot be resumed.")
    background.add_task(_run_in_background, actor, import_id, True)
    return job


@router.post("/api/leads/imports/{import_id}/cancel", response_model=ImportJob,
             responses=error_responses(401, 403, 404, 409))
def cancel_import(actor: CurrentActor, import_id: int) -> ImportJob:
    """Stop an import before its next batch; the batches already committed stay."""
    return lead_import.cancel_import(actor, import_id)


@router.get("/api/leads/imports/{import_id}/rows", response_model=list[ImportReportLine],
            responses=error_responses(401, 403, 404))
def report_rows(actor: CurrentActor, import_id: int, outcome: ImportOutcome | None = None,
                after_row: Annotated[int, Query(ge=0)] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[ImportReportLine]:
    """One page of the report (rows after `after_row`), optionally of one outcome."""
    return lead_import.report_lines(actor, import_id, outcome=outcome, after_row=after_row, limit=limit)


@router.get("/api/leads/imports/{import_id}/report",
            responses={**error_responses(401, 403, 404), 200: {"content": {"text/csv": {}}}})
def download_report(actor: CurrentActor, import_id: int) -> StreamingResponse:
    """The whole per-row report as CSV: row, outcome, lead id, reason."""
    stream = lead_import.report_csv(actor, import_id)
    return StreamingResponse(stream, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="import-{import_id}-report.csv"'})
