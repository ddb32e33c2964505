"""Page gates: pages that need two-factor on for team owners and admins."""

from __future__ import annotations

import streamlit as st

from crm.errors import DomainError
from crm.schemas.common import Actor
from crm.services import two_factor


def require_two_factor(actor: Actor) -> None:
    """Stop the page with a way forward unless the actor may open sensitive pages (ASVS: 2FA for admins)."""
    try:
        two_factor.require_for_sensitive(actor)
    except DomainError as exc:
        st.warning(exc.message, icon=":material/lock:")
        st.page_link("pages/settings.py", label="Open Settings → Two-factor", icon=":material/security:")
        st.stop()
