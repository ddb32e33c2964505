"""Teams: your teams, members and roles, invitations, ownership, leaving.

Routes under /api/teams/{team_id} act in that team: an id of a team you are not a member of
answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from crm.api.deps import CurrentActor
from crm.api.schemas import error_responses
from crm.schemas.auth import Membership
from crm.schemas.common import Actor
from crm.schemas.teams import (
    AcceptInvitationInput,
    InvitationOut,
    InvitationPreview,
    InviteInput,
    MemberOut,
    RoleChange,
    TeamCreate,
    TeamOut,
    TeamUpdate,
    TransferInput,
)
from crm.services import auth, teams

router = APIRouter(prefix="/api", tags=["teams"])


def team_actor(team_id: int, actor: CurrentActor) -> Actor:
    """The caller acting in `team_id` (404 when they are not a member of it)."""
    if actor.team_id == team_id:
        return actor
    return auth.get_actor(actor.user_id, team_id)


TeamActor = Annotated[Actor, Depends(team_actor)]


@router.get("/teams", response_model=list[Membership], responses=error_responses(401))
def list_teams(actor: CurrentActor) -> list[Membership]:
    """The teams you belong to, with your role in each."""
    return teams.list_my_teams(actor)


@router.post("/teams", response_model=TeamOut, status_code=201, responses=error_responses(401, 422))
def create_team(actor: CurrentActor, data: TeamCreate, response: Response) -> TeamOut:
    """Create a team; you become its owner."""
    team = teams.create_team(actor, data)
    response.headers["Location"] = f"/api/teams/{team.id}"
    return team


@router.get("/teams/{team_id}", response_model=TeamOut, responses=error_responses(401, 403, 404))
def get_team(actor: TeamActor) -> TeamOut:
    """One of your teams."""
    return teams.get_team(actor)


@router.put("/teams/{team_id}", response_model=TeamOut, responses=error_responses(401, 403, 404, 422))
def update_team(actor: TeamActor, data: TeamUpdate) -> TeamOut:
    """Rename the team (owners and admins)."""
    return teams.update_team(actor, data)


@router.delete("/teams/{team_id}", status_code=204, responses=error_responses(401, 403, 404, 422))
def delete_team(
    actor: TeamActor,
    confirm_name: Annotated[str, Query(min_length=1, max_length=200,
                                       description="The team's name, typed to confirm.")],
) -> Response:
    """Delete the team and all its data (owners only)."""
    teams.delete_team(actor, confirm_name)
    return Response(status_code=204)


@router.get("/teams/{team_id}/members", response_model=list[MemberOut], responses=error_responses(401, 403, 404))
def list_members(actor: TeamActor) -> list[MemberOut]:
    """The team's members, owners first."""
    return teams.list_members(actor)


@router.post("/teams/{team_id}/invite", response_model=InvitationOut, status_code=201,
             responses=error_responses(401, 403, 404, 409, 422))
def invite_member(actor: TeamActor, data: InviteInput) -> InvitationOut:
    """Email a single-use invitation link valid 7 days (only owners may invite admins or owners)."""
    return teams.invite_member(actor, data)


@router.get("/teams/{team_id}/invitations", response_model=list[InvitationOut], responses=error_responses(401, 403, 404))
def list_invitations(actor: TeamActor) -> list[InvitationOut]:
    """Pending invitations of the team."""
    return teams.list_invitations(actor)


@router.delete("/teams/{team_id}/invitations/{invitation_id}", status_code=204,
               responses=error_responses(401, 403, 404, 409))
def revoke_invitation(actor: TeamActor, invitation_id: int) -> Response:
    """Cancel a pending invitation; its link stops working."""
    teams.revoke_invitation(actor, invitation_id)
    return Response(status_code=204)


@router.delete("/teams/{team_id}/members/{user_id}", status_code=204, responses=error_responses(401, 403, 404, 409, 422))
def remove_member(actor: TeamActor, user_id: int) -> Response:
    """Remove a member; their leads return to the unassigned pool."""
    teams.remove_member(actor, user_id)
    return Response(status_code=204)


@router.patch("/teams/{team_id}/members/{user_id}/role", response_model=MemberOut,
              responses=error_responses(401, 403, 404, 409, 422))
def change_role(actor: TeamActor, user_id: int, data: RoleChange) -> MemberOut:
    """Change a member's role (the last owner cannot be demoted)."""
    return teams.change_role(actor, user_id, data.role)


@router.post("/teams/{team_id}/transfer", response_model=MemberOut, responses=error_responses(401, 403, 404, 422))
def transfer_ownership(actor: TeamActor, data: TransferInput) -> MemberOut:
    """Make another member the owner; you become an admin."""
    return teams.transfer_ownership(actor, data.user_id)


@router.post("/teams/{team_id}/leave", status_code=204, responses=error_responses(401, 404, 409))
def leave_team(actor: TeamActor) -> Response:
    """Leave the team (the last owner cannot)."""
    teams.leave_team(actor)
    return Response(status_code=204)


@router.post("/invitations/preview", response_model=InvitationPreview, responses=error_responses(404, 422))
def preview_invitation(data: AcceptInvitationInput) -> InvitationPreview:
    """What an invitation link offers (public: the token is the credential)."""
    return teams.preview_invitation(data.token)


@router.post("/invitations/accept", response_model=Membership, responses=error_responses(401, 403, 404, 409, 422))
def accept_invitation(actor: CurrentActor, data: AcceptInvitationInput) -> Membership:
    """Join the invitation's team as the signed-in user (the invitation's email must be yours).

    New users accept by registering with `invitation_token` (POST /api/auth/register).
    """
    return teams.accept_invitation(actor.user_id, data.token)
