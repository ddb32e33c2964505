"""Teams: creation, invitations by email, roles, ownership, leaving — with their guard rails."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select, update

from crm.db import transaction
from crm.enums import TeamRole
from crm.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.orm import AuditLog, Lead, Team, TeamInvitation, TeamMember, User
from crm.schemas.common import Actor
from crm.schemas.teams import InvitationStatus, InviteInput, TeamCreate, TeamUpdate
from crm.services import leads, teams
from crm.services.mailer import last_email_to
from tests.factories import make_lead, make_member, make_team


def _invite(actor: Actor, email: str, role: TeamRole = TeamRole.MEMBER) -> str:
    """Invite `email` and return the raw token read back from the email."""
    teams.invite_member(actor, InviteInput(email=email, role=role))
    with transaction() as session:
        mail = last_email_to(session, email.lower())
        assert mail is not None
        body = mail.body
    match = re.search(r"/accept-invite\?token=([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


def _actions() -> list[str]:
    with transaction() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_create_team_makes_the_actor_owner_and_is_audited(db: str) -> None:
    actor = make_member(make_team(), TeamRole.MEMBER)
    team = teams.create_team(actor, TeamCreate(name="Harbor & Oak Realty"))
    assert team.your_role is TeamRole.OWNER and team.member_count == 1
    assert team.slug == "harbor-oak-realty"
    assert {m.team_id: m.role for m in teams.list_my_teams(actor)}[team.id] is TeamRole.OWNER
    second = teams.create_team(actor, TeamCreate(name="Harbor & Oak Realty"))
    assert second.slug != team.slug
    assert "team.create" in _actions()


def test_rename_needs_manage_team_and_delete_needs_the_typed_name(db: str) -> None:
    team_id = make_team("Old name")
    owner, admin, manager = (make_member(team_id, r) for r in (TeamRole.OWNER, TeamRole.ADMIN, TeamRole.MANAGER))
    assert teams.update_team(admin, TeamUpdate(name="New name")).name == "New name"
    with pytest.raises(PermissionDenied):
        teams.update_team(manager, TeamUpdate(name="Nope"))
    with pytest.raises(PermissionDenied):
        teams.delete_team(admin, "New name")
    with pytest.raises(ValidationFailed, match="exactly"):
        teams.delete_team(owner, "new name")
    make_lead(owner)
    teams.delete_team(owner, "New name")
    with transaction() as session:
        assert session.get(Team, team_id) is None
        assert session.scalar(select(Lead.id).where(Lead.team_id == team_id)) is None
    assert "team.delete" in _actions()


def test_invitation_email_link_and_accept_by_existing_user(db: str) -> None:
    team_id = make_team("Summit")
    owner = make_member(team_id, TeamRole.OWNER, name="Olivia Owner")
    other = make_member(make_team(), TeamRole.OWNER, email="ben@example.com")
    token = _invite(owner, "Ben@Example.com", TeamRole.MANAGER)
    with transaction() as session:
        mail = last_email_to(session, "ben@example.com")
        assert mail is not None and "Olivia Owner" in mail.subject and "Summit" in mail.subject
        assert "http://localhost:8501/accept-invite?token=" in mail.body
        stored = session.scalars(select(TeamInvitation)).one()
        assert token not in stored.token_hash  # only the hash is kept

    preview = teams.preview_invitation(token)
    assert (preview.team_name, preview.email, preview.role, preview.inviter_name, preview.status) == (
        "Summit", "ben@example.com", TeamRole.MANAGER, "Olivia Owner", InvitationStatus.VALID)
    membership = teams.accept_invitation(other.user_id, token)
    assert (membership.team_id, membership.role) == (team_id, TeamRole.MANAGER)
    assert teams.preview_invitation(token).status is InvitationStatus.USED
    with pytest.raises(ValidationFailed, match="already used"):
        teams.accept_invitation(other.user_id, token)
    assert "team.invite" in _actions() and "team.invitation_accept" in _actions()


def test_invitation_works_for_a_new_user_inside_the_callers_transaction(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    token = _invite(owner, "newcomer@example.com")
    with transaction() as session:
        user = User(email="newcomer@example.com", name="New Comer", password_hash="x")
        session.add(user)
        session.flush()
        membership = teams.accept_invitation_in_session(session, user.id, token)
        user_id = user.id
    assert membership.team_id == owner.team_id
    with transaction() as session:
        assert session.get(User, user_id).email_verified is True  # the link proved the mailbox


def test_invitation_refuses_other_emails_expired_and_revoked_links(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    stranger = make_member(make_team(), TeamRole.MEMBER, email="stranger@example.com")
    invited = make_member(make_team(), TeamRole.MEMBER, email="invited@example.com")
    token = _invite(owner, "invited@example.com")
    with pytest.raises(PermissionDenied, match="invited@example.com"):
        teams.accept_invitation(stranger.user_id, token)
    with pytest.raises(NotFound):
        teams.accept_invitation(invited.user_id, "not-a-real-token-at-all")

    with transaction() as session:
        session.execute(update(TeamInvitation).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert teams.preview_invitation(token).status is InvitationStatus.EXPIRED
    with pytest.raises(ValidationFailed, match="expired"):
        teams.accept_invitation(invited.user_id, token)

    fresh = _invite(owner, "invited@example.com")
    [pending] = teams.list_invitations(owner)
    teams.revoke_invitation(owner, pending.id)
    assert teams.list_invitations(owner) == []
    with pytest.raises(ValidationFailed, match="cancelled"):
        teams.accept_invitation(invited.user_id, fresh)


def test_invitation_expires_after_seven_days_and_reinviting_replaces_the_old_link(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    first = _invite(owner, "dana@example.com")
    [inv] = teams.list_invitations(owner)
    assert dt.timedelta(days=6, hours=23) < inv.expires_at - inv.created_at <= dt.timedelta(days=7)
    second = _invite(owner, "dana@example.com")
    assert teams.preview_invitation(first).status is InvitationStatus.REVOKED
    assert teams.preview_invitation(second).status is InvitationStatus.VALID
    assert len(teams.list_invitations(owner)) == 1


def test_who_may_invite_which_role(db: str) -> None:
    team_id = make_team()
    owner, admin, manager, member = (make_member(team_id, r) for r in TeamRole)
    for role in TeamRole:
        teams.invite_member(owner, InviteInput(email=f"o-{role.value.lower()}@example.com", role=role))
    for role in (TeamRole.MANAGER, TeamRole.MEMBER):
        teams.invite_member(admin, InviteInput(email=f"a-{role.value.lower()}@example.com", role=role))
    for role in (TeamRole.OWNER, TeamRole.ADMIN):
        with pytest.raises(PermissionDenied, match="Only an owner"):
            teams.invite_member(admin, InviteInput(email="x@example.com", role=role))
    for actor in (manager, member):
        with pytest.raises(PermissionDenied):
            teams.invite_member(actor, InviteInput(email="y@example.com"))
    with pytest.raises(Conflict, match="already a member"):
        teams.invite_member(owner, InviteInput(email=member.email))


def test_change_role_and_remove_member_follow_the_rank_rules(db: str) -> None:
    team_id = make_team()
    owner, admin, manager, member = (make_member(team_id, r) for r in TeamRole)
    other_admin = make_member(team_id, TeamRole.ADMIN)
    assert teams.change_role(admin, member.user_id, TeamRole.MANAGER).role is TeamRole.MANAGER
    with pytest.raises(PermissionDenied):
        teams.change_role(admin, other_admin.user_id, TeamRole.MEMBER)  # a peer admin
    with pytest.raises(PermissionDenied):
        teams.change_role(admin, member.user_id, TeamRole.ADMIN)  # granting their own rank
    with pytest.raises(PermissionDenied):
        teams.change_role(manager, member.user_id, TeamRole.MEMBER)
    assert teams.change_role(owner, other_admin.user_id, TeamRole.OWNER).role is TeamRole.OWNER

    lead = make_lead(owner, assigned_to_id=manager.user_id)
    teams.remove_member(admin, manager.user_id)
    assert leads.get_lead(owner, lead.id).assigned_to is None
    with pytest.raises(NotFound):
        teams.remove_member(admin, manager.user_id)
    with pytest.raises(ValidationFailed, match="Leave team"):
        teams.remove_member(owner, owner.user_id)
    with pytest.raises(PermissionDenied):
        teams.remove_member(admin, owner.user_id)
    assert {"team.role_change", "team.member_remove"} <= set(_actions())


def test_the_last_owner_cannot_leave_be_removed_or_be_demoted(db: str) -> None:
    team_id = make_team()
    owner = make_member(team_id, TeamRole.OWNER)
    member = make_member(team_id, TeamRole.MEMBER)
    with pytest.raises(Conflict, match="at least one owner"):
        teams.leave_team(owner)
    with pytest.raises(Conflict, match="at least one owner"):
        teams.change_role(owner, owner.user_id, TeamRole.ADMIN)
    co_owner = make_member(team_id, TeamRole.OWNER)
    teams.remove_member(co_owner, owner.user_id)  # two owners: one may go
    with pytest.raises(Conflict):
        teams.leave_team(co_owner)
    teams.leave_team(member)
    assert [m.user_id for m in teams.list_members(co_owner)] == [co_owner.user_id]


def test_transfer_ownership_swaps_owner_and_admin(db: str) -> None:
    team_id = make_team()
    owner = make_member(team_id, TeamRole.OWNER)
    agent = make_member(team_id, TeamRole.MEMBER)
    admin = make_member(team_id, TeamRole.ADMIN)
    with pytest.raises(PermissionDenied):
        teams.transfer_ownership(admin, agent.user_id)
    with pytest.raises(NotFound):
        teams.transfer_ownership(owner, make_member(make_team()).user_id)
    assert teams.transfer_ownership(owner, agent.user_id).role is TeamRole.OWNER
    roles = {m.user_id: m.role for m in teams.list_members(admin)}
    assert roles[agent.user_id] is TeamRole.OWNER and roles[owner.user_id] is TeamRole.ADMIN
    assert teams.list_members(admin)[0].user_id == agent.user_id  # owners first
    assert "team.ownership_transfer" in _actions()


def test_foreign_ids_answer_not_found(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    foreign_owner = make_member(make_team(), TeamRole.OWNER)
    foreign_member = make_member(foreign_owner.team_id, TeamRole.MEMBER)
    teams.invite_member(foreign_owner, InviteInput(email="f@example.com"))
    [foreign_inv] = teams.list_invitations(foreign_owner)
    with pytest.raises(NotFound):
        teams.remove_member(owner, foreign_member.user_id)
    with pytest.raises(NotFound):
        teams.change_role(owner, foreign_member.user_id, TeamRole.MANAGER)
    with pytest.raises(NotFound):
        teams.revoke_invitation(owner, foreign_inv.id)
    assert all(m.user_id != foreign_member.user_id for m in teams.list_members(owner))
    with transaction() as session:
        assert session.scalar(select(TeamMember.id).where(TeamMember.user_id == foreign_member.user_id))


def test_an_invitation_link_works_once_even_when_clicked_twice_at_the_same_time(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    joiner = make_member(make_team(), TeamRole.MEMBER, email="twice@example.com")
    token = _invite(owner, "twice@example.com")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def accept() -> None:
        barrier.wait()
        try:
            teams.accept_invitation(joiner.user_id, token)
            outcomes.append("joined")
        except (ValidationFailed, Conflict) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes)[-1] == "joined" and outcomes.count("joined") == 1, outcomes
    with transaction() as session:
        assert session.scalar(select(func.count()).select_from(TeamMember).where(
            TeamMember.team_id == owner.team_id, TeamMember.user_id == joiner.user_id)) == 1
