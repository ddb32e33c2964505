"""System settings, the audit log, feature flags and the domain-event outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.orm.base import Base, created_at_col, fk, int_pk, updated_at_col


class SystemSetting(Base):
    __tablename__ = "system_settings"

    id: Mapped[int_pk]
    key: Mapped[str] = mapped_column(String(100), unique=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[updated_at_col]


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        Index("ix_audit_logs_team_id_created_at", "team_id", "created_at"),
        Index("ix_audit_logs_user_id_created_at", "user_id", "created_at"),
        Index("ix_audit_logs_action", "action"),
    )

    id: Mapped[int_pk]
    # Nullable: a refused sign-in has no known user, a system job has no team.
    user_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True)
    team_id: Mapped[int | None] = fk("teams.id", ondelete="SET NULL", nullable=True)
    action: Mapped[str] = mapped_column(String(100))
    resource: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any] | None]
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created_at_col]


class FeatureFlag(Base):
    __tablename__ = "feature_flags"
    __table_args__ = (CheckConstraint("rollout >= 0 AND rollout <= 100", name="rollout_range"),)

    id: Mapped[int_pk]
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    rollout: Mapped[int] = mapped_column(Integer, default=0)
    rules: Mapped[dict[str, Any] | None]
    updated_at: Mapped[updated_at_col]


class DomainEvent(Base):
    """Transactional outbox: written in the same transaction as the change it describes."""

    __tablename__ = "domain_events"
    __table_args__ = (Index("ix_domain_events_processed_at_id", "processed_at", "id"),)

    id: Mapped[int_pk]
    team_id: Mapped[int | None] = fk("teams.id", ondelete="CASCADE", nullable=True, index=True)
    type: Mapped[str] = mapped_column(String(64))  # lead.created, lead.status_changed …
    resource: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    actor_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    created_at: Mapped[created_at_col]
    processed_at: Mapped[dt.datetime | None]
