"""The Tasks page through AppTest: tabs with counts, ticking tasks off, adding, editing, deleting."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from crm.enums import TaskStatus, TeamRole
from crm.schemas.tasks import TaskCreate, TaskFilter, TaskOut
from crm.services import tasks
from tests.factories import make_member
from tests.ui.conftest import Brokerage, open_page, signed_in_app

PAGE = "pages/tasks.py"


def tasks_page(actor) -> AppTest:  # noqa: ANN001
    at = open_page(signed_in_app(actor), PAGE)
    assert not at.exception, at.exception
    return at


def tab_labels(at: AppTest) -> list[str]:
    return [t.label for t in at.tabs]


def only_task(actor) -> TaskOut:  # noqa: ANN001
    items = tasks.list_tasks(actor, TaskFilter()).items
    assert len(items) == 1
    return items[0]


@pytest.mark.parametrize("role", [TeamRole.OWNER, TeamRole.ADMIN, TeamRole.MANAGER, TeamRole.MEMBER])
def test_the_page_renders_for_every_role(brokerage: Brokerage, role: TeamRole) -> None:
    actor = brokerage.by_role(role) if role is not TeamRole.ADMIN else make_member(brokerage.team_id, role)
    at = tasks_page(actor)
    assert at.title[0].value == "Tasks"
    # The brokerage has one task due today, assigned to the agent: the team's leaders see it too.
    assert tab_labels(at) == ["Today (1)", "Overdue (0)", "Upcoming (0)", "All"]
    assert "Call back Alice" in "\n".join(m.value for m in at.markdown)
    assert [s.label for s in at.selectbox if s.key == "tasks_assignee"] == (
        [] if role is TeamRole.MEMBER else ["Assignee"])


def test_an_agent_sees_only_their_tasks(brokerage: Brokerage) -> None:
    at = tasks_page(brokerage.agent2)
    assert tab_labels(at)[:3] == ["Today (0)", "Overdue (0)", "Upcoming (0)"]
    assert "Call back Alice" not in "\n".join(m.value for m in at.markdown)


def test_completing_and_reopening_a_task_from_the_page(brokerage: Brokerage) -> None:
    task = only_task(brokerage.agent)
    at = tasks_page(brokerage.agent)
    at.checkbox(key=f"tasks_today_{task.id}_done_PENDING").check().run()
    assert not at.exception
    done = tasks.get_task(brokerage.agent, task.id)
    assert done.status is TaskStatus.COMPLETED and done.completed_at is not None
    assert at.success[0].value == "Completed: Call back Alice"
    assert tab_labels(at)[0] == "Today (0)"
    at.checkbox(key=f"tasks_all_{task.id}_done_COMPLETED").uncheck().run()
    reopened = tasks.get_task(brokerage.agent, task.id)
    assert reopened.status is TaskStatus.PENDING and reopened.completed_at is None
    assert tab_labels(at)[0] == "Today (1)"


def test_a_manager_completes_an_agents_task_and_filters_by_assignee(brokerage: Brokerage) -> None:
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    tasks.create_task(brokerage.agent2, TaskCreate(title="Bea's showing", due_date=due))
    at = tasks_page(brokerage.manager)
    assert tab_labels(at)[:3] == ["Today (1)", "Overdue (0)", "Upcoming (1)"]
    at.selectbox(key="tasks_assignee").set_value(brokerage.agent2.user_id).run()
    assert tab_labels(at)[:3] == ["Today (0)", "Overdue (0)", "Upcoming (1)"]
    task = only_task(brokerage.agent)
    at.selectbox(key="tasks_assignee").set_value(0).run()
    at.checkbox(key=f"tasks_today_{task.id}_done_PENDING").check().run()
    assert tasks.get_task(brokerage.agent, task.id).status is TaskStatus.COMPLETED


def test_adding_a_task_on_a_lead(brokerage: Brokerage) -> None:
    at = tasks_page(brokerage.agent)
    at.text_input(key="tasks_new_lead_search").input("Alice").run()
    at.text_input(key="tasks_new_title").input("Send Alice the comps")
    at.selectbox(key="tasks_new_lead").set_value(brokerage.leads["Alice"])
    at.button(key="FormSubmitter:tasks_new_form-Add task").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "Task added: Send Alice the comps"
    assert tab_labels(at)[2] == "Upcoming (1)"  # due tomorrow by default
    created = next(t for t in tasks.list_tasks(brokerage.agent, TaskFilter()).items if t.title.startswith("Send"))
    assert created.lead is not None and created.lead.id == brokerage.leads["Alice"]
    assert created.assignee.id == brokerage.agent.user_id


def test_a_manager_adds_a_task_for_an_agent_and_an_empty_title_is_refused(brokerage: Brokerage) -> None:
    at = tasks_page(brokerage.manager)
    at.button(key="FormSubmitter:tasks_new_form-Add task").click().run()
    assert "Title" in at.error[0].value
    at.text_input(key="tasks_new_title").input("Bea: call the lender")
    at.selectbox(key="tasks_new_assignee").set_value(brokerage.agent2.user_id)
    at.button(key="FormSubmitter:tasks_new_form-Add task").click().run()
    assert not at.error
    assert [t.title for t in tasks.list_tasks(brokerage.agent2, TaskFilter()).items] == ["Bea: call the lender"]


def test_editing_and_deleting_a_task(brokerage: Brokerage) -> None:
    task = only_task(brokerage.agent)
    at = tasks_page(brokerage.agent)
    prefix = f"tasks_today_{task.id}"
    at.text_input(key=f"{prefix}_edit_title").input("Call back Alice about financing")
    at.button(key=f"FormSubmitter:{prefix}_edit_form-Save").click().run()
    assert not at.exception and not at.error
    assert tasks.get_task(brokerage.agent, task.id).title == "Call back Alice about financing"
    at.button(key=f"{prefix}_delete").click().run()
    assert at.success[0].value == "Deleted: Call back Alice about financing"
    assert tasks.list_tasks(brokerage.agent, TaskFilter()).total == 0
    assert tab_labels(at)[0] == "Today (0)"
