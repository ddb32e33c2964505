"""Who is signed in, kept in `st.session_state["auth"]`, re-checked against the database each run.

A sign-in starts a server-side browser session (`crm.services.sessions`); its token is kept in
session state and, through a signed HttpOnly cookie (`crm.ui.browser_session`), survives a
browser reload: a new websocket session resumes from the cookie.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypedDict

import streamlit as st

from crm.errors import AuthenticationFailed, DomainError
from crm.schemas.auth import SignedInUser
from crm.schemas.common import Actor
from crm.services import auth, sessions
from crm.ui import browser_session

AUTH_KEY = "auth"
# Shell keys (the "app_" prefix survives a team switch, see reset_page_state).
COOKIE_TICKET_KEY = "app_cookie_ticket"  # a ticket the browser still has to exchange for the cookie
CLEAR_COOKIE_KEY = "app_clear_cookie"  # ask the browser to drop the cookie (after sign-out/expiry)
DEAD_COOKIE_KEY = "app_dead_cookie"  # a cookie token the server refused: don't ask again
# Set while app.py runs the selected page, so a page can tell it was reached through the router.
_router = threading.local()


class AuthState(TypedDict, total=False):
    user_id: int
    team_id: int
    token: str  # the browser session's raw token (server memory only; the cookie holds it signed)


def sign_in(user: SignedInUser) -> None:
    """Start a browser session for the user in their first team and hand the browser its cookie."""
    if not user.memberships:
        raise DomainError("Your account is not a member of any team yet.")
    team_id = user.memberships[0].team_id
    ip_address, user_agent = client_origin()
    token = sessions.start_browser_session(user.user_id, team_id, ip_address=ip_address,
                                           user_agent=user_agent)
    st.session_state.pop(DEAD_COOKIE_KEY, None)
    st.session_state.pop(CLEAR_COOKIE_KEY, None)
    st.session_state[AUTH_KEY] = AuthState(user_id=user.user_id, team_id=team_id, token=token)
    st.session_state[COOKIE_TICKET_KEY] = browser_session.issue_ticket(token)


def sign_out() -> None:
    """Sign out everywhere: end every browser session and API token of the user, clear the cookie."""
    state: AuthState | None = st.session_state.get(AUTH_KEY)
    if state:
        try:
            auth.logout(auth.get_actor(state["user_id"], state.get("team_id")))
        except DomainError:  # already deactivated or removed: nothing left to end
            if token := state.get("token"):
                sessions.end_browser_session(token)
    forget()


def current_token() -> str | None:
    """This browser's session token (None when signed in without one, as in tests)."""
    state: AuthState | None = st.session_state.get(AUTH_KEY)
    return state.get("token") if state else None


def sign_out_here() -> None:
    """End only this browser's session (e.g. after leaving one's last team) and forget it."""
    state: AuthState | None = st.session_state.get(AUTH_KEY)
    if state and (token := state.get("token")):
        sessions.end_browser_session(token)
    forget()


def forget() -> None:
    """Forget the signed-in user and every page's state (the server session is left alone)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[CLEAR_COOKIE_KEY] = True


def browser_cookies() -> dict[str, str]:
    """The cookies the browser sent when this session connected (empty outside a server)."""
    try:
        return dict(st.context.cookies)
    except Exception:  # noqa: BLE001 - AppTest / bare mode have no request
        return {}


def current_actor() -> Actor | None:
    """Return the Actor for this browser session, or None when nobody (valid) is signed in.

    Read from the database on every run so that a deactivation, role change, idle timeout or
    sign-out on another device applies at once.
    """
    state: AuthState | None = st.session_state.get(AUTH_KEY)
    if not state:
        return _resume_from_cookie()
    try:
        token = state.get("token")
        if token:
            actor = sessions.resume_browser_session(token)
            if actor is None:
                raise AuthenticationFailed("Your session has ended. Please sign in again.")
        else:  # signed in without a browser session (tests seed this state directly)
            actor = auth.get_actor(state["user_id"], state["team_id"])
    except DomainError:
        forget()
        return None
    if actor.team_id != state.get("team_id"):
        state = AuthState(user_id=actor.user_id, team_id=actor.team_id)
        if token:
            state["token"] = token
        st.session_state[AUTH_KEY] = state
    return actor


def _resume_from_cookie() -> Actor | None:
    token = browser_session.token_from_cookies(browser_cookies())
    if token is None or st.session_state.get(DEAD_COOKIE_KEY) == token:
        return None
    try:
        actor = sessions.resume_browser_session(token)
    except DomainError:
        actor = None
    if actor is None:
        st.session_state[DEAD_COOKIE_KEY] = token
        st.session_state[CLEAR_COOKIE_KEY] = True
        return None
    st.session_state[AUTH_KEY] = AuthState(user_id=actor.user_id, team_id=actor.team_id, token=token)
    return actor


def switch_team(team_id: int) -> None:
    """Make `team_id` the active team (must be one of the user's memberships)."""
    state: AuthState = st.session_state[AUTH_KEY]
    token = state.get("token")
    if token:
        actor = sessions.switch_session_team(token, team_id)  # raises NotFound for a foreign team
    else:
        actor = auth.get_actor(state["user_id"], team_id)
    new_state = AuthState(user_id=actor.user_id, team_id=actor.team_id)
    if token:
        new_state["token"] = token
    st.session_state[AUTH_KEY] = new_state


def sync_cookie() -> None:
    """Render the browser-side step of the cookie hand-over or clean-up, when one is due."""
    ticket = st.session_state.get(COOKIE_TICKET_KEY)
    if ticket:
        if browser_session.ticket_pending(ticket):
            st.html(browser_session.cookie_trigger(browser_session.SESSION_PATH, ticket),
                    unsafe_allow_javascript=True)
        else:
            del st.session_state[COOKIE_TICKET_KEY]
    if st.session_state.pop(CLEAR_COOKIE_KEY, False):
        st.html(browser_session.cookie_trigger(browser_session.LOGOUT_PATH), unsafe_allow_javascript=True)


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
