"""Isolation-matrix and mass-assignment entries for the lead import use cases and routes.

Merged into tests/security/test_isolation_matrix.py (SERVICES/API) and
tests/security/test_mass_assignment.py (GUARDED), built on first access like registry_tasks.
Imports need IMPORT_EXPORT (managers and above). The world has no imports: each call makes a
PENDING one in the side's team as that team's owner; routes use the `{import_id}` placeholder,
filled through the matrix's PATH_IDS by `import_path_id(side)`.
"""

from __future__ import annotations

import io
from typing import Any

from crm.schemas.common import Actor
from crm.schemas.lead_import import ImportOptions
from crm.services import lead_import
from crm.services.permissions import Action
from tests.security.registry_common import matrix_module as _matrix

CSV = b"First Name,Email\nMatrix,matrix.import@example.com\n"
_CREATED: dict[str, int] = {}


def import_for(side: Any) -> int:
    """A fresh PENDING import of `side`'s team (also PATH_IDS["import_id"])."""
    return lead_import.create_import(side.owner, io.BytesIO(CSV), "matrix.csv").id


def _list(w: Any, a: Actor) -> Any:
    _CREATED["own"], _CREATED["foreign"] = import_for(w.own), import_for(w.foreign)
    return lead_import.list_imports(a)


def _no_foreign_imports(_w: Any, _a: Actor, jobs: Any) -> None:
    ids = {j.id for j in jobs}
    assert _CREATED["own"] in ids and _CREATED["foreign"] not in ids



def _services() -> dict[str, Any]:
    m = _matrix()
    Svc, LIST_SCOPE, TEAM_SCOPE, by_action = m.Svc, m.LIST_SCOPE, m.TEAM_SCOPE, m.by_action  # noqa: N806
    allowed = by_action(Action.IMPORT_EXPORT)
    return {
        # The assignee option carries a user id: another team's member is 404.
        "lead_import.create_import": Svc(lambda w, a, s: lead_import.create_import(
            a, io.BytesIO(CSV), "m.csv", None, ImportOptions(assigned_to_id=s.target.user_id)), allowed=allowed),
        "lead_import.preview": Svc(lambda w, a, s: lead_import.preview(a, import_id=import_for(s)), allowed=allowed),
        "lead_import.run_import": Svc(lambda w, a, s: lead_import.run_import(a, import_for(s)), allowed=allowed),
        "lead_import.resume_import": Svc(lambda w, a, s: lead_import.resume_import(a, import_for(s)),
                                         allowed=allowed),
        "lead_import.cancel_import": Svc(lambda w, a, s: lead_import.cancel_import(a, import_for(s)),
                                         allowed=allowed),
        "lead_import.get_import": Svc(lambda w, a, s: lead_import.get_import(a, import_for(s)), allowed=allowed),
        "lead_import.report_lines": Svc(lambda w, a, s: lead_import.report_lines(a, import_for(s)), allowed=allowed),
        "lead_import.report_csv": Svc(lambda w, a, s: list(lead_import.report_csv(a, import_for(s))),
                                      allowed=allowed),
        "lead_import.list_imports": Svc(lambda w, a, s: _list(w, a), foreign=None, scope=LIST_SCOPE,
                                        allowed=allowed, check=_no_foreign_imports),
        "lead_import.import_targets": Svc(lambda w, a, s: lead_import.import_targets(a), foreign=None,
                                          scope=TEAM_SCOPE, allowed=allowed),
    }


def _api() -> dict[str, Any]:
    m = _matrix()
    Api, by_action = m.Api, m.by_action  # noqa: N806
    allowed = by_action(Action.IMPORT_EXPORT)
    upload = lambda: {"file": ("matrix.csv", CSV, "text/csv")}  # noqa: E731
    return {
        "POST /api/leads/import": Api(ok=202, allowed=allowed, files=upload),
        "POST /api/leads/import/preview": Api(allowed=allowed, files=upload),
        "GET /api/leads/imports": Api(allowed=allowed),
        "GET /api/leads/imports/{import_id}": Api(allowed=allowed, resource_ids=True),
        "POST /api/leads/imports/{import_id}/resume": Api(ok=202, allowed=allowed, resource_ids=True),
        "POST /api/leads/imports/{import_id}/cancel": Api(allowed=allowed, resource_ids=True),
        "GET /api/leads/imports/{import_id}/rows": Api(allowed=allowed, resource_ids=True),
        "GET /api/leads/imports/{import_id}/report": Api(allowed=allowed, resource_ids=True),
    }


# For tests/security/test_mass_assignment.py: every id field of the import inputs and its guard.
GUARDED_LEAD_IMPORT = {
    "ImportOptions.assigned_to_id": "needs ASSIGN_LEADS unless it is yourself; must be a member of your team (404)",
}


def __getattr__(name: str) -> Any:
    if name == "SERVICES_LEAD_IMPORT":
        return _services()
    if name == "API_LEAD_IMPORT":
        return _api()
    raise AttributeError(name)
