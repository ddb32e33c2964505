"""AppTest fixtures: a fast AppTest, a small brokerage in the test database, signed-in apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from crm.config import get_settings
from crm.db import transaction
from crm.enums import LeadSource, LeadStatus, TaskStatus, TeamRole
from crm.orm import Task
from crm.schemas.common import Actor
from tests.factories import make_lead, make_member, make_team

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = ["pages/dashboard.py", "pages/leads.py", "pages/lead_detail.py", "pages/assistant.py",
         "pages/settings.py"]


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    """st.cache_data lives for the whole process; ids repeat across test databases."""
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()


def signed_in_app(actor: Actor) -> AppTest:
    """An AppTest of the real entry point with `actor` already signed in (not run yet)."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state["auth"] = {"user_id": actor.user_id, "team_id": actor.team_id}
    return at


def anonymous_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=30)


def open_page(at: AppTest, page: str) -> AppTest:
    """Run once (st.navigation registers the pages on a run), then switch to `page`."""
    at.run()
    return at.switch_page(page).run()


# (first name, last name, status, source, assignee, value)
LEAD_SPECS = [
    ("Alice", "Anders", LeadStatus.NEW, LeadSource.WEBSITE, "agent", 300_000),
    ("Ben", "Brooks", LeadStatus.NEW, LeadSource.ZILLOW, "agent2", 450_000),
    ("Cara", "Cole", LeadStatus.CONTACTED, LeadSource.REFERRAL, "agent", 500_000),
    ("Dan", "Dunn", LeadStatus.CONTACTED, LeadSource.WEBSITE, None, 250_000),
    ("Eve", "Evans", LeadStatus.QUALIFIED, LeadSource.ZILLOW, "agent2", 600_000),
    ("Finn", "Fox", LeadStatus.PROPOSAL, LeadSource.OPEN_HOUSE, "agent", 750_000),
    ("Gina", "Gray", LeadStatus.NEGOTIATION, LeadSource.REFERRAL, "agent2", 900_000),
    ("Hank", "Hill", LeadStatus.WON, LeadSource.WEBSITE, "agent", 400_000),
    ("Ivy", "Irwin", LeadStatus.WON, LeadSource.SOCIAL, "agent2", 350_000),
    ("Jack", "Jones", LeadStatus.LOST, LeadSource.ZILLOW, None, 200_000),
]
OPEN_VALUE = sum(spec[5] for spec in LEAD_SPECS if spec[2].is_open)


@dataclass
class Brokerage:
    team_id: int
    owner: Actor
    manager: Actor
    agent: Actor
    agent2: Actor
    leads: dict[str, int] = field(default_factory=dict)  # first name -> lead id
    rival_team_id: int = 0
    foreign_lead_id: int = 0

    def by_role(self, role: TeamRole) -> Actor:
        return {TeamRole.OWNER: self.owner, TeamRole.MANAGER: self.manager, TeamRole.MEMBER: self.agent}[role]

    def visible_to_agent(self) -> list[str]:
        return [s[0] for s in LEAD_SPECS if s[4] in ("agent", None)]


def add_task_due_today(actor: Actor, title: str = "Call back Alice") -> None:
    """A pending task due at noon today in the product's time zone."""
    tz = ZoneInfo(get_settings().timezone)
    noon = dt.datetime.now(tz).replace(hour=12, minute=0, second=0, microsecond=0)
    with transaction() as session:
        session.add(Task(team_id=actor.team_id, title=title, due_date=noon.astimezone(dt.UTC),
                         status=TaskStatus.PENDING, assigned_to_id=actor.user_id, created_by_id=actor.user_id))


@pytest.fixture
def brokerage(db: str) -> Brokerage:
    """Harbor Test Realty: owner, manager, two agents, ten leads across statuses; plus a rival team."""
    team_id = make_team("Harbor Test Realty")
    owner = make_member(team_id, TeamRole.OWNER, name="Olga Owner", email="owner@harbortest.com")
    manager = make_member(team_id, TeamRole.MANAGER, name="Max Manager", email="manager@harbortest.com")
    agent = make_member(team_id, TeamRole.MEMBER, name="Andy Agent", email="agent@harbortest.com")
    agent2 = make_member(team_id, TeamRole.MEMBER, name="Bea Agent", email="agent2@harbortest.com")
    world = Brokerage(team_id=team_id, owner=owner, manager=manager, agent=agent, agent2=agent2)
    people = {"agent": agent, "agent2": agent2}
    for first, last, status, source, who, value in LEAD_SPECS:
        lead = make_lead(owner, first_name=first, last_name=last, email=f"{first.lower()}@buyers.com",
                         status=status, source=source, value=Decimal(value),
                         assigned_to_id=people[who].user_id if who else None)
        world.leads[first] = lead.id
    add_task_due_today(agent)

    rival = world.rival_team_id = make_team("Rival Homes")
    rival_owner = make_member(rival, TeamRole.OWNER, name="Rita Rival", email="owner@rival.com")
    world.foreign_lead_id = make_lead(rival_owner, first_name="Zed", last_name="Foreign",
                                      email="zed@buyers.com").id
    return world
