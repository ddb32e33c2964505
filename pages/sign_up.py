"""Sign up: a new account that owns a new team (brokerage); the email gets a verification link."""

from __future__ import annotations

import streamlit as st

from crm.ui import session
from crm.ui.account import public_layout, sign_up_form

DONE_KEY = "sign_up_done"

session.ensure_routed()
with public_layout("Create your account", "Start a brokerage workspace; invite your team afterwards."):
    if st.session_state.get(DONE_KEY):
        st.success("Check your inbox: we sent you a link to confirm your email address. "
                   "You can sign in right away.", icon=":material/mark_email_read:")
    elif sign_up_form(key="sign_up"):
        st.session_state[DONE_KEY] = True
        st.rerun()
    st.page_link("pages/sign_in.py", label="Already have an account? Sign in", icon=":material/login:")
