"""RealEstate Pro — the Streamlit entry point: page config, auth gate, navigation, shared sidebar.

Run with `make run` (uvicorn serving `crm.ui.asgi:app`, which adds the session-cookie routes) or
`streamlit run app.py` (works too, but a sign-in then lasts only as long as the browser tab).
This file only routes; each screen lives in `pages/`. Nothing here touches the database at
import time: the first query happens when a session asks who is signed in.
"""

from __future__ import annotations

import streamlit as st

from crm.enums import SystemRole
from crm.services.permissions import Action, can
from crm.ui import cached, session
from crm.ui.sidebar import render_sidebar

st.set_page_config(page_title="RealEstate Pro", page_icon=":material/home_work:", layout="wide")

SIGN_IN = "pages/sign_in.py"
# The signed-in pages' URLs. A signed-out visitor who follows a link to one of them (say
# /lead?id=7) gets the sign-in form at that URL and lands on the page once signed in.
PROTECTED_URLS = ("dashboard", "leads", "duplicates", "lead", "tasks", "pipeline", "assistant", "settings", "team",
                  "admin")


def email_link_pages(*, hidden: bool) -> list[st.Page]:
    """Pages reached from links in emails; their url_paths match the links the services send."""
    visibility = "hidden" if hidden else "visible"
    return [
        st.Page("pages/verify_email.py", title="Verify email", icon=":material/mark_email_read:",
                url_path="verify-email", visibility=visibility),
        st.Page("pages/reset_password.py", title="Reset password", icon=":material/lock_reset:",
                url_path="reset-password", visibility="hidden"),
        st.Page("pages/accept_invite.py", title="Accept invitation", icon=":material/group_add:",
                url_path="accept-invite", visibility=visibility),
    ]


actor = session.current_actor()

if actor is None:
    page = st.navigation(
        [
            st.Page(SIGN_IN, title="Sign in", icon=":material/login:", url_path="sign-in", default=True),
            st.Page("pages/sign_up.py", title="Sign up", icon=":material/person_add:", url_path="sign-up"),
            st.Page("pages/forgot_password.py", title="Forgot password", icon=":material/help:",
                    url_path="forgot-password"),
            *email_link_pages(hidden=True),
            *(st.Page(SIGN_IN, title="Sign in", url_path=url, visibility="hidden") for url in PROTECTED_URLS),
        ],
        position="hidden",
    )
else:
    account = [
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
        st.Page("pages/team.py", title="Team", icon=":material/groups:"),
    ]
    if can(actor, Action.VIEW_AUDIT_LOG) or actor.system_role is SystemRole.ADMIN:
        account.append(st.Page("pages/admin.py", title="Admin", icon=":material/admin_panel_settings:"))
    page = st.navigation({
        "Work": [
            st.Page("pages/dashboard.py", title="Dashboard", icon=":material/dashboard:", default=True),
            st.Page("pages/leads.py", title="Leads", icon=":material/group:"),
            *([st.Page("pages/lead_import.py", title="Import leads", icon=":material/upload_file:")]
              if can(actor, Action.IMPORT_EXPORT) else []),
            st.Page("pages/duplicates.py", title="Duplicates", icon=":material/join_inner:"),
            st.Page("pages/tasks.py", title="Tasks", icon=":material/task_alt:"),
            # Reached from the Leads table (or /lead?id=…); hidden because it needs a lead to show.
            st.Page("pages/lead_detail.py", title="Lead", icon=":material/person:", url_path="lead",
                    visibility="hidden"),
            st.Page("pages/pipeline.py", title="Pipeline", icon=":material/view_kanban:"),
        ],
        "Assistant": [
            st.Page("pages/assistant.py", title="AI Assistant", icon=":material/smart_toy:"),
        ],
        "Account": [*account, *email_link_pages(hidden=True)],
    })
    render_sidebar(actor)

# Before the page: a page may st.stop(), and the cookie hand-over must still reach the browser.
session.sync_cookie()
try:
    session.run_routed(page.run)
finally:
    # Between runs, as the API server does between requests: keep full collections short.
    cached.gc_pacer().settle()
