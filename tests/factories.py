"""Small builders for test data, going through the real services where one exists."""

from __future__ import annotations

import itertools
from decimal import Decimal

from crm.db import transaction
from crm.enums import LeadSource, LeadStatus, SystemRole, TeamRole
from crm.orm import Team, TeamMember, User
from crm.schemas.common import Actor
from crm.schemas.leads import LeadCreate, LeadDetail
from crm.security import hash_password
from crm.services import leads

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_team(name: str | None = None) -> int:
    n = next(_seq)
    with transaction() as session:
        team = Team(name=name or f"Team {n}", slug=f"team-{n}-{id(object())}")
        session.add(team)
        session.flush()
        return team.id


def make_member(team_id: int, role: TeamRole = TeamRole.MEMBER, *, name: str | None = None,
                email: str | None = None, active: bool = True,
                system_role: SystemRole = SystemRole.USER) -> Actor:
    n = next(_seq)
    with transaction() as session:
        user = User(email=email or f"user{n}@agency{n}.com", name=name or f"User {n}",
                    password_hash=hash_password(PASSWORD), is_active=active, role=system_role)
        session.add(user)
        session.flush()
        session.add(TeamMember(team_id=team_id, user_id=user.id, role=role))
        return Actor(user_id=user.id, team_id=team_id, team_role=role, system_role=system_role,
                     name=user.name, email=user.email)


def make_lead(actor: Actor, **overrides: object) -> LeadDetail:
    n = next(_seq)
    data = {
        "first_name": f"Lead{n}", "last_name": "Buyer", "email": f"lead{n}@mail{n}.com",
        "source": LeadSource.WEBSITE, "status": LeadStatus.NEW, "value": Decimal("450000.00"),
        **overrides,
    }
    return leads.create_lead(actor, LeadCreate(**data))
