"""Tags: CRUD, per-team case-insensitive uniqueness, putting them on leads, on both databases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from crm.db import transaction
from crm.enums import TeamRole
from crm.errors import Conflict, NotFound, PermissionDenied
from crm.orm import DomainEvent
from crm.schemas.tags import TagAssign, TagCreate, TagUpdate
from crm.services import leads, tags
from tests.factories import make_lead, make_member, make_team


def test_create_list_update_delete(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    hot = tags.create_tag(owner, TagCreate(name="Hot", color="#FF0000"))
    tags.create_tag(owner, TagCreate(name="cash buyer"))
    lead = make_lead(owner)
    tags.add_tags_to_lead(owner, lead.id, TagAssign(tag_ids=[hot.id]))
    assert [(t.name, t.lead_count) for t in tags.list_tags(owner)] == [("cash buyer", 0), ("Hot", 1)]
    renamed = tags.update_tag(owner, hot.id, TagUpdate(name="Very hot", color="#00AA00"))
    assert (renamed.name, renamed.color, renamed.lead_count) == ("Very hot", "#00AA00", 1)
    assert leads.get_lead(owner, lead.id).tags == ["Very hot"]
    tags.delete_tag(owner, hot.id)
    assert [t.name for t in tags.list_tags(owner)] == ["cash buyer"]
    assert leads.get_lead(owner, lead.id).tags == []


def test_names_are_unique_per_team_whatever_their_case(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    other = make_member(make_team(), TeamRole.OWNER)
    first = tags.create_tag(owner, TagCreate(name="VIP"))
    with pytest.raises(Conflict):
        tags.create_tag(owner, TagCreate(name="vip"))
    tags.create_tag(other, TagCreate(name="VIP"))  # another team may use the same name
    second = tags.create_tag(owner, TagCreate(name="Investor"))
    with pytest.raises(Conflict):
        tags.update_tag(owner, second.id, TagUpdate(name="Vip"))
    assert tags.update_tag(owner, first.id, TagUpdate(name="vip")).name == "vip"  # its own name, new case


def test_colour_must_be_hex(db: str) -> None:
    with pytest.raises(ValidationError):
        TagCreate(name="Hot", color="red")
    with pytest.raises(ValidationError):
        TagUpdate(color="#12345")


def test_agents_tag_leads_but_only_managers_rename_or_delete(db: str) -> None:
    team = make_team()
    owner, agent = make_member(team, TeamRole.OWNER), make_member(team, TeamRole.MEMBER)
    tag = tags.create_tag(agent, TagCreate(name="Hot"))
    with pytest.raises(PermissionDenied):
        tags.update_tag(agent, tag.id, TagUpdate(color="#000000"))
    with pytest.raises(PermissionDenied):
        tags.delete_tag(agent, tag.id)
    tags.delete_tag(make_member(team, TeamRole.MANAGER), tag.id)
    assert tags.list_tags(owner) == []


def test_add_by_name_creates_missing_tags_and_reuses_existing_ones(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    tags.create_tag(owner, TagCreate(name="Hot"))
    lead = make_lead(owner)
    names = tags.add_tags_to_lead(owner, lead.id, TagAssign(names=["hot", "First-time buyer", " "]))
    assert names == ["First-time buyer", "Hot"]
    assert tags.add_tags_to_lead(owner, lead.id, TagAssign(names=["HOT"])) == names  # nothing twice
    assert sorted(t.name for t in tags.list_tags(owner)) == ["First-time buyer", "Hot"]
    with transaction() as session:
        events = session.scalars(select(DomainEvent.type).where(DomainEvent.type.like("lead.tag%"))).all()
    assert events == ["lead.tag_added", "lead.tag_added"]


def test_remove_tag_from_lead(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    lead = make_lead(owner)
    tag = tags.create_tag(owner, TagCreate(name="Hot"))
    tags.add_tags_to_lead(owner, lead.id, TagAssign(tag_ids=[tag.id]))
    tags.remove_tag_from_lead(owner, lead.id, tag.id)
    tags.remove_tag_from_lead(owner, lead.id, tag.id)  # already gone: nothing happens
    assert leads.get_lead(owner, lead.id).tags == []


def test_other_teams_tags_and_leads_are_not_found(db: str) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    stranger = make_member(make_team(), TeamRole.OWNER)
    tag = tags.create_tag(owner, TagCreate(name="Hot"))
    lead = make_lead(owner)
    their_lead = make_lead(stranger)
    for call in (lambda: tags.update_tag(stranger, tag.id, TagUpdate(color="#000000")),
                 lambda: tags.delete_tag(stranger, tag.id),
                 lambda: tags.add_tags_to_lead(stranger, their_lead.id, TagAssign(tag_ids=[tag.id])),
                 lambda: tags.add_tags_to_lead(stranger, lead.id, TagAssign(names=["x"])),
                 lambda: tags.remove_tag_from_lead(stranger, their_lead.id, tag.id)):
        with pytest.raises(NotFound):
            call()
    assert tags.list_tags(stranger) == []
