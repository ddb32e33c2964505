"""Saved views ("smart lists"): private and shared views, who may change them, stale filters,
and applying a view within the actor's own lead scope — on both databases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from crm.db import transaction
from crm.enums import CustomFieldType, LeadSource, LeadStatus, TeamRole
from crm.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.orm import AuditLog, DomainEvent, SavedView
from crm.schemas.custom_fields import CustomFieldCreate
from crm.schemas.leads import CustomFieldFilter, LeadFilter, LeadSort
from crm.schemas.saved_views import SavedViewCreate, SavedViewUpdate
from crm.schemas.tags import TagCreate
from crm.services import custom_fields, saved_views, tags
from tests.factories import make_lead, make_member, make_team

HOT = LeadFilter(statuses=[LeadStatus.CONTACTED], sources=[LeadSource.ZILLOW], sort=LeadSort.SCORE)


def _team():  # noqa: ANN202 - a tuple of actors
    team = make_team()
    return (make_member(team, TeamRole.OWNER), make_member(team, TeamRole.MANAGER),
            make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER))


def test_a_view_keeps_its_filter_and_sort_but_not_the_paging_state(db: str) -> None:
    owner, *_ = _team()
    view = saved_views.create_view(owner, SavedViewCreate(
        name="Hot Zillow", filters=HOT.model_copy(update={"cursor": "abc", "page_size": 10})))
    assert (view.name, view.mine, view.can_edit, view.shared, view.sort) == ("Hot Zillow", True, True, False,
                                                                               LeadSort.SCORE)
    assert view.filters == HOT  # cursor and page size went back to their defaults
    with transaction() as session:
        stored = session.get(SavedView, view.id)
        assert stored is not None
        assert stored.filters == {"statuses": ["CONTACTED"], "sources": ["ZILLOW"]}
        assert stored.sort == "score"
    assert saved_views.get_view(owner, view.id).filters == HOT


def test_names_are_one_to_a_hundred_characters_and_unique_per_owner_whatever_their_case(db: str) -> None:
    owner, manager, *_ = _team()
    with pytest.raises(ValidationError):
        SavedViewCreate(name="")
    with pytest.raises(ValidationError):
        SavedViewCreate(name="x" * 101)
    with pytest.raises(ValidationError):
        SavedViewCreate(name="   ")  # trimmed to nothing
    saved_views.create_view(owner, SavedViewCreate(name="Hot leads"))
    with pytest.raises(Conflict):
        saved_views.create_view(owner, SavedViewCreate(name="HOT LEADS"))
    saved_views.create_view(manager, SavedViewCreate(name="hot leads"))  # another owner may use it
    other = saved_views.create_view(owner, SavedViewCreate(name="Cold"))
    with pytest.raises(Conflict):
        saved_views.update_view(owner, other.id, SavedViewUpdate(name="hot Leads"))
    assert saved_views.update_view(owner, other.id, SavedViewUpdate(name="COLD")).name == "COLD"


def test_list_shows_own_views_then_teammates_shared_ones_marked(db: str) -> None:
    owner, manager, agent, agent2 = _team()
    saved_views.create_view(agent, SavedViewCreate(name="b mine"))
    saved_views.create_view(agent, SavedViewCreate(name="A mine too"))
    saved_views.create_view(manager, SavedViewCreate(name="Team pipeline", shared=True))
    saved_views.create_view(manager, SavedViewCreate(name="Manager private"))
    saved_views.create_view(agent2, SavedViewCreate(name="Agent2 shared", shared=True))
    stranger = make_member(make_team(), TeamRole.OWNER)
    saved_views.create_view(stranger, SavedViewCreate(name="Other team shared", shared=True))
    listed = saved_views.list_views(agent)
    assert [(v.name, v.mine, v.owner.name) for v in listed] == [
        ("A mine too", True, agent.name), ("b mine", True, agent.name),
        ("Agent2 shared", False, agent2.name), ("Team pipeline", False, manager.name)]
    assert [v.can_edit for v in listed] == [True, True, False, False]
    # A team owner may edit the team's shared views (MANAGE_TEAM), never a private one it cannot see.
    assert {v.name: v.can_edit for v in saved_views.list_views(owner)} == {"Agent2 shared": True,
                                                                          "Team pipeline": True}


def test_a_private_view_of_someone_else_is_not_found(db: str) -> None:
    owner, manager, agent, _ = _team()
    private = saved_views.create_view(agent, SavedViewCreate(name="Mine only"))
    stranger = make_member(make_team(), TeamRole.OWNER)
    for who in (owner, manager, stranger):
        with pytest.raises(NotFound):
            saved_views.get_view(who, private.id)
        with pytest.raises(NotFound):
            saved_views.update_view(who, private.id, SavedViewUpdate(name="Taken over"))
        with pytest.raises(NotFound):
            saved_views.delete_view(who, private.id)
        with pytest.raises(NotFound):
            saved_views.list_view_leads(who, private.id)
    shared = saved_views.create_view(agent, SavedViewCreate(name="Shared", shared=True))
    with pytest.raises(NotFound):  # shared with the team, not with other teams
        saved_views.get_view(stranger, shared.id)


def test_shared_views_are_changed_by_their_owner_or_team_admins_only(db: str) -> None:
    owner, manager, agent, agent2 = _team()
    shared = saved_views.create_view(agent, SavedViewCreate(name="Open house", shared=True))
    for who in (manager, agent2):  # managers may not MANAGE_TEAM
        with pytest.raises(PermissionDenied):
            saved_views.update_view(who, shared.id, SavedViewUpdate(filters=HOT))
        with pytest.raises(PermissionDenied):
            saved_views.delete_view(who, shared.id)
    renamed = saved_views.update_view(owner, shared.id, SavedViewUpdate(name="Open house leads"))
    assert (renamed.name, renamed.mine, renamed.owner.id) == ("Open house leads", False, agent.user_id)
    unshared = saved_views.update_view(owner, shared.id, SavedViewUpdate(shared=False))
    assert not unshared.shared
    with pytest.raises(NotFound):  # private again: the team owner no longer sees it
        saved_views.get_view(owner, shared.id)
    assert saved_views.get_view(agent, shared.id).name == "Open house leads"
    again = saved_views.update_view(agent, shared.id, SavedViewUpdate(shared=True, filters=HOT))
    assert (again.shared, again.filters) == (True, HOT)
    saved_views.delete_view(owner, shared.id)
    with pytest.raises(NotFound):
        saved_views.get_view(agent, shared.id)


def test_name_and_shared_cannot_be_set_to_null(db: str) -> None:
    owner, *_ = _team()
    view = saved_views.create_view(owner, SavedViewCreate(name="Keep"))
    with pytest.raises(ValidationFailed):
        saved_views.update_view(owner, view.id, SavedViewUpdate(name=None))
    with pytest.raises(ValidationFailed):
        saved_views.update_view(owner, view.id, SavedViewUpdate(shared=None))


def test_changes_are_audited_and_emit_events(db: str) -> None:
    owner, *_ = _team()
    view = saved_views.create_view(owner, SavedViewCreate(name="Audited", filters=HOT))
    saved_views.update_view(owner, view.id, SavedViewUpdate(name="Audited 2", shared=True))
    saved_views.update_view(owner, view.id, SavedViewUpdate(name="Audited 2"))  # no change: no entry
    saved_views.delete_view(owner, view.id)
    with transaction() as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.resource == "saved_view",
                                                       AuditLog.resource_id == str(view.id))
                                .order_by(AuditLog.id)).all()
        events = session.scalars(select(DomainEvent.type).where(DomainEvent.resource == "saved_view",
                                                                DomainEvent.resource_id == str(view.id))
                                 .order_by(DomainEvent.id)).all()
    assert [a.action for a in audit] == ["saved_view.create", "saved_view.update", "saved_view.delete"]
    assert audit[1].changes == {"name": {"from": "Audited", "to": "Audited 2"}, "shared": {"from": False, "to": True}}
    assert events == ["saved_view.created", "saved_view.updated", "saved_view.deleted"]


def test_applying_a_view_lists_its_leads_page_by_page(db: str) -> None:
    owner, *_ = _team()
    for n in range(5):
        make_lead(owner, first_name=f"Won{n}", status=LeadStatus.WON)
    make_lead(owner, first_name="Fresh", status=LeadStatus.NEW)
    view = saved_views.create_view(owner, SavedViewCreate(name="Won", filters=LeadFilter(
        statuses=[LeadStatus.WON], sort=LeadSort.NAME)))
    first = saved_views.list_view_leads(owner, view.id, page_size=3)
    assert [lead.first_name for lead in first.items] == ["Won0", "Won1", "Won2"]
    assert (first.total, first.total_is_exact) == (5, True)
    assert first.next_cursor is not None
    second = saved_views.list_view_leads(owner, view.id, cursor=first.next_cursor, page_size=3)
    assert [lead.first_name for lead in second.items] == ["Won3", "Won4"]
    assert second.next_cursor is None


def test_an_agent_applying_a_shared_view_still_sees_only_own_and_unassigned_leads(db: str) -> None:
    owner, manager, agent, agent2 = _team()
    mine = make_lead(owner, first_name="Mine", status=LeadStatus.WON, assigned_to_id=agent.user_id)
    pool = make_lead(owner, first_name="Pool", status=LeadStatus.WON)
    make_lead(owner, first_name="Theirs", status=LeadStatus.WON, assigned_to_id=agent2.user_id)
    # The manager's view even names the other agent as assignee: it cannot widen the agent's rows.
    shared = saved_views.create_view(manager, SavedViewCreate(
        name="Won deals", shared=True, filters=LeadFilter(statuses=[LeadStatus.WON])))
    assert saved_views.list_view_leads(manager, shared.id).total == 3
    assert {lead.id for lead in saved_views.list_view_leads(agent, shared.id).items} == {mine.id, pool.id}
    theirs = saved_views.create_view(manager, SavedViewCreate(
        name="Agent2's", shared=True, filters=LeadFilter(assigned_to_id=agent2.user_id)))
    assert saved_views.list_view_leads(agent, theirs.id).items == []


def test_a_view_whose_filter_no_longer_validates_is_flagged_and_refused_when_applied(db: str) -> None:
    owner, *_ = _team()
    budget = custom_fields.create_definition(owner, CustomFieldCreate(label="Budget", key="budget",
                                                                      field_type=CustomFieldType.NUMBER))
    tag = tags.create_tag(owner, TagCreate(name="Investor"))
    by_field = saved_views.create_view(owner, SavedViewCreate(name="Big budget", filters=LeadFilter(
        custom=[CustomFieldFilter(key="budget", op="gte", value=500000)])))
    by_tag = saved_views.create_view(owner, SavedViewCreate(name="Investors", filters=LeadFilter(tag_ids=[tag.id])))
    assert by_field.problem is None and by_tag.problem is None
    custom_fields.delete_definition(owner, budget.id)
    with transaction() as session:
        # A filter saved by an older version whose rules changed: score bounds the schema now refuses.
        broken = SavedView(team_id=owner.team_id, owner_id=owner.user_id, name="Old", sort="newest",
                           filters={"score_min": 90, "score_max": 10})
        session.add(broken)
        session.flush()
        broken_id = broken.id
    tags.delete_tag(owner, tag.id)
    flagged = {v.name: v for v in saved_views.list_views(owner)}
    assert flagged["Big budget"].filters is None
    assert flagged["Big budget"].problem == "the custom field budget no longer exists."
    assert flagged["Investors"].problem == "a tag it filters on no longer exists."
    assert "score_min must not be after score_max" in (flagged["Old"].problem or "")
    with pytest.raises(ValidationFailed, match="The view 'Big budget' cannot be applied: the custom field budget"):
        saved_views.list_view_leads(owner, by_field.id)
    with pytest.raises(ValidationFailed, match="score_min must not be after score_max"):
        saved_views.list_view_leads(owner, broken_id)
    # Updating it with a valid filter repairs it.
    repaired = saved_views.update_view(owner, by_field.id, SavedViewUpdate(filters=LeadFilter()))
    assert repaired.problem is None and repaired.filters == LeadFilter()


def test_a_filter_on_unknown_tags_or_custom_fields_cannot_be_saved(db: str) -> None:
    owner, *_ = _team()
    stranger = make_member(make_team(), TeamRole.OWNER)
    their_tag = tags.create_tag(stranger, TagCreate(name="Theirs"))
    with pytest.raises(ValidationFailed, match="a tag it filters on no longer exists"):
        saved_views.create_view(owner, SavedViewCreate(name="x", filters=LeadFilter(tag_ids=[their_tag.id])))
    with pytest.raises(ValidationFailed, match="the custom field budget no longer exists"):
        saved_views.create_view(owner, SavedViewCreate(name="x", filters=LeadFilter(
            custom=[CustomFieldFilter(key="budget", op="eq", value="1")])))
    view = saved_views.create_view(owner, SavedViewCreate(name="x"))
    with pytest.raises(ValidationFailed):
        saved_views.update_view(owner, view.id, SavedViewUpdate(filters=LeadFilter(tag_ids=[their_tag.id])))
    assert saved_views.list_views(owner)[0].filters == LeadFilter()
