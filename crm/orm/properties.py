"""Listings, buyers' search criteria and which leads showed interest in which homes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import InterestKind, PropertyStatus, PropertyType
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col


class Property(Base):
    __tablename__ = "properties"
    __table_args__ = (
        UniqueConstraint("team_id", "mls_number"),
        Index("ix_properties_team_id_status_list_price", "team_id", "status", "list_price"),
        Index("ix_properties_team_id_zip_code", "team_id", "zip_code"),
        Index("ix_properties_team_id_city", "team_id", "city"),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    listing_agent_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    seller_lead_id: Mapped[int | None] = fk("leads.id", ondelete="SET NULL", nullable=True, index=True)
    address: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(50))
    zip_code: Mapped[str] = mapped_column(String(20))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    list_price: Mapped[Decimal]
    beds: Mapped[int | None] = mapped_column(Integer)
    baths: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    sqft: Mapped[int | None] = mapped_column(Integer)
    lot_sqft: Mapped[int | None] = mapped_column(Integer)
    year_built: Mapped[int | None] = mapped_column(Integer)
    property_type: Mapped[PropertyType] = mapped_column(enum_column(PropertyType))
    status: Mapped[PropertyStatus] = mapped_column(
        enum_column(PropertyStatus), default=PropertyStatus.ACTIVE
    )
    mls_number: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    photo_urls: Mapped[list[Any] | None]
    listed_at: Mapped[dt.datetime | None]
    sold_at: Mapped[dt.datetime | None]
    sold_price: Mapped[Decimal | None]
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]


class BuyerRequirement(Base):
    """What a buyer lead is looking for; ranges are open when a bound is null."""

    __tablename__ = "buyer_requirements"

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    lead_id: Mapped[int] = fk("leads.id", ondelete="CASCADE", index=True)
    min_price: Mapped[Decimal | None]
    max_price: Mapped[Decimal | None]
    min_beds: Mapped[int | None] = mapped_column(Integer)
    max_beds: Mapped[int | None] = mapped_column(Integer)
    min_baths: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    max_baths: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    min_sqft: Mapped[int | None] = mapped_column(Integer)
    max_sqft: Mapped[int | None] = mapped_column(Integer)
    areas: Mapped[list[Any] | None]  # city names
    zip_codes: Mapped[list[Any] | None]
    property_types: Mapped[list[Any] | None]
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]


class LeadPropertyInterest(Base):
    """One lead's interaction with one listing (viewed, saved, inquired, toured)."""

    __tablename__ = "lead_property_interests"
    __table_args__ = (
        UniqueConstraint("lead_id", "property_id", "kind"),
        Index("ix_lead_property_interests_property_id", "property_id"),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    lead_id: Mapped[int] = fk("leads.id", ondelete="CASCADE")
    property_id: Mapped[int] = fk("properties.id", ondelete="CASCADE")
    kind: Mapped[InterestKind] = mapped_column(enum_column(InterestKind))
    created_at: Mapped[created_at_col]
