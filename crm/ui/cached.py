"""Short-lived `st.cache_data` wrappers around read services, keyed by who is asking.

Services stay cache-free (Streamlit's guidance: caching is an entry-point concern). Every
wrapper takes the Actor, hashed by identity *and* role so a role change never serves data
computed for the old role. Pages call `forget_reads()` after any write.
"""

from __future__ import annotations

import streamlit as st

from crm.gc_pacing import GcPacer
from crm.schemas.auth import Membership
from crm.schemas.common import Actor
from crm.schemas.dashboard import DashboardOverview
from crm.schemas.leads import UserRef
from crm.services import auth, dashboard, leads

TTL_SECONDS = 60


def _actor_key(actor: Actor) -> tuple[int, int, str]:
    return (actor.user_id, actor.team_id, actor.team_role.value)


_BY_ACTOR = {Actor: _actor_key}


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, hash_funcs=_BY_ACTOR)
def dashboard_overview(actor: Actor) -> DashboardOverview:
    return dashboard.get_overview(actor)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, hash_funcs=_BY_ACTOR)
def assignees(actor: Actor) -> list[UserRef]:
    return leads.list_assignees(actor)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def memberships(user_id: int) -> list[Membership]:
    return auth.list_memberships(user_id)


def forget_reads() -> None:
    """Drop cached reads after a write so the next render shows the change."""
    dashboard_overview.clear()
    assignees.clear()


@st.cache_resource(show_spinner=False)
def gc_pacer() -> GcPacer:
    """The server process's collector pacer (crm.gc_pacing), settled by app.py after each run."""
    pacer = GcPacer()
    pacer.install()
    return pacer
