"""Duplicate leads: "not duplicates" dismissals; the same-company pass walks an index

`duplicate_dismissals` remembers pairs of leads a user marked as different people (smaller id
first, once per pair; both leads cascade), so crm.services.duplicates stops suggesting them.
`ix_leads_team_id_company_key` indexes the key of the "similar name, same company" blocks,
lower(trim(company)), after the team: the pass reads the next blocks in key order from its
cursor instead of grouping every lead of the team at each call. Both SQLite and PostgreSQL
match the expression as crm.services.duplicates writes it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 04:05:12.727073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
# crm.orm.duplicates.company_key: queries must spell the same expression to use the index.
COMPANY_KEY = 'lower(trim(company))'


def upgrade() -> None:
    op.create_table(
        'duplicate_dismissals',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('team_id', BIG_ID, nullable=False),
        sa.Column('lead_id_low', BIG_ID, nullable=False),
        sa.Column('lead_id_high', BIG_ID, nullable=False),
        sa.Column('dismissed_by_id', BIG_ID, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('lead_id_low < lead_id_high', name=op.f('ck_duplicate_dismissals_ordered_pair')),
        sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'],
                                name=op.f('fk_duplicate_dismissals_dismissed_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['lead_id_high'], ['leads.id'], name=op.f('fk_duplicate_dismissals_lead_id_high_leads'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['lead_id_low'], ['leads.id'], name=op.f('fk_duplicate_dismissals_lead_id_low_leads'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_duplicate_dismissals_team_id_teams'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_dismissals')),
        sa.UniqueConstraint('lead_id_low', 'lead_id_high', name=op.f('uq_duplicate_dismissals_lead_id_low_lead_id_high')),
    )
    op.create_index(op.f('ix_duplicate_dismissals_dismissed_by_id'), 'duplicate_dismissals', ['dismissed_by_id'],
                    unique=False)
    op.create_index(op.f('ix_duplicate_dismissals_lead_id_high'), 'duplicate_dismissals', ['lead_id_high'],
                    unique=False)
    op.create_index('ix_duplicate_dismissals_team_id_id', 'duplicate_dismissals', ['team_id', 'id'], unique=False)
    op.create_index('ix_leads_team_id_company_key', 'leads',
                    ['team_id', sa.literal_column(COMPANY_KEY), 'assigned_to_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_leads_team_id_company_key', table_name='leads')
    op.drop_index('ix_duplicate_dismissals_team_id_id', table_name='duplicate_dismissals')
    op.drop_index(op.f('ix_duplicate_dismissals_lead_id_high'), table_name='duplicate_dismissals')
    op.drop_index(op.f('ix_duplicate_dismissals_dismissed_by_id'), table_name='duplicate_dismissals')
    op.drop_table('duplicate_dismissals')
