"""Templates, the two-way inbox and the local outbox of provider sends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import MessageDirection, MessageStatus, MessageType
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col


class EmailTemplate(Base):
    __tablename__ = "email_templates"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    variables: Mapped[list[Any] | None]
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]


class SmsTemplate(Base):
    __tablename__ = "sms_templates"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    variables: Mapped[list[Any] | None]
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_lead_id_created_at", "lead_id", "created_at"),
        Index("ix_messages_team_id_status", "team_id", "status"),
        Index("ix_messages_team_id_type_created_at", "team_id", "type", "created_at"),
        Index("ix_messages_thread_id", "thread_id"),
        # Sends are idempotent: one (team, key) is sent at most once, whatever retries.
        UniqueConstraint("team_id", "idempotency_key"),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    type: Mapped[MessageType] = mapped_column(enum_column(MessageType))
    direction: Mapped[MessageDirection] = mapped_column(enum_column(MessageDirection))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    from_address: Mapped[str] = mapped_column(String(320))
    to_address: Mapped[str] = mapped_column(String(320))
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus), default=MessageStatus.PENDING)
    read_at: Mapped[dt.datetime | None]
    replied_at: Mapped[dt.datetime | None]
    lead_id: Mapped[int | None] = fk("leads.id", ondelete="CASCADE", nullable=True)
    user_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    campaign_id: Mapped[int | None] = fk("campaigns.id", ondelete="SET NULL", nullable=True, index=True)
    thread_id: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[int | None] = fk("messages.id", ondelete="SET NULL", nullable=True, index=True)
    external_id: Mapped[str | None] = mapped_column(String(100), index=True)
    provider: Mapped[str | None] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    created_at: Mapped[created_at_col]


class OutboxDelivery(Base):
    """What a local (keyless) provider 'sent': the product works and is testable with no keys."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (Index("ix_outbox_deliveries_channel_created_at", "channel", "created_at"),)

    id: Mapped[int_pk]
    team_id: Mapped[int | None] = fk("teams.id", ondelete="CASCADE", nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | slack | payment
    to_address: Mapped[str] = mapped_column(String(320))
    from_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None]
    created_at: Mapped[created_at_col]
