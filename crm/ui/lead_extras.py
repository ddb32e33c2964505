"""The lead page's Notes list (edit/delete), tag editing and the "log an activity" form."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.enums import ActivityType
from crm.errors import DomainError
from crm.schemas.activities import LOGGABLE, ActivityCreate
from crm.schemas.common import Actor
from crm.schemas.leads import LeadDetail, NoteCreate, NoteOut
from crm.schemas.tags import TagAssign
from crm.services import activities, notes, tags
from crm.ui import cached
from crm.ui.errors import attempt
from crm.ui.format import absolute_time, enum_label, md_escape, relative_time

NOTICE_KEY = "lead_detail_notice"  # shown (and cleared) by the lead page after the rerun
ERROR_KEY = "lead_detail_extras_error"
LOG_RESET_KEY = "lead_detail_log_reset"
TAG_RESET_KEY = "lead_detail_tags_reset"
LOG_FIELDS = ("type", "title", "description", "day", "time")
LOGGABLE_TYPES = [t for t in ActivityType if t in LOGGABLE]


def _done(message: str) -> None:
    cached.forget_reads()
    st.session_state[NOTICE_KEY] = message


def show_error() -> None:
    if error := st.session_state.pop(ERROR_KEY, None):
        st.error(error, icon=":material/error:")


# Notes


def _delete_note(actor: Actor, note_id: int) -> None:
    try:
        notes.delete_note(actor, note_id)
    except DomainError as exc:
        st.session_state[ERROR_KEY] = exc.message
    else:
        _done("Note deleted.")


def may_change(actor: Actor, note: NoteOut) -> bool:
    """Mirrors the notes service: the author, or a manager and above."""
    return note.author_id == actor.user_id or actor.sees_all_team_data


def note_card(actor: Actor, note: NoteOut) -> None:
    with st.container(border=True):
        st.text(note.content)
        edited = " · edited" if note.updated_at and note.updated_at - note.created_at > dt.timedelta(seconds=1) else ""
        who = md_escape(note.author) if note.author else "Former member"
        st.caption(f"{who} · {relative_time(note.created_at)} · {absolute_time(note.created_at)}{edited}")
        if not may_change(actor, note):
            return
        with st.expander("Edit", icon=":material/edit:"):
            with st.form(f"lead_detail_note_edit_form_{note.id}"):
                content = st.text_area("Note", note.content, key=f"lead_detail_note_edit_{note.id}", height=100)
                submitted = st.form_submit_button("Save note", icon=":material/save:")
            if submitted:
                if content.strip() == note.content.strip():
                    st.info("Nothing to save: the note was not changed.")
                elif attempt(lambda: notes.update_note(actor, note.id, NoteCreate(content=content))) is not None:
                    _done("Note saved.")
                    st.rerun()
        st.button("Delete note", key=f"lead_detail_note_delete_{note.id}", icon=":material/delete:",
                  on_click=_delete_note, args=(actor, note.id))


def notes_list(actor: Actor, lead: LeadDetail) -> None:
    found = attempt(lambda: notes.list_notes(actor, lead.id))
    if found is None:
        return
    if not found:
        st.caption("No notes yet.")
    for note in found:
        note_card(actor, note)


# Tags


def tag_editor(actor: Actor, lead: LeadDetail) -> None:
    """Add tags (existing ones, or new names) and take tags off the lead."""
    if st.session_state.pop(TAG_RESET_KEY, False):
        for key in ("lead_detail_tags_add", "lead_detail_tags_new", "lead_detail_tags_remove"):
            st.session_state.pop(key, None)
    team_tags = attempt(lambda: tags.list_tags(actor)) or []
    ids = {t.name: t.id for t in team_tags}
    with st.form("lead_detail_tags_form"):
        add = st.multiselect("Add tags", [t.name for t in team_tags if t.name not in lead.tags],
                             key="lead_detail_tags_add", placeholder="Pick the team's tags")
        new = st.text_input("New tags", key="lead_detail_tags_new", placeholder="Comma-separated, e.g. VIP, Cash buyer")
        remove = st.multiselect("Remove tags", lead.tags, key="lead_detail_tags_remove", placeholder="None")
        submitted = st.form_submit_button("Update tags", icon=":material/sell:")
    if not submitted:
        return
    names = [*add, *(n.strip() for n in new.split(",") if n.strip())]
    if not names and not remove:
        st.info("Nothing to change: pick or type a tag.")
        return
    if names and attempt(lambda: tags.add_tags_to_lead(actor, lead.id, TagAssign(names=names))) is None:
        return
    for name in remove:
        if name in ids and attempt(lambda name=name: tags.remove_tag_from_lead(actor, lead.id, ids[name])) is None:
            return
    st.session_state[TAG_RESET_KEY] = True
    _done("Tags updated.")
    st.rerun()


# Activities


def log_activity_form(actor: Actor, lead: LeadDetail, zone: dt.tzinfo) -> None:
    if st.session_state.pop(LOG_RESET_KEY, False):
        for field in LOG_FIELDS:
            st.session_state.pop(f"lead_detail_log_{field}", None)
    now = dt.datetime.now(zone)
    with st.form("lead_detail_log_form"):
        kind, day, time = st.columns([2, 1, 1])
        activity_type = kind.selectbox("Type", LOGGABLE_TYPES, format_func=enum_label, key="lead_detail_log_type")
        when_day = day.date_input("Date", value=now.date(), max_value=now.date(), key="lead_detail_log_day")
        when_time = time.time_input("Time", value=now.time().replace(second=0, microsecond=0),
                                    key="lead_detail_log_time")
        title = st.text_input("Summary", key="lead_detail_log_title", placeholder="Called about the open house")
        description = st.text_area("Details", key="lead_detail_log_description", height=80)
        submitted = st.form_submit_button("Log activity", icon=":material/history_edu:")
    if not submitted:
        return
    occurred = dt.datetime.combine(when_day, when_time, tzinfo=zone) if when_day and when_time else None
    logged = attempt(lambda: activities.log_activity(actor, ActivityCreate(
        lead_id=lead.id, type=activity_type, title=title.strip() or enum_label(activity_type),
        description=description.strip() or None, occurred_at=occurred)))
    if logged is not None:
        st.session_state[LOG_RESET_KEY] = True
        _done(f"{enum_label(activity_type)} logged.")
        st.rerun()
