"""WHERE clauses on custom lead fields, for SQLite (json_extract/json_each) and PostgreSQL (jsonb).

The leads list uses `filter_clauses`: checked conditions compiled per field type (`typed_clause`)
to the exact expressions of the per-field indexes (crm.services.custom_field_indexes).
`custom_field_clause` is the type-blind form for other callers: the value of the condition says
how to compare (a number as a number, a date or ISO date string as "YYYY-MM-DD" text, a bool with
true/false, text case-insensitively); it reads every lead it is given. Either way, leads without
the key never match a comparison.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy import text as sql_text  # `text` names values in this module
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from crm.enums import CustomFieldType
from crm.errors import ValidationFailed
from crm.orm import CustomFieldDefinition, Lead
from crm.schemas.leads import CustomFieldFilter
from crm.services.custom_field_indexes import index_name, safe_key

_COMPARABLE = {
    "eq": set(CustomFieldType) - {CustomFieldType.MULTI_SELECT},  # a multi-select is matched with any_of
    "contains": {CustomFieldType.TEXT},
    "gte": {CustomFieldType.NUMBER, CustomFieldType.DATE},
    "lte": {CustomFieldType.NUMBER, CustomFieldType.DATE},
    "any_of": {CustomFieldType.SELECT, CustomFieldType.MULTI_SELECT},
    "is_set": None,
    "is_empty": None,
}


class _PerDialect(ColumnElement[bool]):
    """A boolean clause written twice, compiled as the one for the dialect in use."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [("sqlite", InternalTraversal.dp_clauseelement),
                           ("postgresql", InternalTraversal.dp_clauseelement)]

    def __init__(self, sqlite: ColumnElement[bool], postgresql: ColumnElement[bool]) -> None:
        self.sqlite = sqlite
        self.postgresql = postgresql

    def self_group(self, against: Any = None) -> ColumnElement[Any]:
        # Already parenthesised, and a real condition: without this SQLAlchemy writes `(...) = 1` on
        # SQLite (no native boolean), which no index expression can match.
        return self


@compiles(_PerDialect)
def _compile_per_dialect(element: _PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    chosen = element.postgresql if compiler.dialect.name == "postgresql" else element.sqlite
    # Parenthesised: the branch may be an OR, and the caller ANDs it with other clauses.
    return f"({compiler.process(chosen, **kw)})"


def custom_field_clause(condition: CustomFieldFilter) -> ColumnElement[bool]:
    """The WHERE clause of one custom-field condition (any dialect; compiled for the one in use)."""
    key, op, value = condition.key, condition.op, condition.value
    if op in ("is_set", "is_empty"):
        clause = _PerDialect(_sqlite_type(key) != "null", _pg_type(key) != "null")
        return clause if op == "is_set" else ~clause
    if op == "any_of":
        wanted = [value] if isinstance(value, str) else list(value or []) if isinstance(value, list) else None
        if not wanted or not all(isinstance(v, str) for v in wanted):
            raise ValidationFailed("any_of needs a list of choices.", field=f"custom.{key}")
        return _PerDialect(_sqlite_any_of(key, wanted), _pg_any_of(key, wanted))
    if value is None or isinstance(value, list):
        raise ValidationFailed(f"The {op} condition needs a single value.", field=f"custom.{key}")
    if op == "contains":
        if not isinstance(value, str):
            raise ValidationFailed("contains needs text.", field=f"custom.{key}")
        pattern = f"%{_escape_like(value.lower())}%"
        return _PerDialect(
            and_(_sqlite_type(key) == "text", func.lower(_sqlite_value(key)).like(pattern, escape="\\")),
            and_(_pg_type(key) == "string", func.lower(_pg_text(key)).like(pattern, escape="\\")),
        )
    if isinstance(value, bool):
        if op != "eq":
            raise ValidationFailed(f"A yes/no field cannot be compared with {op}.", field=f"custom.{key}")
        return _PerDialect(_sqlite_type(key) == ("true" if value else "false"), _pg_contains({key: value}))
    comparable = _comparable(value)
    if isinstance(comparable, float):
        return _PerDialect(
            and_(_sqlite_type(key).in_(("integer", "real")), _compare(_sqlite_value(key), op, comparable)),
            _compare(case((_pg_type(key) == "number", cast(_pg_text(key), Numeric)), else_=None), op,
                     cast(literal(comparable), Numeric)),
        )
    if isinstance(comparable, dt.date):
        day = comparable.isoformat()
        return _PerDialect(
            and_(_sqlite_type(key) == "text", _compare(_sqlite_value(key), op, day)),
            and_(_pg_type(key) == "string", _compare(_pg_text(key), op, day)),
        )
    if op != "eq":
        raise ValidationFailed(f"The {op} condition needs a number or a date.", field=f"custom.{key}")
    text = comparable.strip().lower()
    return _PerDialect(
        and_(_sqlite_type(key) == "text", func.lower(_sqlite_value(key)) == text),
        and_(_pg_type(key) == "string", func.lower(_pg_text(key)) == text),
    )


def check_filters(session: Session, team_id: int, conditions: Sequence[CustomFieldFilter]) -> None:
    """Refuse conditions on keys the team has not defined, or with an operator the type lacks."""
    _checked(session, team_id, conditions)


def filter_clauses(session: Session, team_id: int, conditions: Sequence[CustomFieldFilter]) -> list[ColumnElement[bool]]:
    """Checked conditions of the leads list as clauses that use the fields' indexes (see typed_clause)."""
    fields = _checked(session, team_id, conditions)
    sqlite = session.get_bind().dialect.name == "sqlite"
    return [typed_clause(c, *fields[c.key], team_id=team_id,
                         lists=stored_lists(session, team_id, c.key) if sqlite and c.op == "any_of"
                         and fields[c.key][0] is CustomFieldType.MULTI_SELECT else None)
            for c in conditions]


def _checked(
    session: Session, team_id: int, conditions: Sequence[CustomFieldFilter]
) -> dict[str, tuple[CustomFieldType, tuple[str, ...]]]:
    if not conditions:
        return {}
    fields = {key: (CustomFieldType(field_type), tuple(choices or ())) for key, field_type, choices in session.execute(
        select(CustomFieldDefinition.key, CustomFieldDefinition.field_type, CustomFieldDefinition.choices)
        .where(CustomFieldDefinition.team_id == team_id,
               CustomFieldDefinition.key.in_({c.key for c in conditions}))
    ).all()}
    for condition in conditions:
        if condition.key not in fields:
            raise ValidationFailed(f"Unknown custom field: {condition.key}.", field=f"custom.{condition.key}")
        field_type = fields[condition.key][0]
        allowed = _COMPARABLE[condition.op]
        if allowed is not None and field_type not in allowed:
            raise ValidationFailed(f"The {condition.op} condition does not apply to "
                                   f"a {field_type.value.lower().replace('_', '-')} field.",
                                   field=f"custom.{condition.key}")
        if condition.op in ("eq", "gte", "lte") and not _fits(field_type, condition.value):
            raise ValidationFailed(f"{condition.key}: the value does not fit a "
                                   f"{field_type.value.lower().replace('_', '-')} field.",
                                   field=f"custom.{condition.key}")
    return fields


def _fits(field_type: CustomFieldType, value: Any) -> bool:
    if field_type is CustomFieldType.BOOLEAN:
        return isinstance(value, bool)
    if isinstance(value, bool) or value is None or isinstance(value, list):
        return False
    if field_type is CustomFieldType.NUMBER:
        return isinstance(_comparable(value), float)
    if field_type is CustomFieldType.DATE:
        return isinstance(_comparable(value), dt.date)
    return True


def _comparable(value: Any) -> float | dt.date | str:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _compare(left: Any, op: str, right: Any) -> ColumnElement[bool]:
    if op == "gte":
        return left >= right
    if op == "lte":
        return left <= right
    return left == right


def _path(key: str) -> str:
    return f'$."{key}"'  # keys are [a-z0-9_] (CustomFieldKey), so quoting is enough


def _sqlite_type(key: str) -> ColumnElement[str]:
    # json_type: NULL when the key is absent, 'null' for a JSON null — both mean "empty".
    return func.coalesce(func.json_type(Lead.custom_fields, _path(key)), "null")


def _sqlite_value(key: str) -> ColumnElement[Any]:
    return func.json_extract(Lead.custom_fields, _path(key))


def _sqlite_any_of(key: str, wanted: list[str]) -> ColumnElement[bool]:
    # json_each walks a list's items, or yields a scalar once: one clause for select and multi-select.
    items = func.json_each(Lead.custom_fields, _path(key)).table_valued("value")
    return exists(select(literal(1)).select_from(items).where(items.c.value.in_(wanted)))


def _pg_field(key: str) -> ColumnElement[Any]:
    return type_coerce(Lead.custom_fields, JSONB)[key]


def _pg_type(key: str) -> ColumnElement[str]:
    return func.coalesce(func.jsonb_typeof(_pg_field(key)), "null")


def _pg_text(key: str) -> ColumnElement[str]:
    return type_coerce(Lead.custom_fields, JSONB)[key].astext


def _pg_contains(obj: dict[str, Any]) -> ColumnElement[bool]:
    # Containment (@>) can use a GIN index on leads.custom_fields.
    return type_coerce(Lead.custom_fields, JSONB).contains(literal(obj, JSONB))


def _pg_any_of(key: str, wanted: list[str]) -> ColumnElement[bool]:
    return or_(*(_pg_contains({key: [v]}) for v in wanted), *(_pg_contains({key: v}) for v in wanted))



# --- typed clauses: the list's filters, written to match the per-field indexes ----------------------
#
# crm.services.custom_field_indexes creates, per definition, an index partial on `team_id = <id>` over
# one expression. A planner uses it only when the query repeats that expression exactly and implies
# the predicate, and both tests happen at planning time, before bound values are known (SQLite
# matches index expressions without looking at parameters; PostgreSQL's generic plans do not see
# them). So the JSON path and the team id are written into the SQL text (a validated key and an
# int), and so are the compared values (see `_v`). Not index-backed, by design: is_empty (true of most
# leads, so walking the sort index finds a page at once).
#
# No btree can look up a substring (`contains`) or a choice inside a list (multi-select `any_of`).
# PostgreSQL answers them from a trigram index and the multi-select's GIN. SQLite reads the field's
# partial index through, as the range of every value (`_lite_has_value`), and tests each entry's
# value in the index itself (it fetches no lead for that): a pass over the leads that have a value.
# A multi-select does better there: its few distinct lists are read first (`stored_lists`), and the
# clause names those that hold a wanted choice, which the index then finds by equality.


def typed_clause(
    condition: CustomFieldFilter, field_type: CustomFieldType, choices: tuple[str, ...] = (), *, team_id: int,
    lists: Sequence[str] | None = None,
) -> ColumnElement[bool]:
    """The clause of a checked condition on a field of this type, using the field's index.

    Unlike `custom_field_clause` it does not also test the JSON type of each matching value (on
    SQLite that parses every matching row once more): values are checked against the field's type
    on every write, and the type here comes from the definition.
    `lists` (SQLite, multi-select `any_of`): every list the field's index holds (`stored_lists`);
    the clause then names the lists that hold a wanted choice.
    """
    key, op, value = safe_key(condition.key), condition.op, condition.value
    team = Lead.team_id == literal_column(str(int(team_id)), Integer)  # = the indexes' predicate
    lite, pg = _lite_expr(key, field_type), _pg_expr(key, field_type)
    if op in ("is_set", "is_empty"):
        if field_type is CustomFieldType.MULTI_SELECT:
            pg = _pg_text_literal(key)
        clause = _PerDialect(_lite_is_set(lite, field_type), pg.is_not(None)) if op == "is_set" else \
            _PerDialect(lite.is_(None), pg.is_(None))
        return and_(team, clause)
    if op == "contains":
        if not isinstance(value, str):
            raise ValidationFailed("contains needs text.", field=f"custom.{key}")
        # LIKE on exactly the indexed (lower-cased) expression, the pattern written into the SQL:
        # PostgreSQL's trigram index needs its trigrams at planning time.
        pattern = _v(f"%{_escape_like(value.lower())}%")
        return and_(team, _PerDialect(and_(_lite_has_value(lite), lite.like(pattern, escape="\\")),
                                      pg.like(pattern, escape="\\")))
    if op == "any_of":
        wanted = [value] if isinstance(value, str) else list(value or []) if isinstance(value, list) else None
        if not wanted or not all(isinstance(v, str) for v in wanted):
            raise ValidationFailed("any_of needs a list of choices.", field=f"custom.{key}")
        wanted = [_choice(v, choices) for v in wanted]
        if field_type is CustomFieldType.MULTI_SELECT:
            pg_any = or_(*(_pg_field_literal(key).op("@>")(cast(_v(json.dumps([v])), JSONB)) for v in wanted))
            lite_any = _lite_multi_any_of(key, lite, wanted) if lists is None else _lite_lists_in(lite, lists, wanted)
            return and_(team, _PerDialect(lite_any, pg_any))
        return and_(team, _PerDialect(lite.in_([_v(w) for w in wanted]), pg.in_([_v(w) for w in wanted])))
    if field_type is CustomFieldType.BOOLEAN:
        word = "true" if value else "false"
        return and_(team, _PerDialect(lite == _v(1 if value else 0), pg == _v(word)))  # json_extract: 1/0
    if field_type is CustomFieldType.NUMBER:
        number = _comparable(value)
        return and_(team, _PerDialect(
            _compare(lite, op, _v(number)),
            _compare(pg, op, cast(_v(number), Numeric)),
        ))
    if field_type is CustomFieldType.DATE:
        day = _comparable(value)
        day_text = day.isoformat() if isinstance(day, dt.date) else str(day)
        return and_(team, _PerDialect(_compare(lite, op, _v(day_text)), _compare(pg, op, _v(day_text))))
    if field_type is CustomFieldType.SELECT:
        wanted_choice = _choice(str(value), choices)
        return and_(team, _PerDialect(lite == _v(wanted_choice), pg == _v(wanted_choice)))
    text_value = str(value).strip().lower()  # TEXT: the indexed expression is already lower-cased
    return and_(team, _PerDialect(lite == _v(text_value), pg == _v(text_value)))


def _v(value: Any) -> ColumnElement[Any]:
    # Written into the SQL at execution (quoted by the dialect), not sent as a parameter: psycopg
    # prepares a statement run five times, and PostgreSQL may then plan it once for any value,
    # with default estimates that make the list's capped count read the table, not the index.
    return literal(value, literal_execute=True)


def _choice(value: str, choices: tuple[str, ...]) -> str:
    # Choices are stored exactly as defined and matched case-insensitively, so compare with the stored form.
    folded = value.strip().casefold()
    return next((c for c in choices if c.casefold() == folded), value)


def _lite_is_set(lite: ColumnElement[Any], field_type: CustomFieldType) -> ColumnElement[bool]:
    # SQLite walks an index for a range but not for IS NOT NULL, so "has a value" is written as the
    # range that holds every value of the type (NULL sorts first; numbers before text).
    if field_type is CustomFieldType.BOOLEAN:
        return lite.in_([_v(0), _v(1)])
    if field_type is CustomFieldType.NUMBER:
        return lite >= _v(-1e308)
    return _lite_has_value(lite)


def _lite_has_value(lite: ColumnElement[Any]) -> ColumnElement[bool]:
    # Text, dates, choices and a multi-select's list (JSON text) are all >= '': the field's whole
    # partial index, which SQLite then reads through instead of the team's leads.
    return lite >= _v("")


# A multi-select holds few distinct lists (a handful of choices, stored in definition order), and
# its index is sorted by them: SQLite lists them with one index seek each, up to this many, so a
# filter then reads only the entries of the lists that match (a rare choice costs its own leads,
# not a pass over every lead with a value). Past it, the index is read through (_lite_multi_any_of).
STORED_LISTS = 1_000


def stored_lists(session: Session, team_id: int, key: str) -> list[str] | None:
    """SQLite: every distinct list (JSON text) of the multi-select `key` in the team's leads, read
    from the field's index; None past STORED_LISTS of them, or when the index is missing (each
    step would then read the table)."""
    index = index_name(team_id, key)
    if session.scalar(sql_text("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"),
                      {"name": index}) is None:
        return None
    expr = f"json_extract(custom_fields, '$.\"{safe_key(key)}\"')"  # = the index's expression
    leads = f'leads INDEXED BY "{index}" WHERE team_id = {int(team_id)} AND {expr}'
    rows = session.execute(sql_text(  # a loose index scan: each step seeks the list after the last one
        f"WITH RECURSIVE lists(value) AS (SELECT min({expr}) FROM {leads} >= '' "
        f"UNION ALL SELECT (SELECT min({expr}) FROM {leads} > lists.value) "
        f"FROM lists WHERE lists.value IS NOT NULL LIMIT {STORED_LISTS + 1}) "
        f"SELECT value FROM lists WHERE value IS NOT NULL")).scalars().all()
    return None if len(rows) > STORED_LISTS else list(rows)


def _lite_lists_in(lite: ColumnElement[Any], lists: Sequence[str], wanted: list[str]) -> ColumnElement[bool]:
    # Parsed here, so a choice matches whatever it holds. json_extract writes a list as JSON text
    # and a lone string (not a valid value, but json_each would read it as one item) as it is.
    def items(stored: str) -> list[Any]:
        try:
            value = json.loads(stored) if stored.startswith("[") else stored
        except ValueError:
            value = stored
        return value if isinstance(value, list) else [value]

    matching = [stored for stored in lists if any(item in wanted for item in items(stored))]
    return lite.in_([_v(stored) for stored in matching]) if matching else false()


def _lite_multi_any_of(key: str, lite: ColumnElement[Any], wanted: list[str]) -> ColumnElement[bool]:
    """SQLite, when the lists are too many to name: the multi-select's list (JSON text, as
    json_extract writes it: `["A","B"]`) holds one of `wanted`, tested on each index entry:
    `instr(list, '"A"')`.

    That text test is exact for a choice of plain ASCII without `"` or `\\` (Python's json and
    SQLite's json functions, the writers here, write it as it is: `"A"` has one spelling) that does
    not start with `,` or `]` (so it cannot span two items, `"x","y"`): each `"` in the list then
    opens or closes an item. Other choices are looked for with json_each, which reads the lead.
    """
    plain = [c for c in wanted if _plain_choice(c)]
    other = [c for c in wanted if not _plain_choice(c)]
    found = [func.instr(lite, _v(f'"{c}"')) > _v(0) for c in plain]
    if other:
        found.append(_sqlite_any_of(key, other))
    return and_(_lite_has_value(lite), or_(*found))


def _plain_choice(choice: str) -> bool:
    return (choice != "" and all(" " <= ch <= "~" and ch not in '"\\' for ch in choice)
            and choice[0] not in ",]")


def _escape_like(text: str) -> str:
    # `%` and `_` in what the user typed are literal (the clauses say ESCAPE '\')
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lite_expr(key: str, field_type: CustomFieldType) -> ColumnElement[Any]:
    expr = func.json_extract(Lead.custom_fields, literal_column(f"'$.\"{key}\"'"))
    return func.lower(expr) if field_type is CustomFieldType.TEXT else expr


def _pg_field_literal(key: str) -> ColumnElement[Any]:
    return Lead.custom_fields.op("->", return_type=JSONB)(literal_column(f"'{key}'"))


def _pg_text_literal(key: str) -> ColumnElement[Any]:
    return Lead.custom_fields.op("->>", return_type=String)(literal_column(f"'{key}'"))


def _pg_expr(key: str, field_type: CustomFieldType) -> ColumnElement[Any]:
    if field_type is CustomFieldType.TEXT:
        return func.lower(_pg_text_literal(key))
    if field_type is CustomFieldType.NUMBER:
        return case((func.jsonb_typeof(_pg_field_literal(key)) == literal_column("'number'"),
                     cast(_pg_text_literal(key), Numeric)), else_=None)
    return _pg_text_literal(key)
