"""Lead services: tenancy, roles, validation and the timeline, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from crm.enums import ActivityType, LeadStatus, TeamRole
from crm.errors import Conflict, NotFound
from crm.schemas.leads import LeadCreate, LeadFilter, LeadSort, LeadUpdate, NoteCreate
from crm.services import leads
from tests.factories import make_lead, make_member, make_team


def test_created_lead_is_normalized_and_logged(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    lead = leads.create_lead(owner, LeadCreate(first_name="Dana", last_name="Lee",
                                               email="Dana.Lee@Example.com", phone="(415) 555-2671"))
    assert lead.email == "dana.lee@example.com"
    assert lead.phone == "+14155552671"
    assert [e.type for e in lead.timeline] == [ActivityType.LEAD_CREATED]


def test_email_is_unique_per_team_not_globally(db: str) -> None:
    team_a, team_b = make_team(), make_team()
    a, b = make_member(team_a, TeamRole.OWNER), make_member(team_b, TeamRole.OWNER)
    make_lead(a, email="same@buyer.com")
    make_lead(b, email="same@buyer.com")  # another brokerage may know the same buyer
    with pytest.raises(Conflict):
        make_lead(a, email="SAME@buyer.com")


def test_bad_input_is_refused_before_anything_is_written(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    with pytest.raises(ValidationError):
        LeadCreate(first_name="No", email="not-an-email")
    with pytest.raises(ValidationError):
        LeadCreate(first_name="Nobody")  # neither email nor phone
    with pytest.raises(ValidationError):
        LeadCreate(first_name="Sneaky", email="s@x.com", team_id=99)  # mass assignment
    assert leads.list_leads(owner, LeadFilter()).total == 0


def test_another_teams_lead_answers_not_found(db: str) -> None:
    team_a, team_b = make_team(), make_team()
    a, b = make_member(team_a, TeamRole.OWNER), make_member(team_b, TeamRole.OWNER)
    lead = make_lead(a)
    with pytest.raises(NotFound):
        leads.get_lead(b, lead.id)
    with pytest.raises(NotFound):
        leads.change_lead_status(b, lead.id, LeadStatus.WON)
    assert leads.get_lead(a, lead.id).status is LeadStatus.NEW


def test_agent_sees_own_and_unassigned_leads_only(db: str) -> None:
    team = make_team()
    manager = make_member(team, TeamRole.MANAGER)
    ava, ben = make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER)
    mine = make_lead(manager, assigned_to_id=ava.user_id)
    pool = make_lead(manager)
    theirs = make_lead(manager, assigned_to_id=ben.user_id)
    seen = {lead.id for lead in leads.list_leads(ava, LeadFilter()).items}
    assert seen == {mine.id, pool.id}
    with pytest.raises(NotFound):
        leads.get_lead(ava, theirs.id)
    assert leads.list_leads(manager, LeadFilter()).total == 3


def test_status_change_records_activity(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    lead = make_lead(owner)
    detail = leads.change_lead_status(owner, lead.id, LeadStatus.QUALIFIED)
    assert detail.status is LeadStatus.QUALIFIED
    assert detail.timeline[0].type is ActivityType.STATUS_CHANGED
    assert "New to Qualified" in detail.timeline[0].title


def test_search_filter_sort_and_pages(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    for i in range(7):
        make_lead(owner, first_name=f"Zed{i}", value=Decimal(100_000 * (i + 1)))
    make_lead(owner, first_name="Harriet", last_name="Quill", company="Quill Holdings",
              status=LeadStatus.WON)
    assert [x.first_name for x in leads.list_leads(owner, LeadFilter(search="quill")).items] == ["Harriet"]
    assert leads.list_leads(owner, LeadFilter(statuses=[LeadStatus.WON])).total == 1
    first = leads.list_leads(owner, LeadFilter(sort=LeadSort.VALUE, page_size=3))
    page = leads.list_leads(owner, LeadFilter(sort=LeadSort.VALUE, page_size=3, cursor=first.next_cursor))
    assert page.total == 8 and page.total_is_exact
    assert [x.value for x in page.items] == [Decimal("450000.00"), Decimal("400000.00"), Decimal("300000.00")]


def test_update_and_note_appear_on_timeline(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    lead = make_lead(owner)
    leads.update_lead(owner, lead.id, LeadUpdate(company="Acme Relocation"))
    leads.add_note(owner, lead.id, NoteCreate(content="Wants a yard for the dog"))
    detail = leads.get_lead(owner, lead.id)
    assert detail.company == "Acme Relocation"
    assert detail.timeline[0].kind == "note" and detail.timeline[0].body == "Wants a yard for the dog"


def test_update_cannot_blank_a_required_field(db: str) -> None:
    with pytest.raises(ValidationError, match="first_name cannot be empty"):
        LeadUpdate(first_name=None)
    assert LeadUpdate(company=None).model_fields_set == {"company"}  # optional fields may be cleared
