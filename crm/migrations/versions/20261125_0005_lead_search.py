"""Lead search at scale: a trigram index over name, email, company and phone digits

SQLite: an FTS5 table with the trigram tokenizer over the view `leads_search_source` (external
content: the text lives in `leads` only), kept in sync by triggers. PostgreSQL: a pg_trgm GIN
index on one lower-cased expression, the same one `crm.services.lead_search` queries.
Neither object is in the ORM metadata; `crm/migrations/env.py` tells `alembic check` to skip them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _document(row: str) -> str:
    # Keep identical to crm.services.lead_search.SEARCH_DOCUMENT_SQL.
    return (f"lower({row}.first_name || ' ' || {row}.last_name || ' | ' || coalesce({row}.email, '') || ' | ' "
            f"|| coalesce({row}.company, '') || ' | ' || coalesce(replace({row}.phone, '+', ''), ''))")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX ix_leads_search_trgm ON leads USING gin (({_document('leads')}) gin_trgm_ops)")
        return
    op.execute(f"CREATE VIEW leads_search_source AS SELECT leads.id AS id, {_document('leads')} AS doc FROM leads")
    op.execute("CREATE VIRTUAL TABLE leads_search USING fts5(doc, content='leads_search_source', "
               "content_rowid='id', tokenize='trigram')")
    op.execute(f"CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN "
               f"INSERT INTO leads_search (rowid, doc) VALUES (new.id, {_document('new')}); END")
    # An external-content FTS table forgets a row only when told the exact text it indexed.
    op.execute(f"CREATE TRIGGER leads_search_delete AFTER DELETE ON leads BEGIN "
               f"INSERT INTO leads_search (leads_search, rowid, doc) VALUES ('delete', old.id, {_document('old')}); "
               f"END")
    op.execute(f"CREATE TRIGGER leads_search_update AFTER UPDATE OF first_name, last_name, email, company, phone "
               f"ON leads BEGIN "
               f"INSERT INTO leads_search (leads_search, rowid, doc) VALUES ('delete', old.id, {_document('old')}); "
               f"INSERT INTO leads_search (rowid, doc) VALUES (new.id, {_document('new')}); END")
    op.execute("INSERT INTO leads_search (leads_search) VALUES ('rebuild')")  # index the leads already there


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_leads_search_trgm")
        return  # pg_trgm may serve others; an unused extension costs nothing
    for trigger in ("leads_search_insert", "leads_search_delete", "leads_search_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS leads_search")
    op.execute("DROP VIEW IF EXISTS leads_search_source")
