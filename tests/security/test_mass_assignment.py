"""No mass assignment: inputs cannot carry team ids, roles, owners or flags the caller may not set.

Three layers: every input DTO refuses unknown fields; every field of an input DTO that names
an id or a privilege is listed here with the service check that guards it; every JSON body
of the API refuses extra fields (422), proven by smuggling such fields into real requests.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

import crm.schemas
from crm.schemas.common import InputModel
from crm.schemas.leads import LeadCreate, LeadUpdate
from crm.schemas.teams import InviteInput, TeamCreate, TeamUpdate
from crm.services import auth
from tests.security.test_isolation_matrix import API, _url
from tests.security.world import World, build_world

# Field names that could move data across teams or grant a privilege if taken at face value.
PRIVILEGED = {"team_id", "owner_id", "user_id", "role", "system_role", "team_role", "is_active", "email_verified",
              "two_factor_enabled", "created_by_id", "invited_by_id", "subscription_tier", "slug", "password_hash",
              "id", "is_admin", "permissions"}

# Every input field that is privileged (or ends in `_id`), with what guards it.
GUARDED = {
    "LeadCreate.assigned_to_id": "needs ASSIGN_LEADS unless it is yourself; must be a member of your team (404)",
    "LeadFilter.assigned_to_id": "a read filter inside visible_leads(actor): cannot widen the rows",
    "AuditFilter.user_id": "a read filter inside the actor's audit scope",
    "UserFilter.active": "a read filter (system admins only)",
    "InviteInput.role": "only an OWNER may invite an ADMIN or OWNER (teams._require_may_grant)",
    "RoleChange.role": "CHANGE_ROLES; only an OWNER may touch or grant ADMIN/OWNER; last owner kept",
    "TransferInput.user_id": "TRANSFER_OWNERSHIP (OWNER); must be a member of the actor's team (404)",
    "LeadAssign.user_id": "assign_lead: ASSIGN_LEADS unless claiming/releasing for yourself; team member (404)",
    "BulkAssign.user_id": "bulk_assign: ASSIGN_LEADS; must be a member of the actor's team (404)",
    "ActivityFilter.lead_id": "a read filter: the lead is loaded through visible_leads(actor) (404)",
    "ActivityCreate.lead_id": "log_activity loads the lead through visible_leads(actor) (404)",
}
from tests.security.registry_tasks import GUARDED_TASKS  # noqa: E402,I001
GUARDED.update(GUARDED_TASKS)
from tests.security.registry_duplicates import GUARDED_DUPLICATES  # noqa: E402,I001
GUARDED.update(GUARDED_DUPLICATES)
from tests.security.registry_saved_views import GUARDED_SAVED_VIEWS  # noqa: E402,I001
GUARDED.update(GUARDED_SAVED_VIEWS)
from tests.security.registry_lead_import import GUARDED_LEAD_IMPORT  # noqa: E402,I001
GUARDED.update(GUARDED_LEAD_IMPORT)


def _schema_modules() -> None:
    for module in pkgutil.iter_modules(crm.schemas.__path__):
        importlib.import_module(f"crm.schemas.{module.name}")


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def input_models() -> list[type[BaseModel]]:
    _schema_modules()
    return sorted(set(_subclasses(InputModel)), key=lambda c: c.__name__)


def test_every_input_model_refuses_unknown_fields() -> None:
    models = input_models()
    assert {"LeadCreate", "InviteInput", "RoleChange"} <= {m.__name__ for m in models}
    assert [m.__name__ for m in models if m.model_config.get("extra") != "forbid"] == []


def test_input_shaped_models_are_input_models() -> None:
    """A DTO named like an input (…Input/Create/Update/Filter/Change) must inherit InputModel."""
    _schema_modules()
    suffixes = ("Input", "Create", "Update", "Filter", "Change")
    offenders = sorted(
        f"{m.__module__}.{m.__name__}" for m in _subclasses(BaseModel)
        if m.__module__.startswith("crm.schemas.") and m.__name__.endswith(suffixes) and not issubclass(m, InputModel)
    )
    assert offenders == []


def test_privileged_input_fields_are_each_guarded() -> None:
    found = {f"{m.__name__}.{name}" for m in input_models() for name in m.model_fields
             if name in PRIVILEGED or name.endswith("_id") or name in {"active"}}
    unguarded = sorted(found - set(GUARDED))
    assert not unguarded, f"say in GUARDED which service check makes these safe: {unguarded}"
    assert not sorted(set(GUARDED) - found), "stale GUARDED entries"


@pytest.mark.parametrize("model, valid", [
    (LeadCreate, {"first_name": "Ann", "phone": "+14155550100"}),
    (LeadUpdate, {"city": "Austin"}),
    (TeamCreate, {"name": "Team"}),
    (TeamUpdate, {"name": "Team"}),
    (InviteInput, {"email": "a@example.com"}),
])
@pytest.mark.parametrize("smuggled", ["team_id", "owner_id", "created_by_id", "is_active", "system_role", "id"])
def test_dtos_refuse_smuggled_fields(model: type[BaseModel], valid: dict[str, Any], smuggled: str) -> None:
    model(**valid)
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model(**valid, **{smuggled: 1})


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    from crm.api.main import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


def test_every_json_body_of_the_api_refuses_extra_fields(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    open_bodies = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            ref = content["application/json"]["schema"].get("$ref", "")
            schema = schemas.get(ref.rsplit("/", 1)[-1], {})
            if schema.get("additionalProperties") is not False:
                open_bodies.append(f"{method.upper()} {path}")
    assert open_bodies == []


BODY_ROUTES = sorted(k for k, v in API.items() if v.body is not None and not v.public)
SMUGGLED = {"team_id": "foreign_team", "owner_id": "foreign_owner", "is_active": False, "system_role": "ADMIN",
            "created_by_id": "foreign_owner"}


@pytest.mark.parametrize("key", BODY_ROUTES)
def test_api_refuses_smuggled_ids_and_flags(client: TestClient, key: str) -> None:
    w: World = build_world()
    actor = w.actors["OWNER"]
    token = auth.issue_tokens(actor).access_token
    method, template = key.split(" ", 1)
    path = _url(template, w, w.own, w.own)
    entry = API[key]
    for name, value in SMUGGLED.items():
        value = {"foreign_team": w.foreign.team_id, "foreign_owner": w.foreign.owner.user_id}.get(value, value)
        body = {**entry.body(w, w.own, actor), name: value}
        resp = client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 422, f"{key} accepted {name}: {resp.status_code} {resp.text}"
        assert resp.json()["error"]["field"] == name
