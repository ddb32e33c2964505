"""The timeline: everything that happened with a lead or a campaign."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import ActivityType
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_lead_id_created_at", "lead_id", "created_at"),
        Index("ix_activities_team_id_type_created_at", "team_id", "type", "created_at"),
        Index("ix_activities_team_id_created_at", "team_id", "created_at"),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    type: Mapped[ActivityType] = mapped_column(enum_column(ActivityType))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    lead_id: Mapped[int | None] = fk("leads.id", ondelete="CASCADE", nullable=True)
    campaign_id: Mapped[int | None] = fk("campaigns.id", ondelete="CASCADE", nullable=True, index=True)
    user_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    created_at: Mapped[created_at_col]
