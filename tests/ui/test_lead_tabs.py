"""The lead page's tabs: Overview (status, assignee, tags), Timeline (log activity), Notes, Tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from crm.enums import ActivityType, LeadStatus, TaskStatus, TeamRole
from crm.schemas.leads import NoteCreate
from crm.schemas.tasks import TaskCreate, TaskFilter
from crm.services import leads, notes, tasks
from tests.ui.conftest import Brokerage, open_page, signed_in_app

PAGE = "pages/lead_detail.py"


def open_lead(brokerage: Brokerage, role: TeamRole, first_name: str) -> AppTest:
    at = signed_in_app(brokerage.by_role(role))
    at.session_state["lead_detail_id"] = brokerage.leads[first_name]
    return open_page(at, PAGE)


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def button(at: AppTest, label: str):  # noqa: ANN201 - AppTest's Button type is internal
    return next(b for b in at.button if b.label == label)


def notices(at: AppTest) -> list[str]:
    return [s.value for s in at.success]


@pytest.mark.parametrize("role", [TeamRole.OWNER, TeamRole.MANAGER, TeamRole.MEMBER])
def test_lead_page_renders_its_tabs_for_each_role(brokerage: Brokerage, role: TeamRole) -> None:
    at = open_lead(brokerage, role, "Alice")
    assert not at.exception, [e.message for e in at.exception]
    assert [t.label for t in at.tabs] == ["Overview", "Timeline", "Notes", "Tasks", "Properties"]
    assert at.title[0].value == "Alice Anders"


# Overview: assignee


def test_manager_reassigns_a_lead(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MANAGER, "Alice")
    assert at.selectbox(key="lead_detail_assignee").value == brokerage.agent.user_id
    at.selectbox(key="lead_detail_assignee").set_value(brokerage.agent2.user_id)
    at.button(key="lead_detail_change_assignee").click().run()
    assert not at.exception
    assert "Lead assigned to Bea Agent." in notices(at)
    detail = leads.get_lead(brokerage.owner, brokerage.leads["Alice"])
    assert detail.assigned_to is not None and detail.assigned_to.id == brokerage.agent2.user_id
    assert {m.label: m.value for m in at.metric}["Assigned to"] == "Bea Agent"


def test_agent_cannot_reassign_but_claims_an_unassigned_lead(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MEMBER, "Alice")  # the agent's own lead
    assert not [s for s in at.selectbox if s.key == "lead_detail_assignee"]
    assert at.button(key="lead_detail_release")

    at = open_lead(brokerage, TeamRole.MEMBER, "Dan")  # unassigned
    at.button(key="lead_detail_claim").click().run()
    assert not at.exception
    assert "The lead is now assigned to you." in notices(at)
    detail = leads.get_lead(brokerage.owner, brokerage.leads["Dan"])
    assert detail.assigned_to is not None and detail.assigned_to.id == brokerage.agent.user_id
    at.button(key="lead_detail_release").click().run()
    assert leads.get_lead(brokerage.owner, brokerage.leads["Dan"]).assigned_to is None


# Overview: tags


def test_tags_are_added_and_removed(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MEMBER, "Cara")
    at.text_input(key="lead_detail_tags_new").input("VIP, Cash buyer")
    at = button(at, "Update tags").click().run()
    assert not at.exception
    assert sorted(leads.get_lead(brokerage.owner, brokerage.leads["Cara"]).tags) == ["Cash buyer", "VIP"]
    assert at.text_input(key="lead_detail_tags_new").value == ""
    at.multiselect(key="lead_detail_tags_remove").set_value(["VIP"])
    at = button(at, "Update tags").click().run()
    assert leads.get_lead(brokerage.owner, brokerage.leads["Cara"]).tags == ["Cash buyer"]
    # The team's tags are offered on another lead.
    at = open_lead(brokerage, TeamRole.MEMBER, "Alice")
    assert "Cash buyer" in at.multiselect(key="lead_detail_tags_add").options


# Timeline: log an activity


def test_logging_a_call_adds_it_to_the_timeline(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MEMBER, "Alice")
    at.selectbox(key="lead_detail_log_type").set_value(ActivityType.CALL_MADE)
    at.text_input(key="lead_detail_log_title").input("Talked about financing")
    at = button(at, "Log activity").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert "Talked about financing" in markdown_text(at)
    assert leads.get_lead(brokerage.owner, brokerage.leads["Alice"]).last_contact_at is not None


# Notes


def test_notes_tab_lists_edits_and_deletes_notes(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MEMBER, "Cara")
    at.text_area(key="lead_detail_note").input("First call went well")
    at = button(at, "Add note").click().run()
    note = notes.list_notes(brokerage.owner, brokerage.leads["Cara"])[0]
    at.text_area(key=f"lead_detail_note_edit_{note.id}").input("First call went very well")
    at = button(at, "Save note").click().run()
    assert not at.exception
    assert "Note saved." in notices(at)
    assert notes.list_notes(brokerage.owner, brokerage.leads["Cara"])[0].content == "First call went very well"
    at.button(key=f"lead_detail_note_delete_{note.id}").click().run()
    assert "Note deleted." in notices(at)
    assert notes.list_notes(brokerage.owner, brokerage.leads["Cara"]) == []


def test_an_agent_cannot_edit_a_managers_note(brokerage: Brokerage) -> None:
    note = leads.add_note(brokerage.manager, brokerage.leads["Alice"], NoteCreate(content="Manager's view"))
    at = open_lead(brokerage, TeamRole.MEMBER, "Alice")
    assert "Manager's view" in texts(at)
    assert not [b for b in at.button if b.key == f"lead_detail_note_delete_{note.id}"]
    at = open_lead(brokerage, TeamRole.MANAGER, "Alice")
    assert at.button(key=f"lead_detail_note_delete_{note.id}")


# Tasks


def test_tasks_tab_adds_completes_and_deletes_a_task(brokerage: Brokerage) -> None:
    alice = brokerage.leads["Alice"]
    at = open_lead(brokerage, TeamRole.MEMBER, "Alice")
    at.text_input(key="lead_detail_task_title").input("Send the comps")
    at = button(at, "Add task").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert "Task added: Send the comps" in notices(at)
    created = tasks.list_tasks(brokerage.agent, TaskFilter(lead_id=alice)).items
    assert [t.title for t in created] == ["Send the comps"]
    assert created[0].assignee.id == brokerage.agent.user_id
    assert "Send the comps" in markdown_text(at)
    assert at.text_input(key="lead_detail_task_title").value == ""

    task_id = created[0].id
    at.checkbox(key=f"lead_detail_task_done_{task_id}").check().run()
    assert not at.exception
    assert tasks.get_task(brokerage.agent, task_id).status is TaskStatus.COMPLETED
    at.checkbox(key=f"lead_detail_task_done_{task_id}").uncheck().run()
    assert tasks.get_task(brokerage.agent, task_id).status is TaskStatus.PENDING
    at.button(key=f"lead_detail_task_delete_{task_id}").click().run()
    assert tasks.list_tasks(brokerage.agent, TaskFilter(lead_id=alice)).total == 0


def test_manager_adds_a_task_for_the_leads_agent(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MANAGER, "Ben")
    assert at.selectbox(key="lead_detail_task_assignee").value == brokerage.agent2.user_id
    at.text_input(key="lead_detail_task_title").input("Schedule a showing")
    at = button(at, "Add task").click().run()
    assert not at.error, [e.value for e in at.error]
    created = tasks.list_tasks(brokerage.manager, TaskFilter(lead_id=brokerage.leads["Ben"])).items
    assert [(t.title, t.assignee.id) for t in created] == [("Schedule a showing", brokerage.agent2.user_id)]


def test_tasks_tab_lists_only_this_leads_tasks(brokerage: Brokerage) -> None:
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    tasks.create_task(brokerage.agent, TaskCreate(title="For Alice", due_date=due, lead_id=brokerage.leads["Alice"]))
    tasks.create_task(brokerage.agent, TaskCreate(title="For Cara", due_date=due, lead_id=brokerage.leads["Cara"]))
    at = open_lead(brokerage, TeamRole.MEMBER, "Alice")
    shown = markdown_text(at)
    assert "For Alice" in shown and "For Cara" not in shown


def test_status_change_from_the_overview_tab(brokerage: Brokerage) -> None:
    at = open_lead(brokerage, TeamRole.MEMBER, "Alice")
    at.selectbox(key="lead_detail_status").set_value(LeadStatus.QUALIFIED)
    at.button(key="lead_detail_change_status").click().run()
    assert leads.get_lead(brokerage.owner, brokerage.leads["Alice"]).status is LeadStatus.QUALIFIED


def test_timeline_can_be_narrowed_to_notes(brokerage: Brokerage) -> None:
    leads.add_note(brokerage.agent, brokerage.leads["Alice"], NoteCreate(content="Prefers evenings"))
    at = open_lead(brokerage, TeamRole.MEMBER, "Alice")
    assert "Lead created by Olga Owner" in markdown_text(at)
    at.pills(key="lead_detail_timeline_kinds").set_value(["note"]).run()
    assert not at.exception
    assert "Lead created by Olga Owner" not in markdown_text(at)
    assert "Prefers evenings" in texts(at)
