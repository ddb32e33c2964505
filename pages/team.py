"""Team: members and their roles, invitations, leaving / handing over the team, the permission table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.enums import TeamRole
from crm.schemas.common import Actor
from crm.schemas.teams import InvitationStatus, InviteInput, TeamCreate
from crm.services import teams
from crm.services.permissions import Action, can, permission_matrix
from crm.ui import cached, session
from crm.ui.account import notice, show_notice
from crm.ui.errors import attempt
from crm.ui.format import absolute_time, enum_label

ROLES = list(TeamRole)


def role_label(role: TeamRole) -> str:
    return enum_label(role)


def after_change(message: str) -> None:
    notice("success", message)
    cached.forget_reads()
    cached.memberships.clear()
    st.rerun()


def members_section(actor: Actor) -> None:
    members = attempt(lambda: teams.list_members(actor))
    if members is None:
        return
    st.subheader("Members")
    st.dataframe(
        pd.DataFrame([{"Name": m.name, "Email": m.email, "Role": role_label(m.role),
                       "Joined": absolute_time(m.joined_at), "Active": m.is_active} for m in members]),
        hide_index=True, width="stretch",
        column_config={"Active": st.column_config.CheckboxColumn("Active")},
    )
    others = {m.user_id: m for m in members if m.user_id != actor.user_id}
    manage = can(actor, Action.CHANGE_ROLES) or can(actor, Action.REMOVE_MEMBERS)
    if manage and others:
        with st.container(border=True):
            st.markdown("**Manage a member**")
            who = st.selectbox("Member", options=list(others), key="team_member_pick",
                               format_func=lambda uid: f"{others[uid].name} · {others[uid].email} "
                                                       f"({role_label(others[uid].role)})")
            target = others[who]
            left, right = st.columns(2, vertical_alignment="bottom")
            if can(actor, Action.CHANGE_ROLES):
                new_role = left.selectbox("New role", options=ROLES, index=ROLES.index(target.role),
                                          format_func=role_label, key="team_member_role")
                if left.button("Change role", key="team_change_role", icon=":material/manage_accounts:"):
                    if attempt(lambda: teams.change_role(actor, who, new_role)):
                        after_change(f"{target.name} is now {role_label(new_role)}.")
            if can(actor, Action.REMOVE_MEMBERS):
                sure = right.checkbox(f"Yes, remove {target.name}", key="team_remove_confirm")
                if right.button("Remove from team", key="team_remove", icon=":material/person_remove:",
                                disabled=not sure):
                    if attempt(lambda: teams.remove_member(actor, who) or True):
                        after_change(f"{target.name} was removed from the team.")
    if can(actor, Action.TRANSFER_OWNERSHIP) and others:
        with st.expander("Transfer ownership", icon=":material/swap_horiz:"):
            st.caption("The new owner gets every right; you become an Admin of the team.")
            heir = st.selectbox("New owner", options=list(others), key="team_transfer_pick",
                                format_func=lambda uid: f"{others[uid].name} · {others[uid].email}")
            sure = st.checkbox("I understand I will no longer be an owner", key="team_transfer_confirm")
            if st.button("Transfer ownership", key="team_transfer", disabled=not sure, type="primary"):
                if attempt(lambda: teams.transfer_ownership(actor, heir)):
                    after_change(f"{others[heir].name} now owns the team.")


def invitations_section(actor: Actor) -> None:
    if not can(actor, Action.INVITE_MEMBERS):
        return
    st.subheader("Invitations")
    with st.form("team_invite_form", clear_on_submit=False):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        email = left.text_input("Email", key="team_invite_email", placeholder="agent@brokerage.com")
        grantable = ROLES if actor.team_role is TeamRole.OWNER else [TeamRole.MANAGER, TeamRole.MEMBER]
        role = right.selectbox("Role", options=grantable, index=grantable.index(TeamRole.MEMBER),
                               format_func=role_label, key="team_invite_role")
        sent = st.form_submit_button("Send invitation", type="primary", icon=":material/send:")
    if sent:
        if not email.strip():
            st.error("Enter the email address to invite.", icon=":material/error:")
        else:
            invitation = attempt(lambda: teams.invite_member(actor, InviteInput(email=email, role=role)))
            if invitation is not None:
                st.session_state.pop("team_invite_email", None)
                after_change(f"Invitation sent to {invitation.email} (valid 7 days).")
    invitations = attempt(lambda: teams.list_invitations(actor)) or []
    pending = [i for i in invitations if i.status is InvitationStatus.VALID]
    if not pending:
        st.caption("No pending invitations.")
    for inv in pending:
        a, b, c, d = st.columns([4, 2, 3, 2], vertical_alignment="center")
        a.markdown(f"`{inv.email}`")
        b.markdown(role_label(inv.role))
        c.caption(f"Expires {absolute_time(inv.expires_at)}")
        if d.button("Revoke", key=f"team_revoke_{inv.id}", icon=":material/cancel:"):
            if attempt(lambda inv_id=inv.id: teams.revoke_invitation(actor, inv_id) or True):
                after_change(f"The invitation to {inv.email} was revoked.")


def yourself_section(actor: Actor) -> None:
    st.subheader("You and your teams")
    left, right = st.columns(2)
    with left.container(border=True):
        st.markdown("**Leave this team**")
        sure = st.checkbox("Yes, leave the team", key="team_leave_confirm")
        if st.button("Leave team", key="team_leave", icon=":material/logout:", disabled=not sure):
            if attempt(lambda: teams.leave_team(actor) or True):
                cached.memberships.clear()
                remaining = cached.memberships(actor.user_id)
                if remaining:
                    session.switch_team(remaining[0].team_id)
                    session.reset_page_state()
                    notice("success", "You left the team.")
                    st.rerun()
                session.sign_out_here()
                st.rerun()
    with right.container(border=True):
        st.markdown("**Create another team**")
        with st.form("team_create_form"):
            name = st.text_input("Team name", key="team_create_name")
            created = st.form_submit_button("Create team", icon=":material/add:")
        if created:
            team = attempt(lambda: teams.create_team(actor, TeamCreate(name=name)))
            if team is not None:
                cached.memberships.clear()
                session.switch_team(team.id)
                session.reset_page_state()
                notice("success", f"Created {team.name}; you own it and it is now your active team.")
                st.rerun()


actor = session.require_actor()
team = attempt(lambda: teams.get_team(actor))
st.title(f"Team · {team.name}" if team else "Team")
show_notice()
if team is not None:
    st.caption(f"{team.member_count} member{'s' if team.member_count != 1 else ''} · "
               f"your role: {role_label(actor.team_role)}")

members_section(actor)
invitations_section(actor)
yourself_section(actor)

st.subheader("Who can do what")
st.caption("One table in code decides every permission; agents (Members) work their own and unassigned leads.")
st.dataframe(pd.DataFrame(permission_matrix()).rename(columns={"action": "Action"}), hide_index=True,
             width="stretch")
