"""Lead import jobs, their per-row report, and the log of merged duplicate leads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import ImportOutcome, ImportStatus
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col


class LeadImport(Base):
    """One uploaded file being imported; `processed_rows` is the committed checkpoint.

    Every batch commits its leads, its report rows and the new checkpoint together, so a
    killed import resumes from `processed_rows` with nothing half-written and nothing twice.
    """

    __tablename__ = "lead_imports"
    __table_args__ = (Index("ix_lead_imports_team_id_created_at", "team_id", "created_at"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))  # "csv" | "xlsx"
    storage_key: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(BigInteger)
    mapping: Mapped[dict[str, Any]]  # file column header -> target field ("email", "custom:budget", …)
    options: Mapped[dict[str, Any]]  # duplicate mode, tags, assignee, defaults
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.PENDING)
    total_rows: Mapped[int | None] = mapped_column(Integer)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[dt.datetime | None]  # a RUNNING job whose lease expired is resumable
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class LeadImportRow(Base):
    """The report line of one data row: what the import did with it and why."""

    __tablename__ = "lead_import_rows"
    # One line per row: a resumed import can never report (or apply) a row twice.
    __table_args__ = (UniqueConstraint("import_id", "row_number"),)

    id: Mapped[int_pk]
    import_id: Mapped[int] = fk("lead_imports.id", ondelete="CASCADE")
    row_number: Mapped[int] = mapped_column(Integer)  # 1 = first data row after the header
    outcome: Mapped[ImportOutcome] = mapped_column(enum_column(ImportOutcome))
    lead_id: Mapped[int | None] = fk("leads.id", ondelete="SET NULL", nullable=True, index=True)
    message: Mapped[str | None] = mapped_column(Text)


class LeadMerge(Base):
    """Merge log: which lead was folded into which, what was kept, and what moved."""

    __tablename__ = "lead_merges"

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    merged_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    survivor_id: Mapped[int | None] = fk("leads.id", ondelete="SET NULL", nullable=True, index=True)
    # The merged lead is deleted; its id and a snapshot of its values stay here.
    merged_lead_id: Mapped[int] = mapped_column(BigInteger)
    merged_snapshot: Mapped[dict[str, Any]]
    chosen: Mapped[dict[str, Any]]  # field -> id of the lead whose value survived
    moved: Mapped[dict[str, Any]]  # counts of activities, notes, tasks, messages, tags moved
    created_at: Mapped[created_at_col]
