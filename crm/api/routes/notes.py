"""Notes on leads: list and add under the lead, edit and delete by note id."""

from __future__ import annotations

from fastapi import APIRouter, Response

from crm.api.deps import CurrentActor
from crm.api.schemas import error_responses
from crm.schemas.leads import NoteCreate, NoteOut
from crm.services import leads, notes

router = APIRouter(prefix="/api", tags=["notes"])


@router.get("/leads/{lead_id}/notes", response_model=list[NoteOut], responses=error_responses(401, 404))
def list_notes(actor: CurrentActor, lead_id: int) -> list[NoteOut]:
    """A lead's notes, newest first."""
    return notes.list_notes(actor, lead_id)


@router.post("/leads/{lead_id}/notes", response_model=NoteOut, status_code=201,
             responses=error_responses(401, 404, 422))
def add_note(actor: CurrentActor, lead_id: int, data: NoteCreate) -> NoteOut:
    """Add a note to a lead."""
    return leads.add_note(actor, lead_id, data)


@router.put("/notes/{note_id}", response_model=NoteOut, responses=error_responses(401, 403, 404, 422))
def update_note(actor: CurrentActor, note_id: int, data: NoteCreate) -> NoteOut:
    """Replace a note's text (its author, or a manager and above)."""
    return notes.update_note(actor, note_id, data)


@router.delete("/notes/{note_id}", status_code=204, responses=error_responses(401, 403, 404))
def delete_note(actor: CurrentActor, note_id: int) -> Response:
    """Delete a note (its author, or a manager and above)."""
    notes.delete_note(actor, note_id)
    return Response(status_code=204)
