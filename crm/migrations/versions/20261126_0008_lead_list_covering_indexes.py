"""Lead list: sort indexes carry the assignee; never-contacted leads by score

The sort indexes (team, key…, id), their status copies and (team, source) gain assigned_to_id as
a last column. It does not change their order, but an agent's `assigned_to_id = me OR IS NULL`
and their capped counts can now be answered from the index alone, without reading each lead's row. A partial index serves the
"never contacted, highest score first" list: the best-scored leads are the contacted ones, so a
walk down the whole score index would pass most of the team before meeting one. On PostgreSQL,
two more partial indexes read the leads without a value or a last contact by id, as those sorts end.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_KEYS = (("created_at",), ("last_name", "first_name"), ("score",), ("value",), ("last_contact_at",))
UNCONTACTED = "ix_leads_uncontacted_team_id_score_id"
# The leads without a value / a last contact come last in those sorts, by id. PostgreSQL does not
# take (team, value, id) as ordered by id within `value IS NULL`, so there they get their own
# indexes (not in the ORM: crm/migrations/env.py skips the prefix). SQLite needs none, and its
# planner, which has no statistics of ranges, would prefer them where it should not.
NULL_TAILS = {"ix_leads_pg_no_value_team_id_id": "value IS NULL",
              "ix_leads_pg_uncontacted_team_id_id": "last_contact_at IS NULL"}


def upgrade() -> None:
    for keys in SORT_KEYS:
        name = "_".join(keys)
        for prefix, lead in (("team_id", ["team_id"]), ("team_id_status", ["team_id", "status"])):
            op.drop_index(f"ix_leads_{prefix}_{name}_id", table_name="leads")
            op.create_index(f"ix_leads_{prefix}_{name}_id_assigned_to_id", "leads",
                            [*lead, *keys, "id", "assigned_to_id"], unique=False)
    op.drop_index("ix_leads_team_id_source", table_name="leads")
    op.create_index("ix_leads_team_id_source_assigned_to_id", "leads", ["team_id", "source", "assigned_to_id"],
                    unique=False)
    where = sa.text("last_contact_at IS NULL")
    op.create_index(UNCONTACTED, "leads", ["team_id", "score", "id", "assigned_to_id"], unique=False,
                    sqlite_where=where, postgresql_where=where)
    if op.get_bind().dialect.name == "postgresql":
        for name, condition in NULL_TAILS.items():
            op.create_index(name, "leads", ["team_id", "id", "assigned_to_id"], unique=False,
                            postgresql_where=sa.text(condition))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in NULL_TAILS:
            op.drop_index(name, table_name="leads")
    op.drop_index(UNCONTACTED, table_name="leads")
    op.drop_index("ix_leads_team_id_source_assigned_to_id", table_name="leads")
    op.create_index("ix_leads_team_id_source", "leads", ["team_id", "source"], unique=False)
    for keys in SORT_KEYS:
        name = "_".join(keys)
        for prefix, lead in (("team_id", ["team_id"]), ("team_id_status", ["team_id", "status"])):
            op.drop_index(f"ix_leads_{prefix}_{name}_id_assigned_to_id", table_name="leads")
            op.create_index(f"ix_leads_{prefix}_{name}_id", "leads", [*lead, *keys, "id"], unique=False)
