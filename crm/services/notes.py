"""Notes on leads: read them all, edit or delete one (its author, or a manager and above).

Adding a note stays `crm.services.leads.add_note` (the lead page and the agent call it).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from crm.db import SessionFactory, transaction
from crm.errors import NotFound, PermissionDenied
from crm.orm import Lead, Note, User
from crm.schemas.common import Actor
from crm.schemas.leads import NoteCreate, NoteOut
from crm.services.access import load_lead, visible_leads
from crm.services.audit import emit_event, record_audit


def list_notes(actor: Actor, lead_id: int, *, sessions: SessionFactory | None = None) -> list[NoteOut]:
    """The notes of a lead the actor may see, newest first."""
    author = aliased(User)
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id)
        rows = session.execute(
            select(Note, author.name).outerjoin(author, author.id == Note.author_id)
            .where(Note.lead_id == lead.id).order_by(Note.created_at.desc(), Note.id.desc())
        ).all()
        return [_out(note, name) for note, name in rows]


def update_note(actor: Actor, note_id: int, data: NoteCreate, *, sessions: SessionFactory | None = None) -> NoteOut:
    """Replace a note's text; only its author or a manager and above may."""
    with transaction(sessions) as session:
        note = _load_for_change(session, actor, note_id, "edit")
        if note.content != data.content:
            note.content = data.content
            session.flush()
            record_audit(session, actor=actor, action="note.update", resource="note", resource_id=note.id,
                         changes={"lead_id": note.lead_id})
            emit_event(session, actor, type="note.updated", resource="lead", resource_id=note.lead_id,
                       payload={"lead_id": note.lead_id, "note_id": note.id})
        name = session.scalar(select(User.name).where(User.id == note.author_id)) if note.author_id else None
        return _out(note, name)


def delete_note(actor: Actor, note_id: int, *, sessions: SessionFactory | None = None) -> None:
    """Delete a note; only its author or a manager and above may."""
    with transaction(sessions) as session:
        note = _load_for_change(session, actor, note_id, "delete")
        record_audit(session, actor=actor, action="note.delete", resource="note", resource_id=note.id,
                     changes={"lead_id": note.lead_id})
        emit_event(session, actor, type="note.deleted", resource="lead", resource_id=note.lead_id,
                   payload={"lead_id": note.lead_id, "note_id": note.id})
        session.delete(note)


def _load_for_change(session: Session, actor: Actor, note_id: int, verb: str) -> Note:
    # A note is visible exactly when its lead is: other teams' and hidden leads' notes are "not found".
    note = session.scalars(
        select(Note).join(Lead, Lead.id == Note.lead_id)
        .where(Note.id == note_id, Note.team_id == actor.team_id, visible_leads(actor))
    ).one_or_none()
    if note is None:
        raise NotFound(f"Note {note_id} was not found.")
    if note.author_id != actor.user_id and not actor.sees_all_team_data:
        raise PermissionDenied(f"Only the note's author or a manager can {verb} this note.")
    return note


def _out(note: Note, author: str | None) -> NoteOut:
    return NoteOut(id=note.id, content=note.content, author=author, created_at=note.created_at,
                   author_id=note.author_id, updated_at=note.updated_at)
