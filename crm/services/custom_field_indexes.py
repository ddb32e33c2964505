"""Per-field partial expression indexes that let the leads list filter on a custom field quickly.

A custom field's values live in one JSON column (leads.custom_fields), so a filter on it would read
every lead of the team. Each definition therefore gets its own index, partial on its team and on
the leads that have a value (`WHERE team_id = <id> AND <expr> IS NOT NULL`: a comparison implies
the second part, and a new field's index starts empty), over exactly the expression its filter
clause compares (crm.services.custom_field_filters.typed_clause; keep the two in step):

    type                 SQLite                                  PostgreSQL
    text                 lower(json_extract(cf, '$."k"'))        lower(cf ->> 'k'), and a pg_trgm GIN
                                                                 on it (`ix_lcf_trgm_...`) for contains
    select/date/boolean  json_extract(cf, '$."k"')               (cf ->> 'k')
    multi-select         json_extract(cf, '$."k"') (array text)  GIN ((cf -> 'k') jsonb_path_ops)
    number               json_extract(cf, '$."k"')               CASE WHEN jsonb_typeof(cf -> 'k') = 'number'
                                                                 THEN (cf ->> 'k')::numeric END

A substring (`contains`) or a choice inside a JSON list (multi-select `any_of`) cannot be looked up
in a btree. PostgreSQL has indexes for both (trigrams; jsonb containment). SQLite has not, but its
partial index holds only the team's leads that have a value, with that value: the filter reads the
index through (`<expr> >= ''`, the range of every text value) and tests each entry's value there,
without reading the lead's row, so it costs the leads that have a value, not the team or the table.

On PostgreSQL each btree also gets a statistics object on its expression (`st_lcf_...`, PG 14+):
the planner reads no statistics from partial indexes, and would otherwise guess a third of the
rows for any range and scan the table for the list's capped count. The trigram index of a text
field shares its btree's expression, hence those statistics (a LIKE is estimated from them).

The indexes are runtime objects, not ORM metadata: created with the definition, dropped with it,
and recreated idempotently by `ensure_custom_field_indexes` (migrations 0007 and 0010, the demo
seeder). `alembic check` skips their name prefix (crm/migrations/env.py). DDL takes no bind
parameters, so it is built only from a key matching CustomFieldKey's pattern and an integer team id.

SQLite chooses well only with real statistics of leads (sqlite_stat1, from ANALYZE; a sampled
ANALYZE with a low analysis_limit makes `team_id = ?` look as selective as a field value).
`ensure_custom_field_indexes` analyzes the indexes it makes; nothing else in the product runs
ANALYZE on SQLite yet. SQLite reads statistics when a connection loads the schema: an ANALYZE
changes no schema, so connections already open keep planning with the statistics they had.

Cost: CREATE INDEX reads the whole leads table once (0.3-0.6 s on PostgreSQL at a million leads;
a text field there builds two indexes, so twice) and blocks writes to leads meanwhile (it runs in
the definition's transaction; CONCURRENTLY cannot). Every index is also maintained on each lead
write and looked at by the planner, which is fine for tens of fields per team but would not be
for thousands of teams with many fields each.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crm.enums import CustomFieldType

INDEX_PREFIX = "ix_lcf_"
TRIGRAM_PREFIX = f"{INDEX_PREFIX}trgm_"  # index_name goes on with digits (the team): no name is both
MAX_NAME = 63  # PostgreSQL truncates identifiers beyond 63 bytes
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # = crm.schemas.leads.CustomFieldKey
_NAME = re.compile(rf"^{INDEX_PREFIX}(?:trgm_)?(\d+)_")
T = CustomFieldType


def safe_key(key: str) -> str:
    """The key, after checking it can be written into SQL text as it is (it is never bound)."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a custom field key: {key!r}")
    return key


def index_name(team_id: int, key: str) -> str:
    """`ix_lcf_<team>_<key>`; a long key is cut and completed by a hash so names stay unique."""
    return _name(INDEX_PREFIX, team_id, key)


def trigram_index_name(team_id: int, key: str) -> str:
    """`ix_lcf_trgm_<team>_<key>`: a text field's trigram index (PostgreSQL), for `contains`."""
    return _name(TRIGRAM_PREFIX, team_id, key)


def _name(prefix: str, team_id: int, key: str) -> str:
    name = f"{prefix}{int(team_id)}_{safe_key(key)}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"{name[:MAX_NAME - 9]}_{digest}"


def statistics_name(team_id: int, key: str) -> str:
    """PostgreSQL statistics object on the field's expression: `st_lcf_<team>_<key>`."""
    return "st_" + index_name(team_id, key).removeprefix("ix_")


def _pg_expression(key: str, field_type: CustomFieldType) -> str:
    if field_type is T.TEXT:
        return f"lower(custom_fields ->> '{key}')"
    if field_type is T.NUMBER:
        return (f"CASE WHEN jsonb_typeof(custom_fields -> '{key}') = 'number' "
                f"THEN CAST(custom_fields ->> '{key}' AS NUMERIC) END")
    return f"custom_fields ->> '{key}'"


def statistics_ddl(team_id: int, key: str, field_type: CustomFieldType) -> str | None:
    """PostgreSQL (14+): statistics on the field's expression, or None (multi-select).

    The planner takes no statistics from a partial index, so without these it guesses (a third of
    the rows for any range): the capped count of the leads list then reads the table instead of
    the index. ANALYZE fills them (autovacuum, or after a bulk load).
    """
    if field_type is T.MULTI_SELECT:
        return None
    k = safe_key(key)
    return (f'CREATE STATISTICS IF NOT EXISTS "{statistics_name(team_id, k)}" '
            f"ON ({_pg_expression(k, field_type)}) FROM leads")


def index_ddl(dialect: str, team_id: int, key: str, field_type: CustomFieldType) -> str:
    """CREATE INDEX of one field's own index (a text field on PostgreSQL also has `trigram_index_ddl`)."""
    team, k = int(team_id), safe_key(key)
    name = index_name(team, k)
    if dialect == "postgresql":
        if field_type is T.MULTI_SELECT:
            return (f'CREATE INDEX IF NOT EXISTS "{name}" ON leads USING gin ((custom_fields -> \'{k}\') '
                    f"jsonb_path_ops) WHERE team_id = {team} AND (custom_fields -> '{k}') IS NOT NULL")
        expr = _pg_expression(k, field_type)
        return f'CREATE INDEX IF NOT EXISTS "{name}" ON leads (({expr})) WHERE team_id = {team} AND ({expr}) IS NOT NULL'
    # A multi-select's json_extract is its list as JSON text: a choice is looked for in that text.
    expr = f"json_extract(custom_fields, '$.\"{k}\"')"
    if field_type is T.TEXT:
        expr = f"lower({expr})"
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON leads ({expr}) WHERE team_id = {team} AND {expr} IS NOT NULL'


def trigram_index_ddl(dialect: str, team_id: int, key: str, field_type: CustomFieldType) -> str | None:
    """PostgreSQL, text fields: a pg_trgm GIN over the btree's expression, so that `contains`
    (`LIKE '%x%'`, three characters or more) reads only the leads whose value has the text's
    trigrams. None elsewhere. pg_trgm comes with migration 0005 (lead search)."""
    if dialect != "postgresql" or field_type is not T.TEXT:
        return None
    team, k = int(team_id), safe_key(key)
    expr = _pg_expression(k, field_type)
    return (f'CREATE INDEX IF NOT EXISTS "{trigram_index_name(team, k)}" ON leads USING gin (({expr}) gin_trgm_ops) '
            f"WHERE team_id = {team} AND ({expr}) IS NOT NULL")


def field_index_ddls(dialect: str, team_id: int, key: str, field_type: CustomFieldType) -> dict[str, str]:
    """Every index of one field, by name: its own, and a text field's trigram index on PostgreSQL."""
    ddls = {index_name(team_id, key): index_ddl(dialect, team_id, key, field_type)}
    if trigram := trigram_index_ddl(dialect, team_id, key, field_type):
        ddls[trigram_index_name(team_id, key)] = trigram
    return ddls


def create_field_index(db: Session | Connection, team_id: int, key: str, field_type: CustomFieldType) -> str:
    """Create the field's indexes (in the caller's transaction); return the name of its own one."""
    # A leftover of a deleted team that had the same id and key may hold another type's expression.
    drop_field_index(db, team_id, key)
    for ddl in field_index_ddls(_dialect(db), team_id, key, field_type).values():
        db.execute(text(ddl))
    if _has_expression_statistics(db) and (stats := statistics_ddl(team_id, key, field_type)):
        db.execute(text(stats))
    return index_name(team_id, key)


def drop_field_index(db: Session | Connection, team_id: int, key: str) -> None:
    for name in (index_name(team_id, key), trigram_index_name(team_id, key)):
        db.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
    if _has_expression_statistics(db):
        db.execute(text(f'DROP STATISTICS IF EXISTS "{statistics_name(team_id, key)}"'))


def existing_indexes(db: Session | Connection) -> set[str]:
    """Names of the custom-field indexes on leads (trigram ones included)."""
    if _dialect(db) == "postgresql":
        rows = db.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                               "AND tablename = 'leads' AND indexname LIKE 'ix\\_lcf\\_%'"))
    else:
        rows = db.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leads' "
                               "AND name LIKE 'ix\\_lcf\\_%' ESCAPE '\\'"))
    return {r[0] for r in rows}


def ensure_custom_field_indexes(db: Session | Connection, team_id: int | None = None) -> list[str]:
    """Create the missing indexes of every definition (of one team, or all) and drop orphans.

    Idempotent; for databases whose definitions predate the indexes (or some of them: a text
    field's trigram index, a multi-select's on SQLite came later), and after a bulk load.
    Returns the names created.
    """
    query = "SELECT team_id, key, field_type FROM custom_field_definitions"
    params = {}
    if team_id is not None:
        query += " WHERE team_id = :team_id"
        params["team_id"] = int(team_id)
    dialect = _dialect(db)
    fields = sorted((team, key, CustomFieldType(field_type))
                    for team, key, field_type in db.execute(text(query), params) if _KEY.fullmatch(key))
    present = existing_indexes(db)
    statistics = _existing_statistics(db)
    wanted: set[str] = set()
    created, analyze = [], False
    for team, key, field_type in fields:
        ddls = field_index_ddls(dialect, team, key, field_type)
        wanted |= set(ddls)
        missing = [name for name in ddls if name not in present]
        if index_name(team, key) in missing:
            create_field_index(db, team, key, field_type)  # the field's indexes and statistics afresh
        else:
            for name in missing:
                db.execute(text(ddls[name]))
            if _has_expression_statistics(db) and statistics_name(team, key) not in statistics and (
                    stats := statistics_ddl(team, key, field_type)):
                db.execute(text(stats))  # an index made before its statistics were
                analyze = True
        for name in missing:
            created.append(name)
            analyze = True
            if dialect == "sqlite":  # SQLite gathers no statistics by itself; a new index has none
                db.execute(text(f'ANALYZE "{name}"'))
    for name in sorted(present - wanted):
        match = _NAME.match(name)
        if team_id is None or (match and int(match.group(1)) == int(team_id)):
            db.execute(text(f'DROP INDEX IF EXISTS "{name}"'))  # its definition is gone
            if _has_expression_statistics(db) and not name.startswith(TRIGRAM_PREFIX):
                db.execute(text(f'DROP STATISTICS IF EXISTS "st_{name.removeprefix("ix_")}"'))
    if analyze and _has_expression_statistics(db):
        db.execute(text("ANALYZE leads"))  # fill the new expression statistics
    return sorted(created)


def _existing_statistics(db: Session | Connection) -> set[str]:
    if not _has_expression_statistics(db):
        return set()
    rows = db.execute(text("SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE 'st\\_lcf\\_%'"))
    return {r[0] for r in rows}


def _has_expression_statistics(db: Session | Connection) -> bool:
    bind = db.get_bind() if isinstance(db, Session) else db
    version = bind.dialect.server_version_info or (0,)
    return bind.dialect.name == "postgresql" and version >= (14,)


def _dialect(db: Session | Connection) -> str:
    bind = db.get_bind() if isinstance(db, Session) else db
    return bind.dialect.name
