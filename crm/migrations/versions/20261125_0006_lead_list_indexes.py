"""Lead list indexes: one per sort ending in id (keyset pages), status x sort, assignee + status

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 22:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_KEYS = (("created_at",), ("last_name", "first_name"), ("score",), ("value",), ("last_contact_at",))
# The indexes these replace: a sort column without the id tie-breaker, status alone, assignee alone.
OLD = {
    "ix_leads_team_id_assigned_to_id": ["team_id", "assigned_to_id"],
    "ix_leads_team_id_status": ["team_id", "status"],
    "ix_leads_team_id_created_at": ["team_id", "created_at"],
    "ix_leads_team_id_score": ["team_id", "score"],
    "ix_leads_team_id_last_contact_at": ["team_id", "last_contact_at"],
    "ix_leads_team_id_last_name_first_name": ["team_id", "last_name", "first_name"],
}


def _new() -> dict[str, list[str]]:
    indexes = {"ix_leads_team_id_assigned_to_id_status": ["team_id", "assigned_to_id", "status"]}
    for keys in SORT_KEYS:
        indexes[f"ix_leads_team_id_{'_'.join(keys)}_id"] = ["team_id", *keys, "id"]
        indexes[f"ix_leads_team_id_status_{'_'.join(keys)}_id"] = ["team_id", "status", *keys, "id"]
    return indexes


def upgrade() -> None:
    for name in OLD:
        op.drop_index(name, table_name="leads")
    for name, columns in _new().items():
        op.create_index(name, "leads", columns, unique=False)


def downgrade() -> None:
    for name in _new():
        op.drop_index(name, table_name="leads")
    for name, columns in OLD.items():
        op.create_index(name, "leads", columns, unique=False)
