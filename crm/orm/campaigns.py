"""Email/SMS/phone/social campaigns and their metrics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import CampaignStatus, CampaignType
from crm.orm.base import Base, BigId, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col

campaign_tags = Table(
    "campaign_tags",
    Base.metadata,
    Column("campaign_id", BigId, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", BigId, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_campaign_tags_tag_id", "tag_id"),
)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_team_id_status", "team_id", "status"),
        Index("ix_campaigns_team_id_type", "team_id", "type"),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[CampaignType] = mapped_column(enum_column(CampaignType))
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus), default=CampaignStatus.DRAFT
    )
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    preview_text: Mapped[str | None] = mapped_column(String(300))
    start_date: Mapped[dt.datetime | None]
    end_date: Mapped[dt.datetime | None]
    budget: Mapped[Decimal | None]
    spent: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    audience: Mapped[int | None] = mapped_column(Integer)
    audience_filter: Mapped[dict[str, Any] | None]
    sent: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    clicked: Mapped[int] = mapped_column(Integer, default=0)
    converted: Mapped[int] = mapped_column(Integer, default=0)
    bounced: Mapped[int] = mapped_column(Integer, default=0)
    unsubscribed: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    roi: Mapped[float | None] = mapped_column(Float)
    is_ab_test: Mapped[bool] = mapped_column(Boolean, default=False)
    ab_test_data: Mapped[dict[str, Any] | None]
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]
