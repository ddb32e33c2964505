"""Custom-field indexes for definitions made before they existed

Each custom lead field gets a partial expression index on leads, made and dropped with its
definition at run time (crm.services.custom_field_indexes); this revision builds the missing ones
on an existing database. They are not ORM metadata: `crm/migrations/env.py` tells `alembic check`
to skip their name prefix. Unlike other revisions this one calls product code, because the index
of a field must be exactly the one its filters are written to use.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 23:30:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from crm.services.custom_field_indexes import ensure_custom_field_indexes

    ensure_custom_field_indexes(op.get_bind())


def downgrade() -> None:
    from crm.services.custom_field_indexes import existing_indexes

    bind = op.get_bind()
    for name in sorted(existing_indexes(bind)):
        bind.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
    if bind.dialect.name == "postgresql":  # and the expression statistics made with them
        for (name,) in bind.execute(text("SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE 'st\\_lcf\\_%'")):
            bind.execute(text(f'DROP STATISTICS IF EXISTS "{name}"'))
