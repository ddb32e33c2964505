"""Teams: create and rename, members and roles, invitations by email, ownership and leaving.

Who may grant what: an OWNER may grant any role (co-owners included); anyone else holding
the needed permission (team ADMINs) may only act on members ranked below them and grant
roles below their own — so only an OWNER can invite, promote, demote or remove an ADMIN or
an OWNER. Ownership moves with `transfer_ownership`. The last OWNER can never leave, be
removed or be demoted, so a team always has someone who can delete or hand it over.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.config import get_settings
from crm.db import SessionFactory, transaction
from crm.enums import TeamRole
from crm.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.orm import Team, TeamInvitation, TeamMember, User
from crm.schemas.auth import Membership
from crm.schemas.common import Actor
from crm.schemas.teams import (
    InvitationOut,
    InvitationPreview,
    InvitationStatus,
    InviteInput,
    MemberOut,
    TeamCreate,
    TeamOut,
    TeamUpdate,
)
from crm.services.audit import record_audit
from crm.services.mailer import send_email
from crm.services.permissions import Action, require

INVITATION_DAYS = 7
RANK = {TeamRole.OWNER: 0, TeamRole.ADMIN: 1, TeamRole.MANAGER: 2, TeamRole.MEMBER: 3}
LAST_OWNER = "A team needs at least one owner: make someone else an owner (or transfer ownership) first."


def create_team(actor: Actor, data: TeamCreate, *, sessions: SessionFactory | None = None) -> TeamOut:
    """Create a team; the actor becomes its OWNER."""
    with transaction(sessions) as session:
        team = create_team_in_session(session, actor.user_id, data.name)
        record_audit(session, action="team.create", resource="team", resource_id=team.id,
                     user_id=actor.user_id, team_id=team.id, changes={"name": team.name})
        return _team_out(session, team, TeamRole.OWNER)


def create_team_in_session(session: Session, user_id: int, name: str) -> Team:
    """Create a team owned by `user_id` inside the caller's transaction (used by registration)."""
    team = Team(name=name.strip(), slug=_unique_slug(session, name))
    session.add(team)
    session.flush()
    session.add(TeamMember(team_id=team.id, user_id=user_id, role=TeamRole.OWNER))
    session.flush()
    return team


def list_my_teams(actor: Actor, *, sessions: SessionFactory | None = None) -> list[Membership]:
    """Return every team the actor belongs to (the team switcher)."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(Team.id, Team.name, TeamMember.role).join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.user_id == actor.user_id).order_by(Team.name, Team.id)
        ).all()
    return [Membership(team_id=r.id, team_name=r.name, role=r.role) for r in rows]


def get_team(actor: Actor, *, sessions: SessionFactory | None = None) -> TeamOut:
    """Return the actor's current team."""
    require(actor, Action.VIEW_MEMBERS)
    with transaction(sessions) as session:
        return _team_out(session, _load_team(session, actor), actor.team_role)


def update_team(actor: Actor, data: TeamUpdate, *, sessions: SessionFactory | None = None) -> TeamOut:
    """Rename the actor's current team (OWNER/ADMIN)."""
    require(actor, Action.MANAGE_TEAM)
    with transaction(sessions) as session:
        team = _load_team(session, actor)
        if team.name != data.name:
            record_audit(session, actor=actor, action="team.update", resource="team", resource_id=team.id,
                         changes={"name": {"from": team.name, "to": data.name}})
            team.name = data.name
            session.flush()
        return _team_out(session, team, actor.team_role)


def delete_team(actor: Actor, confirm_name: str, *, sessions: SessionFactory | None = None) -> None:
    """Delete the actor's current team and all its data (OWNER only; the name must be typed)."""
    require(actor, Action.DELETE_TEAM)
    with transaction(sessions) as session:
        team = _load_team(session, actor)
        if confirm_name.strip() != team.name:
            raise ValidationFailed(f"Type the team's name ({team.name}) exactly to confirm.", field="confirm_name")
        # The team's own audit rows go with it (ON DELETE CASCADE): keep this entry team-less.
        record_audit(session, action="team.delete", resource="team", resource_id=team.id,
                     user_id=actor.user_id, changes={"name": team.name})
        session.delete(team)


def list_members(actor: Actor, *, sessions: SessionFactory | None = None) -> list[MemberOut]:
    """Return the members of the actor's current team, owners first."""
    require(actor, Action.VIEW_MEMBERS)
    with transaction(sessions) as session:
        rows = session.execute(
            select(TeamMember, User).join(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id == actor.team_id).order_by(TeamMember.joined_at, TeamMember.id)
        ).all()
    members = [MemberOut(user_id=u.id, name=u.name, email=u.email, role=m.role, joined_at=m.joined_at,
                         is_active=u.is_active) for m, u in rows]
    return sorted(members, key=lambda m: RANK[m.role])


def invite_member(actor: Actor, data: InviteInput, *, sessions: SessionFactory | None = None) -> InvitationOut:
    """Email a single-use link valid 7 days; a new invitation to the same address replaces the old."""
    require(actor, Action.INVITE_MEMBERS)
    _require_may_grant(actor, data.role)
    token = secrets.token_urlsafe(32)
    now = _now()
    with transaction(sessions) as session:
        team = _load_team(session, actor)
        member = session.scalar(
            select(TeamMember.id).join(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id == team.id, User.email == data.email)
        )
        if member is not None:
            raise Conflict(f"{data.email} is already a member of {team.name}.", field="email")
        session.execute(
            update(TeamInvitation)
            .where(TeamInvitation.team_id == team.id, TeamInvitation.email == data.email,
                   TeamInvitation.accepted_at.is_(None), TeamInvitation.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        invitation = TeamInvitation(team_id=team.id, email=data.email, role=data.role, token_hash=_hash(token),
                                    invited_by_id=actor.user_id,
                                    expires_at=now + dt.timedelta(days=INVITATION_DAYS))
        session.add(invitation)
        session.flush()
        link = f"{get_settings().app_url.rstrip('/')}/accept-invite?token={token}"
        inviter = actor.name or "A colleague"
        send_email(
            session, to=data.email, team_id=team.id, kind="team_invitation",
            subject=f"{inviter} invited you to join {team.name} on RealEstate Pro",
            text=(f"{inviter} invited you to join {team.name} as {data.role.value.title()}.\n\n"
                  f"Accept the invitation: {link}\n\n"
                  f"The link works once and expires in {INVITATION_DAYS} days. "
                  "If you did not expect this email, ignore it."),
        )
        record_audit(session, actor=actor, action="team.invite", resource="team_invitation",
                     resource_id=invitation.id, changes={"email": data.email, "role": data.role.value})
        return _invitation_out(invitation, actor.name or None, now)


def list_invitations(actor: Actor, *, sessions: SessionFactory | None = None) -> list[InvitationOut]:
    """Return the team's invitations that are still pending, newest first."""
    require(actor, Action.INVITE_MEMBERS)
    now = _now()
    with transaction(sessions) as session:
        rows = session.execute(
            select(TeamInvitation, User.name).outerjoin(User, User.id == TeamInvitation.invited_by_id)
            .where(TeamInvitation.team_id == actor.team_id, TeamInvitation.accepted_at.is_(None),
                   TeamInvitation.revoked_at.is_(None))
            .order_by(TeamInvitation.created_at.desc(), TeamInvitation.id.desc())
        ).all()
        return [_invitation_out(inv, name, now) for inv, name in rows]


def revoke_invitation(actor: Actor, invitation_id: int, *, sessions: SessionFactory | None = None) -> None:
    """Cancel a pending invitation so its link stops working."""
    require(actor, Action.INVITE_MEMBERS)
    with transaction(sessions) as session:
        invitation = session.scalars(
            select(TeamInvitation).where(TeamInvitation.id == invitation_id,
                                         TeamInvitation.team_id == actor.team_id).with_for_update()
        ).one_or_none()
        if invitation is None:
            raise NotFound(f"Invitation {invitation_id} was not found.")
        _require_may_grant(actor, invitation.role)
        if invitation.accepted_at is not None:
            raise Conflict("This invitation was already accepted; remove the member instead.")
        if invitation.revoked_at is None:
            invitation.revoked_at = _now()
            record_audit(session, actor=actor, action="team.invitation_revoke", resource="team_invitation",
                         resource_id=invitation.id, changes={"email": invitation.email})


def preview_invitation(token: str, *, sessions: SessionFactory | None = None) -> InvitationPreview:
    """Describe an invitation from its link (public: the token is the credential)."""
    with transaction(sessions) as session:
        row = session.execute(
            select(TeamInvitation, Team.name, User.name)
            .join(Team, Team.id == TeamInvitation.team_id)
            .outerjoin(User, User.id == TeamInvitation.invited_by_id)
            .where(TeamInvitation.token_hash == _hash(token))
        ).one_or_none()
        if row is None:
            raise NotFound("This invitation link is not valid. Ask for a new invitation.")
        invitation, team_name, inviter = row
        return InvitationPreview(team_name=team_name, email=invitation.email, role=invitation.role,
                                 inviter_name=inviter, expires_at=invitation.expires_at,
                                 status=_status(invitation, _now()))


def accept_invitation(user_id: int, token: str, *, sessions: SessionFactory | None = None) -> Membership:
    """Join the team of the invitation as the signed-in user `user_id` (emails must match)."""
    with transaction(sessions) as session:
        return accept_invitation_in_session(session, user_id, token)


def accept_invitation_in_session(session: Session, user_id: int, token: str) -> Membership:
    """Accept inside the caller's transaction (registration creates the user, then joins).

    Single use: the invitation is spent by one conditional UPDATE, so two concurrent accepts
    cannot both succeed. Accepting proves the user reads that mailbox: the email is verified.
    """
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed("Your session has ended. Please sign in again.")
    invitation = session.scalars(
        select(TeamInvitation).where(TeamInvitation.token_hash == _hash(token))
    ).one_or_none()
    if invitation is None:
        raise NotFound("This invitation link is not valid. Ask for a new invitation.")
    now = _now()
    status = _status(invitation, now)
    if status is not InvitationStatus.VALID:
        raise ValidationFailed(_STATUS_MESSAGES[status], field="token")
    if invitation.email.lower() != user.email.lower():
        raise PermissionDenied(
            f"This invitation was sent to {invitation.email}. Sign in with that address to accept it."
        )
    already = session.scalar(select(TeamMember.id).where(TeamMember.team_id == invitation.team_id,
                                                         TeamMember.user_id == user_id))
    if already is not None:
        raise Conflict("You are already a member of this team.")
    spent = session.execute(
        update(TeamInvitation)
        .where(TeamInvitation.id == invitation.id, TeamInvitation.accepted_at.is_(None),
               TeamInvitation.revoked_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        raise ValidationFailed(_STATUS_MESSAGES[InvitationStatus.USED], field="token")
    session.add(TeamMember(team_id=invitation.team_id, user_id=user_id, role=invitation.role))
    user.email_verified = True
    session.flush()
    record_audit(session, action="team.invitation_accept", resource="team_member", resource_id=user_id,
                 user_id=user_id, team_id=invitation.team_id,
                 changes={"invitation_id": invitation.id, "role": invitation.role.value})
    team_name = session.scalar(select(Team.name).where(Team.id == invitation.team_id)) or ""
    return Membership(team_id=invitation.team_id, team_name=team_name, role=invitation.role)


def remove_member(actor: Actor, user_id: int, *, sessions: SessionFactory | None = None) -> None:
    """Remove someone from the actor's team (their leads go back to the unassigned pool)."""
    require(actor, Action.REMOVE_MEMBERS)
    with transaction(sessions) as session:
        member = _load_member(session, actor, user_id)
        if user_id == actor.user_id:
            raise ValidationFailed("To leave the team yourself, use Leave team.")
        _require_may_manage(actor, member.role)
        _refuse_last_owner(session, member)
        _drop_member(session, member)
        record_audit(session, actor=actor, action="team.member_remove", resource="team_member",
                     resource_id=user_id, changes={"role": member.role.value})


def change_role(actor: Actor, user_id: int, role: TeamRole, *, sessions: SessionFactory | None = None) -> MemberOut:
    """Give a member another role (only an OWNER may touch or grant OWNER/ADMIN)."""
    require(actor, Action.CHANGE_ROLES)
    with transaction(sessions) as session:
        member = _load_member(session, actor, user_id)
        _require_may_manage(actor, member.role)
        _require_may_grant(actor, role)
        old = member.role
        if old != role:
            if old is TeamRole.OWNER:
                _refuse_last_owner(session, member)
            member.role = role
            record_audit(session, actor=actor, action="team.role_change", resource="team_member",
                         resource_id=user_id, changes={"role": {"from": old.value, "to": role.value}})
            session.flush()
        return _member_out(session, member)


def transfer_ownership(actor: Actor, user_id: int, *, sessions: SessionFactory | None = None) -> MemberOut:
    """Make another member OWNER; the actor steps down to ADMIN."""
    require(actor, Action.TRANSFER_OWNERSHIP)
    with transaction(sessions) as session:
        target = _load_member(session, actor, user_id)
        if user_id == actor.user_id:
            raise ValidationFailed("Choose another member to hand the team over to.", field="user_id")
        target_user = session.get(User, user_id)
        if target_user is None or not target_user.is_active:
            raise ValidationFailed("That member's account is deactivated.", field="user_id")
        me = _load_member(session, actor, actor.user_id)
        old_role = target.role
        target.role = TeamRole.OWNER
        me.role = TeamRole.ADMIN
        record_audit(session, actor=actor, action="team.ownership_transfer", resource="team",
                     resource_id=actor.team_id,
                     changes={"to_user_id": user_id, "from_role": old_role.value, "previous_owner_role": "ADMIN"})
        session.flush()
        return _member_out(session, target)


def leave_team(actor: Actor, *, sessions: SessionFactory | None = None) -> None:
    """Leave the actor's current team (the last owner cannot)."""
    with transaction(sessions) as session:
        member = _load_member(session, actor, actor.user_id)
        _refuse_last_owner(session, member)
        _drop_member(session, member)
        record_audit(session, actor=actor, action="team.leave", resource="team_member",
                     resource_id=actor.user_id, changes={"role": member.role.value})


# --- helpers ------------------------------------------------------------------------------

_STATUS_MESSAGES = {
    InvitationStatus.EXPIRED: "This invitation has expired. Ask the team for a new one.",
    InvitationStatus.USED: "This invitation was already used.",
    InvitationStatus.REVOKED: "This invitation was cancelled by the team.",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC


def _status(invitation: TeamInvitation, now: dt.datetime) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return InvitationStatus.USED
    if invitation.revoked_at is not None:
        return InvitationStatus.REVOKED
    if _aware(invitation.expires_at) <= now:
        return InvitationStatus.EXPIRED
    return InvitationStatus.VALID


def _require_may_grant(actor: Actor, role: TeamRole) -> None:
    if actor.team_role is not TeamRole.OWNER and RANK[role] <= RANK[actor.team_role]:
        raise PermissionDenied(f"Only an owner can make someone {role.value.title()}.")


def _require_may_manage(actor: Actor, target_role: TeamRole) -> None:
    if actor.team_role is not TeamRole.OWNER and RANK[target_role] <= RANK[actor.team_role]:
        raise PermissionDenied(f"Only an owner can change or remove a team {target_role.value.title()}.")


def _refuse_last_owner(session: Session, member: TeamMember) -> None:
    if member.role is not TeamRole.OWNER:
        return
    # Lock the team's owner rows so two owners demoting each other cannot both pass the check.
    owners = session.scalars(
        select(TeamMember.id).where(TeamMember.team_id == member.team_id, TeamMember.role == TeamRole.OWNER)
        .with_for_update()
    ).all()
    if len(owners) <= 1:
        raise Conflict(LAST_OWNER)


def _drop_member(session: Session, member: TeamMember) -> None:
    from crm.orm import Lead

    session.execute(update(Lead).where(Lead.team_id == member.team_id, Lead.assigned_to_id == member.user_id)
                    .values(assigned_to_id=None))
    session.delete(member)
    session.flush()


def _load_team(session: Session, actor: Actor) -> Team:
    team = session.get(Team, actor.team_id)
    if team is None:
        raise NotFound("This team no longer exists.")
    return team


def _load_member(session: Session, actor: Actor, user_id: int) -> TeamMember:
    member = session.scalars(
        select(TeamMember).where(TeamMember.team_id == actor.team_id, TeamMember.user_id == user_id)
        .with_for_update()
    ).one_or_none()
    if member is None:
        raise NotFound(f"User {user_id} is not a member of this team.")
    return member


def _member_out(session: Session, member: TeamMember) -> MemberOut:
    user = session.get(User, member.user_id)
    assert user is not None
    return MemberOut(user_id=user.id, name=user.name, email=user.email, role=member.role,
                     joined_at=member.joined_at, is_active=user.is_active)


def _team_out(session: Session, team: Team, role: TeamRole) -> TeamOut:
    count = session.scalar(select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team.id)) or 0
    return TeamOut(id=team.id, name=team.name, slug=team.slug, subscription_tier=team.subscription_tier,
                   member_count=count, your_role=role, created_at=team.created_at)


def _invitation_out(invitation: TeamInvitation, inviter: str | None, now: dt.datetime) -> InvitationOut:
    return InvitationOut(id=invitation.id, email=invitation.email, role=invitation.role, invited_by=inviter,
                         created_at=invitation.created_at, expires_at=invitation.expires_at,
                         status=_status(invitation, now))


def _unique_slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "team"
    slug = base
    while session.scalar(select(Team.id).where(Team.slug == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug
