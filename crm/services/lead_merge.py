"""Merging two leads: the survivor keeps the chosen values and everything that pointed at the
other lead (found from the schema's foreign keys, so a future table is not forgotten)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    delete,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.enums import ActivityType, LeadStatus
from crm.errors import ValidationFailed
from crm.orm import Activity, Base, CustomFieldDefinition, Lead, LeadMerge, Tag, User, lead_tags
from crm.schemas.common import Actor
from crm.schemas.duplicates import MergeField, MergeOut, MergePreview, MergeRequest, Side
from crm.services.access import load_lead
from crm.services.audit import emit_event, jsonable, record_audit
from crm.services.duplicate_dismissals import carry_dismissals
from crm.services.duplicates import lead_summary
from crm.services.permissions import Action, require

# The fields a user picks between, with their labels (in the comparison's order).
MERGE_FIELDS: dict[str, str] = {
    "first_name": "First name", "last_name": "Last name", "email": "Email", "phone": "Phone",
    "company": "Company", "position": "Position", "lead_type": "Type", "status": "Status", "source": "Source",
    "score": "Score", "value": "Value", "stage": "Stage", "address": "Address", "city": "City", "state": "State",
    "zip_code": "ZIP code", "timezone": "Time zone", "assigned_to_id": "Assigned to",
}
CUSTOM_PREFIX = "custom_fields."
# Readable names of what moves; a table added later shows under its own name until listed here.
MOVED_LABELS: dict[str, str] = {
    "activities": "Activities", "notes": "Notes", "tasks": "Tasks", "messages": "Messages", "lead_tags": "Tags",
    "lead_property_interests": "Property interests", "appointments": "Appointments", "lead_scores": "Lead score",
    "ai_insights": "AI insights", "buyer_requirements": "Buyer requirements",
    "workflow_executions": "Workflow runs", "lead_import_rows": "Import report lines",
    "properties.seller_lead_id": "Listings (as seller)", "lead_merges.survivor_id": "Earlier merges",
}
# Tables referencing leads whose rows a merge does not simply move: a "not duplicates" mark is an
# ordered pair of leads, carried over by crm.services.duplicate_dismissals.carry_dismissals.
NOT_MOVED = frozenset({"duplicate_dismissals"})


def lead_references() -> list[Column[Any]]:
    """Every column of the schema holding a foreign key to leads.id (the rows a merge must move),
    except those of the tables in NOT_MOVED."""
    lead_id = Lead.__table__.c.id
    found = [fk.parent for table in Base.metadata.sorted_tables for fk in table.foreign_keys
             if fk.column is lead_id and table.name not in NOT_MOVED]
    return sorted(found, key=_reference_name)


def merge_preview(actor: Actor, survivor_id: int, merged_id: int, *,
                  sessions: SessionFactory | None = None) -> MergePreview:
    """The side-by-side comparison of two leads the actor may see, with a default per field
    (the newer non-empty value, else the survivor's) and how many rows of each kind would move."""
    if survivor_id == merged_id:
        raise ValidationFailed("Pick two different leads to merge.", field="merged_id")
    with transaction(sessions) as session:
        survivor = load_lead(session, actor, survivor_id)
        merged = load_lead(session, actor, merged_id)
        fields = [
            MergeField(field=name, label=label, survivor_value=_json(a), merged_value=_json(b), differs=a != b,
                       default=_default_side(survivor, merged, a, b))
            for name, label, a, b in _comparable(session, survivor, merged)
        ]
        moving = {}
        for column in lead_references():
            n = session.scalar(select(func.count()).select_from(column.table).where(column == merged.id)) or 0
            if n:
                moving[MOVED_LABELS.get(_reference_name(column), _reference_name(column))] = n
        return MergePreview(survivor=lead_summary(survivor), merged=lead_summary(merged), fields=fields, moving=moving)


def merge_leads(actor: Actor, request: MergeRequest, *, sessions: SessionFactory | None = None) -> MergeOut:
    """Fold the merged lead into the survivor in one transaction (DELETE_LEADS: managers and above).

    The survivor takes the chosen value of each field (unnamed fields keep the survivor's value,
    or the merged lead's when the survivor's is empty; custom fields are united, survivor first),
    then every row referencing the merged lead moves over — a row the survivor already has in a
    unique set (a tag, an interest in a listing, a score) is dropped instead. Leads marked "not
    duplicates" of the merged lead become so of the survivor. The merged lead is deleted; the
    merge log keeps a snapshot of it.
    """
    require(actor, Action.DELETE_LEADS)
    if request.survivor_id == request.merged_id:
        raise ValidationFailed("A lead cannot be merged with itself.", field="merged_id")
    with transaction(sessions) as session:
        first, second = sorted((request.survivor_id, request.merged_id))  # lock in one order: no deadlock
        locked = {i: load_lead(session, actor, i, for_update=True) for i in (first, second)}
        survivor, merged = locked[request.survivor_id], locked[request.merged_id]
        snapshot = _snapshot(session, merged)
        chosen = _resolve(survivor, merged, request.chosen)
        _apply(session, survivor, merged, chosen)
        moved, dropped = _move_references(session, merged.id, survivor.id)
        carried = carry_dismissals(session, team_id=actor.team_id, merged_id=merged.id, survivor_id=survivor.id)
        if carried:
            moved["duplicate_dismissals"] = carried
        session.execute(delete(Lead).where(Lead.id == merged.id).execution_options(synchronize_session=False))
        session.expunge(merged)
        name = _name(merged)
        entry = LeadMerge(team_id=actor.team_id, merged_by_id=actor.user_id, survivor_id=survivor.id,
                          merged_lead_id=merged.id, merged_snapshot=snapshot,
                          chosen={f: (survivor.id if side == "survivor" else merged.id) for f, side in chosen.items()},
                          moved={**moved, "dropped_duplicates": dropped})
        session.add(entry)
        session.add(Activity(team_id=actor.team_id, lead_id=survivor.id, user_id=actor.user_id,
                             type=ActivityType.LEAD_MERGED, title=f"Merged with {name}",
                             description=f"{actor.name or 'A teammate'} merged {name} (lead {merged.id}) into this lead.",
                             metadata_={"merged_lead_id": merged.id, "moved": moved}))
        session.flush()
        record_audit(session, actor=actor, action="lead.merge", resource="lead", resource_id=survivor.id,
                     changes={"merged_lead_id": merged.id, "merged_name": name, "chosen": entry.chosen,
                              "moved": moved})
        emit_event(session, actor, type="lead.merged", resource="lead", resource_id=survivor.id,
                   payload={"lead_id": survivor.id, "merged_lead_id": merged.id, "merge_id": entry.id})
        emit_event(session, actor, type="lead.deleted", resource="lead", resource_id=merged.id,
                   payload={"lead_id": merged.id, "merged_into": survivor.id})
        session.flush()
        return _out(entry, actor.name or None)


def merge_history(actor: Actor, lead_id: int, *, sessions: SessionFactory | None = None) -> list[MergeOut]:
    """The leads merged into this one, newest first."""
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id)
        rows = session.execute(
            select(LeadMerge, User.name).outerjoin(User, User.id == LeadMerge.merged_by_id)
            .where(LeadMerge.team_id == actor.team_id, LeadMerge.survivor_id == lead.id)
            .order_by(LeadMerge.created_at.desc(), LeadMerge.id.desc()).limit(200)
        ).all()
        return [_out(entry, who) for entry, who in rows]


# --- values ---------------------------------------------------------------------------------------

def _comparable(session: Session, survivor: Lead, merged: Lead) -> list[tuple[str, str, Any, Any]]:
    rows = [(f, label, getattr(survivor, f), getattr(merged, f)) for f, label in MERGE_FIELDS.items()]
    a, b = survivor.custom_fields or {}, merged.custom_fields or {}
    labels = _custom_labels(session, survivor.team_id)
    order = {key: n for n, key in enumerate(labels)}  # the team's order of its custom fields
    for key in sorted(set(a) | set(b), key=lambda k: (order.get(k, len(order)), k)):
        rows.append((CUSTOM_PREFIX + key, labels.get(key, key), a.get(key), b.get(key)))
    return rows


def _custom_labels(session: Session, team_id: int) -> dict[str, str]:
    rows = session.execute(
        select(CustomFieldDefinition.key, CustomFieldDefinition.label)
        .where(CustomFieldDefinition.team_id == team_id).order_by(CustomFieldDefinition.position)
    ).all()
    return {key: label for key, label in rows}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _default_side(survivor: Lead, merged: Lead, a: Any, b: Any) -> Side:
    if _empty(b) or a == b:
        return "survivor"
    if _empty(a):
        return "merged"
    return "merged" if merged.updated_at > survivor.updated_at else "survivor"


def _resolve(survivor: Lead, merged: Lead, requested: Mapping[str, Side]) -> dict[str, Side]:
    """Whose value each differing field keeps; refuses names that are not fields of these leads."""
    custom_keys = {CUSTOM_PREFIX + k for k in (survivor.custom_fields or {}) | (merged.custom_fields or {})}
    unknown = sorted(set(requested) - set(MERGE_FIELDS) - custom_keys)
    if unknown:
        raise ValidationFailed(f"Unknown field(s) to merge: {', '.join(unknown)}.", field="chosen")
    chosen: dict[str, Side] = {}
    for name in [*MERGE_FIELDS, *sorted(custom_keys)]:
        a, b = _value(survivor, name), _value(merged, name)
        if a == b:
            continue
        chosen[name] = requested.get(name) or ("merged" if _empty(a) and not _empty(b) else "survivor")
    return chosen


def _value(lead: Lead, name: str) -> Any:
    if name.startswith(CUSTOM_PREFIX):
        return (lead.custom_fields or {}).get(name.removeprefix(CUSTOM_PREFIX))
    return getattr(lead, name)


def _apply(session: Session, survivor: Lead, merged: Lead, chosen: Mapping[str, Side]) -> None:
    custom = {**(merged.custom_fields or {}), **(survivor.custom_fields or {})}
    for name, side in chosen.items():
        if side != "merged":
            continue
        if name.startswith(CUSTOM_PREFIX):
            key = name.removeprefix(CUSTOM_PREFIX)
            custom[key] = (merged.custom_fields or {})[key]
        elif name == "email":
            # Emails are unique per team: the merged lead lets go of its address first.
            email, merged.email = merged.email, None
            session.flush()
            survivor.email = email
        else:
            setattr(survivor, name, getattr(merged, name))
    survivor.custom_fields = {k: v for k, v in custom.items() if v is not None} or None
    # An opt-out given on either record stands: the person asked not to be contacted.
    survivor.email_opt_out = survivor.email_opt_out or merged.email_opt_out
    survivor.sms_opt_out = survivor.sms_opt_out or merged.sms_opt_out
    survivor.last_contact_at = _latest(survivor.last_contact_at, merged.last_contact_at)
    if survivor.status is LeadStatus.WON:
        survivor.won_at = survivor.won_at or merged.won_at or dt.datetime.now(dt.UTC)
    else:
        survivor.won_at = None
    if not survivor.email and not survivor.phone:
        raise ValidationFailed("The merged lead needs an email or a phone number.", field="chosen")
    session.flush()


def _latest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return max((v for v in (a, b) if v is not None), default=None)


def _snapshot(session: Session, lead: Lead) -> dict[str, Any]:
    values = {c.key: _json(getattr(lead, c.key)) for c in Lead.__mapper__.column_attrs}
    values["tags"] = list(session.scalars(
        select(Tag.name).join(lead_tags, lead_tags.c.tag_id == Tag.id)
        .where(lead_tags.c.lead_id == lead.id).order_by(Tag.name)))
    return values


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return value
    return jsonable(value)


# --- rows referencing the merged lead --------------------------------------------------------------

def _move_references(session: Session, merged_id: int, survivor_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """UPDATE every referencing row to the survivor, after dropping those that would break a
    unique constraint the column is part of (the survivor already has that tag, that interest…)."""
    moved: dict[str, int] = {}
    dropped: dict[str, int] = {}
    for column in lead_references():
        name = _reference_name(column)
        for others in _unique_partners(column):
            clash = column.table.alias("clash")
            same = [clash.c[column.name] == survivor_id, *(clash.c[o.name] == o for o in others)]
            gone = _rowcount(session.execute(
                delete(column.table).where(column == merged_id, exists(select(literal(1)).select_from(clash)
                                                                        .where(*same)))
                .execution_options(synchronize_session=False)))
            if gone:
                dropped[name] = dropped.get(name, 0) + gone
        count = _rowcount(session.execute(
            update(column.table).where(column == merged_id).values({column.name: survivor_id})
            .execution_options(synchronize_session=False)))
        if count:
            moved[name] = count
    return moved, dropped


def _unique_partners(column: Column[Any]) -> list[list[Column[Any]]]:
    """For each unique set (constraint, primary key, unique index) holding `column`, its other columns."""
    table: Table = column.table  # type: ignore[assignment]
    sets: list[list[Column[Any]]] = []
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint) and column.name in constraint.columns:
            sets.append([c for c in constraint.columns if c.name != column.name])
    for index in table.indexes:
        if isinstance(index, Index) and index.unique and column.name in index.columns:
            sets.append([c for c in index.columns if isinstance(c, Column) and c.name != column.name])
    return sets


def _reference_name(column: Column[Any]) -> str:
    table = column.table.name  # type: ignore[attr-defined]
    return table if column.name == "lead_id" else f"{table}.{column.name}"


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _name(lead: Lead) -> str:
    return f"{lead.first_name} {lead.last_name}".strip()


def _out(entry: LeadMerge, merged_by: str | None) -> MergeOut:
    snapshot = entry.merged_snapshot or {}
    return MergeOut(id=entry.id, survivor_id=entry.survivor_id, merged_lead_id=entry.merged_lead_id,
                    merged_name=f"{snapshot.get('first_name', '')} {snapshot.get('last_name', '')}".strip(),
                    merged_by=merged_by, merged_snapshot=snapshot, chosen=entry.chosen, moved=entry.moved,
                    created_at=entry.created_at)

