"""Reset password from the emailed link: choose a new one; every session of the account ends."""

from __future__ import annotations

import streamlit as st

from crm.services import auth
from crm.ui import session
from crm.ui.account import PASSWORD_HELP, continue_link, public_layout, query_token
from crm.ui.errors import attempt

DONE_KEY = "reset_password_done"

session.ensure_routed()
token = query_token()
with public_layout("Choose a new password", "After the change, you are signed out everywhere."):
    if st.session_state.get(DONE_KEY):
        st.success("Your password was changed. Sign in with the new one.", icon=":material/check_circle:")
    elif not token:
        st.error("This link is incomplete. Open the link from the email again, or ask for a new one.",
                 icon=":material/link_off:")
    else:
        with st.form("reset_password_form"):
            new = st.text_input("New password", type="password", key="reset_password_new", help=PASSWORD_HELP,
                                autocomplete="new-password")
            again = st.text_input("Repeat the new password", type="password", key="reset_password_again",
                                  autocomplete="new-password")
            submitted = st.form_submit_button("Change password", type="primary", icon=":material/lock_reset:",
                                              width="stretch")
        if submitted:
            if not new:
                st.error("Enter a new password.", icon=":material/error:")
            elif new != again:
                st.error("The two passwords are different.", icon=":material/error:")
            elif attempt(lambda: auth.reset_password(token, new) or True):
                session.forget()  # a signed-in visitor's session was just ended too
                st.session_state[DONE_KEY] = True
                st.rerun()
    continue_link("Go to sign in")
