"""Alembic environment: one schema for SQLite and PostgreSQL, from `crm.orm`."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from crm import orm
from crm.config import get_settings
from crm.db import make_engine
from crm.orm.base import UTCDateTime

config = context.config
if config.config_file_name and "connection" not in config.attributes:
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = orm.Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations must not import app code: UTCDateTime is a plain timestamptz on disk.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Search objects that migration 0005 writes by hand and the ORM does not model: SQLite's FTS5
# table (and its shadow tables) and PostgreSQL's trigram index. Autogenerate would drop them.
# PostgreSQL's partial indexes for the NULL ends of the value / last-contact sorts (migration 0008):
# SQLite orders `value IS NULL` rows by id in (team, value, id) already and needs none.
DATABASE_ONLY_PREFIXES = ("leads_search", "ix_leads_search_", "ix_leads_pg_")
# Per-field custom-field indexes, made and dropped with their definitions at run time
# (crm.services.custom_field_indexes.INDEX_PREFIX; migration 0007 backfills them).
RUNTIME_PREFIXES = ("ix_lcf_",)


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (reflected and compare_to is None and name
                and name.startswith((*DATABASE_ONLY_PREFIXES, *RUNTIME_PREFIXES)))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_object=_include_object,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # tests hand over their own connection
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
