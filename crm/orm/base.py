"""Declarative base, naming convention and the column types every table shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, Enum, ForeignKey, Integer, MetaData, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend.

    PostgreSQL stores `timestamptz`; SQLite has no time zone type, so values are stored as
    naive UTC and handed back aware. Naive input is refused: a naive time is a bug upstream.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")
Money = Numeric(14, 2)


def enum_column(enum: type[StrEnum]) -> Enum:
    """Store a StrEnum as its value in a VARCHAR (no native PG enum: cheap to extend)."""
    return Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


int_pk = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
created_at_col = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
updated_at_col = Annotated[
    dt.datetime, mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
]


def team_fk(*, index: bool = False) -> Any:
    """Return the `team_id` column every team-owned row carries (deleted with its team)."""
    return mapped_column(BigId, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=index)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        Decimal: Money,
        dict[str, Any]: JsonType,
        list[Any]: JsonType,
        int: Integer(),
    }


def fk(target: str, *, ondelete: str | None = None, nullable: bool = False, index: bool = False) -> Any:
    """Return a BigId foreign-key column to `target` ("table.column")."""
    return mapped_column(BigId, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)
