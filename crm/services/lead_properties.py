"""A lead's properties of interest: the listings they viewed, saved, asked about or toured."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.db import SessionFactory, transaction
from crm.enums import InterestKind
from crm.orm import LeadPropertyInterest, Property
from crm.schemas.common import Actor
from crm.schemas.duplicates import PropertyInterest
from crm.services.access import load_lead

MAX_LISTINGS = 200  # a lead's page shows at most this many listings, most recent interest first
_KIND_ORDER = list(InterestKind)


def list_interests(actor: Actor, lead_id: int, *, sessions: SessionFactory | None = None) -> list[PropertyInterest]:
    """One row per listing the lead interacted with: its address, price, status, size, every kind
    of interest shown, and when — the most recently touched listing first."""
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id)
        interest = LeadPropertyInterest
        per_listing = (
            select(interest.property_id, func.min(interest.created_at).label("first_at"),
                   func.max(interest.created_at).label("last_at"))
            .where(interest.lead_id == lead.id, interest.team_id == actor.team_id)
            .group_by(interest.property_id).subquery()
        )
        rows = session.execute(
            select(Property, per_listing.c.first_at, per_listing.c.last_at)
            .join(per_listing, per_listing.c.property_id == Property.id)
            .where(Property.team_id == actor.team_id)
            .order_by(per_listing.c.last_at.desc(), Property.id.desc()).limit(MAX_LISTINGS)
        ).all()
        kinds: dict[int, set[InterestKind]] = {}
        for property_id, kind in session.execute(
            select(interest.property_id, interest.kind)
            .where(interest.lead_id == lead.id, interest.property_id.in_([p.id for p, _, _ in rows]))
        ):
            kinds.setdefault(property_id, set()).add(kind)
        return [
            PropertyInterest(
                property_id=p.id, address=p.address, city=p.city, state=p.state, zip_code=p.zip_code,
                list_price=p.list_price, status=p.status, property_type=p.property_type, beds=p.beds,
                baths=p.baths, sqft=p.sqft, kinds=sorted(kinds.get(p.id, ()), key=_KIND_ORDER.index),
                first_at=first_at, last_at=last_at,
            )
            for p, first_at, last_at in rows
        ]
