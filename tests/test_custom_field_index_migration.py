"""Migration 0007 builds the custom-field indexes of existing definitions; `alembic check` ignores them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from crm.enums import CustomFieldType, TeamRole
from crm.schemas.custom_fields import CustomFieldCreate
from crm.services import custom_fields
from crm.services.custom_field_indexes import existing_indexes, index_name, trigram_index_name
from tests.conftest import create_pg_database, drop_pg_database, require_postgres, reset_caches
from tests.factories import make_member, make_team
from tests.test_migrations import _config


@pytest.fixture(params=["sqlite", "postgresql"])
def product_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new database at head, with the whole product pointed at it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.db'}"
    else:
        require_postgres()
        url = create_pg_database("crm_lcf")
    try:
        command.upgrade(_config(url), "head")
        monkeypatch.setenv("DATABASE_URL", url)
        reset_caches()
        yield url
    finally:
        from crm.db import get_engine

        get_engine().dispose()
        reset_caches()
        if request.param == "postgresql":
            drop_pg_database(url)


def _indexes(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return existing_indexes(conn)
    finally:
        engine.dispose()


def test_check_ignores_the_indexes_and_0007_rebuilds_them(product_url: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    for label, field_type in (("Budget", CustomFieldType.NUMBER), ("Notes", CustomFieldType.TEXT)):
        custom_fields.create_definition(owner, CustomFieldCreate(label=label, field_type=field_type))
    from crm.db import get_engine

    get_engine().dispose()  # alembic works on its own connection (SQLite: no lock held by the pool)
    wanted = {index_name(owner.team_id, "budget"), index_name(owner.team_id, "notes")}
    if product_url.startswith("postgresql"):  # a text field's `contains` also has its trigram index
        wanted.add(trigram_index_name(owner.team_id, "notes"))
    cfg = _config(product_url)
    assert _indexes(product_url) == wanted
    command.check(cfg)  # the runtime indexes are not drift
    command.downgrade(cfg, "0006")
    assert _indexes(product_url) == set()
    command.upgrade(cfg, "head")  # as on a database whose fields predate the indexes
    assert _indexes(product_url) == wanted
    engine = create_engine(product_url)
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert revision == ScriptDirectory.from_config(cfg).get_current_head()
