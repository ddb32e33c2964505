"""Sign in: email and password, then the 2FA code when the account has it; demo accounts in demo mode."""

from __future__ import annotations

import streamlit as st

from crm.errors import DomainError, TwoFactorRequired
from crm.schemas.auth import LoginInput, SignedInUser
from crm.services import auth
from crm.ui import session
from crm.ui.errors import attempt, show_domain_error
from crm.ui.format import enum_label

EMAIL_KEY = "sign_in_email"
PASSWORD_KEY = "sign_in_password"
CODE_KEY = "sign_in_code"
TICKET_KEY = "sign_in_2fa_ticket"  # the one-time ticket of a password check that still needs the code


def use_demo_account(email: str, password: str) -> None:
    """Fill the form (a callback, so it runs before the widgets are drawn)."""
    st.session_state[EMAIL_KEY] = email
    st.session_state[PASSWORD_KEY] = password


def cancel_two_factor() -> None:
    st.session_state.pop(TICKET_KEY, None)
    st.session_state[PASSWORD_KEY] = ""


def check_password(email: str, password: str) -> SignedInUser | None:
    """The password step; a 2FA account gets a ticket for the code step instead of a sign-in."""
    ip_address, user_agent = session.client_origin()
    try:
        return auth.authenticate(LoginInput(email=email, password=password),
                                 ip_address=ip_address, user_agent=user_agent)
    except TwoFactorRequired as exc:
        st.session_state[TICKET_KEY] = exc.ticket
        return None


def finish(user: SignedInUser | None) -> None:
    if user is None:
        return
    try:
        session.sign_in(user)
    except DomainError as exc:  # an account that belongs to no team yet
        show_domain_error(exc)
    else:
        st.session_state.pop(TICKET_KEY, None)
        st.rerun()


session.ensure_routed()
_, middle, _ = st.columns([1, 2, 1])
with middle:
    st.title(":material/home_work: RealEstate Pro")
    st.caption("Sign in to your brokerage workspace.")

    if st.session_state.get(TICKET_KEY):
        with st.form("sign_in_2fa_form"):
            st.markdown("**Two-factor authentication**")
            code = st.text_input("Authentication code", key=CODE_KEY, autocomplete="one-time-code",
                                 placeholder="123456",
                                 help="The 6-digit code from your authenticator app, or one of your recovery codes.")
            verified = st.form_submit_button("Verify", type="primary", icon=":material/verified_user:",
                                             width="stretch")
        st.button("Back to sign in", key="sign_in_2fa_back", on_click=cancel_two_factor, type="tertiary")
        if verified:
            if not code.strip():
                st.error("Enter the code from your authenticator app.", icon=":material/error:")
            else:
                ip_address, user_agent = session.client_origin()
                ticket = st.session_state[TICKET_KEY]
                finish(attempt(lambda: auth.complete_two_factor(ticket, code.strip(), ip_address=ip_address,
                                                                user_agent=user_agent)))
    else:
        with st.form("sign_in_form"):
            email = st.text_input("Email", key=EMAIL_KEY, autocomplete="username")
            password = st.text_input("Password", type="password", key=PASSWORD_KEY,
                                     autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:", width="stretch")

        if submitted:
            if not email.strip() or not password:
                st.error("Enter your email and password.", icon=":material/error:")
            else:
                user = attempt(lambda: check_password(email, password))
                if user is None and st.session_state.get(TICKET_KEY):
                    st.rerun()  # show the code step
                finish(user)

        left, right = st.columns(2)
        left.page_link("pages/forgot_password.py", label="Forgot your password?", icon=":material/help:")
        right.page_link("pages/sign_up.py", label="Create an account", icon=":material/person_add:")

    demo_accounts = auth.demo_accounts()
    if demo_accounts and not st.session_state.get(TICKET_KEY):
        st.info(
            "**Demo mode** — try the CRM with one of these accounts. "
            "Each role sees different data: agents see their own and unassigned leads.",
            icon=":material/info:",
        )
        with st.container(border=True):
            for number, account in enumerate(demo_accounts):
                left, right = st.columns([5, 1], vertical_alignment="center")
                left.markdown(
                    f"**{enum_label(account.role)}** · `{account.email}` · password `{account.password}`"
                )
                right.button(
                    "Use", key=f"sign_in_use_{number}", help=f"Fill in {account.email}",
                    on_click=use_demo_account, args=(account.email, account.password),
                )
