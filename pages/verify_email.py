"""Verify email from the emailed link (checked once per visit; the link works once)."""

from __future__ import annotations

import streamlit as st

from crm.errors import DomainError
from crm.services import auth
from crm.ui import session
from crm.ui.account import continue_link, public_layout, query_token

RESULT_KEY = "verify_email_result"  # token -> (ok, message)

session.ensure_routed()
token = query_token()
with public_layout("Verify your email", "Confirming the address you signed up with."):
    if not token:
        st.error("This link is incomplete. Open the link from the email again.", icon=":material/link_off:")
    else:
        results: dict[str, tuple[bool, str]] = st.session_state.setdefault(RESULT_KEY, {})
        if token not in results:
            try:
                auth.verify_email(token)
                results[token] = (True, "Your email address is verified. Thank you!")
            except DomainError as exc:
                results[token] = (False, exc.message)
        ok, message = results[token]
        if ok:
            st.success(message, icon=":material/verified:")
        else:
            st.error(message, icon=":material/error:")
    continue_link()
