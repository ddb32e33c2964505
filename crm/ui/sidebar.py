"""The shared sidebar: who is signed in, the team switcher and the sign-out button."""

from __future__ import annotations

import streamlit as st

from crm.errors import DomainError
from crm.schemas.common import Actor
from crm.ui import cached, session
from crm.ui.format import enum_label, md_escape

TEAM_KEY = "app_team"
TEAM_ERROR_KEY = "app_team_error"


def render_sidebar(actor: Actor) -> None:
    memberships = cached.memberships(actor.user_id)
    teams = {m.team_id: m for m in memberships}
    with st.sidebar:
        st.markdown(f":material/account_circle: **{md_escape(actor.name or actor.email)}**")
        current = teams.get(actor.team_id)
        team_name = current.team_name if current else ""
        st.caption(f"{enum_label(actor.team_role)} · {md_escape(team_name)}")
        if len(teams) > 1:
            st.selectbox(
                "Team", options=list(teams), index=list(teams).index(actor.team_id),
                format_func=lambda team_id: teams[team_id].team_name,
                key=TEAM_KEY, on_change=_switch_team,
            )
            if error := st.session_state.pop(TEAM_ERROR_KEY, None):
                st.error(error)
        if st.button("Sign out", icon=":material/logout:", key="app_sign_out"):
            session.sign_out()
            st.rerun()


def _switch_team() -> None:
    try:
        session.switch_team(st.session_state[TEAM_KEY])
    except DomainError as exc:
        st.session_state[TEAM_ERROR_KEY] = exc.message
        return
    session.reset_page_state()
