"""Bulk actions on the Leads page: over picked rows and over every lead matching the filters."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from crm.enums import LeadSource, LeadStatus, TeamRole
from crm.schemas.leads import LeadFilter
from crm.services import leads
from tests.factories import make_lead
from tests.ui.conftest import Brokerage, open_page, signed_in_app

PAGE = "pages/leads.py"


def bulk_page(brokerage: Brokerage, role: TeamRole) -> AppTest:
    at = open_page(signed_in_app(brokerage.by_role(role)), PAGE)
    return at.toggle(key="leads_bulk_mode").set_value(True).run()


def status_of(brokerage: Brokerage, first_name: str) -> LeadStatus:
    return leads.get_lead(brokerage.owner, brokerage.leads[first_name]).status


def notices(at: AppTest) -> list[str]:
    return [s.value for s in at.success]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def apply(at: AppTest) -> AppTest:
    return at.button(key="leads_bulk_apply").click().run()


@pytest.mark.parametrize("role", [TeamRole.OWNER, TeamRole.MANAGER, TeamRole.MEMBER])
def test_bulk_bar_renders_for_each_role(brokerage: Brokerage, role: TeamRole) -> None:
    at = bulk_page(brokerage, role)
    assert not at.exception, [e.message for e in at.exception]
    assert at.multiselect(key="leads_bulk_ids").value == []
    assert at.button(key="leads_bulk_apply").disabled  # nothing picked yet


def test_bulk_status_change_over_selected_rows(brokerage: Brokerage) -> None:
    at = bulk_page(brokerage, TeamRole.OWNER)
    at.multiselect(key="leads_bulk_ids").set_value([brokerage.leads["Alice"], brokerage.leads["Ben"]]).run()
    at.selectbox(key="leads_bulk_status").set_value(LeadStatus.QUALIFIED)
    at = apply(at)
    assert not at.exception, [e.message for e in at.exception]
    assert "Status set to Qualified on 2 leads." in notices(at)
    assert status_of(brokerage, "Alice") is LeadStatus.QUALIFIED
    assert status_of(brokerage, "Ben") is LeadStatus.QUALIFIED
    assert status_of(brokerage, "Cara") is LeadStatus.CONTACTED
    assert at.multiselect(key="leads_bulk_ids").value == []  # the selection was cleared
    timeline = leads.get_lead(brokerage.owner, brokerage.leads["Alice"]).timeline
    assert any(e.title.startswith("Status changed") for e in timeline)


def test_whole_page_button_selects_every_row_on_the_page(brokerage: Brokerage) -> None:
    at = bulk_page(brokerage, TeamRole.OWNER)
    at.button(key="leads_bulk_select_page").click().run()
    assert sorted(at.multiselect(key="leads_bulk_ids").value) == sorted(brokerage.leads.values())
    at.button(key="leads_bulk_clear").click().run()
    assert at.multiselect(key="leads_bulk_ids").value == []


def test_bulk_status_change_over_all_matching_leads_beyond_the_page(brokerage: Brokerage) -> None:
    for n in range(55):
        make_lead(brokerage.owner, first_name=f"Bulk{n:02d}", email=f"bulk{n}@buyers.com",
                  source=LeadSource.SOCIAL)
    at = bulk_page(brokerage, TeamRole.MANAGER)
    at.multiselect(key="leads_sources").set_value([LeadSource.SOCIAL]).run()  # 55 + Ivy = 56 matching, 50 shown
    at.radio(key="leads_bulk_scope").set_value("all").run()
    at.selectbox(key="leads_bulk_status").set_value(LeadStatus.CONTACTED)
    at = apply(at)
    assert not at.exception, [e.message for e in at.exception]
    assert "Status set to Contacted on 56 leads." in notices(at)
    moved = leads.list_leads(brokerage.owner, LeadFilter(sources=[LeadSource.SOCIAL], statuses=[LeadStatus.CONTACTED]))
    assert moved.total == 56
    assert status_of(brokerage, "Alice") is LeadStatus.NEW  # not matching: untouched


def test_all_matching_for_an_agent_stays_within_their_leads(brokerage: Brokerage) -> None:
    at = bulk_page(brokerage, TeamRole.MEMBER)
    at.radio(key="leads_bulk_scope").set_value("all").run()
    at.selectbox(key="leads_bulk_status").set_value(LeadStatus.LOST)
    at = apply(at)
    assert "Status set to Lost on 6 leads." in notices(at)
    assert status_of(brokerage, "Ben") is LeadStatus.NEW  # the other agent's lead


def test_bulk_assign_by_a_manager(brokerage: Brokerage) -> None:
    at = bulk_page(brokerage, TeamRole.MANAGER)
    at.multiselect(key="leads_bulk_ids").set_value([brokerage.leads["Dan"], brokerage.leads["Jack"]]).run()
    at.selectbox(key="leads_bulk_action").set_value("assign").run()
    at.selectbox(key="leads_bulk_assignee").set_value(brokerage.agent.user_id)
    at = apply(at)
    assert "2 leads assigned to Andy Agent." in notices(at)
    detail = leads.get_lead(brokerage.owner, brokerage.leads["Dan"])
    assert detail.assigned_to is not None and detail.assigned_to.id == brokerage.agent.user_id


def test_bulk_tags_on_selected_leads(brokerage: Brokerage) -> None:
    at = bulk_page(brokerage, TeamRole.MEMBER)
    at.multiselect(key="leads_bulk_ids").set_value([brokerage.leads["Alice"], brokerage.leads["Cara"]]).run()
    at.selectbox(key="leads_bulk_action").set_value("tag").run()
    at.text_input(key="leads_bulk_tags").input("Spring open house")
    at = apply(at)
    assert "Tagged 2 leads with Spring open house." in notices(at)
    assert leads.get_lead(brokerage.owner, brokerage.leads["Cara"]).tags == ["Spring open house"]


@pytest.mark.parametrize(("role", "action", "reason"), [
    (TeamRole.MEMBER, "assign", "Your role (Member) cannot assign leads to any agent."),
    (TeamRole.MEMBER, "delete", "Your role (Member) cannot delete in bulk."),
    (TeamRole.MANAGER, "delete", "Your role (Manager) cannot delete in bulk."),
])
def test_actions_the_role_lacks_are_refused_readably(
    brokerage: Brokerage, role: TeamRole, action: str, reason: str
) -> None:
    at = bulk_page(brokerage, role)
    at.multiselect(key="leads_bulk_ids").set_value([brokerage.leads["Alice"]]).run()
    at.selectbox(key="leads_bulk_action").set_value(action).run()
    assert not at.exception
    assert any(c.startswith(reason) for c in captions(at)), captions(at)
    assert at.button(key="leads_bulk_apply").disabled


def test_bulk_delete_needs_confirmation_and_deletes(brokerage: Brokerage) -> None:
    at = bulk_page(brokerage, TeamRole.OWNER)
    at.multiselect(key="leads_bulk_ids").set_value([brokerage.leads["Jack"]]).run()
    at.selectbox(key="leads_bulk_action").set_value("delete").run()
    assert at.button(key="leads_bulk_apply").disabled
    at.checkbox(key="leads_bulk_confirm").check().run()
    at = apply(at)
    assert not at.exception
    assert "Deleted 1 lead." in notices(at)
    assert leads.list_leads(brokerage.owner, LeadFilter()).total == 9


def test_bulk_mode_off_keeps_the_single_row_table(brokerage: Brokerage) -> None:
    at = open_page(signed_in_app(brokerage.owner), PAGE)
    assert not [m for m in at.multiselect if m.key == "leads_bulk_ids"]
