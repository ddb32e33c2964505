"""Subscriptions, invoices, payment methods and metered usage (per team)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import InvoiceStatus, SubscriptionStatus, SubscriptionTier, UsageType
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col, utcnow


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    user_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    tier: Mapped[SubscriptionTier] = mapped_column(enum_column(SubscriptionTier))
    status: Mapped[SubscriptionStatus] = mapped_column(enum_column(SubscriptionStatus))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_price_id: Mapped[str | None] = mapped_column(String(255))
    current_period_start: Mapped[dt.datetime]
    current_period_end: Mapped[dt.datetime]
    trial_ends_at: Mapped[dt.datetime | None]
    cancel_at: Mapped[dt.datetime | None]
    canceled_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    subscription_id: Mapped[int] = fk("subscriptions.id", ondelete="CASCADE", index=True)
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    status: Mapped[InvoiceStatus] = mapped_column(enum_column(InvoiceStatus))
    invoice_date: Mapped[dt.datetime]
    due_date: Mapped[dt.datetime]
    paid_at: Mapped[dt.datetime | None]
    pdf_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created_at_col]


class PaymentMethod(Base):
    __tablename__ = "payment_methods"

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    user_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    stripe_payment_method_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str | None] = mapped_column(String(32))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[created_at_col]


class UsageRecord(Base):
    __tablename__ = "usage_records"
    __table_args__ = (
        Index("ix_usage_records_subscription_id_type_recorded_at", "subscription_id", "type", "recorded_at"),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    subscription_id: Mapped[int] = fk("subscriptions.id", ondelete="CASCADE")
    type: Mapped[UsageType] = mapped_column(enum_column(UsageType))
    quantity: Mapped[int] = mapped_column(Integer)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
