"""Custom lead fields: a team's own definitions (managed in Settings) and the rules their values follow.

Values are checked by `clean_values` (crm.services.custom_field_values) on every write and filtered
by `custom_field_clause` (crm.services.custom_field_filters); both are re-exported here.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String, cast, func, literal, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.enums import CustomFieldType
from crm.errors import Conflict, NotFound, ValidationFailed
from crm.orm import CustomFieldDefinition, Lead
from crm.schemas.common import Actor
from crm.schemas.custom_fields import CHOICE_TYPES, CustomFieldCreate, CustomFieldOrder, CustomFieldUpdate
from crm.schemas.leads import CustomFieldFilter
from crm.services.audit import emit_event, record_audit
from crm.services.custom_field_filters import check_filters, custom_field_clause, filter_clauses
from crm.services.custom_field_indexes import (
    create_field_index,
    drop_field_index,
    ensure_custom_field_indexes,
)
from crm.services.custom_field_values import (
    FieldDefinition,
    clean_value,
    clean_values,
    diff_values,
    format_value,
)
from crm.services.permissions import Action, require

MAX_DEFINITIONS = 50

__all__ = [
    "FieldDefinition", "check_filters", "clean_value", "clean_values", "create_definition",
    "custom_field_clause", "delete_definition", "diff_values", "ensure_custom_field_indexes", "filter_clauses",
    "format_value", "list_definitions", "load_definitions", "reorder_definitions", "update_definition",
]


def load_definitions(session: Session, team_id: int) -> list[FieldDefinition]:
    """The team's definitions in display order (for services that already hold a session)."""
    rows = session.scalars(
        select(CustomFieldDefinition).where(CustomFieldDefinition.team_id == team_id)
        .order_by(CustomFieldDefinition.position, CustomFieldDefinition.id)
    ).all()
    return [_definition(row) for row in rows]


def list_definitions(actor: Actor, *, sessions: SessionFactory | None = None) -> list[FieldDefinition]:
    """The team's custom lead fields in display order (any member: forms and filters need them)."""
    with transaction(sessions) as session:
        return load_definitions(session, actor.team_id)


def create_definition(
    actor: Actor, data: CustomFieldCreate, *, sessions: SessionFactory | None = None
) -> FieldDefinition:
    """Add a custom lead field; its key (from the label unless given) must be new in the team."""
    require(actor, Action.MANAGE_TEAM)
    key = data.key or slug_key(data.label)
    with transaction(sessions) as session:
        count, last = session.execute(
            select(func.count(), func.max(CustomFieldDefinition.position))
            .where(CustomFieldDefinition.team_id == actor.team_id)
        ).one()
        if count >= MAX_DEFINITIONS:
            raise ValidationFailed(f"A team can have at most {MAX_DEFINITIONS} custom fields.")
        if session.scalar(select(CustomFieldDefinition.id).where(
                CustomFieldDefinition.team_id == actor.team_id, CustomFieldDefinition.key == key)):
            raise Conflict(f"A custom field with the key '{key}' already exists.", field="key")
        row = CustomFieldDefinition(
            team_id=actor.team_id, key=key, label=data.label, field_type=data.field_type.value,
            required=data.required, choices=list(data.choices) if data.field_type in CHOICE_TYPES else None,
            position=(last or 0) + 1 if count else 0,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent create took the key first
            raise Conflict(f"A custom field with the key '{key}' already exists.", field="key") from exc
        # Its filters on the leads list use this index (rolled back with the definition on failure).
        create_field_index(session, actor.team_id, key, data.field_type)
        definition = _definition(row)
        record_audit(session, actor=actor, action="custom_field.create", resource="custom_field",
                     resource_id=row.id, changes=definition.model_dump(mode="json", exclude={"id", "position"}))
        emit_event(session, actor, type="custom_field.created", resource="custom_field", resource_id=row.id,
                   payload={"field_id": row.id, "key": key, "field_type": data.field_type.value})
        return definition


def update_definition(
    actor: Actor, field_id: int, data: CustomFieldUpdate, *, sessions: SessionFactory | None = None
) -> FieldDefinition:
    """Change a field's label, required flag or choices (a choice still in use cannot be removed)."""
    require(actor, Action.MANAGE_TEAM)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    with transaction(sessions) as session:
        row = _load(session, actor, field_id, for_update=True)
        if "choices" in changes:
            if row.field_type not in CHOICE_TYPES:
                raise ValidationFailed("Only select and multi-select fields have choices.", field="choices")
            _ensure_choices_unused(session, actor, row, changes["choices"])
        diff = {k: {"from": getattr(row, k), "to": v} for k, v in changes.items() if getattr(row, k) != v}
        for name, value in changes.items():
            setattr(row, name, value)
        session.flush()
        if diff:
            record_audit(session, actor=actor, action="custom_field.update", resource="custom_field",
                         resource_id=row.id, changes=diff)
            emit_event(session, actor, type="custom_field.updated", resource="custom_field", resource_id=row.id,
                       payload={"field_id": row.id, "key": row.key, "fields": sorted(diff)})
        return _definition(row)


def delete_definition(actor: Actor, field_id: int, *, sessions: SessionFactory | None = None) -> int:
    """Delete a field and strip its value from every lead of the team; return how many leads had one."""
    require(actor, Action.MANAGE_TEAM)
    with transaction(sessions) as session:
        row = _load(session, actor, field_id, for_update=True)
        key = row.key
        # One UPDATE over the team's leads that carry the key, in this transaction: no stale values left.
        if session.get_bind().dialect.name == "postgresql":
            stripped = type_coerce(Lead.custom_fields, JSONB).op("-")(cast(literal(key), String))
        else:
            stripped = func.json_remove(Lead.custom_fields, f'$."{key}"')
        result = session.execute(
            update(Lead)
            .where(Lead.team_id == actor.team_id, custom_field_clause(CustomFieldFilter(key=key, op="is_set")))
            .values(custom_fields=type_coerce(stripped, Lead.custom_fields.type))
            .execution_options(synchronize_session=False)
        )
        stripped_count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        record_audit(session, actor=actor, action="custom_field.delete", resource="custom_field",
                     resource_id=row.id, changes={"key": key, "label": row.label, "leads_stripped": stripped_count})
        emit_event(session, actor, type="custom_field.deleted", resource="custom_field", resource_id=row.id,
                   payload={"field_id": row.id, "key": key, "leads_stripped": stripped_count})
        session.delete(row)
        drop_field_index(session, actor.team_id, key)
        return stripped_count


def reorder_definitions(
    actor: Actor, data: CustomFieldOrder, *, sessions: SessionFactory | None = None
) -> list[FieldDefinition]:
    """Put the team's fields in the given order; the ids must be exactly the team's fields."""
    require(actor, Action.MANAGE_TEAM)
    with transaction(sessions) as session:
        rows = {r.id: r for r in session.scalars(
            select(CustomFieldDefinition).where(CustomFieldDefinition.team_id == actor.team_id).with_for_update()
        )}
        unknown = sorted(set(data.ids) - set(rows))
        if unknown:  # another team's id answers like a missing one
            raise NotFound(f"Custom field {unknown[0]} was not found.")
        if len(set(data.ids)) != len(data.ids) or set(data.ids) != set(rows):
            raise ValidationFailed("Give every custom field of the team exactly once.", field="ids")
        for position, field_id in enumerate(data.ids):
            rows[field_id].position = position
        session.flush()
        record_audit(session, actor=actor, action="custom_field.reorder", resource="custom_field",
                     changes={"ids": data.ids})
        return load_definitions(session, actor.team_id)


def slug_key(label: str) -> str:
    """A storage key from a label: "Move-in by" -> "move_in_by" (letters, digits, underscores)."""
    key = re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")[:64].rstrip("_")
    if not key:
        raise ValidationFailed("Give the field a key of letters and digits (the label has none).", field="key")
    if not key[0].isalpha():
        key = f"f_{key}"[:64]
    return key


def _ensure_choices_unused(session: Session, actor: Actor, row: CustomFieldDefinition, choices: list[str]) -> None:
    removed = [c for c in (row.choices or []) if c not in choices]
    if not removed:
        return
    def using(choices: list[str]) -> Any:
        return select(Lead.id).where(Lead.team_id == actor.team_id, custom_field_clause(
            CustomFieldFilter(key=row.key, op="any_of", value=choices)))

    # Name only the removed choices that are in use, so the message says exactly what blocks.
    in_use = [c for c in removed if session.scalar(select(using([c]).exists()))]
    if in_use:
        used = session.scalar(select(func.count()).select_from(using(in_use).subquery())) or 0
        names = ", ".join(f"'{c}'" for c in in_use)
        raise Conflict(f"{used} lead{'s' if used != 1 else ''} still use{'s' if used == 1 else ''} {names}; "
                       "change those leads first, then remove the choice.", field="choices")


def _load(session: Session, actor: Actor, field_id: int, *, for_update: bool = False) -> CustomFieldDefinition:
    stmt = select(CustomFieldDefinition).where(CustomFieldDefinition.id == field_id,
                                               CustomFieldDefinition.team_id == actor.team_id)
    row = session.scalars(stmt.with_for_update() if for_update else stmt).one_or_none()
    if row is None:
        raise NotFound(f"Custom field {field_id} was not found.")
    return row


def _definition(row: CustomFieldDefinition) -> FieldDefinition:
    return FieldDefinition(id=row.id, key=row.key, label=row.label, field_type=CustomFieldType(row.field_type),
                           required=row.required, choices=tuple(row.choices or ()), position=row.position)
