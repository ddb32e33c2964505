"""Isolation-matrix and mass-assignment entries for duplicates ("not duplicates" marks too),
merging, properties of interest and bulk tagging (issue 4).

Merged into tests/security/test_isolation_matrix.py (SERVICES/API) and
tests/security/test_mass_assignment.py (GUARDED), like registry_tasks.py: the dicts are built on
first access from the matrix module importing them. Merges need a second lead on the side acted
on: each call creates one (unassigned, so every role of its team may see it); so do dismissals.
"""

from __future__ import annotations

import itertools
from typing import Any

from crm.db import transaction
from crm.enums import LeadSource
from crm.orm import Lead
from crm.schemas.common import Actor
from crm.schemas.duplicates import DismissDuplicates, DuplicateProbe, DuplicateQuery, MergeRequest
from crm.schemas.leads import LeadSelection
from crm.services import duplicate_dismissals, duplicates, lead_merge, lead_properties, tags
from crm.services.permissions import Action
from tests.security.registry_common import matrix_module as _matrix

_SEQ = itertools.count(1)
SHARED_PHONE = "+14155550142"


def fresh_lead(s: Any, *, phone: str | None = None) -> int:
    """Another unassigned lead of side `s`."""
    n = next(_SEQ)
    with transaction() as session:
        lead = Lead(team_id=s.team_id, created_by_id=s.owner.user_id, first_name=f"Twin {n}", last_name=f"T{n}",
                    email=f"twin{n}@{s.team_name.lower()}.example.com", phone=phone, source=LeadSource.WEBSITE)
        session.add(lead)
        session.flush()
        return lead.id


def _twins(w: Any) -> dict[str, set[int]]:
    """Two leads sharing a phone on each team: only the own pair may ever be shown."""
    return {side: {fresh_lead(s, phone=SHARED_PHONE), fresh_lead(s, phone=SHARED_PHONE)}
            for side, s in (("own", w.own), ("foreign", w.foreign))}


_CREATED: dict[str, dict[str, set[int]]] = {}


def _find(w: Any, a: Actor) -> Any:
    _CREATED["twins"] = _twins(w)
    return duplicates.find_duplicates(a, DuplicateQuery())


def _only_own_groups(_w: Any, _a: Actor, page: Any) -> None:
    shown = {lead.id for g in page.groups for lead in g.leads}
    assert _CREATED["twins"]["own"] <= shown and not shown & _CREATED["twins"]["foreign"]


def _matches(w: Any, a: Actor) -> Any:
    _CREATED["twins"] = _twins(w)
    return duplicates.find_matches(a, DuplicateProbe(first_name="Probe", phone=SHARED_PHONE))


def _only_own_matches(_w: Any, _a: Actor, matches: Any) -> None:
    assert {m.lead.id for m in matches} == _CREATED["twins"]["own"]


def _one_tag_added(_w: Any, _a: Actor, result: Any) -> None:
    assert result.added == 1


def _pair(s: Any) -> DismissDuplicates:
    """The side's lead and a fresh one: two leads every role of that team may see."""
    return DismissDuplicates(lead_ids=[s.lead_id, fresh_lead(s)])


def _one_pair(_w: Any, _a: Actor, result: Any) -> None:
    assert result.pairs == 1


def _dismissed(s: Any) -> DismissDuplicates:
    """A pair of the side already marked "not duplicates" (by its owner), to be restored."""
    pair = _pair(s)
    duplicate_dismissals.dismiss_duplicates(s.owner, pair)
    return pair


def _list_dismissals(w: Any, a: Actor) -> Any:
    _CREATED["dismissed"] = {side: set(_dismissed(s).lead_ids) for side, s in (("own", w.own), ("foreign", w.foreign))}
    return duplicate_dismissals.list_dismissals(a)


def _only_own_dismissals(_w: Any, _a: Actor, page: Any) -> None:
    shown = {lead.id for pair in page.items for lead in pair.leads}
    assert shown == _CREATED["dismissed"]["own"]



def _services() -> dict[str, Any]:
    m = _matrix()
    Svc, LIST_SCOPE, by_action, tag = m.Svc, m.LIST_SCOPE, m.by_action, m._tag  # noqa: N806
    return {
        "duplicates.find_duplicates": Svc(lambda w, a, s: _find(w, a), foreign=None, scope=LIST_SCOPE,
                                          check=_only_own_groups),
        "duplicates.find_matches": Svc(lambda w, a, s: _matches(w, a), foreign=None, scope=LIST_SCOPE,
                                       check=_only_own_matches),
        "duplicates.duplicates_of": Svc(lambda w, a, s: duplicates.duplicates_of(a, s.lead_id)),
        # Both leads are loaded through visible_leads(actor): a foreign id is 404 for every role.
        "duplicate_dismissals.dismiss_duplicates": Svc(
            lambda w, a, s: duplicate_dismissals.dismiss_duplicates(a, _pair(s)), check=_one_pair),
        "duplicate_dismissals.restore_duplicates": Svc(
            lambda w, a, s: duplicate_dismissals.restore_duplicates(a, _dismissed(s)), check=_one_pair),
        "duplicate_dismissals.list_dismissals": Svc(lambda w, a, s: _list_dismissals(w, a), foreign=None,
                                                    scope=LIST_SCOPE, allowed=m.MANAGERS_UP,
                                                    check=_only_own_dismissals),
        "lead_merge.merge_preview": Svc(lambda w, a, s: lead_merge.merge_preview(a, s.lead_id, fresh_lead(s))),
        "lead_merge.merge_leads": Svc(lambda w, a, s: lead_merge.merge_leads(
            a, MergeRequest(survivor_id=s.lead_id, merged_id=fresh_lead(s))), allowed=by_action(Action.DELETE_LEADS)),
        "lead_merge.merge_history": Svc(lambda w, a, s: lead_merge.merge_history(a, s.lead_id)),
        "lead_properties.list_interests": Svc(lambda w, a, s: lead_properties.list_interests(a, s.lead_id)),
        "tags.bulk_tag": Svc(lambda w, a, s: tags.bulk_tag(a, LeadSelection(ids=[s.lead_id]), [tag(s)]),
                             check=_one_tag_added),
    }


def _api() -> dict[str, Any]:
    m = _matrix()
    Api, by_action, tag = m.Api, m.by_action, m._tag  # noqa: N806
    return {
        "GET /api/leads/duplicates": Api(),
        "GET /api/leads/{lead_id}/duplicates": Api(resource_ids=True),
        "POST /api/leads/duplicates/dismiss": Api(resource_ids=True, body=lambda w, s, a: {
            "lead_ids": _pair(s).lead_ids}),
        "DELETE /api/leads/duplicates/dismiss": Api(resource_ids=True, params=lambda w, s: {
            "lead_id": _dismissed(s).lead_ids}),
        "GET /api/leads/duplicates/dismissed": Api(allowed=m.MANAGERS_UP),
        "GET /api/leads/{lead_id}/merges": Api(resource_ids=True),
        "GET /api/leads/{lead_id}/properties": Api(resource_ids=True),
        "GET /api/leads/merge/preview": Api(resource_ids=True, params=lambda w, s: {
            "survivor_id": s.lead_id, "merged_id": fresh_lead(s)}),
        "POST /api/leads/merge": Api(allowed=by_action(Action.DELETE_LEADS), resource_ids=True,
                                     body=lambda w, s, a: {"survivor_id": s.lead_id, "merged_id": fresh_lead(s)}),
        "POST /api/leads/bulk/tags": Api(resource_ids=True, body=lambda w, s, a: {
            "selection": {"ids": [s.lead_id]}, "add_tag_ids": [tag(s)]}),
    }


# For tests/security/test_mass_assignment.py: every id field of these inputs and its guard.
GUARDED_DUPLICATES = {
    "MergeRequest.survivor_id": "load_lead(actor, for_update): a lead you cannot see is 404; DELETE_LEADS first",
    "MergeRequest.merged_id": "load_lead(actor, for_update): a lead you cannot see is 404; DELETE_LEADS first",
}


def __getattr__(name: str) -> Any:
    if name == "SERVICES_DUPLICATES":
        return _services()
    if name == "API_DUPLICATES":
        return _api()
    raise AttributeError(name)
