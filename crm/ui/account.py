"""Pieces shared by the account pages: the narrow public layout, the sign-up form, notices."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from pydantic import ValidationError

from crm.schemas.auth import RegisterInput
from crm.services import auth
from crm.ui import session
from crm.ui.errors import attempt, show_validation_error

PASSWORD_HELP = ("At least 12 characters, up to 128 — a few unrelated words work well. "
                 "Common passwords are refused.")
NOTICE_KEY = "account_notice"  # (kind, text) shown once on the next run


@contextmanager
def public_layout(title: str, caption: str) -> Iterator[None]:
    """The centered column of the signed-out pages, with the product name on top."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(f":material/home_work: {title}")
        st.caption(caption)
        yield


def query_token() -> str:
    """The `token` of an emailed link (empty when missing)."""
    value = st.query_params.get("token", "")
    return value.strip() if isinstance(value, str) else ""


def notice(kind: str, text: str) -> None:
    st.session_state[NOTICE_KEY] = (kind, text)


def show_notice() -> None:
    if item := st.session_state.pop(NOTICE_KEY, None):
        kind, text = item
        {"success": st.success, "error": st.error, "info": st.info}.get(kind, st.info)(text)


def sign_up_form(*, key: str, invitation_token: str | None = None, email: str | None = None) -> bool:
    """The sign-up form; True once an account was requested (the caller then shows what's next).

    With an invitation the email is the invited one and no team is created: the new account
    joins the inviting team.
    """
    with st.form(f"{key}_form"):
        name = st.text_input("Your name", key=f"{key}_name", autocomplete="name")
        typed_email = st.text_input("Email", key=f"{key}_email", value=email or "", disabled=email is not None,
                                    autocomplete="email")
        team_name = None
        if invitation_token is None:
            team_name = st.text_input("Brokerage / team name", key=f"{key}_team",
                                      placeholder="Leave empty for “<your name>'s team”")
        password = st.text_input("Password", type="password", key=f"{key}_password", help=PASSWORD_HELP,
                                 autocomplete="new-password")
        confirm = st.text_input("Repeat the password", type="password", key=f"{key}_confirm",
                                autocomplete="new-password")
        submitted = st.form_submit_button("Create account", type="primary", icon=":material/person_add:",
                                          width="stretch")
    if not submitted:
        return False
    if password != confirm:
        st.error("The two passwords are different.", icon=":material/error:")
        return False
    try:
        data = RegisterInput(email=email or typed_email, password=password, name=name,
                             team_name=(team_name or None), invitation_token=invitation_token)
    except ValidationError as exc:
        show_validation_error(exc)
        return False
    ip_address, user_agent = session.client_origin()
    done = attempt(lambda: auth.register(data, ip_address=ip_address, user_agent=user_agent) or True)
    return bool(done)


def continue_link(label: str = "Continue") -> None:
    """A link onwards: the dashboard when signed in, else the sign-in page."""
    if st.session_state.get(session.AUTH_KEY):
        st.page_link("pages/dashboard.py", label=label, icon=":material/arrow_forward:")
    else:
        st.page_link("pages/sign_in.py", label=label, icon=":material/login:")
