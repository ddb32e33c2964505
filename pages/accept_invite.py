"""Accept a team invitation from the emailed link: join as the signed-in user, or create an account."""

from __future__ import annotations

import streamlit as st

from crm.errors import DomainError
from crm.schemas.teams import InvitationStatus
from crm.services import teams
from crm.ui import cached, session
from crm.ui.account import continue_link, public_layout, query_token, sign_up_form
from crm.ui.errors import attempt
from crm.ui.format import enum_label, md_escape

JOINED_KEY = "accept_invite_joined"
SIGNED_UP_KEY = "accept_invite_signed_up"


def join(user_id: int, token: str) -> None:
    membership = attempt(lambda: teams.accept_invitation(user_id, token))
    if membership is None:
        return
    cached.memberships.clear()
    session.switch_team(membership.team_id)
    session.reset_page_state()
    st.session_state[JOINED_KEY] = membership.team_name
    st.rerun()


session.ensure_routed()
token = query_token()
with public_layout("Join a team", "An invitation to work together in RealEstate Pro."):
    if joined := st.session_state.get(JOINED_KEY):
        st.success(f"Welcome to {joined}! It is now your active team.", icon=":material/celebration:")
        continue_link("Open the dashboard")
        st.stop()
    if st.session_state.get(SIGNED_UP_KEY):
        st.success("Your account was created and you joined the team. Sign in to start.",
                   icon=":material/check_circle:")
        continue_link("Sign in")
        st.stop()
    if not token:
        st.error("This link is incomplete. Open the link from the email again.", icon=":material/link_off:")
        continue_link()
        st.stop()
    try:
        preview = teams.preview_invitation(token)
    except DomainError as exc:
        st.error(exc.message, icon=":material/error:")
        continue_link()
        st.stop()

    inviter = f"{md_escape(preview.inviter_name)} invited" if preview.inviter_name else "You are invited:"
    st.markdown(f"{inviter} **{md_escape(preview.email)}** to join **{md_escape(preview.team_name)}** "
                f"as **{enum_label(preview.role)}**.")
    if preview.status is not InvitationStatus.VALID:
        st.error(f"This invitation is {preview.status.value}. Ask the team for a new one.", icon=":material/error:")
        continue_link()
        st.stop()

    actor = session.current_actor()
    if actor is not None:
        if actor.email.lower() != preview.email.lower():
            st.warning(f"You are signed in as {actor.email}, but this invitation is for {preview.email}. "
                       "Sign out and sign in (or sign up) with the invited address.", icon=":material/warning:")
        elif st.button(f"Join {preview.team_name}", type="primary", icon=":material/group_add:",
                       key="accept_invite_join"):
            join(actor.user_id, token)
    else:
        st.info("Already have an account with this email? Sign in, then open the invitation link again. "
                "New here? Create your account below.", icon=":material/info:")
        if sign_up_form(key="accept_invite", invitation_token=token, email=preview.email):
            st.session_state[SIGNED_UP_KEY] = True
            st.rerun()
        continue_link("Sign in instead")
