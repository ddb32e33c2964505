"""Lead list: the created, score and last-contact sort indexes carry the other two columns

A filter on one of these columns and a sort on another often part ways: the newest leads score
low, the leads contacted this week are not the oldest. Walking the sort index then tested tens of
thousands of rows, each read from the table, before a page filled. With the other two columns at
the end of each of these indexes (after the assignee, so the order is unchanged), the walk tests
them in the index, and the filter's own range can be read from its index and sorted without
touching the table (crm.orm.leads.RANGE_COLUMNS, crm.services.leads).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RANGE_COLUMNS = ("created_at", "score", "last_contact_at")


def upgrade() -> None:
    for key in RANGE_COLUMNS:
        op.drop_index(f"ix_leads_team_id_{key}_id_assigned_to_id", table_name="leads")
        others = [c for c in RANGE_COLUMNS if c != key]
        op.create_index(f"ix_leads_team_id_{key}_id_assigned_to_id_ranges", "leads",
                        ["team_id", key, "id", "assigned_to_id", *others], unique=False)


def downgrade() -> None:
    for key in RANGE_COLUMNS:
        op.drop_index(f"ix_leads_team_id_{key}_id_assigned_to_id_ranges", table_name="leads")
        op.create_index(f"ix_leads_team_id_{key}_id_assigned_to_id", "leads",
                        ["team_id", key, "id", "assigned_to_id"], unique=False)
