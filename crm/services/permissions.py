"""The one permission table (team role × action) — services enforce it, the docs render it."""

from __future__ import annotations

from enum import StrEnum

from crm.enums import TeamRole
from crm.errors import PermissionDenied
from crm.schemas.common import Actor


class Action(StrEnum):
    """Everything a team member may be allowed to do. Row scope (which leads) is separate:
    see `crm.services.access.visible_leads` — agents work their own and unassigned leads."""

    VIEW_LEADS = "view leads (agents: own and unassigned)"
    VIEW_ALL_TEAM_DATA = "see every lead, task and report of the team"
    CREATE_LEADS = "create leads"
    EDIT_LEADS = "edit leads they can see"
    ASSIGN_LEADS = "assign leads to any agent"
    DELETE_LEADS = "delete a lead"
    BULK_DELETE = "delete in bulk"
    IMPORT_EXPORT = "import and export leads"
    MANAGE_CAMPAIGNS = "create and launch campaigns"
    USE_ASSISTANT = "use the AI assistant"
    VIEW_MEMBERS = "see the team's members"
    INVITE_MEMBERS = "invite members"
    REMOVE_MEMBERS = "remove members"
    CHANGE_ROLES = "change members' roles"
    TRANSFER_OWNERSHIP = "transfer ownership"
    MANAGE_TEAM = "rename the team, change its settings"
    DELETE_TEAM = "delete the team"
    MANAGE_BILLING = "manage billing"
    MANAGE_INTEGRATIONS = "manage integrations and team API keys"
    VIEW_AUDIT_LOG = "read the team's audit log"


_ALL = frozenset(Action)
_MANAGER = frozenset({
    Action.VIEW_LEADS, Action.VIEW_ALL_TEAM_DATA, Action.CREATE_LEADS, Action.EDIT_LEADS,
    Action.ASSIGN_LEADS, Action.DELETE_LEADS, Action.IMPORT_EXPORT, Action.MANAGE_CAMPAIGNS,
    Action.USE_ASSISTANT, Action.VIEW_MEMBERS,
})
_MEMBER = frozenset({
    Action.VIEW_LEADS, Action.CREATE_LEADS, Action.EDIT_LEADS, Action.USE_ASSISTANT, Action.VIEW_MEMBERS,
})

PERMISSIONS: dict[TeamRole, frozenset[Action]] = {
    TeamRole.OWNER: _ALL,
    TeamRole.ADMIN: _ALL - {Action.TRANSFER_OWNERSHIP, Action.DELETE_TEAM},
    TeamRole.MANAGER: _MANAGER,
    TeamRole.MEMBER: _MEMBER,
}


def can(actor: Actor, action: Action) -> bool:
    """Return whether the actor's team role allows `action`."""
    return action in PERMISSIONS[actor.team_role]


def require(actor: Actor, action: Action) -> None:
    """Raise PermissionDenied (with a readable reason) unless the actor may do `action`."""
    if not can(actor, action):
        raise PermissionDenied(
            f"Your role ({actor.team_role.value.title()}) cannot {action.value}. Ask a team owner or admin."
        )


def permission_matrix() -> list[dict[str, str]]:
    """Return the table as rows (action × role → ✓/—) for the docs and the Team page."""
    return [
        {"action": a.value, **{r.value.title(): ("✓" if a in PERMISSIONS[r] else "—") for r in TeamRole}}
        for a in Action
    ]
