"""Forgot password: emails a one-hour, single-use reset link (same answer whether or not the account exists)."""

from __future__ import annotations

import streamlit as st

from crm.ui import session
from crm.ui.account import public_layout
from crm.ui.errors import attempt

SENT_KEY = "forgot_password_sent"

session.ensure_routed()
with public_layout("Reset your password", "We'll email you a link to choose a new password."):
    if st.session_state.get(SENT_KEY):
        st.success("If an account exists for that email, a reset link is on its way. "
                   "It works once, for one hour.", icon=":material/outgoing_mail:")
    else:
        with st.form("forgot_password_form"):
            email = st.text_input("Email", key="forgot_password_email", autocomplete="email")
            submitted = st.form_submit_button("Send the link", type="primary", icon=":material/send:",
                                              width="stretch")
        if submitted:
            if not email.strip():
                st.error("Enter your email.", icon=":material/error:")
            else:
                from crm.services import auth

                ip_address, _ = session.client_origin()
                if attempt(lambda: auth.request_password_reset(email.strip(), ip_address=ip_address) or True):
                    st.session_state[SENT_KEY] = True
                    st.rerun()
    st.page_link("pages/sign_in.py", label="Back to sign in", icon=":material/login:")
