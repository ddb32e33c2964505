"""Tags: team-wide labels (unique per team, case-insensitively) put on leads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, String, cast, delete, exists, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.errors import Conflict, NotFound, ValidationFailed
from crm.orm import DomainEvent, Lead, Tag, lead_tags
from crm.orm.base import UTCDateTime
from crm.schemas.common import Actor
from crm.schemas.leads import LeadSelection
from crm.schemas.tags import BulkTagResult, TagAssign, TagCreate, TagOut, TagUpdate
from crm.services.access import MANAGERS, load_lead, require_role
from crm.services.audit import emit_event, record_audit
from crm.services.leads import _selection_scope
from crm.services.permissions import Action, require


def list_tags(actor: Actor, *, sessions: SessionFactory | None = None) -> list[TagOut]:
    """The team's tags by name, each with how many leads carry it."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(Tag.id, Tag.name, Tag.color, func.count(lead_tags.c.lead_id))
            .outerjoin(lead_tags, lead_tags.c.tag_id == Tag.id)
            .where(Tag.team_id == actor.team_id)
            .group_by(Tag.id, Tag.name, Tag.color)
            .order_by(func.lower(Tag.name))
        ).all()
    return [TagOut(id=i, name=n, color=c, lead_count=cnt) for i, n, c, cnt in rows]


def create_tag(actor: Actor, data: TagCreate, *, sessions: SessionFactory | None = None) -> TagOut:
    """Create a tag; its name must be new in the team (case does not count)."""
    require(actor, Action.EDIT_LEADS)
    with transaction(sessions) as session:
        tag = _create(session, actor, data.name, data.color)
        return TagOut(id=tag.id, name=tag.name, color=tag.color, lead_count=0)


def update_tag(actor: Actor, tag_id: int, data: TagUpdate, *, sessions: SessionFactory | None = None) -> TagOut:
    """Rename or recolour a tag (managers and above: it changes the team's leads)."""
    require_role(actor, *MANAGERS, action="rename or recolour the team's tags")
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise ValidationFailed("A tag needs a name.", field="name")
    with transaction(sessions) as session:
        tag = _load(session, actor, tag_id)
        if "name" in changes and changes["name"].lower() != tag.name.lower():
            _ensure_name_free(session, actor, changes["name"])
        diff = {k: {"from": getattr(tag, k), "to": v} for k, v in changes.items() if getattr(tag, k) != v}
        for key, value in changes.items():
            setattr(tag, key, value)
        _flush_or_conflict(session, tag.name)
        if diff:
            record_audit(session, actor=actor, action="tag.update", resource="tag", resource_id=tag.id, changes=diff)
        count = session.scalar(select(func.count()).select_from(lead_tags).where(lead_tags.c.tag_id == tag.id)) or 0
        return TagOut(id=tag.id, name=tag.name, color=tag.color, lead_count=count)


def delete_tag(actor: Actor, tag_id: int, *, sessions: SessionFactory | None = None) -> None:
    """Delete a tag and take it off every lead (managers and above)."""
    require_role(actor, *MANAGERS, action="delete the team's tags")
    with transaction(sessions) as session:
        tag = _load(session, actor, tag_id)
        record_audit(session, actor=actor, action="tag.delete", resource="tag", resource_id=tag.id,
                     changes={"name": tag.name})
        session.execute(delete(lead_tags).where(lead_tags.c.tag_id == tag.id))
        session.delete(tag)


def add_tags_to_lead(actor: Actor, lead_id: int, data: TagAssign, *,
                     sessions: SessionFactory | None = None) -> list[str]:
    """Put tags on a lead, by id or by name (unknown names create the tag); return the lead's tags."""
    require(actor, Action.EDIT_LEADS)
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id)
        wanted: dict[int, str] = {}
        for tag_id in dict.fromkeys(data.tag_ids):
            tag = _load(session, actor, tag_id)
            wanted[tag.id] = tag.name
        for raw in data.names:
            name = raw.strip()
            if not name:
                continue
            if len(name) > 64:
                raise ValidationFailed("A tag name has at most 64 characters.", field="names")
            tag = _by_name(session, actor, name) or _create(session, actor, name, None)
            wanted[tag.id] = tag.name
        present = set(session.scalars(select(lead_tags.c.tag_id).where(lead_tags.c.lead_id == lead.id)))
        added = [tid for tid in wanted if tid not in present]
        if added:
            session.execute(insert(lead_tags), [{"lead_id": lead.id, "tag_id": tid} for tid in added])
            for tid in added:
                emit_event(session, actor, type="lead.tag_added", resource="lead", resource_id=lead.id,
                           payload={"lead_id": lead.id, "tag_id": tid, "tag": wanted[tid]})
            record_audit(session, actor=actor, action="lead.tags_add", resource="lead", resource_id=lead.id,
                         changes={"tags": sorted(wanted[t] for t in added)})
        return _lead_tag_names(session, lead.id)


def remove_tag_from_lead(actor: Actor, lead_id: int, tag_id: int, *, sessions: SessionFactory | None = None) -> None:
    """Take one tag off a lead (nothing happens if it was not there)."""
    require(actor, Action.EDIT_LEADS)
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id)
        tag = _load(session, actor, tag_id)
        result = session.execute(delete(lead_tags).where(lead_tags.c.lead_id == lead.id,
                                                          lead_tags.c.tag_id == tag.id))
        if result.rowcount:  # type: ignore[attr-defined]
            emit_event(session, actor, type="lead.tag_removed", resource="lead", resource_id=lead.id,
                       payload={"lead_id": lead.id, "tag_id": tag.id, "tag": tag.name})
            record_audit(session, actor=actor, action="lead.tags_remove", resource="lead", resource_id=lead.id,
                         changes={"tags": [tag.name]})


def bulk_tag(actor: Actor, selection: LeadSelection, add_tag_ids: Sequence[int] = (),
             remove_tag_ids: Sequence[int] = (), *, add_names: Sequence[str] = (),
             sessions: SessionFactory | None = None) -> BulkTagResult:
    """Add and remove tags on every selected lead (explicit ids, or the whole filtered view) in a
    few set-based statements; tags are the team's (`add_names` may create new ones)."""
    require(actor, Action.EDIT_LEADS)
    with transaction(sessions) as session:
        # The leads service owns what a selection means (visible ids, or a whole filtered view).
        scope = _selection_scope(session, actor, selection)
        adding = {tag.id: tag.name for tag in (_load(session, actor, i) for i in dict.fromkeys(add_tag_ids))}
        for raw in add_names:
            name = raw.strip()
            if name:
                if len(name) > 64:
                    raise ValidationFailed("A tag name has at most 64 characters.", field="add_names")
                tag = _by_name(session, actor, name) or _create(session, actor, name, None)
                adding[tag.id] = tag.name
        removing = {tag.id: tag.name for tag in (_load(session, actor, i) for i in dict.fromkeys(remove_tag_ids))}
        if set(adding) & set(removing):
            raise ValidationFailed("A tag cannot be both added and removed.", field="remove_tag_ids")
        selected_count = session.scalar(select(func.count()).select_from(Lead).where(*scope)) or 0
        present = lead_tags.alias("present")
        added = removed = 0
        for tag_id, name in adding.items():
            missing = ~exists(select(present.c.lead_id).where(present.c.lead_id == Lead.id,
                                                              present.c.tag_id == tag_id))
            _tag_events(session, actor, [*scope, missing], "lead.tag_added", tag_id, name)
            # preserve_rowcount: SQLAlchemy drops an INSERT … SELECT's row count on PostgreSQL otherwise.
            added += _rowcount(session.execute(insert(lead_tags).from_select(
                ["lead_id", "tag_id"], select(Lead.id, literal(tag_id)).where(*scope, missing))
                .execution_options(preserve_rowcount=True)))
        for tag_id, name in removing.items():
            carried = exists(select(present.c.lead_id).where(present.c.lead_id == Lead.id,
                                                             present.c.tag_id == tag_id))
            _tag_events(session, actor, [*scope, carried], "lead.tag_removed", tag_id, name)
            # The selected ids come from a derived table: the scope's own subqueries on lead_tags
            # must not correlate with the DELETE's target.
            selected = select(Lead.id).where(*scope).subquery()
            removed += _rowcount(session.execute(
                delete(lead_tags).where(lead_tags.c.tag_id == tag_id, lead_tags.c.lead_id.in_(select(selected.c.id)))
                .execution_options(synchronize_session=False)))
        record_audit(session, actor=actor, action="lead.bulk_tag", resource="lead",
                     changes={"count": selected_count, "added": added, "removed": removed, "add": sorted(adding.values()),
                              "remove": sorted(removing.values()),
                              "selection": selection.model_dump(mode="json", exclude_none=True)})
        emit_event(session, actor, type="lead.bulk_tagged", resource="lead", resource_id="bulk",
                   payload={"added": added, "removed": removed, "add": sorted(adding), "remove": sorted(removing)})
    return BulkTagResult(count=selected_count, added=added, removed=removed)


def _tag_events(session: Session, actor: Actor, where: list[Any], type_: str, tag_id: int, name: str) -> None:
    """One event per lead gaining or losing the tag, as add_tags_to_lead writes (INSERT … SELECT)."""
    build = func.jsonb_build_object if session.get_bind().dialect.name == "postgresql" else func.json_object
    payload = build(cast(literal("lead_id"), String), Lead.id, cast(literal("tag_id"), String),
                    cast(literal(tag_id), Lead.id.type), cast(literal("tag"), String), cast(literal(name), String),
                    cast(literal("bulk"), String), cast(literal(True), Boolean))
    session.execute(insert(DomainEvent).from_select(
        ["team_id", "actor_id", "type", "resource", "resource_id", "payload", "created_at"],
        select(Lead.team_id, literal(actor.user_id), literal(type_), literal("lead"), cast(Lead.id, String),
               payload, literal(dt.datetime.now(dt.UTC), UTCDateTime())).where(*where),
    ))


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _load(session: Session, actor: Actor, tag_id: int) -> Tag:
    tag = session.scalars(select(Tag).where(Tag.id == tag_id, Tag.team_id == actor.team_id)).one_or_none()
    if tag is None:
        raise NotFound(f"Tag {tag_id} was not found.")
    return tag


def _by_name(session: Session, actor: Actor, name: str) -> Tag | None:
    return session.scalars(
        select(Tag).where(Tag.team_id == actor.team_id, func.lower(Tag.name) == name.lower())
    ).first()


def _ensure_name_free(session: Session, actor: Actor, name: str) -> None:
    if _by_name(session, actor, name) is not None:
        raise Conflict(f"A tag named '{name}' already exists in this team.", field="name")


def _create(session: Session, actor: Actor, name: str, color: str | None) -> Tag:
    _ensure_name_free(session, actor, name)
    tag = Tag(team_id=actor.team_id, name=name, color=color)
    session.add(tag)
    _flush_or_conflict(session, name)
    record_audit(session, actor=actor, action="tag.create", resource="tag", resource_id=tag.id,
                 changes={"name": name, "color": color})
    return tag


def _flush_or_conflict(session: Session, name: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent insert won the race for the same name
        raise Conflict(f"A tag named '{name}' already exists in this team.", field="name") from exc


def _lead_tag_names(session: Session, lead_id: int) -> list[str]:
    return list(session.scalars(
        select(Tag.name).join(lead_tags, lead_tags.c.tag_id == Tag.id)
        .where(lead_tags.c.lead_id == lead_id).order_by(Tag.name)
    ))
