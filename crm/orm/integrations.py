"""Connected outside systems (Google, Slack, Zapier…) and their sync history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import IntegrationProvider, SyncStatus
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col


class Integration(Base):
    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("team_id", "provider"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    provider: Mapped[IntegrationProvider] = mapped_column(enum_column(IntegrationProvider))
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    # AES-256-GCM ciphertext of the credentials JSON; never stored or logged in clear.
    credentials_ciphertext: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any] | None]
    last_sync_at: Mapped[dt.datetime | None]
    sync_status: Mapped[SyncStatus] = mapped_column(enum_column(SyncStatus), default=SyncStatus.IDLE)
    sync_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]


class IntegrationSyncLog(Base):
    __tablename__ = "integration_sync_logs"
    __table_args__ = (Index("ix_integration_sync_logs_integration_id_started_at", "integration_id", "started_at"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    integration_id: Mapped[int] = fk("integrations.id", ondelete="CASCADE")
    status: Mapped[SyncStatus] = mapped_column(enum_column(SyncStatus))
    records_synced: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]
