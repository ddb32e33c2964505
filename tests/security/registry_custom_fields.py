"""Isolation-matrix entries for the custom lead field use cases and routes.

Merged into tests/security/test_isolation_matrix.py (SERVICES/API), built on first access like
registry_tasks. The world has no custom fields: each call makes the one it acts on, directly in
the side's team. Routes use the `{field_id}` placeholder, filled through the matrix's PATH_IDS
by `field_path_id(side)`. Definitions are managed with MANAGE_TEAM (owners and admins); every
member reads them (forms and filters need them).
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from crm.db import transaction
from crm.enums import CustomFieldType
from crm.orm import CustomFieldDefinition
from crm.schemas.common import Actor
from crm.schemas.custom_fields import CustomFieldCreate, CustomFieldOrder, CustomFieldUpdate
from crm.services import custom_fields
from crm.services.permissions import Action
from tests.security.registry_common import matrix_module as _matrix

_SEQ = itertools.count(1)
_CREATED: dict[str, int] = {}  # "own"/"foreign" -> field ids made for the list check


def field_path_id(side: Any) -> int:
    """A fresh select field of `side`'s team (for PATH_IDS["field_id"])."""
    n = next(_SEQ)
    with transaction() as session:
        row = CustomFieldDefinition(team_id=side.team_id, key=f"matrix_{n}", label=f"Matrix {n}",
                                    field_type=CustomFieldType.SELECT.value, choices=["A", "B"], position=n)
        session.add(row)
        session.flush()
        return row.id


def _all_ids(side: Any) -> list[int]:
    """Every field id of the side's team after adding one: a complete order for that team."""
    field_path_id(side)
    with transaction() as session:
        return list(session.scalars(select(CustomFieldDefinition.id)
                                    .where(CustomFieldDefinition.team_id == side.team_id)))


def _list(w: Any, a: Actor) -> Any:
    _CREATED["own"] = field_path_id(w.own)
    _CREATED["foreign"] = field_path_id(w.foreign)
    return custom_fields.list_definitions(a)


def _no_foreign_fields(_w: Any, _a: Actor, rows: Any) -> None:
    ids = {d.id for d in rows}
    assert _CREATED["own"] in ids and _CREATED["foreign"] not in ids



def _services() -> dict[str, Any]:
    m = _matrix()
    Svc, LIST_SCOPE, TEAM_SCOPE = m.Svc, m.LIST_SCOPE, m.TEAM_SCOPE  # noqa: N806
    manage = m.by_action(Action.MANAGE_TEAM)
    return {
        "custom_fields.list_definitions": Svc(lambda w, a, s: _list(w, a), foreign=None, scope=LIST_SCOPE,
                                              check=_no_foreign_fields),
        "custom_fields.create_definition": Svc(lambda w, a, s: custom_fields.create_definition(
            a, CustomFieldCreate(label=f"Matrix field {next(_SEQ)}", field_type=CustomFieldType.NUMBER)),
            foreign=None, scope=TEAM_SCOPE, allowed=manage),
        "custom_fields.update_definition": Svc(lambda w, a, s: custom_fields.update_definition(
            a, field_path_id(s), CustomFieldUpdate(label="Renamed", choices=["A", "B", "C"])), allowed=manage),
        "custom_fields.delete_definition": Svc(lambda w, a, s: custom_fields.delete_definition(
            a, field_path_id(s)), allowed=manage),
        # Ids of another team's fields are "not found"; the role check comes first.
        "custom_fields.reorder_definitions": Svc(lambda w, a, s: custom_fields.reorder_definitions(
            a, CustomFieldOrder(ids=_all_ids(s))), allowed=manage),
    }


def _api() -> dict[str, Any]:
    m = _matrix()
    Api = m.Api  # noqa: N806
    manage = m.by_action(Action.MANAGE_TEAM)
    return {
        "GET /api/settings/custom-fields": Api(),
        "POST /api/settings/custom-fields": Api(ok=201, allowed=manage, body=lambda w, s, a: {
            "label": f"Api field {next(_SEQ)}", "field_type": "MULTI_SELECT", "choices": ["North", "South"]}),
        "PUT /api/settings/custom-fields/order": Api(allowed=manage, resource_ids=True,
                                                     body=lambda w, s, a: {"ids": _all_ids(s)}),
        "PUT /api/settings/custom-fields/{field_id}": Api(allowed=manage, resource_ids=True,
                                                          body=lambda w, s, a: {"label": "Renamed", "required": True}),
        "DELETE /api/settings/custom-fields/{field_id}": Api(ok=204, allowed=manage, resource_ids=True),
    }


# No GUARDED entries: the input models of this area carry no privileged or *_id field
# (CustomFieldOrder.ids are checked against the actor's team: another team's id is 404).


def __getattr__(name: str) -> Any:
    if name == "SERVICES_CUSTOM_FIELDS":
        return _services()
    if name == "API_CUSTOM_FIELDS":
        return _api()
    raise AttributeError(name)
