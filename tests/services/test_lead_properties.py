"""A lead's properties of interest: one row per listing with every kind of interest shown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.db import transaction
from crm.enums import InterestKind, PropertyStatus, PropertyType, TeamRole
from crm.errors import NotFound
from crm.orm import LeadPropertyInterest, Property
from crm.services import lead_properties
from tests.factories import make_lead, make_member, make_team

T0 = dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC)


def _listing(team_id: int, address: str, price: int, **kw: object) -> int:
    with transaction() as s:
        p = Property(team_id=team_id, address=address, city="Austin", state="TX", zip_code="78701",
                     list_price=Decimal(price), property_type=PropertyType.CONDO, beds=2, baths=Decimal("1.5"), **kw)
        s.add(p)
        s.flush()
        return p.id


def _interest(team_id: int, lead_id: int, property_id: int, kind: InterestKind, days: int) -> None:
    with transaction() as s:
        s.add(LeadPropertyInterest(team_id=team_id, lead_id=lead_id, property_id=property_id, kind=kind,
                                   created_at=T0 + dt.timedelta(days=days)))


def test_listings_are_listed_once_with_their_kinds_latest_first(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead, other = make_lead(owner), make_lead(owner)
    loft = _listing(owner.team_id, "12 Loft Ave", 410_000, status=PropertyStatus.PENDING)
    cottage = _listing(owner.team_id, "3 Cottage Rd", 650_000)
    _interest(owner.team_id, lead.id, loft, InterestKind.TOURED, 5)
    _interest(owner.team_id, lead.id, loft, InterestKind.VIEWED, 1)
    _interest(owner.team_id, lead.id, cottage, InterestKind.SAVED, 3)
    _interest(owner.team_id, other.id, cottage, InterestKind.INQUIRED, 9)
    rows = lead_properties.list_interests(owner, lead.id)
    assert [(r.address, r.kinds) for r in rows] == [
        ("12 Loft Ave", [InterestKind.VIEWED, InterestKind.TOURED]), ("3 Cottage Rd", [InterestKind.SAVED])]
    loft_row = rows[0]
    assert loft_row.status is PropertyStatus.PENDING and loft_row.list_price == Decimal(410_000)
    assert (loft_row.beds, loft_row.baths) == (2, Decimal("1.5"))
    assert loft_row.first_at == T0 + dt.timedelta(days=1) and loft_row.last_at == T0 + dt.timedelta(days=5)
    assert lead_properties.list_interests(owner, other.id)[0].kinds == [InterestKind.INQUIRED]


def test_a_lead_without_interests_has_an_empty_list(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    assert lead_properties.list_interests(owner, make_lead(owner).id) == []


def test_another_teams_or_an_invisible_lead_is_not_found(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    agent, colleague = make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER)
    rival = make_member(make_team(), TeamRole.OWNER)
    theirs = make_lead(colleague)
    for actor, lead_id in ((owner, make_lead(rival).id), (agent, theirs.id)):
        with pytest.raises(NotFound):
            lead_properties.list_interests(actor, lead_id)
