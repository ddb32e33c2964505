"""The lead page's Tasks tab: the lead's tasks (open first), done/undo, and a quick-add form."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.enums import TaskPriority
from crm.errors import DomainError
from crm.schemas.common import Actor
from crm.schemas.leads import LeadDetail
from crm.schemas.tasks import TaskCreate, TaskFilter, TaskOut, TaskView
from crm.services import tasks
from crm.services.permissions import Action, can
from crm.ui import cached
from crm.ui.errors import attempt
from crm.ui.format import absolute_time, enum_label, md_escape

PREFIX = "lead_detail_task_"  # the lead page forgets "lead_detail_*" keys when another lead opens
NOTICE_KEY = "lead_detail_notice"
RESET_KEY = f"{PREFIX}reset"
FIELDS = ("title", "due_date", "due_time", "priority", "assignee")
DEFAULT_DUE = dt.time(17, 0)


def _toggle(actor: Actor, task: TaskOut) -> None:
    """Callback of a task's "Done" checkbox."""
    done = st.session_state[f"{PREFIX}done_{task.id}"]
    try:
        if done:
            tasks.complete_task(actor, task.id)
        else:
            tasks.uncomplete_task(actor, task.id)
    except DomainError as exc:
        st.session_state[f"{PREFIX}error"] = exc.message
        return
    cached.forget_reads()
    st.session_state[NOTICE_KEY] = f"Task {'completed' if done else 'reopened'}: {task.title}"


def _delete(actor: Actor, task: TaskOut) -> None:
    try:
        tasks.delete_task(actor, task.id)
    except DomainError as exc:
        st.session_state[f"{PREFIX}error"] = exc.message
        return
    cached.forget_reads()
    st.session_state[NOTICE_KEY] = f"Task deleted: {task.title}"


def task_row(actor: Actor, task: TaskOut, zone: dt.tzinfo) -> None:
    with st.container(border=True):
        check, body, remove = st.columns([1, 8, 1], vertical_alignment="center")
        check.checkbox("Done", value=not task.is_open, key=f"{PREFIX}done_{task.id}",
                       on_change=_toggle, args=(actor, task))
        due = task.due_date.astimezone(zone)
        late = " · :red[overdue]" if task.overdue else ""
        body.markdown(f"**{md_escape(task.title)}**  \n"
                      f"Due {absolute_time(due)} · {enum_label(task.priority)} · "
                      f"{md_escape(task.assignee.name)}{late}")
        if task.description:
            body.caption(md_escape(task.description))
        remove.button("Delete", key=f"{PREFIX}delete_{task.id}", icon=":material/delete:",
                      on_click=_delete, args=(actor, task), help="Delete this task")


def quick_add(actor: Actor, lead: LeadDetail, zone: dt.tzinfo) -> None:
    if st.session_state.pop(RESET_KEY, False):
        for field in FIELDS:
            st.session_state.pop(f"{PREFIX}{field}", None)
    team = {user.id: user.name for user in cached.assignees(actor)}
    with st.form(f"{PREFIX}form"):
        title = st.text_input("Task", key=f"{PREFIX}title", placeholder="Call back about the showing")
        day, time, priority = st.columns(3)
        tomorrow = dt.datetime.now(zone).date() + dt.timedelta(days=1)
        due_day = day.date_input("Due date", value=tomorrow, key=f"{PREFIX}due_date")
        due_time = time.time_input("Due time", value=DEFAULT_DUE, key=f"{PREFIX}due_time")
        level = priority.selectbox("Priority", list(TaskPriority), index=1, format_func=enum_label,
                                   key=f"{PREFIX}priority")
        assignee = None
        if can(actor, Action.ASSIGN_LEADS) and team:
            options = list(team)
            default = lead.assigned_to.id if lead.assigned_to and lead.assigned_to.id in team else actor.user_id
            assignee = st.selectbox("For", options, index=options.index(default) if default in options else 0,
                                    format_func=team.__getitem__, key=f"{PREFIX}assignee")
        submitted = st.form_submit_button("Add task", icon=":material/add_task:")
    if not submitted:
        return
    if due_day is None or due_time is None:
        st.error("Please pick a due date and time.", icon=":material/error:")
        return
    due = dt.datetime.combine(due_day, due_time, tzinfo=zone)
    created = attempt(lambda: tasks.create_task(actor, TaskCreate(
        title=title.strip(), due_date=due, priority=level, lead_id=lead.id, assigned_to_id=assignee)))
    if created is not None:
        cached.forget_reads()
        st.session_state[RESET_KEY] = True
        st.session_state[NOTICE_KEY] = f"Task added: {created.title}"
        st.rerun()


def tasks_tab(actor: Actor, lead: LeadDetail, zone: dt.tzinfo) -> None:
    if error := st.session_state.pop(f"{PREFIX}error", None):
        st.error(error, icon=":material/error:")
    page = attempt(lambda: tasks.list_tasks(actor, TaskFilter(view=TaskView.ALL, lead_id=lead.id, page_size=200)))
    if page is not None:
        open_tasks = [t for t in page.items if t.is_open]
        done = [t for t in page.items if not t.is_open]
        if not page.items:
            st.caption("No tasks for this lead yet." if actor.sees_all_team_data
                       else "No tasks of yours for this lead yet.")
        for task in open_tasks:
            task_row(actor, task, zone)
        if done:
            with st.expander(f"Done ({len(done)})", icon=":material/task_alt:"):
                for task in done:
                    task_row(actor, task, zone)
        if page.total > len(page.items):
            st.caption(f"Showing the first {len(page.items)} of {page.total} tasks.")
    st.markdown("**New task**")
    quick_add(actor, lead, zone)
