"""In-app notifications for one user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import NotificationType
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_is_read_created_at", "user_id", "is_read", "created_at"),
    )

    id: Mapped[int_pk]
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE")
    team_id: Mapped[int | None] = fk("teams.id", ondelete="CASCADE", nullable=True, index=True)
    type: Mapped[NotificationType] = mapped_column(enum_column(NotificationType))
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)
    action_url: Mapped[str | None] = mapped_column(String(500))
    action_text: Mapped[str | None] = mapped_column(String(100))
    is_read: Mapped[bool] = mapped_column(Boolean, default=False)
    read_at: Mapped[dt.datetime | None]
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    created_at: Mapped[created_at_col]
