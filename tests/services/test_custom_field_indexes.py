"""Custom-field indexes: made and dropped with their definition, and used by the leads list's filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, insert, text

from crm.db import get_sessions, transaction
from crm.enums import CustomFieldType, LeadSource, LeadStatus, TeamRole
from crm.orm import Lead
from crm.schemas.common import Actor
from crm.schemas.custom_fields import CustomFieldCreate
from crm.schemas.leads import CustomFieldFilter, LeadFilter
from crm.services import custom_field_filters, custom_fields, leads
from crm.services.custom_field_indexes import (
    ensure_custom_field_indexes,
    existing_indexes,
    index_ddl,
    index_name,
    statistics_name,
    trigram_index_name,
)
from tests.factories import make_lead, make_member, make_team

T = CustomFieldType


def _owner() -> Actor:
    return make_member(make_team(), TeamRole.OWNER)


def _define(actor: Actor, label: str, field_type: CustomFieldType, **extra: Any) -> custom_fields.FieldDefinition:
    return custom_fields.create_definition(actor, CustomFieldCreate(label=label, field_type=field_type, **extra))


def _indexes() -> set[str]:
    with transaction() as session:
        return existing_indexes(session)


def _statistics() -> set[str]:
    with transaction() as session:
        if session.get_bind().dialect.name != "postgresql":
            return set()
        return set(session.scalars(text("SELECT stxname FROM pg_statistic_ext")))


def _has_trigram_index(db: str, field_type: CustomFieldType) -> bool:
    return db.startswith("postgresql") and field_type is T.TEXT  # for `contains`


@pytest.mark.parametrize("field_type", list(T))
def test_the_index_comes_with_the_field_and_goes_with_it(db: str, field_type: CustomFieldType) -> None:
    owner = _owner()
    choices = ["Cash", "FHA"] if field_type in (T.SELECT, T.MULTI_SELECT) else []
    field = _define(owner, "Some field", field_type, choices=choices)
    name, trigram = index_name(owner.team_id, field.key), trigram_index_name(owner.team_id, field.key)
    assert name in _indexes()
    assert (trigram in _indexes()) is _has_trigram_index(db, field_type)
    # PostgreSQL: planner statistics on the expression (none are read from a partial index).
    stats = statistics_name(owner.team_id, field.key)
    assert (stats in _statistics()) is (db.startswith("postgresql") and field_type is not T.MULTI_SELECT)
    custom_fields.delete_definition(owner, field.id)
    assert not {name, trigram, stats} & (_indexes() | _statistics())


def test_ensure_recreates_missing_indexes_and_drops_orphans(db: str) -> None:
    owner, other = _owner(), _owner()
    budget = _define(owner, "Max budget", T.NUMBER)
    _define(other, "Max budget", T.NUMBER)
    mine, theirs = index_name(owner.team_id, budget.key), index_name(other.team_id, budget.key)
    orphan = index_name(owner.team_id, "gone")
    with transaction() as session:  # as on a database whose definitions predate the indexes
        session.execute(text(f'DROP INDEX "{mine}"'))
        session.execute(text(f'DROP INDEX "{theirs}"'))
        session.execute(text(index_ddl(session.get_bind().dialect.name, owner.team_id, "gone", T.TEXT) or ""))
    with transaction() as session:
        assert ensure_custom_field_indexes(session, team_id=owner.team_id) == [mine]
    assert mine in _indexes() and theirs not in _indexes() and orphan not in _indexes()
    with transaction() as session:
        assert ensure_custom_field_indexes(session) == [theirs]
        assert ensure_custom_field_indexes(session) == []  # idempotent
    assert {mine, theirs} <= _indexes()


def test_ensure_adds_the_indexes_that_came_later_to_existing_fields(db: str) -> None:
    # A text field's trigram index (PostgreSQL) and a multi-select's index (SQLite) were added after
    # fields had been defined: an upgrade builds just those, and keeps the ones already there.
    owner = _owner()
    _define(owner, "Notes", T.TEXT)
    _define(owner, "Areas", T.MULTI_SELECT, choices=["Downtown"])
    later = ({trigram_index_name(owner.team_id, "notes")} if db.startswith("postgresql")
             else {index_name(owner.team_id, "areas")})
    with transaction() as session:
        for name in later:
            session.execute(text(f'DROP INDEX "{name}"'))
    with transaction() as session:
        assert ensure_custom_field_indexes(session) == sorted(later)
    assert later | {index_name(owner.team_id, "notes"), index_name(owner.team_id, "areas")} <= _indexes()


def test_names_fit_postgresql_and_keys_are_never_spliced_unchecked() -> None:
    long_key = "k" * 64
    assert len(index_name(10**12, long_key)) <= 63
    assert index_name(10**12, long_key) != index_name(10**12, long_key[:-1] + "x")
    with pytest.raises(ValueError):
        index_ddl("sqlite", 1, "x'); DROP TABLE leads; --", T.TEXT)


@pytest.fixture
def statements(db: str) -> Iterator[list[tuple[str, Any]]]:
    """The SQL the product sends (statement, parameters) while the test runs."""
    seen: list[tuple[str, Any]] = []
    engine = _engine()

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    yield seen
    event.remove(engine, "before_cursor_execute", capture)


@pytest.fixture
def new_leads_table(db: str) -> None:
    """PostgreSQL: a leads table without the dead rows of earlier tests. Over their HOT chains a new
    index is marked `indcheckxmin` and not planned with while an older transaction anywhere on the
    server is open (another session's), so the plan would not show it yet."""
    if db.startswith("postgresql"):
        with transaction() as session:
            session.execute(text("TRUNCATE leads CASCADE"))  # the db fixture empties every table anyway


def _engine() -> Any:
    return get_sessions().kw["bind"]  # the services' engine


def _seed(owner: Actor, rows: int) -> None:
    """Many leads with spread-out values, written in one statement (the plan needs a real table)."""
    with transaction() as session:
        session.execute(insert(Lead), [{
            "team_id": owner.team_id, "first_name": f"L{n}", "last_name": "B", "email": f"l{n}@x.com",
            "source": LeadSource.WEBSITE, "status": LeadStatus.NEW, "score": n % 100,
            "custom_fields": {"max_budget": 1000 * n, "financing": ("Cash", "FHA", "VA")[n % 3],
                              "move_in_by": f"2027-{1 + n % 12:02d}-{1 + n % 28:02d}", "pre_approved": n % 2 == 0,
                              "lender_notes": f"note {n}", "areas": ["Downtown"] if n % 5 else ["Uptown"]},
        } for n in range(rows)])
        if session.get_bind().dialect.name == "postgresql":
            # Rows written after a GIN index was made wait in its pending list until (auto)vacuum
            # merges them; until then the planner prices the index high and, on 2,000 rows, skips it.
            session.execute(text("SELECT gin_clean_pending_list(c.oid) FROM pg_class c JOIN pg_am a ON a.oid = c.relam "
                                 "WHERE a.amname = 'gin' AND c.relname LIKE 'ix\\_lcf\\_%'"))
        session.execute(text("ANALYZE"))


@pytest.mark.parametrize(("key", "op", "value"), [
    ("max_budget", "eq", 12000),
    ("max_budget", "gte", 1_990_000),
    ("lender_notes", "eq", "NOTE 7"),
    ("lender_notes", "contains", "TE 123"),  # PostgreSQL: its trigram index; SQLite: read through
    ("move_in_by", "eq", "2027-03-03"),
    ("financing", "eq", "cash"),
    ("areas", "any_of", ["Uptown"]),  # PostgreSQL: its GIN; SQLite: read through
])
def test_the_list_query_uses_the_fields_index(db: str, new_leads_table: None, statements: list[tuple[str, Any]],
                                             key: str, op: str, value: Any) -> None:
    owner = _owner()
    _define(owner, "Max budget", T.NUMBER)
    _define(owner, "Lender notes", T.TEXT)
    _define(owner, "Move in by", T.DATE)
    _define(owner, "Financing", T.SELECT, choices=["Cash", "FHA", "VA"])
    _define(owner, "Areas", T.MULTI_SELECT, choices=["Downtown", "Uptown"])
    _seed(owner, 2000)
    statements.clear()
    page = leads.list_leads(owner, LeadFilter(custom=[CustomFieldFilter(key=key, op=op, value=value)]))  # type: ignore[arg-type]
    assert page.items  # and it finds what it should
    # The view is first counted (up to the list's cap) from the filter's own index; a view that
    # big is then paged along the sort's index, so the count is where the field's index must show.
    counting = [(s, p) for s, p in statements if "count(" in s.lower() and "leads" in s]
    assert counting, statements
    statement, parameters = counting[0]
    with _engine().connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        prefix = "EXPLAIN QUERY PLAN " if db.startswith("sqlite") else "EXPLAIN "
        if not db.startswith("sqlite"):
            cursor.execute("SET enable_seqscan = off")  # 2,000 rows: a count could read them all otherwise
        cursor.execute(prefix + statement, parameters)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    trigram = op == "contains" and not db.startswith("sqlite")
    assert (trigram_index_name if trigram else index_name)(owner.team_id, key) in plan, plan
    assert "'SCAN leads'" not in plan and "Seq Scan" not in plan  # never the whole table


def test_multi_select_any_of_gathers_a_small_view_from_its_index(db: str, new_leads_table: None,
                                                                 statements: list[tuple[str, Any]]) -> None:
    owner = _owner()
    _define(owner, "Areas", T.MULTI_SELECT, choices=["Downtown", "Uptown"])
    _seed(owner, 2000)
    statements.clear()
    page = leads.list_leads(owner, LeadFilter(custom=[CustomFieldFilter(key="areas", op="any_of", value=["uptown"])]))
    assert page.total == 400
    statement, parameters = next((s, p) for s, p in statements if "LIMIT" in s.upper() and "ORDER BY" in s.upper())
    with _engine().connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if db.startswith("sqlite"):
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        else:
            cursor.execute("SET enable_seqscan = off")  # 2,000 rows: the planner would read them all otherwise
            cursor.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert index_name(owner.team_id, "areas") in plan, plan


def test_the_indexed_filters_match_exactly_the_right_leads(db: str) -> None:
    owner = _owner()
    _define(owner, "Financing", T.SELECT, choices=["Cash", "FHA"])
    _define(owner, "Max budget", T.NUMBER)
    cash = make_lead(owner, custom_fields={"financing": "Cash", "max_budget": 10}).id
    fha = make_lead(owner, custom_fields={"financing": "FHA", "max_budget": 10.5}).id
    make_lead(owner)
    other = _owner()
    _define(other, "Financing", T.SELECT, choices=["Cash"])
    _define(other, "Max budget", T.TEXT)  # same key, another type, another team
    make_lead(other, custom_fields={"financing": "Cash", "max_budget": "lots"})

    def ids(*conditions: CustomFieldFilter) -> set[int]:
        return {i.id for i in leads.list_leads(owner, LeadFilter(custom=list(conditions))).items}

    assert ids(CustomFieldFilter(key="financing", op="eq", value="CASH")) == {cash}
    assert ids(CustomFieldFilter(key="financing", op="any_of", value=["fha", "Cash"])) == {cash, fha}
    assert ids(CustomFieldFilter(key="max_budget", op="gte", value=10.25)) == {fha}
    assert ids(CustomFieldFilter(key="max_budget", op="lte", value=10)) == {cash}
    assert ids(CustomFieldFilter(key="max_budget", op="is_set")) == {cash, fha}
    assert len(ids(CustomFieldFilter(key="max_budget", op="is_empty"))) == 1
    # Compared values are written into the SQL (see custom_field_filters._v): quoting must hold.
    _define(owner, "Notes", T.TEXT)
    tricky = make_lead(owner, custom_fields={"notes": "O'Brien \\ said \"no\"; --"}).id
    assert ids(CustomFieldFilter(key="notes", op="eq", value="o'brien \\ SAID \"no\"; --")) == {tricky}
    assert ids(CustomFieldFilter(key="notes", op="eq", value="x' OR '1'='1")) == set()


def test_contains_finds_the_text_anywhere_and_takes_wildcards_literally(db: str) -> None:
    owner = _owner()
    _define(owner, "Notes", T.TEXT)
    garden = make_lead(owner, custom_fields={"notes": "Wants a GARDEN flat"}).id
    percent = make_lead(owner, custom_fields={"notes": "100% financed_ by C:\\loans"}).id
    quoted = make_lead(owner, custom_fields={"notes": "O'Brien said \"no garden\""}).id
    make_lead(owner, custom_fields={"notes": "1000 financed"})  # what `%`/`_` as wildcards would find
    make_lead(owner)
    other = _owner()
    _define(other, "Notes", T.TEXT)
    make_lead(other, custom_fields={"notes": "garden"})  # same key, another team

    def ids(value: str) -> set[int]:
        return {i.id for i in leads.list_leads(owner, LeadFilter(custom=[
            CustomFieldFilter(key="notes", op="contains", value=value)])).items}

    assert ids("garden") == {garden, quoted}
    assert ids("Garden Fl") == {garden}
    assert ids("0%") == {percent} and ids("0_") == set() and ids("d_ ") == {percent}
    assert ids("c:\\lo") == {percent}  # a backslash is a character too, not an escape
    assert ids("o'brien said \"") == {quoted}
    assert ids("zebra") == set() and ids("ga") == {garden, quoted}  # shorter than a trigram


@pytest.mark.parametrize("sqlite_path", ["named lists", "read through", "no index"])
def test_multi_select_matches_whole_choices_whatever_they_contain(
        db: str, sqlite_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLite names the lists that hold a choice (parsed in Python), or, past STORED_LISTS lists or
    # without the index (a database not yet upgraded), looks for `"<choice>"` in each list's JSON
    # text when that is exact, else asks json_each. PostgreSQL: containment, whatever the path.
    choices = ["Down", "Downtown", 'The "Bay"', "Café", ",x", "a\\b", "Lake, north", "x"]
    owner = _owner()
    _define(owner, "Areas", T.MULTI_SELECT, choices=choices)
    if sqlite_path == "read through":
        monkeypatch.setattr(custom_field_filters, "STORED_LISTS", 0)
    elif sqlite_path == "no index" and db.startswith("sqlite"):
        with transaction() as session:
            session.execute(text(f'DROP INDEX "{index_name(owner.team_id, "areas")}"'))
    by_choice = {c: make_lead(owner, custom_fields={"areas": [c]}).id for c in choices}
    both = make_lead(owner, custom_fields={"areas": ["Downtown", "x"]}).id
    make_lead(owner)
    other = _owner()
    _define(other, "Areas", T.MULTI_SELECT, choices=choices)
    make_lead(other, custom_fields={"areas": choices})  # same key, another team

    def ids(*wanted: str) -> set[int]:
        return {i.id for i in leads.list_leads(owner, LeadFilter(custom=[
            CustomFieldFilter(key="areas", op="any_of", value=list(wanted))])).items}

    for choice in choices:
        expected = {by_choice[choice]} | ({both} if choice in ("Downtown", "x") else set())
        assert ids(choice) == expected, choice
    assert ids("down") == {by_choice["Down"]}  # a whole choice (any case), not a part of one
    assert ids("Bay", "north", "b") == set()
    assert ids("café", 'the "bay"') == {by_choice["Café"], by_choice['The "Bay"']}
    assert ids("Lake, north", "x") == {by_choice["Lake, north"], by_choice["x"], both}
