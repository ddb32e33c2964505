"""Who is signed in, kept in `st.session_state["auth"]`, re-checked against the database each run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypedDict

import streamlit as st

from crm.errors import DomainError
from crm.schemas.auth import SignedInUser
from crm.schemas.common import Actor
from crm.services import auth

AUTH_KEY = "auth"
# Set while app.py runs the selected page, so a page can tell it was reached through the router.
_router = threading.local()


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


def run_routed(run_page: Callable[[], None]) -> None:
    """Run the page app.py selected, marked as routed (see `ensure_routed`)."""
    _router.active = True
    try:
        run_page()
    finally:
        _router.active = False


def ensure_routed() -> None:
    """Send a page run outside app.py back through the router.

    Because the folder is named `pages/`, a freshly started server runs a deep-linked page
    file directly (Streamlit's legacy multipage mode) until some session has run app.py's
    st.navigation — skipping the auth gate and the sidebar. Re-entering app.py fixes it.
    """
    if not getattr(_router, "active", False):
        st.switch_page("app.py")


def require_actor() -> Actor:
    """Return the signed-in Actor or stop the page (app.py routes anonymous users to sign-in)."""
    ensure_routed()
    actor = current_actor()
    if actor is None:
        st.warning("Please sign in.")
        st.stop()
    assert actor is not None
    return actor


SHELL_PREFIX = "app_"


def reset_page_state() -> None:
    """Forget every page's state but keep the sign-in and the shell's own widgets.

    Used on a team switch: filters, selections and open leads belong to the previous team.
    """
    for key in list(st.session_state.keys()):
        if key != AUTH_KEY and not str(key).startswith(SHELL_PREFIX):
            del st.session_state[key]


def client_origin() -> tuple[str | None, str | None]:
    """The browser's IP address and User-Agent, for the sign-in audit trail (None when unknown)."""
    ip = st.context.ip_address
    agent = st.context.headers.get("User-Agent")
    # Outside a real server (AppTest, bare mode) these can be placeholders rather than strings.
    return (ip if isinstance(ip, str) else None, agent if isinstance(agent, str) else None)
