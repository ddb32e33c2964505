"""Notes: listing and who may edit or delete one, on both databases."""

from __future__ import annotations

import pytest

from crm.enums import TeamRole
from crm.errors import NotFound, PermissionDenied
from crm.schemas.leads import NoteCreate
from crm.services import leads, notes
from tests.factories import make_lead, make_member, make_team


def test_notes_are_listed_newest_first_with_their_author(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER, name="Olive Owner")
    lead = make_lead(owner)
    first = leads.add_note(owner, lead.id, NoteCreate(content="first"))
    second = leads.add_note(owner, lead.id, NoteCreate(content="second"))
    listed = notes.list_notes(owner, lead.id)
    assert [n.id for n in listed] == [second.id, first.id]
    assert listed[0].author == "Olive Owner" and listed[0].author_id == owner.user_id


def test_the_author_may_edit_and_delete_their_note(db: str) -> None:
    team = make_team()
    owner, agent = make_member(team, TeamRole.OWNER), make_member(team, TeamRole.MEMBER)
    lead = make_lead(owner)
    note = leads.add_note(agent, lead.id, NoteCreate(content="Wants a yard"))
    edited = notes.update_note(agent, note.id, NoteCreate(content="Wants a big yard"))
    assert edited.content == "Wants a big yard"
    notes.delete_note(agent, note.id)
    assert notes.list_notes(owner, lead.id) == []


def test_another_agent_may_not_touch_a_note_but_a_manager_may(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    author, colleague = make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER)
    manager = make_member(team, TeamRole.MANAGER)
    lead = make_lead(owner)  # unassigned: every agent sees it
    note = leads.add_note(author, lead.id, NoteCreate(content="Pre-approved"))
    with pytest.raises(PermissionDenied):
        notes.update_note(colleague, note.id, NoteCreate(content="hijacked"))
    with pytest.raises(PermissionDenied):
        notes.delete_note(colleague, note.id)
    assert notes.update_note(manager, note.id, NoteCreate(content="Pre-approved (verified)")).content.endswith(
        "(verified)")
    notes.delete_note(manager, note.id)
    assert notes.list_notes(owner, lead.id) == []


def test_notes_of_leads_one_cannot_see_are_not_found(db: str) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    agent, other = make_member(team, TeamRole.MEMBER), make_member(team, TeamRole.MEMBER)
    hidden = make_lead(owner, assigned_to_id=other.user_id)
    note = leads.add_note(owner, hidden.id, NoteCreate(content="private"))
    stranger = make_member(make_team(), TeamRole.OWNER)
    for actor in (agent, stranger):
        with pytest.raises(NotFound):
            notes.list_notes(actor, hidden.id)
        with pytest.raises(NotFound):
            notes.update_note(actor, note.id, NoteCreate(content="x"))
        with pytest.raises(NotFound):
            notes.delete_note(actor, note.id)
