"""Leads, their tags and notes — the heart of the CRM."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.enums import LeadSource, LeadStatus, LeadType
from crm.orm.base import Base, BigId, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col

lead_tags = Table(
    "lead_tags",
    Base.metadata,
    Column("lead_id", BigId, ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", BigId, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # The reverse lookup "leads with tag X" needs its own index; the PK covers lead -> tags.
    Index("ix_lead_tags_tag_id_lead_id", "tag_id", "lead_id"),
)


# The columns the leads list sorts by (crm.services.leads), each completed by id.
_SORT_KEYS = (("created_at",), ("last_name", "first_name"), ("score",), ("value",), ("last_contact_at",))
# The columns the list also filters by ranges ("created in the last 30 days", "score 80-100",
# "contacted this week"). Their sort indexes carry the other two after the assignee: a filter and
# a sort on two of them that part ways (the newest leads score low; this week's contacts are not
# the oldest leads) are then answered from one index, tested in it along a walk or gathered from
# the filter's range and sorted, without reading a row per lead passed.
RANGE_COLUMNS = ("created_at", "score", "last_contact_at")


def sort_index(keys: tuple[str, ...], *, status: bool = False) -> tuple[str, list[str]]:
    """The name and columns of the list's index for a sort (`status`: its copy led by status)."""
    ranges = [] if status or keys[0] not in RANGE_COLUMNS else [c for c in RANGE_COLUMNS if c not in keys]
    lead = ["team_id", "status"] if status else ["team_id"]
    name = f"ix_leads_{'_'.join(lead)}_{'_'.join(keys)}_id_assigned_to_id{'_ranges' if ranges else ''}"
    return name, [*lead, *keys, "id", "assigned_to_id", *ranges]


def _index(name: str, columns: list[str]) -> Index:
    return Index(name, *columns)


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        # Email is unique per team, not globally: two brokerages may both know the same buyer.
        UniqueConstraint("team_id", "email"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        # An agent sees `assigned_to_id = me OR IS NULL`: two ranges here, narrowed by status.
        Index("ix_leads_team_id_assigned_to_id_status", "team_id", "assigned_to_id", "status"),
        Index("ix_leads_team_id_source_assigned_to_id", "team_id", "source", "assigned_to_id"),
        Index("ix_leads_team_id_phone", "team_id", "phone"),
        # The leads list reads pages in a sort's index order from a keyset cursor, so every sort has
        # an index ending in id (the tie-breaker; SQLite appends the rowid by itself, PostgreSQL
        # needs it spelled out). Status is the one filter that follows a lead's age (new leads are
        # NEW, old ones WON/LOST), so scanning a sort index for it can read half the table before
        # finding a page: it gets its own copy of each sort index.
        # The assignee, last, leaves the order alone but lets an agent's view (mine or unassigned)
        # be tested, and counted, in the index without reading the rows.
        # The range columns' own indexes also carry the other range columns (RANGE_COLUMNS).
        *(_index(*sort_index(keys)) for keys in _SORT_KEYS),
        # "Never contacted, best score first": the best-scored leads are the contacted ones.
        Index("ix_leads_uncontacted_team_id_score_id", "team_id", "score", "id", "assigned_to_id",
              sqlite_where=text("last_contact_at IS NULL"), postgresql_where=text("last_contact_at IS NULL")),
        # PostgreSQL alone also has partial (team, id) indexes for the NULL ends of the value and
        # last-contact sorts: migration 0008, not modelled here (crm/migrations/env.py).
        *(_index(*sort_index(keys, status=True)) for keys in _SORT_KEYS),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    company: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    lead_type: Mapped[LeadType] = mapped_column(enum_column(LeadType), default=LeadType.BUYER)
    status: Mapped[LeadStatus] = mapped_column(enum_column(LeadStatus), default=LeadStatus.NEW)
    score: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[LeadSource] = mapped_column(enum_column(LeadSource), default=LeadSource.OTHER)
    value: Mapped[Decimal | None]  # expected deal value (price of the home bought or sold)
    stage: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(50))
    zip_code: Mapped[str | None] = mapped_column(String(20))
    timezone: Mapped[str | None] = mapped_column(String(64))
    email_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    custom_fields: Mapped[dict[str, Any] | None]
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]
    last_contact_at: Mapped[dt.datetime | None]
    won_at: Mapped[dt.datetime | None]

    tags: Mapped[list[Tag]] = relationship(secondary=lead_tags, back_populates="leads")
    notes: Mapped[list[Note]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", passive_deletes=True
    )


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    name: Mapped[str] = mapped_column(String(64))
    color: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[created_at_col]

    leads: Mapped[list[Lead]] = relationship(secondary=lead_tags, back_populates="tags")


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_lead_id_created_at", "lead_id", "created_at"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    lead_id: Mapped[int] = fk("leads.id", ondelete="CASCADE")
    author_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]

    lead: Mapped[Lead] = relationship(back_populates="notes")


class CustomFieldDefinition(Base):
    """A team's own lead field (text, number, date, select…), validated on every write."""

    __tablename__ = "custom_field_definitions"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100))
    field_type: Mapped[str] = mapped_column(String(16))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    choices: Mapped[list[Any] | None]
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[created_at_col]


class SavedView(Base):
    """A named filter + sort over leads ("smart list"), private or shared with the team."""

    __tablename__ = "saved_views"

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk(index=True)
    owner_id: Mapped[int] = fk("users.id", ondelete="CASCADE", index=True)
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]]
    sort: Mapped[str | None] = mapped_column(String(64))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]
