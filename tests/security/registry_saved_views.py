"""Isolation-matrix entries for the saved-view ("smart list") use cases and routes.

Merged into tests/security/test_isolation_matrix.py (SERVICES/API), built on first access like
registry_tasks. The world has no views: each call makes the one it acts on — a view its side's
OWNER shared with the team, so every role of the own team can see it, only its owner and members
who may MANAGE_TEAM may change it, and on the foreign side it answers NotFound. Routes use the
`{view_id}` placeholder, filled through the matrix's PATH_IDS by `view_path_id(side)`.
"""

from __future__ import annotations

import itertools
from typing import Any

from crm.db import transaction
from crm.orm import SavedView
from crm.schemas.common import Actor
from crm.schemas.leads import LeadFilter
from crm.schemas.saved_views import SavedViewCreate, SavedViewUpdate
from crm.services import saved_views
from crm.services.permissions import Action
from tests.security.registry_common import matrix_module as _matrix

_SEQ = itertools.count(1)
_CREATED: dict[str, int] = {}  # "own"/"foreign" -> view ids made for the list check


def shared_view(side: Any) -> int:
    """A fresh view of `side`'s OWNER, shared with that team."""
    with transaction() as session:
        view = SavedView(team_id=side.team_id, owner_id=side.owner.user_id, name=f"Matrix view {next(_SEQ)}",
                         filters={"statuses": ["NEW"]}, sort="newest", shared=True)
        session.add(view)
        session.flush()
        return view.id


def view_path_id(side: Any) -> int:
    """For the matrix's PATH_IDS["view_id"]."""
    return shared_view(side)


def _list(w: Any, a: Actor) -> Any:
    _CREATED["own"] = shared_view(w.own)
    _CREATED["foreign"] = shared_view(w.foreign)
    return saved_views.list_views(a)


def _no_foreign_views(_w: Any, _a: Actor, rows: Any) -> None:
    ids = {v.id for v in rows}
    assert _CREATED["own"] in ids and _CREATED["foreign"] not in ids


def _only_visible_leads(w: Any, _a: Actor, page: Any) -> None:
    ids = {lead.id for lead in page.items}
    assert w.own.lead_id in ids and w.foreign.lead_id not in ids



def _services() -> dict[str, Any]:
    m = _matrix()
    Svc, LIST_SCOPE, TEAM_SCOPE = m.Svc, m.LIST_SCOPE, m.TEAM_SCOPE  # noqa: N806
    editors = m.by_action(Action.MANAGE_TEAM)  # OWNER (the view's owner here) and ADMIN
    return {
        "saved_views.list_views": Svc(lambda w, a, s: _list(w, a), foreign=None, scope=LIST_SCOPE,
                                      check=_no_foreign_views),
        "saved_views.get_view": Svc(lambda w, a, s: saved_views.get_view(a, shared_view(s))),
        "saved_views.create_view": Svc(lambda w, a, s: saved_views.create_view(a, SavedViewCreate(
            name="Mine", filters=LeadFilter(assigned_to_id=s.target.user_id))), foreign=None, scope=TEAM_SCOPE),
        # The view is loaded first (a teammate's private or a foreign view is 404 for everyone).
        "saved_views.update_view": Svc(lambda w, a, s: saved_views.update_view(
            a, shared_view(s), SavedViewUpdate(name="Renamed")), allowed=editors, permission_first=False),
        "saved_views.delete_view": Svc(lambda w, a, s: saved_views.delete_view(a, shared_view(s)),
                                       allowed=editors, permission_first=False),
        "saved_views.list_view_leads": Svc(lambda w, a, s: saved_views.list_view_leads(a, shared_view(s)),
                                           check=_only_visible_leads),
    }


def _api() -> dict[str, Any]:
    m = _matrix()
    Api = m.Api  # noqa: N806
    editors = m.by_action(Action.MANAGE_TEAM)
    return {
        "GET /api/saved-views": Api(),
        "POST /api/saved-views": Api(ok=201, body=lambda w, s, a: {"name": "Api view", "shared": True,
                                                                    "filters": {"statuses": ["NEW"]}}),
        "GET /api/saved-views/{view_id}": Api(resource_ids=True),
        "PUT /api/saved-views/{view_id}": Api(allowed=editors, resource_ids=True, permission_first=False,
                                              body=lambda w, s, a: {"name": "Renamed", "shared": False}),
        "DELETE /api/saved-views/{view_id}": Api(ok=204, allowed=editors, resource_ids=True, permission_first=False),
        "GET /api/saved-views/{view_id}/leads": Api(resource_ids=True),
    }


# For tests/security/test_mass_assignment.py: the saved-view inputs carry no id or privilege of their own;
# `owner_id`/`team_id` come from the actor and are refused as unknown fields. Their nested LeadFilter is
# guarded by LeadFilter.assigned_to_id's entry (a read filter inside visible_leads(actor)).
GUARDED_SAVED_VIEWS: dict[str, str] = {}


def __getattr__(name: str) -> Any:
    if name == "SERVICES_SAVED_VIEWS":
        return _services()
    if name == "API_SAVED_VIEWS":
        return _api()
    raise AttributeError(name)
