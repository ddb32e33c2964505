"""The isolation matrix: every service use case and every API route × every role × own/foreign team.

Discovery finds every public function of `crm.services` whose first parameter is `actor`, and
every route of `create_app()`; each must have an entry below (or a written exemption), so a
new function or route without one fails the build. For each role of team "own" (OWNER,
ADMIN, MANAGER, MEMBER, and a system ADMIN who is a plain MEMBER of the team):

- ids of the own team: the call succeeds when the role is allowed, else PermissionDenied/403;
- ids of the foreign team: NotFound/404 (PermissionDenied/403 first when the role may not do
  the action at all — the refusal then depends on the role only, never on the id);
- over the API also: no token → 401, and `X-Team-Id` of the foreign team → 404.

Who is allowed comes from the one permission table (`crm.services.permissions.PERMISSIONS`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

import crm.services
from crm.db import transaction
from crm.enums import ActivityType, LeadStatus, ProviderName, TeamRole
from crm.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from crm.orm import Activity, Note, Tag
from crm.schemas.activities import ActivityCreate, ActivityFilter
from crm.schemas.admin import AuditFilter, UserFilter
from crm.schemas.common import Actor
from crm.schemas.leads import LeadBulkChanges, LeadCreate, LeadFilter, LeadSelection, LeadUpdate, NoteCreate
from crm.schemas.profile import ProfileUpdate
from crm.schemas.secrets import ProviderKeyInput
from crm.schemas.tags import TagAssign, TagCreate, TagUpdate
from crm.schemas.teams import InviteInput, TeamCreate, TeamUpdate
from crm.services import (
    activities,
    admin,
    analytics,
    auth,
    dashboard,
    lead_export,
    leads,
    notes,
    profile,
    secrets,
    tags,
    teams,
    two_factor,
)
from crm.services.mailer import last_email_to
from crm.services.permissions import PERMISSIONS, Action
from tests.factories import PASSWORD
from tests.security.world import ROLES, SYSADMIN, Side, World, build_world

ALL = frozenset(ROLES)
NEW_PASSWORD = "Quartz-Harbor-Lantern-1987!"
API_KEY = "sk-test-matrix-0000WXYZ"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
_RECOVERY: dict[int, list[str]] = {}


@pytest.fixture(autouse=True)
def _isolated_files_and_state(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Avatars go to a temporary folder; per-test 2FA state starts empty."""
    from crm.config import get_settings

    monkeypatch.setenv("AVATAR_DIR", str(tmp_path / "avatars"))
    get_settings.cache_clear()
    _RECOVERY.clear()
    yield
    get_settings.cache_clear()


def by_action(action: Action) -> frozenset[str]:
    """The roles the permission table allows `action` (the system admin is a team MEMBER)."""
    roles = {r.value for r in TeamRole if action in PERMISSIONS[r]}
    if TeamRole.MEMBER.value in roles:
        roles.add(SYSADMIN)
    return frozenset(roles)


# ---------------------------------------------------------------------------------------------
# Service registry
# ---------------------------------------------------------------------------------------------

Call = Callable[[World, Actor, Side], Any]
Check = Callable[[World, Actor, Any], None]


@dataclass(frozen=True)
class Svc:
    """How to call one service use case with ids of a given side (own or foreign team)."""

    call: Call
    allowed: frozenset[str] = ALL
    # Expected error for the foreign team's ids; None: the function takes no team resource id
    # (then `scope` says what keeps it inside the actor's team or user).
    foreign: type[DomainError] | None = NotFound
    scope: str = ""
    permission_first: bool = True
    own_error: dict[str, type[DomainError]] = field(default_factory=dict)
    check: Check | None = None


def _ids(items: Iterable[Any], attr: str = "id") -> set[int]:
    return {getattr(i, attr) for i in items}


def _no_foreign_leads(w: World, _a: Actor, page: Any) -> None:
    assert w.foreign.lead_id not in _ids(page.items) and w.own.lead_id in _ids(page.items)


def _counts_only_visible_leads(_w: World, a: Actor, total: Any) -> None:
    # The list's own capped total never leaves the tiny matrix world: both count the same leads.
    assert total == leads.list_leads(a, LeadFilter()).total


def _no_foreign_users(w: World, _a: Actor, rows: Any) -> None:
    ids = _ids(rows, "user_id") if rows and hasattr(rows[0], "user_id") else _ids(rows)
    assert w.foreign.owner.user_id not in ids and w.own.owner.user_id in ids


def _only_own_team(w: World, _a: Actor, memberships: Any) -> None:
    assert w.own.team_id in _ids(memberships, "team_id") and w.foreign.team_id not in _ids(memberships, "team_id")


def _only_own_invitations(w: World, _a: Actor, rows: Any) -> None:
    assert _ids(rows) == {w.own.invitation_id}


def _audit_scope(w: World, a: Actor, page: Any) -> None:
    teams_seen = {e.team_id for e in page.items}
    if a.system_role.value == "ADMIN":
        assert w.foreign.team_id in teams_seen
    else:
        assert teams_seen == {w.own.team_id}


def _one_lead(_w: World, _a: Actor, overview: Any) -> None:
    assert overview.kpis.total_leads == 1  # the foreign team's lead is not counted


def _one_in_pipeline(_w: World, _a: Actor, summary: Any) -> None:
    assert sum(s.count for s in summary.stages) == 1


def _two_factor_on(a: Actor) -> list[str]:
    setup = two_factor.begin_setup(a)
    return two_factor.confirm_setup(a, pyotp.TOTP(setup.secret).now())


def _recovery_code(a: Actor) -> str:
    """Turn 2FA on once for `a` and hand out its recovery codes one by one."""
    if a.user_id not in _RECOVERY:
        _RECOVERY[a.user_id] = _two_factor_on(a)
    return _RECOVERY[a.user_id].pop()


def _pending_setup_code(a: Actor) -> str:
    return pyotp.TOTP(two_factor.begin_setup(a).secret).now()


def _fresh_invitation_token(inviter: Actor, email: str) -> str:
    teams.invite_member(inviter, InviteInput(email=email))
    with transaction() as session:
        mail = last_email_to(session, email)
        assert mail is not None
        match = re.search(r"token=([A-Za-z0-9_\-]+)", mail.body)
    assert match
    return match.group(1)


ASSIGN = by_action(Action.ASSIGN_LEADS)
OWNER_ADMIN = by_action(Action.INVITE_MEMBERS)
USER_SCOPE = "no team resource id: acts on the actor's own user only"
TEAM_SCOPE = "no resource id: acts on the actor's current team only (membership checked by auth.get_actor)"
LIST_SCOPE = "list: filtered to the actor's team; `check` proves no foreign row leaks"

# --- leads, tags, notes, activities (issue 4): resources the World does not hold, made per call ---
_RESOURCE_SEQ = iter(range(1, 10**9))
MANAGERS_UP = by_action(Action.VIEW_ALL_TEAM_DATA)  # OWNER, ADMIN, MANAGER


def _tag(s: Side) -> int:
    with transaction() as session:
        tag = Tag(team_id=s.team_id, name=f"{s.team_name} tag {next(_RESOURCE_SEQ)}")
        session.add(tag)
        session.flush()
        return tag.id


def _note(s: Side) -> int:
    """A note by the side's OWNER: other agents may not change it, managers may."""
    with transaction() as session:
        note = Note(team_id=s.team_id, lead_id=s.lead_id, author_id=s.owner.user_id, content="Owner's note")
        session.add(note)
        session.flush()
        return note.id


def _activity(s: Side) -> int:
    with transaction() as session:
        activity = Activity(team_id=s.team_id, lead_id=s.lead_id, user_id=s.owner.user_id,
                            type=ActivityType.CALL_MADE, title="Matrix call")
        session.add(activity)
        session.flush()
        return activity.id


def _only_own_tags(w: World, _a: Actor, rows: Any) -> None:
    assert rows and all(t.name.startswith(w.own.team_name) for t in rows)


def _only_own_activities(w: World, _a: Actor, page: Any) -> None:
    assert page.items and {i.lead_id for i in page.items} == {w.own.lead_id}


def _export_has_no_foreign_leads(w: World, _a: Actor, data: bytes) -> None:
    ids = {line.split(",", 1)[0] for line in data.decode("utf-8-sig").splitlines()[1:]}
    assert str(w.foreign.lead_id) not in ids and str(w.own.lead_id) in ids


def _one_touched(_w: World, _a: Actor, result: Any) -> None:
    assert result.count == 1


def _one_lead_ids(s: Side) -> LeadSelection:
    return LeadSelection(ids=[s.lead_id])


# Path placeholders beyond the World's own ids: each builds a fresh resource on the given side.
PATH_IDS: dict[str, Callable[[Side], int]] = {"tag_id": _tag, "note_id": _note, "activity_id": _activity}


SERVICES: dict[str, Svc] = {
    # leads
    "leads.list_leads": Svc(lambda w, a, s: leads.list_leads(a, LeadFilter()), foreign=None, scope=LIST_SCOPE,
                            check=_no_foreign_leads),
    "leads.count_leads": Svc(lambda w, a, s: leads.count_leads(a, LeadFilter()), foreign=None, scope=LIST_SCOPE,
                             check=_counts_only_visible_leads),
    "leads.get_lead": Svc(lambda w, a, s: leads.get_lead(a, s.lead_id)),
    "leads.create_lead": Svc(
        lambda w, a, s: leads.create_lead(a, LeadCreate(first_name="Matrix", phone="+14155550100",
                                                        assigned_to_id=s.target.user_id)),
        allowed=ASSIGN),
    "leads.update_lead": Svc(lambda w, a, s: leads.update_lead(a, s.lead_id, LeadUpdate(city="Austin"))),
    "leads.change_lead_status": Svc(lambda w, a, s: leads.change_lead_status(a, s.lead_id, LeadStatus.CONTACTED)),
    "leads.add_note": Svc(lambda w, a, s: leads.add_note(a, s.lead_id, NoteCreate(content="Called back"))),
    # The lead is loaded first (an agent may claim an unassigned lead): a foreign id is 404 for all.
    "leads.assign_lead": Svc(lambda w, a, s: leads.assign_lead(a, s.lead_id, s.target.user_id), allowed=ASSIGN,
                             permission_first=False),
    "leads.list_assignees": Svc(lambda w, a, s: leads.list_assignees(a), foreign=None, scope=LIST_SCOPE,
                                check=_no_foreign_users),
    "leads.delete_lead": Svc(lambda w, a, s: leads.delete_lead(a, s.lead_id), allowed=by_action(Action.DELETE_LEADS)),
    # Bulk by ids: every id must be visible, so a foreign id is NotFound (the role check comes first).
    "leads.bulk_update": Svc(lambda w, a, s: leads.bulk_update(a, _one_lead_ids(s),
                                                               LeadBulkChanges(status=LeadStatus.CONTACTED)),
                             check=_one_touched),
    "leads.bulk_assign": Svc(lambda w, a, s: leads.bulk_assign(a, _one_lead_ids(s), s.target.user_id),
                             allowed=ASSIGN, check=_one_touched),
    "lead_export.export_leads": Svc(lambda w, a, s: b"".join(lead_export.export_leads(a, LeadFilter())),
                                    foreign=None, scope=LIST_SCOPE, allowed=by_action(Action.IMPORT_EXPORT),
                                    check=_export_has_no_foreign_leads),
    "leads.bulk_delete": Svc(lambda w, a, s: leads.bulk_delete(a, _one_lead_ids(s)),
                             allowed=by_action(Action.BULK_DELETE), check=_one_touched),
    # tags
    "tags.list_tags": Svc(lambda w, a, s: (_tag(w.own), _tag(w.foreign), tags.list_tags(a))[-1], foreign=None,
                          scope=LIST_SCOPE, check=_only_own_tags),
    "tags.create_tag": Svc(lambda w, a, s: tags.create_tag(a, TagCreate(name="Hot", color="#FF0000")), foreign=None,
                           scope=TEAM_SCOPE),
    "tags.update_tag": Svc(lambda w, a, s: tags.update_tag(a, _tag(s), TagUpdate(color="#00FF00")),
                           allowed=MANAGERS_UP),
    "tags.delete_tag": Svc(lambda w, a, s: tags.delete_tag(a, _tag(s)), allowed=MANAGERS_UP),
    "tags.add_tags_to_lead": Svc(lambda w, a, s: tags.add_tags_to_lead(a, s.lead_id, TagAssign(tag_ids=[_tag(s)]))),
    "tags.remove_tag_from_lead": Svc(lambda w, a, s: tags.remove_tag_from_lead(a, s.lead_id, _tag(s))),
    # notes: the author or MANAGER+ may change one; the note is loaded first, so a foreign id is 404 for all
    "notes.list_notes": Svc(lambda w, a, s: notes.list_notes(a, s.lead_id)),
    "notes.update_note": Svc(lambda w, a, s: notes.update_note(a, _note(s), NoteCreate(content="Edited")),
                             allowed=MANAGERS_UP, permission_first=False),
    "notes.delete_note": Svc(lambda w, a, s: notes.delete_note(a, _note(s)), allowed=MANAGERS_UP,
                             permission_first=False),
    # activities
    "activities.list_activities": Svc(
        lambda w, a, s: (_activity(w.own), _activity(w.foreign), activities.list_activities(a, ActivityFilter()))[-1],
        foreign=None, scope=LIST_SCOPE, check=_only_own_activities),
    "activities.get_activity": Svc(lambda w, a, s: activities.get_activity(a, _activity(s))),
    "activities.log_activity": Svc(lambda w, a, s: activities.log_activity(
        a, ActivityCreate(lead_id=s.lead_id, type=ActivityType.CALL_MADE, title="Called"))),
    # dashboards and analytics
    "dashboard.get_overview": Svc(lambda w, a, s: dashboard.get_overview(a), foreign=None, scope=LIST_SCOPE,
                                  check=_one_lead),
    "dashboard.get_pipeline_summary": Svc(lambda w, a, s: dashboard.get_pipeline_summary(a), foreign=None,
                                          scope=LIST_SCOPE, check=_one_in_pipeline),
    "analytics.list_snapshots": Svc(lambda w, a, s: analytics.list_snapshots(a), foreign=None, scope=LIST_SCOPE),
    # bring-your-own keys (per user)
    "secrets.set_user_key": Svc(lambda w, a, s: secrets.set_user_key(
        a, ProviderKeyInput(provider=ProviderName.OPENAI, key=API_KEY)), foreign=None, scope=USER_SCOPE),
    "secrets.list_user_keys": Svc(lambda w, a, s: secrets.list_user_keys(a), foreign=None, scope=USER_SCOPE),
    "secrets.delete_user_key": Svc(lambda w, a, s: secrets.delete_user_key(a, ProviderName.OPENAI), foreign=None,
                                   scope=USER_SCOPE),
    "secrets.reveal_user_key": Svc(lambda w, a, s: secrets.reveal_user_key(a, ProviderName.OPENAI), foreign=None,
                                   scope=USER_SCOPE),
    # the signed-in user
    "auth.current_user": Svc(lambda w, a, s: auth.current_user(a), foreign=None, scope=USER_SCOPE,
                             check=lambda w, a, r: _only_own_team(w, a, r.memberships)),
    "auth.issue_tokens": Svc(lambda w, a, s: auth.issue_tokens(a), foreign=None, scope=USER_SCOPE),
    "auth.logout": Svc(lambda w, a, s: auth.logout(a), foreign=None, scope=USER_SCOPE),
    "auth.resend_verification": Svc(lambda w, a, s: auth.resend_verification(a), foreign=None, scope=USER_SCOPE),
    "auth.change_password": Svc(lambda w, a, s: auth.change_password(a, PASSWORD, NEW_PASSWORD), foreign=None,
                                scope=USER_SCOPE),
    "two_factor.begin_setup": Svc(lambda w, a, s: two_factor.begin_setup(a), foreign=None, scope=USER_SCOPE),
    "two_factor.confirm_setup": Svc(lambda w, a, s: _two_factor_on(a), foreign=None, scope=USER_SCOPE),
    "two_factor.disable": Svc(lambda w, a, s: two_factor.disable(a, PASSWORD, _two_factor_on(a)[0]), foreign=None,
                              scope=USER_SCOPE),
    "two_factor.recovery_codes_left": Svc(lambda w, a, s: two_factor.recovery_codes_left(a), foreign=None,
                                          scope=USER_SCOPE),
    # Owners, team admins and system admins without 2FA are refused; the others may pass.
    "two_factor.require_for_sensitive": Svc(lambda w, a, s: two_factor.require_for_sensitive(a), foreign=None,
                                            scope=USER_SCOPE, allowed=ALL - OWNER_ADMIN - {SYSADMIN}),
    "profile.get_profile": Svc(lambda w, a, s: profile.get_profile(a), foreign=None, scope=USER_SCOPE),
    "profile.update_profile": Svc(lambda w, a, s: profile.update_profile(
        a, ProfileUpdate(name="Renamed", timezone="Europe/Paris", language="fr")), foreign=None, scope=USER_SCOPE),
    "profile.set_avatar": Svc(lambda w, a, s: profile.set_avatar(a, "me.png", PNG), foreign=None, scope=USER_SCOPE),
    "profile.remove_avatar": Svc(lambda w, a, s: profile.remove_avatar(a), foreign=None, scope=USER_SCOPE),
    # teams
    "teams.create_team": Svc(lambda w, a, s: teams.create_team(a, TeamCreate(name="Brand New Team")), foreign=None,
                             scope="creates a new team owned by the actor"),
    "teams.list_my_teams": Svc(lambda w, a, s: teams.list_my_teams(a), foreign=None, scope=LIST_SCOPE,
                               check=_only_own_team),
    "teams.get_team": Svc(lambda w, a, s: teams.get_team(a), foreign=None, scope=TEAM_SCOPE,
                          allowed=by_action(Action.VIEW_MEMBERS)),
    "teams.update_team": Svc(lambda w, a, s: teams.update_team(a, TeamUpdate(name="Renamed")), foreign=None,
                             scope=TEAM_SCOPE, allowed=by_action(Action.MANAGE_TEAM)),
    # The typed name is compared with the actor's own team: a foreign team's name is refused.
    "teams.delete_team": Svc(lambda w, a, s: teams.delete_team(a, s.team_name), foreign=ValidationFailed,
                             allowed=by_action(Action.DELETE_TEAM)),
    "teams.list_members": Svc(lambda w, a, s: teams.list_members(a), foreign=None, scope=LIST_SCOPE,
                              allowed=by_action(Action.VIEW_MEMBERS), check=_no_foreign_users),
    "teams.invite_member": Svc(lambda w, a, s: teams.invite_member(a, InviteInput(email="new.agent@example.com")),
                               foreign=None, scope=TEAM_SCOPE, allowed=OWNER_ADMIN),
    "teams.list_invitations": Svc(lambda w, a, s: teams.list_invitations(a), foreign=None, scope=LIST_SCOPE,
                                  allowed=OWNER_ADMIN, check=_only_own_invitations),
    "teams.revoke_invitation": Svc(lambda w, a, s: teams.revoke_invitation(a, s.invitation_id), allowed=OWNER_ADMIN),
    "teams.remove_member": Svc(lambda w, a, s: teams.remove_member(a, s.target.user_id),
                               allowed=by_action(Action.REMOVE_MEMBERS)),
    "teams.change_role": Svc(lambda w, a, s: teams.change_role(a, s.target.user_id, TeamRole.MANAGER),
                             allowed=by_action(Action.CHANGE_ROLES)),
    "teams.transfer_ownership": Svc(lambda w, a, s: teams.transfer_ownership(a, s.target.user_id),
                                    allowed=by_action(Action.TRANSFER_OWNERSHIP)),
    "teams.leave_team": Svc(lambda w, a, s: teams.leave_team(a), foreign=None, scope=TEAM_SCOPE,
                            own_error={TeamRole.OWNER.value: Conflict}),  # the only owner
    # administration: users are global, so only the system role ADMIN manages them
    "admin.list_users": Svc(lambda w, a, s: admin.list_users(a, UserFilter()), foreign=None, allowed=frozenset({SYSADMIN}),
                            scope="users are global: system admins only"),
    "admin.get_user": Svc(lambda w, a, s: admin.get_user(a, s.target.user_id), foreign=None,
                          allowed=frozenset({SYSADMIN}), scope="users are global: system admins only"),
    "admin.set_user_active": Svc(lambda w, a, s: admin.set_user_active(a, s.target.user_id, False), foreign=None,
                                 allowed=frozenset({SYSADMIN}), scope="users are global: system admins only"),
    "admin.list_audit_logs": Svc(lambda w, a, s: admin.list_audit_logs(a, AuditFilter()), foreign=None,
                                 scope=LIST_SCOPE, allowed=by_action(Action.VIEW_AUDIT_LOG) | {SYSADMIN},
                                 check=_audit_scope),
}
from tests.security.registry_tasks import SERVICES_TASKS, task_path_id  # noqa: E402,I001
SERVICES.update(SERVICES_TASKS)
from tests.security.registry_duplicates import SERVICES_DUPLICATES  # noqa: E402,I001
SERVICES.update(SERVICES_DUPLICATES)
PATH_IDS["task_id"] = task_path_id
from tests.security.registry_custom_fields import SERVICES_CUSTOM_FIELDS, field_path_id  # noqa: E402,I001
SERVICES.update(SERVICES_CUSTOM_FIELDS)
PATH_IDS["field_id"] = field_path_id
from tests.security.registry_saved_views import SERVICES_SAVED_VIEWS, view_path_id  # noqa: E402,I001
SERVICES.update(SERVICES_SAVED_VIEWS)
PATH_IDS["view_id"] = view_path_id
from tests.security.registry_lead_import import SERVICES_LEAD_IMPORT, import_for  # noqa: E402,I001
SERVICES.update(SERVICES_LEAD_IMPORT)
PATH_IDS["import_id"] = import_for

# Public actor-first functions that are authorization helpers, not use cases.
SERVICE_HELPERS = {
    "access.require_role": "raises PermissionDenied for a role; used inside use cases",
    "access.visible_leads": "builds the WHERE clause of visible leads; used inside use cases",
    "permissions.can": "reads the permission table",
    "permissions.require": "raises PermissionDenied from the permission table",
}


def discover_actor_functions(modules: Iterable[types.ModuleType]) -> set[str]:
    """`module.function` for every public function defined in `modules` whose first parameter is `actor`."""
    found = set()
    for module in modules:
        short = module.__name__.rsplit(".", 1)[-1]
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters)
            if params and params[0] == "actor":
                found.add(f"{short}.{name}")
    return found


def service_modules() -> list[types.ModuleType]:
    return [importlib.import_module(f"crm.services.{m.name}")
            for m in pkgutil.iter_modules(crm.services.__path__) if not m.name.startswith("_")]


def missing_entries(discovered: set[str], registered: Iterable[str]) -> list[str]:
    return sorted(discovered - set(registered))


def test_every_actor_function_has_a_matrix_entry() -> None:
    discovered = discover_actor_functions(service_modules())
    missing = missing_entries(discovered, [*SERVICES, *SERVICE_HELPERS])
    assert not missing, f"add these to SERVICES in {__file__}: {missing}"
    stale = sorted((set(SERVICES) | set(SERVICE_HELPERS)) - discovered)
    assert not stale, f"entries for functions that no longer exist: {stale}"


def test_discovery_finds_a_known_function_and_reports_a_new_one() -> None:
    assert {"leads.get_lead", "teams.invite_member", "admin.set_user_active"} <= discover_actor_functions(
        service_modules())
    fake = types.ModuleType("crm.services.fake_area")

    def archive_everything(actor: Actor, lead_id: int) -> None: ...

    def _private(actor: Actor) -> None: ...

    def system_job(team_id: int) -> None: ...

    for fn in (archive_everything, _private, system_job):
        fn.__module__ = fake.__name__
        setattr(fake, fn.__name__, fn)
    assert discover_actor_functions([fake]) == {"fake_area.archive_everything"}
    assert missing_entries(discover_actor_functions([fake]), SERVICES) == ["fake_area.archive_everything"]


def _expected(entry: Svc, role: str, foreign: bool) -> type[DomainError] | None:
    allowed = role in entry.allowed
    if not foreign:
        return entry.own_error.get(role) if allowed else PermissionDenied
    if not allowed and entry.permission_first:
        return PermissionDenied
    return entry.foreign


def _run(entry: Svc, world: World, actor: Actor, foreign: bool) -> tuple[type[DomainError] | None, Any]:
    try:
        return None, entry.call(world, actor, world.side(foreign))
    except DomainError as exc:
        return type(exc), exc


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_isolation(db: str, name: str, role: str) -> None:
    entry = SERVICES[name]
    world = build_world()
    actor = world.actors[role]
    outcomes = {}
    # Foreign first: it must change nothing, and the own call may be destructive.
    sides = ([True] if entry.foreign is not None else []) + [False]
    for foreign in sides:
        got, result = _run(entry, world, actor, foreign)
        want = _expected(entry, role, foreign)
        outcomes["foreign" if foreign else "own"] = got
        assert got is want, f"{name} as {role} on {'foreign' if foreign else 'own'} ids: expected " \
                            f"{want.__name__ if want else 'success'}, got {got.__name__ if got else 'success'}: {result}"
        if got is None and entry.check is not None:
            entry.check(world, actor, result)


# ---------------------------------------------------------------------------------------------
# API registry
# ---------------------------------------------------------------------------------------------

Body = Callable[[World, Side, Actor], Any]


@dataclass(frozen=True)
class Api:
    """How to call one route; path placeholders: {team_id} {lead_id} {user_id} {invitation_id}."""

    allowed: frozenset[str] = ALL
    ok: int = 200
    body: Body | None = None
    params: Callable[[World, Side], dict[str, Any]] | None = None
    # Whether the path or body carries ids of team resources other than {team_id}.
    resource_ids: bool = False
    permission_first: bool = True
    own_status: dict[str, int] = field(default_factory=dict)
    public: str = ""  # why the route needs no sign-in (then the role matrix does not apply)
    # Behind two_factor.require_for_sensitive: team OWNERs/ADMINs without 2FA get 403 first.
    sensitive: bool = False
    files: Callable[[], dict[str, Any]] | None = None
    prepare: Callable[[Actor], None] | None = None  # run once before the calls (e.g. upload an avatar)


SKIPPED_ROUTES = {"/api/docs", "/api/docs/oauth2-redirect", "/api/openapi.json"}

API: dict[str, Api] = {
    "GET /api/health": Api(public="liveness probe, no data"),
    "POST /api/auth/login": Api(public="sign-in"),
    "POST /api/auth/refresh": Api(public="the refresh token is the credential"),
    "GET /api/auth/me": Api(),
    "PUT /api/auth/me": Api(body=lambda w, s, a: {"name": "Renamed"}),
    "POST /api/auth/register": Api(public="sign-up"),
    "POST /api/auth/2fa/verify": Api(public="second sign-in step: the ticket is the credential"),
    "POST /api/auth/forgot-password": Api(public="always the same answer (no enumeration)"),
    "POST /api/auth/reset-password": Api(public="the emailed token is the credential"),
    "POST /api/auth/verify-email": Api(public="the emailed token is the credential"),
    "POST /api/auth/logout": Api(),
    "POST /api/auth/resend-verification": Api(),
    "GET /api/settings/profile": Api(),
    "PUT /api/settings/profile": Api(body=lambda w, s, a: {"name": "Renamed", "timezone": "Europe/Paris",
                                                          "language": "fr"}),
    "POST /api/settings/avatar": Api(files=lambda: {"file": ("me.png", PNG, "image/png")}),
    "GET /api/settings/avatar": Api(prepare=lambda a: profile.set_avatar(a, "me.png", PNG) and None),
    "DELETE /api/settings/avatar": Api(),
    "PUT /api/settings/password": Api(body=lambda w, s, a: {"current_password": PASSWORD,
                                                           "new_password": NEW_PASSWORD}),
    "POST /api/settings/2fa/enable": Api(),
    "POST /api/settings/2fa/verify": Api(body=lambda w, s, a: {"code": _pending_setup_code(a)}),
    "POST /api/settings/2fa/disable": Api(body=lambda w, s, a: {"password": PASSWORD, "code": _recovery_code(a)}),
    "GET /api/settings/api-keys": Api(sensitive=True),
    "PUT /api/settings/api-keys": Api(sensitive=True, body=lambda w, s, a: {"provider": "OPENAI", "key": API_KEY}),
    "DELETE /api/settings/api-keys/{provider}": Api(ok=204, sensitive=True),
    "GET /api/leads": Api(),
    "GET /api/leads/count": Api(),
    "GET /api/leads/export": Api(allowed=by_action(Action.IMPORT_EXPORT)),
    "POST /api/leads": Api(ok=201, allowed=ASSIGN, resource_ids=True,
                           body=lambda w, s, a: {"first_name": "Api", "phone": "+14155550101",
                                                 "assigned_to_id": s.target.user_id}),
    "GET /api/leads/{lead_id}": Api(resource_ids=True),
    "PUT /api/leads/{lead_id}": Api(resource_ids=True, body=lambda w, s, a: {"city": "Austin"}),
    "DELETE /api/leads/{lead_id}": Api(ok=204, allowed=by_action(Action.DELETE_LEADS), resource_ids=True),
    "PATCH /api/leads/{lead_id}/status": Api(resource_ids=True, body=lambda w, s, a: {"status": "CONTACTED"}),
    "PATCH /api/leads/{lead_id}/assign": Api(allowed=ASSIGN, resource_ids=True, permission_first=False,
                                             body=lambda w, s, a: {"user_id": s.target.user_id}),
    "POST /api/leads/bulk/update": Api(resource_ids=True, body=lambda w, s, a: {
        "selection": {"ids": [s.lead_id]}, "changes": {"status": "CONTACTED"}}),
    "POST /api/leads/bulk/assign": Api(allowed=ASSIGN, resource_ids=True, body=lambda w, s, a: {
        "selection": {"ids": [s.lead_id]}, "user_id": s.target.user_id}),
    "POST /api/leads/bulk/delete": Api(allowed=by_action(Action.BULK_DELETE), resource_ids=True,
                                       body=lambda w, s, a: {"ids": [s.lead_id]}),
    "POST /api/leads/{lead_id}/tags": Api(resource_ids=True, body=lambda w, s, a: {"tag_ids": [_tag(s)]}),
    "DELETE /api/leads/{lead_id}/tags/{tag_id}": Api(ok=204, resource_ids=True),
    "GET /api/tags": Api(),
    "POST /api/tags": Api(ok=201, body=lambda w, s, a: {"name": "Api tag", "color": "#123456"}),
    "PUT /api/tags/{tag_id}": Api(allowed=MANAGERS_UP, resource_ids=True, body=lambda w, s, a: {"color": "#654321"}),
    "DELETE /api/tags/{tag_id}": Api(ok=204, allowed=MANAGERS_UP, resource_ids=True),
    "GET /api/leads/{lead_id}/notes": Api(resource_ids=True),
    "POST /api/leads/{lead_id}/notes": Api(ok=201, resource_ids=True, body=lambda w, s, a: {"content": "Api note"}),
    "PUT /api/notes/{note_id}": Api(allowed=MANAGERS_UP, resource_ids=True, permission_first=False,
                                    body=lambda w, s, a: {"content": "Edited"}),
    "DELETE /api/notes/{note_id}": Api(ok=204, allowed=MANAGERS_UP, resource_ids=True, permission_first=False),
    "GET /api/activities": Api(),
    "POST /api/activities": Api(ok=201, resource_ids=True, body=lambda w, s, a: {
        "lead_id": s.lead_id, "type": "CALL_MADE", "title": "Called"}),
    "GET /api/activities/{activity_id}": Api(resource_ids=True),
    "GET /api/leads/{lead_id}/activities": Api(resource_ids=True),
    "GET /api/teams": Api(),
    "POST /api/teams": Api(ok=201, body=lambda w, s, a: {"name": "Api Team"}),
    "GET /api/teams/{team_id}": Api(allowed=by_action(Action.VIEW_MEMBERS)),
    "PUT /api/teams/{team_id}": Api(allowed=by_action(Action.MANAGE_TEAM), body=lambda w, s, a: {"name": "Renamed"}),
    "DELETE /api/teams/{team_id}": Api(ok=204, allowed=by_action(Action.DELETE_TEAM),
                                       params=lambda w, s: {"confirm_name": s.team_name}),
    "GET /api/teams/{team_id}/members": Api(allowed=by_action(Action.VIEW_MEMBERS)),
    "POST /api/teams/{team_id}/invite": Api(ok=201, allowed=OWNER_ADMIN,
                                            body=lambda w, s, a: {"email": "api.invitee@example.com"}),
    "GET /api/teams/{team_id}/invitations": Api(allowed=OWNER_ADMIN),
    "DELETE /api/teams/{team_id}/invitations/{invitation_id}": Api(ok=204, allowed=OWNER_ADMIN, resource_ids=True),
    "DELETE /api/teams/{team_id}/members/{user_id}": Api(ok=204, allowed=by_action(Action.REMOVE_MEMBERS),
                                                         resource_ids=True),
    "PATCH /api/teams/{team_id}/members/{user_id}/role": Api(allowed=by_action(Action.CHANGE_ROLES),
                                                             resource_ids=True,
                                                             body=lambda w, s, a: {"role": "MANAGER"}),
    "POST /api/teams/{team_id}/transfer": Api(allowed=by_action(Action.TRANSFER_OWNERSHIP), resource_ids=True,
                                              body=lambda w, s, a: {"user_id": s.target.user_id}),
    "POST /api/teams/{team_id}/leave": Api(ok=204, own_status={TeamRole.OWNER.value: 409}),
    "POST /api/invitations/preview": Api(public="the invitation token is the credential"),
    # Any signed-in user may accept an invitation addressed to their own email.
    "POST /api/invitations/accept": Api(
        body=lambda w, s, a: {"token": _fresh_invitation_token(w.foreign.owner, a.email)}),
    "GET /api/admin/users": Api(allowed=frozenset({SYSADMIN}), sensitive=True),
    "GET /api/admin/users/{user_id}": Api(allowed=frozenset({SYSADMIN}), sensitive=True),
    "PATCH /api/admin/users/{user_id}/activate": Api(allowed=frozenset({SYSADMIN}), sensitive=True),
    "PATCH /api/admin/users/{user_id}/deactivate": Api(allowed=frozenset({SYSADMIN}), sensitive=True),
    "GET /api/admin/audit-logs": Api(allowed=by_action(Action.VIEW_AUDIT_LOG) | {SYSADMIN}, sensitive=True),
}
from tests.security.registry_tasks import API_TASKS  # noqa: E402,I001
API.update(API_TASKS)
from tests.security.registry_duplicates import API_DUPLICATES  # noqa: E402,I001
API.update(API_DUPLICATES)
from tests.security.registry_custom_fields import API_CUSTOM_FIELDS  # noqa: E402,I001
API.update(API_CUSTOM_FIELDS)
from tests.security.registry_saved_views import API_SAVED_VIEWS  # noqa: E402,I001
API.update(API_SAVED_VIEWS)
from tests.security.registry_lead_import import API_LEAD_IMPORT  # noqa: E402,I001
API.update(API_LEAD_IMPORT)


def discover_routes(app: Any) -> set[str]:
    """`METHOD path` for every route of the app (HEAD and the docs excluded)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        if route.path in SKIPPED_ROUTES:
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add(f"{method} {route.path}")
    return found


@pytest.fixture(scope="module")
def app() -> Any:
    from crm.api.main import create_app

    return create_app()


def test_every_route_has_a_matrix_entry(app: Any) -> None:
    discovered = discover_routes(app)
    missing = sorted(discovered - set(API))
    assert not missing, f"add these to API in {__file__}: {missing}"
    assert not sorted(set(API) - discovered), f"entries for routes that no longer exist: {sorted(set(API) - discovered)}"


def test_route_discovery_finds_a_known_route_and_reports_a_new_one() -> None:
    from fastapi import FastAPI

    from crm.api.main import create_app

    assert {"GET /api/leads/{lead_id}", "PATCH /api/teams/{team_id}/members/{user_id}/role"} <= discover_routes(
        create_app())
    extra = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @extra.get("/api/things/{thing_id}")
    def _thing(thing_id: int) -> None: ...

    assert sorted(discover_routes(extra) - set(API)) == ["GET /api/things/{thing_id}"]


def _url(template: str, w: World, team: Side, ids: Side) -> str:
    extra = {name: make(ids) for name, make in PATH_IDS.items() if f"{{{name}}}" in template}
    return template.format(team_id=team.team_id, lead_id=ids.lead_id, user_id=ids.target.user_id,
                           invitation_id=ids.invitation_id, provider=ProviderName.OPENAI.value, **extra)


def _request(client: TestClient, key: str, entry: Api, w: World, actor: Actor, token: str, *, team: Side,
             ids: Side, headers: dict[str, str] | None = None) -> Any:
    method, template = key.split(" ", 1)
    headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
    kwargs: dict[str, Any] = {"headers": headers}
    if entry.body is not None:
        kwargs["json"] = entry.body(w, ids, actor)
    if entry.params is not None:
        kwargs["params"] = entry.params(w, ids)
    if entry.files is not None:
        kwargs["files"] = entry.files()
    return client.request(method, _url(template, w, team, ids), **kwargs)


@pytest.fixture
def client(db: str, app: Any) -> Any:
    with TestClient(app) as test_client:
        yield test_client


PROTECTED = sorted(k for k, v in API.items() if not v.public)
# The routes only turn the services' answers into HTTP; which rows an actor may touch is decided in
# SQL by the services, and their matrix (test_service_isolation) runs on both databases. The route
# matrix runs on SQLite: on PostgreSQL too it would repeat the same HTTP checks for 2 more minutes.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@ON_SQLITE
@pytest.mark.parametrize("key", PROTECTED)
def test_route_needs_a_token(client: TestClient, key: str) -> None:
    method, template = key.split(" ", 1)
    path = re.sub(r"\{[a-z_]+\}", "1", template.replace("{provider}", ProviderName.OPENAI.value))
    resp = client.request(method, path, json={})
    assert resp.status_code == 401, f"{key} without a token: {resp.status_code} {resp.text}"


@ON_SQLITE
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", PROTECTED)
def test_route_isolation(client: TestClient, key: str, role: str) -> None:
    entry = API[key]
    w = build_world()
    actor = w.actors[role]
    allowed = role in entry.allowed
    checks: list[tuple[str, dict[str, Any], int]] = [
        # Acting in a team you are not a member of, through the header.
        ("X-Team-Id of the foreign team", {"team": w.own, "ids": w.own,
                                           "headers": {"X-Team-Id": str(w.foreign.team_id)}}, 404),
    ]
    if "{team_id}" in key:
        checks.append(("the foreign team in the path", {"team": w.foreign, "ids": w.foreign}, 404))
    if entry.resource_ids:
        denied_first = not allowed and entry.permission_first
        checks.append(("the foreign team's ids", {"team": w.own, "ids": w.foreign}, 403 if denied_first else 404))
    own_status = entry.own_status.get(role, entry.ok) if allowed else 403
    checks.append(("own ids", {"team": w.own, "ids": w.own}, own_status))
    if entry.prepare is not None:
        entry.prepare(actor)
    if entry.sensitive and (role in OWNER_ADMIN or role == SYSADMIN):
        # Without two-factor, owners, admins and system admins are stopped before anything else.
        token = auth.issue_tokens(actor).access_token
        resp = _request(client, key, entry, w, actor, token, team=w.own, ids=w.own)
        assert resp.status_code == 403, f"{key} as {role} without 2FA: {resp.status_code} {resp.text}"
        assert "two-factor" in resp.json()["error"]["message"]
        _two_factor_on(actor)
    token = auth.issue_tokens(actor).access_token
    for label, where, want in checks:
        resp = _request(client, key, entry, w, actor, token, **where)
        assert resp.status_code == want, f"{key} as {role} with {label}: {resp.status_code} {resp.text}"
        if want >= 400:
            assert resp.json()["error"]["code"] in {"not_found", "permission_denied", "conflict"}
