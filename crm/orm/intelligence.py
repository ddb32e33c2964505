"""Lead scores, AI insights and the assistant's conversations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.enums import ChatRole
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col, utcnow


class LeadScore(Base):
    __tablename__ = "lead_scores"
    __table_args__ = (
        UniqueConstraint("lead_id"),
        Index("ix_lead_scores_team_id_overall_score", "team_id", "overall_score"),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    lead_id: Mapped[int] = fk("leads.id", ondelete="CASCADE")
    overall_score: Mapped[int] = mapped_column(Integer, default=0)
    engagement_score: Mapped[int] = mapped_column(Integer, default=0)
    behavior_score: Mapped[int] = mapped_column(Integer, default=0)
    profile_score: Mapped[int] = mapped_column(Integer, default=0)
    conversion_probability: Mapped[float | None] = mapped_column(Float)
    estimated_value: Mapped[Decimal | None]
    time_to_conversion: Mapped[int | None] = mapped_column(Integer)  # days
    churn_risk: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64))
    signals: Mapped[dict[str, Any] | None]
    last_calculated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AIInsight(Base):
    __tablename__ = "ai_insights"
    __table_args__ = (Index("ix_ai_insights_lead_id_dismissed", "lead_id", "dismissed"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    lead_id: Mapped[int] = fk("leads.id", ondelete="CASCADE")
    type: Mapped[str] = mapped_column(String(32))  # recommendation | warning | prediction
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    actionable: Mapped[bool] = mapped_column(Boolean, default=True)
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[created_at_col]


class ChatConversation(Base):
    __tablename__ = "chat_conversations"
    __table_args__ = (Index("ix_chat_conversations_user_id_updated_at", "user_id", "updated_at"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE")
    title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]

    messages: Mapped[list[ChatMessage]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ChatMessage.id",
    )


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_conversation_id_created_at", "conversation_id", "created_at"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    conversation_id: Mapped[int] = fk("chat_conversations.id", ondelete="CASCADE")
    role: Mapped[ChatRole] = mapped_column(enum_column(ChatRole))
    content: Mapped[str] = mapped_column(Text)
    function_name: Mapped[str | None] = mapped_column(String(100))
    function_args: Mapped[dict[str, Any] | None]
    function_result: Mapped[dict[str, Any] | None]
    tokens: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[Decimal | None]
    created_at: Mapped[created_at_col]

    conversation: Mapped[ChatConversation] = relationship(back_populates="messages")
