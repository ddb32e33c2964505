"""RealEstate Pro — the Streamlit entry point: page config, auth gate, navigation, shared sidebar.

Run with `streamlit run app.py`. This file only routes; each screen lives in `pages/`.
Nothing here touches the database at import time: the first query happens when a session
asks who is signed in.
"""

from __future__ import annotations

import streamlit as st

from crm.ui import session
from crm.ui.sidebar import render_sidebar

st.set_page_config(page_title="RealEstate Pro", page_icon=":material/home_work:", layout="wide")

SIGN_IN = "pages/sign_in.py"
# The signed-in pages' URLs. A signed-out visitor who follows a link to one of them (say
# /lead?id=7) gets the sign-in form at that URL and lands on the page once signed in.
PROTECTED_URLS = ("dashboard", "leads", "lead", "assistant", "settings")

actor = session.current_actor()

if actor is None:
    page = st.navigation(
        [
            st.Page(SIGN_IN, title="Sign in", icon=":material/login:", url_path="sign-in", default=True),
            *(st.Page(SIGN_IN, title="Sign in", url_path=url, visibility="hidden") for url in PROTECTED_URLS),
        ],
        position="hidden",
    )
else:
    page = st.navigation({
        "Work": [
            st.Page("pages/dashboard.py", title="Dashboard", icon=":material/dashboard:", default=True),
            st.Page("pages/leads.py", title="Leads", icon=":material/group:"),
            # Reached from the Leads table (or /lead?id=…); hidden because it needs a lead to show.
            st.Page("pages/lead_detail.py", title="Lead", icon=":material/person:", url_path="lead",
                    visibility="hidden"),
        ],
        "Assistant": [
            st.Page("pages/assistant.py", title="AI Assistant", icon=":material/smart_toy:"),
        ],
        "Account": [
            st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
        ],
    })
    render_sidebar(actor)

session.run_routed(page.run)
