"""Follow-ups agents owe: calls to make, documents to send."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import TaskPriority, TaskStatus
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_team_id_assigned_to_id_status_due_date", "team_id", "assigned_to_id", "status", "due_date"),
        Index("ix_tasks_team_id_status_due_date", "team_id", "status", "due_date"),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[dt.datetime]
    priority: Mapped[TaskPriority] = mapped_column(enum_column(TaskPriority), default=TaskPriority.MEDIUM)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus), default=TaskStatus.PENDING)
    assigned_to_id: Mapped[int] = fk("users.id", ondelete="CASCADE", index=True)
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    lead_id: Mapped[int | None] = fk("leads.id", ondelete="CASCADE", nullable=True, index=True)
    completed_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]
