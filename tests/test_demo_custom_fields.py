"""Demo data: each demo team has custom lead fields, and the seeded values pass the app's own validation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from crm import orm
from crm.db import get_engine, transaction
from crm.demo.generator import seed_demo
from crm.enums import TeamRole
from crm.schemas.common import Actor
from crm.schemas.leads import CustomFieldFilter, LeadFilter
from crm.services import leads
from crm.services.custom_field_indexes import existing_indexes, index_name
from crm.services.custom_fields import clean_values, load_definitions

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def test_demo_teams_have_custom_fields_with_valid_values_on_some_leads(db: str) -> None:
    seed_demo(get_engine(), leads=400, seed=7, now=NOW)
    with transaction() as session:
        teams = session.execute(select(orm.Team.id, orm.Team.slug)).all()
        for team_id, slug in teams:
            definitions = load_definitions(session, team_id)
            assert 3 <= len(definitions) <= 4, slug
            every = session.scalars(select(orm.Lead.custom_fields).where(orm.Lead.team_id == team_id)).all()
            values, total = [v for v in every if v], len(every)
            assert 0.1 * total <= len(values) <= 0.5 * total, slug
            for stored in values:  # stored exactly as the services would store them
                assert clean_values(definitions, stored, creating=False) == stored
        # Every field's filter index is built after the load, multi-select ones included.
        wanted = {index_name(team_id, d.key) for team_id, _ in teams for d in load_definitions(session, team_id)}
        assert existing_indexes(session) >= wanted and wanted
        harbor = next(team_id for team_id, slug in teams if slug == "harbor-oak")
        owner_id = session.scalar(select(orm.TeamMember.user_id).where(
            orm.TeamMember.team_id == harbor, orm.TeamMember.role == TeamRole.OWNER))
    owner = Actor(user_id=owner_id, team_id=harbor, team_role=TeamRole.OWNER)
    page = leads.list_leads(owner, LeadFilter(custom=[
        CustomFieldFilter(key="pre_approved", op="eq", value=True),
        CustomFieldFilter(key="max_budget", op="gte", value=500000)], page_size=5))
    assert page.items
    for item in page.items:
        custom = leads.get_lead(owner, item.id).custom_fields
        assert custom["pre_approved"] is True and custom["max_budget"] >= 500000
