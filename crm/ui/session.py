"""Who is signed in, kept in `st.session_state["auth"]`, re-checked against the database each run."""

from __future__ import annotations

from typing import TypedDict

import streamlit as st

from crm.errors import DomainError
from crm.schemas.auth import SignedInUser
from crm.schemas.common import Actor
from crm.services import auth

AUTH_KEY = "auth"


class AuthState(TypedDict):
    user_id: int
    team_id: int


def sign_in(user: SignedInUser) -> None:
    """Remember the signed-in user and their first team."""
    if not user.memberships:
        raise DomainError("Your account is not a member of any team yet.")
    st.session_state[AUTH_KEY] = AuthState(user_id=user.user_id, team_id=user.memberships[0].team_id)


def sign_out() -> None:
    """Forget the signed-in user and every page's state."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def current_actor() -> Actor | None:
    """Return the Actor for this browser session, or None when nobody (valid) is signed in.

    Read from the database on every run so that a deactivation or role change applies at once.
    """
    state: AuthState | None = st.session_state.get(AUTH_KEY)
    if not state:
        return None
    try:
        return auth.get_actor(state["user_id"], state["team_id"])
    except DomainError:
        sign_out()
        return None


def switch_team(team_id: int) -> None:
    """Make `team_id` the active team (must be one of the user's memberships)."""
    state: AuthState = st.session_state[AUTH_KEY]
    auth.get_actor(state["user_id"], team_id)  # raises NotFound for a foreign team
    st.session_state[AUTH_KEY] = AuthState(user_id=state["user_id"], team_id=team_id)


def require_actor() -> Actor:
    """Return the signed-in Actor or stop the page (app.py routes anonymous users to sign-in)."""
    actor = current_actor()
    if actor is None:
        st.warning("Please sign in.")
        st.stop()
    assert actor is not None
    return actor
