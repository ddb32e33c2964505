"""Sign in: email and password; in demo mode, the demo accounts with a one-click fill."""

from __future__ import annotations

import streamlit as st

from crm.errors import DomainError
from crm.schemas.auth import LoginInput
from crm.services import auth
from crm.ui import session
from crm.ui.errors import attempt, show_domain_error
from crm.ui.format import enum_label

EMAIL_KEY = "sign_in_email"
PASSWORD_KEY = "sign_in_password"


def use_demo_account(email: str, password: str) -> None:
    """Fill the form (a callback, so it runs before the widgets are drawn)."""
    st.session_state[EMAIL_KEY] = email
    st.session_state[PASSWORD_KEY] = password


session.ensure_routed()
_, middle, _ = st.columns([1, 2, 1])
with middle:
    st.title(":material/home_work: RealEstate Pro")
    st.caption("Sign in to your brokerage workspace.")

    with st.form("sign_in_form"):
        email = st.text_input("Email", key=EMAIL_KEY, autocomplete="username")
        password = st.text_input("Password", type="password", key=PASSWORD_KEY, autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:", width="stretch")

    if submitted:
        if not email.strip() or not password:
            st.error("Enter your email and password.", icon=":material/error:")
        else:
            ip_address, user_agent = session.client_origin()
            user = attempt(lambda: auth.authenticate(LoginInput(email=email, password=password),
                                                     ip_address=ip_address, user_agent=user_agent))
            if user is not None:
                try:
                    session.sign_in(user)
                except DomainError as exc:  # an account that belongs to no team yet
                    show_domain_error(exc)
                else:
                    st.rerun()

    demo_accounts = auth.demo_accounts()
    if demo_accounts:
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
