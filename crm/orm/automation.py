"""Workflows (trigger -> actions) and their executions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import ExecutionStatus, WorkflowTrigger
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col, utcnow


class Workflow(Base):
    __tablename__ = "workflows"
    __table_args__ = (Index("ix_workflows_team_id_is_active_trigger_type", "team_id", "is_active", "trigger_type"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger_type: Mapped[WorkflowTrigger] = mapped_column(enum_column(WorkflowTrigger))
    trigger_data: Mapped[dict[str, Any] | None]
    actions: Mapped[list[Any]]
    execution_count: Mapped[int] = mapped_column(Integer, default=0)
    success_rate: Mapped[float | None] = mapped_column(Float)
    last_run_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]


class WorkflowExecution(Base):
    __tablename__ = "workflow_executions"
    __table_args__ = (Index("ix_workflow_executions_workflow_id_started_at", "workflow_id", "started_at"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    workflow_id: Mapped[int] = fk("workflows.id", ondelete="CASCADE")
    status: Mapped[ExecutionStatus] = mapped_column(enum_column(ExecutionStatus), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    lead_id: Mapped[int | None] = fk("leads.id", ondelete="SET NULL", nullable=True, index=True)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]
