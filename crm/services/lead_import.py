"""Lead import use cases: upload, preview, run/resume in checkpointed batches, cancel, report.

An import is a job row (LeadImport) plus the stored file. `run_import` claims the job with a
conditional UPDATE (status/lease), then reads the file as a stream and commits each batch —
its leads, tags, report lines, the timeline entries of updated leads and the job's new
checkpoint — in one transaction (a created lead's "Imported from" entry is built from its
report line: crm.services.lead_import_timeline). A killed worker leaves whole batches only;
`resume_import` skips the rows before the checkpoint, so nothing is imported twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.enums import ImportOutcome, ImportStatus
from crm.errors import Conflict, NotFound, ValidationFailed
from crm.orm import LeadImport, LeadImportRow, Tag, TeamMember, User
from crm.providers.storage import get_import_storage
from crm.schemas.common import Actor
from crm.schemas.lead_import import (
    ImportJob,
    ImportOptions,
    ImportPreview,
    ImportProgress,
    ImportReportLine,
    PreviewRow,
)
from crm.services.access import require_team_member
from crm.services.audit import emit_event, record_audit
from crm.services.custom_fields import FieldDefinition, load_definitions
from crm.services.lead_export import neutralize
from crm.services.lead_import_batch import DryRunMemory, ImportContext, process_batch
from crm.services.lead_import_files import (
    FileFormat,
    RowStream,
    copy_limited,
    detect_format,
    read_header_and_sample,
)
from crm.services.lead_import_mapping import CUSTOM_PREFIX, TARGETS, suggest_mapping, unique_headers
from crm.services.lead_import_rows import Converted, PrefetchedBatches, RowConverter, RowError, check_mapping
from crm.services.permissions import Action, require

MAX_FILE_BYTES = 200 * 1024 * 1024
BATCH_SIZE = 5000
ANALYZE_AFTER = 5000  # new leads before the first ANALYZE, then each time they double
LEASE_SECONDS = 120  # a RUNNING job not renewed for this long is taken to be dead (resumable)
PREVIEW_ROWS = 20
PREVIEW_BYTES = 2 * 1024 * 1024  # a preview of a text file reads its first rows only
ProgressCallback = Callable[[ImportProgress], None]


def create_import(
    actor: Actor, file: BinaryIO, filename: str, mapping: Mapping[str, str | None] | None = None,
    options: ImportOptions | None = None, *, sessions: SessionFactory | None = None,
) -> ImportJob:
    """Store an uploaded CSV/XLSX file and create its import job (PENDING; `run_import` runs it).

    Without a mapping, the suggested one is used. Tag ids and the assignee must belong to the team.
    """
    require(actor, Action.IMPORT_EXPORT)
    options = options or ImportOptions()
    name = os.path.basename(filename.replace("\\", "/")).strip()[:255] or "import.csv"
    storage = get_import_storage()
    key = f"import-{actor.team_id}-{secrets.token_hex(12)}"
    digest = hashlib.sha256()

    def chunks() -> Iterator[bytes]:
        for chunk in copy_limited(file, MAX_FILE_BYTES):
            digest.update(chunk)
            yield chunk

    size = storage.save_stream(key, chunks())
    path = storage.path(key)
    assert path is not None
    try:
        fmt = detect_format(path, name)
        headers = unique_headers(read_header_and_sample(path, fmt, 0)[0])
        with transaction(sessions) as session:
            definitions = load_definitions(session, actor.team_id)
            if not mapping:
                mapping = suggest_mapping(headers, ((d.key, d.label) for d in definitions))
            used = check_mapping(mapping, headers, definitions)
            _check_options(session, actor, options)
            job = LeadImport(
                team_id=actor.team_id, created_by_id=actor.user_id, filename=name, file_format=fmt.kind,
                storage_key=key, file_sha256=digest.hexdigest(), file_size=size,
                mapping={h: used.get(h) for h in headers},
                options={**options.model_dump(mode="json"),
                         "file": {"encoding": fmt.encoding, "delimiter": fmt.delimiter}},
                dry_run=options.dry_run, status=ImportStatus.PENDING,
            )
            session.add(job)
            session.flush()
            record_audit(session, actor=actor, action="lead_import.create", resource="lead_import",
                         resource_id=job.id, changes={"filename": name, "size": size, "dry_run": options.dry_run,
                                                      "duplicate_mode": options.duplicate_mode.value})
            return _job(job)
    except BaseException:
        storage.delete(key)
        raise


def preview(
    actor: Actor, *, import_id: int | None = None, file: BinaryIO | None = None, filename: str | None = None,
    mapping: Mapping[str, str | None] | None = None, options: ImportOptions | None = None, n: int = PREVIEW_ROWS,
    sessions: SessionFactory | None = None,
) -> ImportPreview:
    """Headers, suggested mapping and the first `n` rows as they would be imported, with problems.

    Works on a created job (`import_id`) or on an upload not yet stored (`file` + `filename`).
    Duplicates against existing leads are decided at import time (see the dry run).
    """
    require(actor, Action.IMPORT_EXPORT)
    n = max(1, min(n, 200))
    with transaction(sessions) as session:
        definitions = load_definitions(session, actor.team_id)
        members = _members(session, actor.team_id)
        job = _load(session, actor, import_id) if import_id is not None else None
    if job is not None:
        path = get_import_storage().path(job.storage_key)
        if path is None:
            raise NotFound("The file of this import is no longer stored.")
        fmt = _format_of(job)
        options = options or ImportOptions.model_validate({k: v for k, v in job.options.items() if k != "file"})
        return _preview(path, fmt, job.filename, mapping or job.mapping, options, definitions, members, n)
    if file is None or not filename:
        raise ValidationFailed("Upload a CSV or XLSX file.", field="file")
    fd, tmp = tempfile.mkstemp(prefix="crm-import-preview-")
    try:
        with os.fdopen(fd, "wb") as out:
            head = file.read(PREVIEW_BYTES)
            if head.startswith(b"PK\x03\x04"):  # XLSX is a zip: only the whole file can be read
                out.write(head)
                for chunk in copy_limited(file, MAX_FILE_BYTES - len(head)):
                    out.write(chunk)
            else:  # the first rows of a text file are enough; cut at a line end (whole characters)
                more = len(head) == PREVIEW_BYTES
                out.write(head[:head.rfind(b"\n") + 1] if more and b"\n" in head else head)
        path = Path(tmp)
        return _preview(path, detect_format(path, filename), filename, mapping, options or ImportOptions(),
                        definitions, members, n)
    finally:
        os.unlink(tmp)


def _preview(path: Path, fmt: FileFormat, filename: str, mapping: Mapping[str, str | None] | None,
             options: ImportOptions, definitions: list[FieldDefinition], members: dict[str, int],
             n: int) -> ImportPreview:
    header, sample = read_header_and_sample(path, fmt, n)
    headers = unique_headers(header)
    suggested = suggest_mapping(headers, ((d.key, d.label) for d in definitions))
    chosen = dict(mapping) if mapping else suggested
    chosen = {h: chosen.get(h) for h in headers}
    used = check_mapping(chosen, headers, definitions)
    converter = RowConverter(headers, used, options, definitions, members)
    rows = []
    for number, cells in enumerate(sample, 1):
        problems: list[str] = []
        outcome: ImportOutcome | None = None
        shown: dict[str, str] = {}
        try:
            values = converter.convert(cells)
            if "first_name" not in values.values:
                raise RowError("first name is empty")
            converter.custom_for_create(values)
            shown = {k: str(getattr(v, "value", v)) for k, v in values.values.items()}
            shown.update({CUSTOM_PREFIX + k: v for k, v in values.custom.items()})
            if values.tags:
                shown["tags"] = ", ".join(values.tags)
            problems = values.notes
        except RowError as exc:
            outcome, problems = ImportOutcome.FAILED, [str(exc)]
        rows.append(PreviewRow(row_number=number, values=shown, outcome=outcome, problems=problems))
    return ImportPreview(headers=headers, suggested_mapping=suggested, mapping=chosen, targets=_targets(definitions),
                         rows=rows, file_format=fmt.kind)


def run_import(
    actor: Actor, import_id: int, *, progress: ProgressCallback | None = None, batch_size: int = BATCH_SIZE,
    lease_seconds: int = LEASE_SECONDS, sessions: SessionFactory | None = None,
) -> ImportJob:
    """Run a PENDING import to its end (or until cancelled); return the job as it ended."""
    return _run(actor, import_id, resume=False, progress=progress, batch_size=batch_size,
                lease_seconds=lease_seconds, sessions=sessions)


def resume_import(
    actor: Actor, import_id: int, *, progress: ProgressCallback | None = None, batch_size: int = BATCH_SIZE,
    lease_seconds: int = LEASE_SECONDS, sessions: SessionFactory | None = None,
) -> ImportJob:
    """Continue an interrupted import (failed, or running with an expired lease) after its checkpoint."""
    return _run(actor, import_id, resume=True, progress=progress, batch_size=batch_size,
                lease_seconds=lease_seconds, sessions=sessions)


def cancel_import(actor: Actor, import_id: int, *, sessions: SessionFactory | None = None) -> ImportJob:
    """Stop an import: a running worker stops before its next batch; committed batches stay."""
    require(actor, Action.IMPORT_EXPORT)
    with transaction(sessions) as session:
        job = _load(session, actor, import_id, for_update=True)
        if job.status in (ImportStatus.COMPLETED, ImportStatus.CANCELLED):
            raise Conflict(f"This import is already {job.status.value.lower()}.")
        job.status = ImportStatus.CANCELLED
        job.lease_until = None
        job.finished_at = _now()
        record_audit(session, actor=actor, action="lead_import.cancel", resource="lead_import",
                     resource_id=job.id, changes={"processed_rows": job.processed_rows})
        session.flush()
        return _job(job)


def list_imports(actor: Actor, *, limit: int = 50, sessions: SessionFactory | None = None) -> list[ImportJob]:
    """The team's imports, newest first."""
    require(actor, Action.IMPORT_EXPORT)
    with transaction(sessions) as session:
        jobs = session.scalars(select(LeadImport).where(LeadImport.team_id == actor.team_id)
                               .order_by(LeadImport.created_at.desc(), LeadImport.id.desc())
                               .limit(max(1, min(limit, 200)))).all()
        return [_job(j) for j in jobs]


def get_import(actor: Actor, import_id: int, *, sessions: SessionFactory | None = None) -> ImportJob:
    require(actor, Action.IMPORT_EXPORT)
    with transaction(sessions) as session:
        return _job(_load(session, actor, import_id))


def report_lines(
    actor: Actor, import_id: int, *, outcome: ImportOutcome | None = None, after_row: int = 0, limit: int = 100,
    sessions: SessionFactory | None = None,
) -> list[ImportReportLine]:
    """One page of the report (keyset on the row number), optionally of one outcome."""
    require(actor, Action.IMPORT_EXPORT)
    with transaction(sessions) as session:
        _load(session, actor, import_id)
        stmt = (select(LeadImportRow.row_number, LeadImportRow.outcome, LeadImportRow.lead_id, LeadImportRow.message)
                .where(LeadImportRow.import_id == import_id, LeadImportRow.row_number > after_row)
                .order_by(LeadImportRow.row_number).limit(max(1, min(limit, 1000))))
        if outcome is not None:
            stmt = stmt.where(LeadImportRow.outcome == outcome)
        return [ImportReportLine(row_number=r, outcome=o, lead_id=lid, message=m)
                for r, o, lid, m in session.execute(stmt)]


def report_csv(actor: Actor, import_id: int, *, sessions: SessionFactory | None = None) -> Iterator[bytes]:
    """The whole report as CSV bytes, streamed (checked now, read in batches as consumed)."""
    require(actor, Action.IMPORT_EXPORT)
    with transaction(sessions) as session:
        _load(session, actor, import_id)
    return _report_stream(import_id, sessions)


def _report_stream(import_id: int, sessions: SessionFactory | None) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(("Row", "Outcome", "Lead ID", "Reason"))
    with transaction(sessions) as session:
        stmt = (select(LeadImportRow.row_number, LeadImportRow.outcome, LeadImportRow.lead_id, LeadImportRow.message)
                .where(LeadImportRow.import_id == import_id).order_by(LeadImportRow.row_number)
                .execution_options(yield_per=2000))
        for n, (row, outcome, lead_id, message) in enumerate(session.execute(stmt), 1):
            # Reasons quote the file's own cells: neutralise spreadsheet formulas.
            writer.writerow((row, outcome.value, lead_id or "", neutralize(message)))
            if n % 2000 == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- running ----------------------------------------------------------------------------------


class _Stopped(Exception):
    """The job was cancelled or taken over by another worker: stop without touching it."""


def _run(actor: Actor, import_id: int, *, resume: bool, progress: ProgressCallback | None, batch_size: int,
         lease_seconds: int, sessions: SessionFactory | None) -> ImportJob:
    require(actor, Action.IMPORT_EXPORT)
    lease = dt.timedelta(seconds=lease_seconds)
    job = _claim(actor, import_id, resume=resume, lease=lease, sessions=sessions)
    done = job.processed_rows
    counts = {"created": job.created_count, "updated": job.updated_count, "skipped": job.skipped_count,
              "failed": job.failed_count}
    scratch = DryRunMemory() if job.dry_run else None
    try:
        path = get_import_storage().path(job.storage_key)
        if path is None:
            raise ValidationFailed("The file of this import is no longer stored.")
        stream = RowStream(path, _format_of(job))
        rows = iter(stream)
        headers = unique_headers(next(rows, None) or [])
        with transaction(sessions) as session:
            definitions = load_definitions(session, actor.team_id)
            members = _members(session, actor.team_id)
            options = ImportOptions.model_validate({k: v for k, v in job.options.items() if k != "file"})
            used = check_mapping(job.mapping, headers, definitions)
        ctx = ImportContext(
            import_id=job.id, team_id=job.team_id, user_id=actor.user_id, mode=options.duplicate_mode,
            dry_run=job.dry_run, converter=RowConverter(headers, used, options, definitions, members),
            option_tag_ids=options.tag_ids, option_tag_names=options.tag_names,
            default_assignee=options.assigned_to_id,
            default_values={"source": options.default_source, "status": options.default_status,
                            "lead_type": options.default_lead_type},
            filename=job.filename, scratch=scratch,
        )
        numbered = itertools.islice(enumerate(rows, 1), done, None)  # skip what was committed
        analyzed_at = 0
        with PrefetchedBatches(numbered, ctx.converter, batch_size) as batches:
            for batch in batches:
                done = _commit_batch(ctx, batch, done, counts, lease, sessions)
                if counts["created"] >= max(ANALYZE_AFTER, 2 * analyzed_at) and not job.dry_run:
                    _refresh_statistics(sessions)
                    analyzed_at = counts["created"]
                if progress is not None:
                    progress(ImportProgress(processed_rows=done, fraction=stream.fraction(), **counts))
        if counts["created"] >= ANALYZE_AFTER and not job.dry_run:
            _refresh_statistics(sessions, final=True)
        return _finish(actor, job, done, counts, sessions)
    except _Stopped:
        return get_import(actor, import_id, sessions=sessions)
    except Exception as exc:
        _fail(job.id, done, exc, sessions)
        raise
    finally:
        if scratch is not None:
            scratch.close()


def _commit_batch(ctx: ImportContext, batch: list[Converted], done: int, counts: dict[str, int],
                  lease: dt.timedelta, sessions: SessionFactory | None) -> int:
    """Write one batch and move the checkpoint, in one transaction; return the new checkpoint."""
    last = batch[-1][0]
    table = LeadImport.__table__
    for attempt in range(3):
        try:
            with transaction(sessions) as session:
                conn = session.connection()
                now = _now()
                # First statement: locks the job row (and, on SQLite, the database) for this batch;
                # the checkpoint condition fences out a worker whose lease was taken over.
                claimed = conn.execute(update(table).where(
                    table.c.id == ctx.import_id, table.c.status == ImportStatus.RUNNING,
                    table.c.processed_rows == done).values(lease_until=now + lease)).rowcount
                if claimed != 1:
                    raise _Stopped
                result = process_batch(conn, ctx, batch, now)
                conn.execute(update(table).where(table.c.id == ctx.import_id).values(
                    processed_rows=last, created_count=table.c.created_count + result.created,
                    updated_count=table.c.updated_count + result.updated,
                    skipped_count=table.c.skipped_count + result.skipped,
                    failed_count=table.c.failed_count + result.failed, updated_at=now))
            break
        except IntegrityError:
            # Someone created a lead with one of these emails meanwhile: the retry will see it.
            if attempt == 2:
                raise
    counts["created"] += result.created
    counts["updated"] += result.updated
    counts["skipped"] += result.skipped
    counts["failed"] += result.failed
    return last


def _refresh_statistics(sessions: SessionFactory | None, *, final: bool = False) -> None:
    """ANALYZE leads on PostgreSQL each time the import has doubled the rows it added (the
    columns the duplicate lookups use), and on both databases once a big import is done (all).

    The duplicate lookups probe the (team_id, email/phone) indexes only if the planner knows
    the table is large; with the statistics of a nearly empty table it scans every lead of the
    team per batch instead, which makes a big import quadratic. Autovacuum catches up too late.
    SQLite has no autovacuum-style statistics at all: after a big import the list's filters
    (custom-field indexes above all) are only planned well with fresh ones (3–7 s at 1M leads).
    """
    with transaction(sessions) as session:
        if final:
            session.execute(text("ANALYZE leads"))
        elif session.get_bind().dialect.name == "postgresql":
            # The lookups need only these columns' statistics: 4x cheaper than every column's.
            session.execute(text("ANALYZE leads (team_id, email, phone)"))


def _claim(actor: Actor, import_id: int, *, resume: bool, lease: dt.timedelta,
           sessions: SessionFactory | None) -> LeadImport:
    table = LeadImport.__table__
    with transaction(sessions) as session:
        job = _load(session, actor, import_id)
        now = _now()
        allowed = [table.c.status == ImportStatus.PENDING]
        if resume:
            allowed += [table.c.status == ImportStatus.FAILED,
                        (table.c.status == ImportStatus.RUNNING) & (table.c.lease_until < now)]
        claimed = session.execute(update(table).where(table.c.id == job.id, or_(*allowed)).values(
            status=ImportStatus.RUNNING, lease_until=now + lease, error=None,
            started_at=job.started_at or now, updated_at=now)).rowcount
        if claimed != 1:
            if job.status is ImportStatus.RUNNING:
                raise Conflict("This import is already running.")
            if job.status is ImportStatus.PENDING or not resume:
                raise Conflict(f"This import is {job.status.value.lower()}; only a pending import can be started.")
            raise Conflict(f"This import is {job.status.value.lower()} and cannot be resumed.")
        if job.dry_run and job.processed_rows:
            # A dry run's memory of earlier rows died with its worker: start it over.
            session.execute(delete(LeadImportRow).where(LeadImportRow.import_id == job.id))
            session.execute(update(table).where(table.c.id == job.id).values(
                processed_rows=0, created_count=0, updated_count=0, skipped_count=0, failed_count=0))
        session.expire_all()
        return _load(session, actor, import_id)


def _finish(actor: Actor, job: LeadImport, done: int, counts: dict[str, int],
            sessions: SessionFactory | None) -> ImportJob:
    table = LeadImport.__table__
    with transaction(sessions) as session:
        now = _now()
        finished = session.execute(update(table).where(
            table.c.id == job.id, table.c.status == ImportStatus.RUNNING, table.c.processed_rows == done,
        ).values(status=ImportStatus.COMPLETED, total_rows=done, lease_until=None, finished_at=now,
                 updated_at=now)).rowcount
        if finished == 1:
            summary = {"filename": job.filename, "rows": done, "dry_run": job.dry_run, **counts}
            record_audit(session, actor=actor, action="lead_import.complete", resource="lead_import",
                         resource_id=job.id, changes=summary)
            if not job.dry_run:
                emit_event(session, actor, type="leads.imported", resource="lead_import", resource_id=job.id,
                           payload={"import_id": job.id, **summary})
        return _job(_load(session, actor, job.id))


def _fail(import_id: int, done: int, exc: Exception, sessions: SessionFactory | None) -> None:
    table = LeadImport.__table__
    message = exc.message if isinstance(exc, (ValidationFailed, Conflict, NotFound)) else \
        f"{type(exc).__name__}: {exc}"
    with transaction(sessions) as session:
        session.execute(update(table).where(
            table.c.id == import_id, table.c.status == ImportStatus.RUNNING, table.c.processed_rows == done,
        ).values(status=ImportStatus.FAILED, error=message[:2000], lease_until=None, updated_at=_now()))


# --- helpers ----------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _load(session: Session, actor: Actor, import_id: int | None, *, for_update: bool = False) -> LeadImport:
    stmt = select(LeadImport).where(LeadImport.id == import_id, LeadImport.team_id == actor.team_id)
    if for_update:
        stmt = stmt.with_for_update()
    job = session.scalars(stmt).one_or_none()
    if job is None:
        raise NotFound(f"Import {import_id} was not found.")
    return job


def _format_of(job: LeadImport) -> FileFormat:
    file = job.options.get("file") or {}
    return FileFormat(kind=job.file_format, encoding=file.get("encoding", "utf-8-sig"),
                      delimiter=file.get("delimiter", ","))


def _members(session: Session, team_id: int) -> dict[str, int]:
    """Lower-cased email and name of each team member -> user id (for "Assigned to" cells)."""
    found: dict[str, int] = {}
    for user_id, email, name in session.execute(
            select(User.id, User.email, User.name).join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team_id)):
        found.setdefault(email.lower(), user_id)
        if name:
            found.setdefault(name.lower(), user_id)
    return found


def _targets(definitions: list[FieldDefinition]) -> dict[str, str]:
    return {**TARGETS, **{CUSTOM_PREFIX + d.key: f"{d.label} (custom)" for d in definitions}}


def import_targets(actor: Actor, *, sessions: SessionFactory | None = None) -> dict[str, str]:
    """Every target a column can be mapped to (lead fields, then the team's custom fields)."""
    require(actor, Action.IMPORT_EXPORT)
    with transaction(sessions) as session:
        return _targets(load_definitions(session, actor.team_id))


def _check_options(session: Session, actor: Actor, options: ImportOptions) -> None:
    if options.assigned_to_id is not None:
        if options.assigned_to_id != actor.user_id:
            require(actor, Action.ASSIGN_LEADS)
        require_team_member(session, actor, options.assigned_to_id)
    if options.tag_ids:
        found = set(session.scalars(select(Tag.id).where(Tag.team_id == actor.team_id, Tag.id.in_(options.tag_ids))))
        missing = sorted(set(options.tag_ids) - found)
        if missing:
            raise NotFound(f"Tag {missing[0]} was not found.")


def _job(job: LeadImport) -> ImportJob:
    now = _now()
    lease = job.lease_until
    if lease is not None and lease.tzinfo is None:
        lease = lease.replace(tzinfo=dt.UTC)
    resumable = job.status is ImportStatus.FAILED or (
        job.status is ImportStatus.RUNNING and (lease is None or lease < now))
    return ImportJob(
        id=job.id, filename=job.filename, file_format=job.file_format, file_size=job.file_size, status=job.status,
        dry_run=job.dry_run, mapping=job.mapping, options={k: v for k, v in job.options.items() if k != "file"},
        total_rows=job.total_rows, processed_rows=job.processed_rows, created_count=job.created_count,
        updated_count=job.updated_count, skipped_count=job.skipped_count, failed_count=job.failed_count,
        error=job.error, created_by_id=job.created_by_id, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at, resumable=resumable,
    )


__all__ = ["BATCH_SIZE", "MAX_FILE_BYTES", "cancel_import", "create_import", "get_import", "import_targets",
           "list_imports", "preview", "report_csv", "report_lines", "resume_import", "run_import"]
