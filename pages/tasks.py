"""Tasks: what is due today, overdue and upcoming (in your time zone); tick tasks off, add, edit, delete."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.enums import TaskPriority, TaskStatus
from crm.errors import DomainError
from crm.schemas.leads import LeadFilter, LeadSort
from crm.schemas.tasks import TaskCreate, TaskFilter, TaskOut, TaskUpdate, TaskView
from crm.services import leads, tasks
from crm.services.permissions import Action, can
from crm.ui import cached, session
from crm.ui.errors import attempt
from crm.ui.format import absolute_time, count, enum_label, md_escape, user_zone

PAGE_SIZE = 100
NOTICE_KEY = "tasks_notice"
ERROR_KEY = "tasks_error"
RESET_NEW_KEY = "tasks_new_reset"
NEW_FIELDS = ("title", "description", "due_date", "due_time", "priority", "lead", "assignee")
DEFAULT_DUE = dt.time(17, 0)
ANYONE = 0

actor = session.require_actor()
team = {user.id: user.name for user in cached.assignees(actor)}
may_assign = can(actor, Action.ASSIGN_LEADS)


zone = user_zone(actor)


def _done_changed(task: TaskOut, key: str) -> None:
    done = st.session_state[key]
    try:
        tasks.complete_task(actor, task.id) if done else tasks.uncomplete_task(actor, task.id)
    except DomainError as exc:
        st.session_state[ERROR_KEY] = exc.message
        return
    cached.forget_reads()
    st.session_state[NOTICE_KEY] = f"{'Completed' if done else 'Reopened'}: {task.title}"


def _delete(task: TaskOut) -> None:
    try:
        tasks.delete_task(actor, task.id)
    except DomainError as exc:
        st.session_state[ERROR_KEY] = exc.message
        return
    cached.forget_reads()
    st.session_state[NOTICE_KEY] = f"Deleted: {task.title}"


def edit_form(task: TaskOut, prefix: str) -> None:
    due = task.due_date.astimezone(zone)
    with st.form(f"{prefix}_edit_form"):
        title = st.text_input("Title", value=task.title, key=f"{prefix}_edit_title")
        description = st.text_area("Description", value=task.description or "", key=f"{prefix}_edit_description")
        day, time, level = st.columns(3)
        due_day = day.date_input("Due date", value=due.date(), key=f"{prefix}_edit_due_date")
        due_time = time.time_input("Due time", value=due.time().replace(second=0, microsecond=0),
                                   key=f"{prefix}_edit_due_time")
        priority = level.selectbox("Priority", list(TaskPriority), index=list(TaskPriority).index(task.priority),
                                   format_func=enum_label, key=f"{prefix}_edit_priority")
        assignee = task.assignee.id
        if may_assign and team:
            options = list(dict.fromkeys([*team, task.assignee.id]))
            assignee = st.selectbox("For", options, index=options.index(task.assignee.id),
                                    format_func=lambda uid: team.get(uid, task.assignee.name),
                                    key=f"{prefix}_edit_assignee")
        saved = st.form_submit_button("Save", icon=":material/save:")
    if not saved:
        return
    if due_day is None or due_time is None:
        st.error("Please pick a due date and time.", icon=":material/error:")
        return
    def save() -> TaskOut:
        data = {"title": title, "description": description.strip() or None,
                "due_date": dt.datetime.combine(due_day, due_time, tzinfo=zone), "priority": priority}
        if assignee != task.assignee.id:
            data["assigned_to_id"] = assignee
        return tasks.update_task(actor, task.id, TaskUpdate(**data))

    if attempt(save) is not None:
        cached.forget_reads()
        for key in [k for k in st.session_state if str(k).startswith("tasks_") and "_edit_" in str(k)]:
            del st.session_state[key]  # every tab's edit form shows the saved values
        st.session_state[NOTICE_KEY] = f"Saved: {title.strip()}"
        st.rerun()


def task_row(task: TaskOut, view: TaskView) -> None:
    prefix = f"tasks_{view.value}_{task.id}"
    with st.container(border=True):
        check, body, remove = st.columns([1, 9, 1], vertical_alignment="center")
        done_key = f"{prefix}_done_{task.status.value}"  # a new widget once the status changed elsewhere
        check.checkbox("Done", value=task.status is TaskStatus.COMPLETED, key=done_key,
                       on_change=_done_changed, args=(task, done_key))
        late = " · :red[overdue]" if task.overdue else ""
        state = "" if task.is_open else f" · {enum_label(task.status)}"
        title = f"~~{md_escape(task.title)}~~" if task.status is TaskStatus.COMPLETED else md_escape(task.title)
        who = f" · {md_escape(task.assignee.name)}" if actor.sees_all_team_data else ""
        body.markdown(f"**{title}**  \nDue {absolute_time(task.due_date.astimezone(zone))} · "
                      f"{enum_label(task.priority)}{who}{state}{late}")
        if task.lead is not None:
            body.page_link("pages/lead_detail.py", label=task.lead.name or f"Lead {task.lead.id}",
                           icon=":material/person:", query_params={"id": str(task.lead.id)})
        if task.description:
            body.caption(md_escape(task.description))
        remove.button("Delete", key=f"{prefix}_delete", icon=":material/delete:", on_click=_delete, args=(task,),
                      help="Delete this task")
        with body.expander("Edit", icon=":material/edit:"):
            edit_form(task, prefix)


def task_list(view: TaskView, assigned_to_id: int | None, status: TaskStatus | None = None) -> None:
    page = attempt(lambda: tasks.list_tasks(actor, TaskFilter(view=view, status=status, assigned_to_id=assigned_to_id,
                                                              page_size=PAGE_SIZE)))
    if page is None:
        return
    if not page.items:
        st.caption({TaskView.TODAY: "Nothing due today.", TaskView.OVERDUE: "Nothing overdue.",
                    TaskView.UPCOMING: "Nothing coming up."}.get(view, "No tasks yet."))
    for task in page.items:
        task_row(task, view)
    if page.total > len(page.items):
        st.caption(f"Showing the first {count(len(page.items))} of {count(page.total)} tasks.")


def lead_options() -> dict[int, str]:
    term = st.text_input("Find a lead (optional)", key="tasks_new_lead_search", placeholder="Name, email or phone")
    found = attempt(lambda: leads.list_leads(actor, LeadFilter(search=term or None, sort=LeadSort.NAME,
                                                               page_size=20)))
    options = {0: "No lead"}
    for lead in found.items if found else []:
        options[lead.id] = lead.full_name or f"Lead {lead.id}"
    return options


def new_task_form() -> None:
    if st.session_state.pop(RESET_NEW_KEY, False):
        for field in NEW_FIELDS:
            st.session_state.pop(f"tasks_new_{field}", None)
    choices = lead_options()
    with st.form("tasks_new_form"):
        title = st.text_input("Title *", key="tasks_new_title", placeholder="Call back about the showing")
        description = st.text_area("Description", key="tasks_new_description")
        day, time, level = st.columns(3)
        tomorrow = dt.datetime.now(zone).date() + dt.timedelta(days=1)
        due_day = day.date_input("Due date", value=tomorrow, key="tasks_new_due_date")
        due_time = time.time_input("Due time", value=DEFAULT_DUE, key="tasks_new_due_time")
        priority = level.selectbox("Priority", list(TaskPriority), index=1, format_func=enum_label,
                                   key="tasks_new_priority")
        lead_id = st.selectbox("Lead", list(choices), format_func=choices.__getitem__, key="tasks_new_lead")
        assignee = None
        if may_assign and team:
            options = list(team)
            assignee = st.selectbox("For", options,
                                    index=options.index(actor.user_id) if actor.user_id in options else 0,
                                    format_func=team.__getitem__, key="tasks_new_assignee")
        submitted = st.form_submit_button("Add task", icon=":material/add_task:")
    if not submitted:
        return
    if due_day is None or due_time is None:
        st.error("Please pick a due date and time.", icon=":material/error:")
        return
    created = attempt(lambda: tasks.create_task(actor, TaskCreate(
        title=title, description=description.strip() or None,
        due_date=dt.datetime.combine(due_day, due_time, tzinfo=zone), priority=priority,
        lead_id=lead_id or None, assigned_to_id=assignee)))
    if created is not None:
        cached.forget_reads()
        st.session_state[RESET_NEW_KEY] = True
        st.session_state[NOTICE_KEY] = f"Task added: {created.title}"
        st.rerun()


st.title("Tasks")
if notice := st.session_state.pop(NOTICE_KEY, None):
    st.success(notice, icon=":material/check_circle:")
if error := st.session_state.pop(ERROR_KEY, None):
    st.error(error, icon=":material/error:")

assigned_to_id: int | None = None
if actor.sees_all_team_data:
    people = [ANYONE, *team]
    chosen = st.selectbox("Assignee", people, format_func=lambda uid: "Everyone" if uid == ANYONE else team[uid],
                          key="tasks_assignee")
    assigned_to_id = chosen or None

with st.expander("New task", icon=":material/add_task:"):
    new_task_form()

counts = attempt(lambda: tasks.task_counts(actor, assigned_to_id=assigned_to_id))
today_n, overdue_n, upcoming_n = (counts.today, counts.overdue, counts.upcoming) if counts else (0, 0, 0)
today_tab, overdue_tab, upcoming_tab, all_tab = st.tabs([
    f"Today ({count(today_n)})", f"Overdue ({count(overdue_n)})", f"Upcoming ({count(upcoming_n)})", "All",
])
with today_tab:
    task_list(TaskView.TODAY, assigned_to_id)
with overdue_tab:
    task_list(TaskView.OVERDUE, assigned_to_id)
with upcoming_tab:
    task_list(TaskView.UPCOMING, assigned_to_id)
with all_tab:
    status = st.selectbox("Status", [None, *TaskStatus], format_func=lambda s: "Any" if s is None else enum_label(s),
                          key="tasks_all_status")
    task_list(TaskView.ALL, assigned_to_id, status)
