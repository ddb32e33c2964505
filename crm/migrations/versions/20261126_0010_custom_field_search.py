"""Custom-field indexes for `contains` and multi-select filters, on fields defined before them

PostgreSQL: a text field gets a pg_trgm GIN index next to its btree (`ix_lcf_trgm_<team>_<key>`),
so that `contains` reads the leads whose value has the text's trigrams. SQLite: a multi-select
field gets the partial index the other types already had, which its `any_of` reads through.
New definitions get them at run time (crm.services.custom_field_indexes); this revision builds
them for the existing ones, as 0007 did for the first indexes, and calls the same product code so
that each index is exactly the one its filter is written to use. Each index reads the whole leads
table once and blocks writes to it meanwhile.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 06:00:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from crm.services.custom_field_indexes import ensure_custom_field_indexes

    ensure_custom_field_indexes(op.get_bind())


def downgrade() -> None:
    from crm.services.custom_field_indexes import TRIGRAM_PREFIX, existing_indexes, index_name

    bind = op.get_bind()
    names = {name for name in existing_indexes(bind) if name.startswith(TRIGRAM_PREFIX)}
    if bind.dialect.name == "sqlite":
        rows = bind.execute(text("SELECT team_id, key FROM custom_field_definitions WHERE field_type = 'MULTI_SELECT'"))
        names |= {index_name(team, key) for team, key in rows}
    for name in sorted(names):
        bind.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
