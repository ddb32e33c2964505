"""Two teams with one member of every role, a lead, a spare member and an invitation each.

The isolation tests act as each role of team "own" on ids of team "own" (must work when the
role allows it) and of team "foreign" (must answer "not found").
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from crm.db import transaction
from crm.enums import LeadSource, LeadStatus, SystemRole, TeamRole
from crm.orm import Lead, Team, TeamInvitation, TeamMember, User
from crm.schemas.common import Actor
from crm.security import hash_password
from crm.services.audit import record_audit
from tests.factories import PASSWORD

_seq = itertools.count(1)

# The four team roles, plus a system ADMIN who is only a MEMBER of the team.
SYSADMIN = "SYSADMIN"
ROLES: list[str] = [r.value for r in TeamRole] + [SYSADMIN]


@dataclass(frozen=True)
class Side:
    team_id: int
    team_name: str
    owner: Actor
    target: Actor  # a plain MEMBER others act on (remove, change role, transfer, assign)
    lead_id: int  # unassigned: visible to every role of its team
    invitation_id: int


@dataclass(frozen=True)
class World:
    own: Side
    foreign: Side
    actors: dict[str, Actor]

    def side(self, foreign: bool) -> Side:
        return self.foreign if foreign else self.own


_PASSWORD_HASH: list[str] = []


def _password_hash() -> str:
    if not _PASSWORD_HASH:  # hash once: every world user shares the factories' password
        _PASSWORD_HASH.append(hash_password(PASSWORD))
    return _PASSWORD_HASH[0]


def _user(session: Session, team_id: int, role: TeamRole, name: str, email: str,
          system_role: SystemRole = SystemRole.USER) -> Actor:
    user = User(email=email, name=name, password_hash=_password_hash(), role=system_role)
    session.add(user)
    session.flush()
    session.add(TeamMember(team_id=team_id, user_id=user.id, role=role))
    return Actor(user_id=user.id, team_id=team_id, team_role=role, system_role=system_role, name=name, email=email)


def _side(session: Session, name: str) -> tuple[Side, dict[str, Actor]]:
    n = next(_seq)
    team = Team(name=name, slug=f"{name.lower()}-{n}")
    session.add(team)
    session.flush()
    domain = f"{name.lower()}{n}.example.com"
    actors = {role.value: _user(session, team.id, role, f"{name} {role.value.title()}", f"{role.value.lower()}@{domain}")
              for role in TeamRole}
    owner = actors[TeamRole.OWNER.value]
    target = _user(session, team.id, TeamRole.MEMBER, f"{name} Target", f"target@{domain}")
    lead = Lead(team_id=team.id, created_by_id=owner.user_id, first_name=f"{name} Lead", email=f"lead@{domain}",
                source=LeadSource.WEBSITE, status=LeadStatus.NEW)
    invitation = TeamInvitation(team_id=team.id, email=f"invitee@{domain}", role=TeamRole.MEMBER,
                                token_hash=secrets.token_hex(32), invited_by_id=owner.user_id,
                                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    session.add_all([lead, invitation])
    session.flush()
    record_audit(session, actor=owner, action="lead.create", resource="lead", resource_id=lead.id)
    return Side(team.id, name, owner, target, lead.id, invitation.id), actors


def build_world() -> World:
    """Build both teams in one transaction (hundreds of matrix cases each build one)."""
    with transaction() as session:
        own, actors = _side(session, "Own")
        foreign, _ = _side(session, "Foreign")
        n = next(_seq)
        actors[SYSADMIN] = _user(session, own.team_id, TeamRole.MEMBER, "Root", f"root{n}@example.com",
                                 SystemRole.ADMIN)
    return World(own=own, foreign=foreign, actors=actors)
