"""Bulk tagging: add and remove tags over explicit ids or a whole filtered view, set-based."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.db import transaction
from crm.enums import LeadStatus, TeamRole
from crm.errors import NotFound, ValidationFailed
from crm.orm import DomainEvent, Tag
from crm.schemas.common import Actor
from crm.schemas.leads import LeadFilter, LeadSelection
from crm.schemas.tags import BulkTags, TagAssign, TagCreate
from crm.services import leads, tags
from tests.factories import make_lead, make_member, make_team


@pytest.fixture
def owner(db: str) -> Actor:
    return make_member(make_team(), TeamRole.OWNER)


def _tag_names(actor: Actor, lead_id: int) -> list[str]:
    return leads.get_lead(actor, lead_id).tags


def _events(type_: str) -> int:
    with transaction() as s:
        return s.scalar(select(func.count()).select_from(DomainEvent).where(DomainEvent.type == type_)) or 0


def test_tags_are_added_to_selected_ids_once(owner: Actor) -> None:
    a, b, c = make_lead(owner), make_lead(owner), make_lead(owner)
    hot = tags.create_tag(owner, TagCreate(name="Hot"))
    vip = tags.create_tag(owner, TagCreate(name="VIP"))
    tags.add_tags_to_lead(owner, a.id, TagAssign(tag_ids=[hot.id]))
    before = _events("lead.tag_added")
    result = tags.bulk_tag(owner, LeadSelection(ids=[a.id, b.id]), [hot.id, vip.id])
    assert (result.count, result.added, result.removed) == (2, 3, 0)  # a already had Hot
    assert _tag_names(owner, a.id) == ["Hot", "VIP"] and _tag_names(owner, b.id) == ["Hot", "VIP"]
    assert _tag_names(owner, c.id) == []
    assert _events("lead.tag_added") == before + 3


def test_tags_are_added_and_removed_over_a_whole_filtered_view(owner: Actor) -> None:
    contacted = [make_lead(owner, status=LeadStatus.CONTACTED) for _ in range(3)]
    fresh = make_lead(owner, status=LeadStatus.NEW)
    old = tags.create_tag(owner, TagCreate(name="Old"))
    tags.bulk_tag(owner, LeadSelection(ids=[*(lead.id for lead in contacted), fresh.id]), [old.id])
    view = LeadSelection(filter=LeadFilter(statuses=[LeadStatus.CONTACTED]))
    result = tags.bulk_tag(owner, view, remove_tag_ids=[old.id], add_names=["Follow up"])
    assert (result.count, result.added, result.removed) == (3, 3, 3)
    assert all(_tag_names(owner, lead.id) == ["Follow up"] for lead in contacted)
    assert _tag_names(owner, fresh.id) == ["Old"]
    assert _events("lead.tag_removed") == 3


def test_a_tag_filter_view_can_lose_its_own_tag(owner: Actor) -> None:
    leads_ = [make_lead(owner) for _ in range(2)]
    stale = tags.create_tag(owner, TagCreate(name="Stale"))
    tags.bulk_tag(owner, LeadSelection(ids=[lead.id for lead in leads_]), [stale.id])
    result = tags.bulk_tag(owner, LeadSelection(filter=LeadFilter(tag_ids=[stale.id])), remove_tag_ids=[stale.id])
    assert result.removed == 2 and all(_tag_names(owner, lead.id) == [] for lead in leads_)


def test_an_agent_tags_only_the_leads_they_can_see(owner: Actor) -> None:
    agent = make_member(owner.team_id, TeamRole.MEMBER)
    colleague = make_member(owner.team_id, TeamRole.MEMBER)
    mine = make_lead(agent)
    theirs = make_lead(colleague)
    result = tags.bulk_tag(agent, LeadSelection(filter=LeadFilter()), add_names=["Mine"])
    assert result.added == 1
    assert _tag_names(agent, mine.id) == ["Mine"] and _tag_names(owner, theirs.id) == []
    with pytest.raises(NotFound):
        tags.bulk_tag(agent, LeadSelection(ids=[mine.id, theirs.id]), add_names=["Mine"])


def test_another_teams_tags_and_leads_are_not_found(owner: Actor) -> None:
    rival = make_member(make_team(), TeamRole.OWNER)
    their_tag = tags.create_tag(rival, TagCreate(name="Theirs"))
    mine, theirs = make_lead(owner), make_lead(rival)
    with pytest.raises(NotFound):
        tags.bulk_tag(owner, LeadSelection(ids=[mine.id]), [their_tag.id])
    with pytest.raises(NotFound):
        tags.bulk_tag(owner, LeadSelection(ids=[theirs.id]), add_names=["X"])
    with pytest.raises(NotFound):
        tags.bulk_tag(owner, LeadSelection(filter=LeadFilter()), remove_tag_ids=[their_tag.id])
    assert _tag_names(rival, theirs.id) == []


def test_a_tag_cannot_be_added_and_removed_at_once(owner: Actor) -> None:
    lead = make_lead(owner)
    tag = tags.create_tag(owner, TagCreate(name="Both"))
    with pytest.raises(ValueError):
        BulkTags(selection=LeadSelection(ids=[lead.id]), add_tag_ids=[tag.id], remove_tag_ids=[tag.id])
    with pytest.raises(ValidationFailed):
        tags.bulk_tag(owner, LeadSelection(ids=[lead.id]), remove_tag_ids=[tag.id], add_names=["both"])
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(Tag)) == 1
