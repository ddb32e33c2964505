"""Saved views ("smart lists"): named lead filters + sort, private or shared with the team.

A view stores only what the user chose (the LeadFilter fields that differ from the defaults,
without paging state) and is validated again with LeadFilter every time it is read: the
schema, the team's tags or its custom fields may have changed since it was saved. Applying a
view goes through `leads.list_leads`, so an agent applying a teammate's shared view still
sees only their own and unassigned leads.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.orm import CustomFieldDefinition, SavedView, Tag, User
from crm.schemas.common import Actor
from crm.schemas.leads import LeadFilter, LeadPage, LeadSort, UserRef
from crm.schemas.saved_views import SavedViewCreate, SavedViewOut, SavedViewUpdate
from crm.services import leads
from crm.services.audit import emit_event, record_audit
from crm.services.custom_fields import check_filters
from crm.services.permissions import Action, can

# Paging state and the sort (its own column) are not part of a view's stored filter.
_NOT_STORED = {"cursor", "page_size", "sort"}
MAX_VIEWS_PER_USER = 200


def list_views(actor: Actor, *, sessions: SessionFactory | None = None) -> list[SavedViewOut]:
    """The actor's own views, then the views teammates shared, each by name (case ignored)."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(SavedView, User.name)
            .join(User, User.id == SavedView.owner_id)
            .where(SavedView.team_id == actor.team_id,
                   or_(SavedView.owner_id == actor.user_id, SavedView.shared.is_(True)))
            .order_by((SavedView.owner_id != actor.user_id), func.lower(SavedView.name), SavedView.id)
        ).all()
        checker = _Checker(session, actor)
        return [_out(actor, view, owner_name, checker) for view, owner_name in rows]


def get_view(actor: Actor, view_id: int, *, sessions: SessionFactory | None = None) -> SavedViewOut:
    """One view the actor may see (theirs, or shared in their team); others answer NotFound."""
    with transaction(sessions) as session:
        view = _load(session, actor, view_id)
        return _out(actor, view, _owner_name(session, view), _Checker(session, actor))


def create_view(actor: Actor, data: SavedViewCreate, *, sessions: SessionFactory | None = None) -> SavedViewOut:
    """Save the current filter and sort under a name that is new among the actor's views."""
    with transaction(sessions) as session:
        _ensure_name_free(session, actor, data.name)
        _Checker(session, actor).require_valid(data.filters)
        owned = session.scalar(select(func.count()).select_from(SavedView).where(
            SavedView.team_id == actor.team_id, SavedView.owner_id == actor.user_id)) or 0
        if owned >= MAX_VIEWS_PER_USER:
            raise ValidationFailed(f"You already have {MAX_VIEWS_PER_USER} saved views; delete some first.",
                                   field="name")
        view = SavedView(team_id=actor.team_id, owner_id=actor.user_id, name=data.name,
                         filters=stored_filters(data.filters), sort=data.filters.sort.value, shared=data.shared)
        session.add(view)
        session.flush()
        record_audit(session, actor=actor, action="saved_view.create", resource="saved_view", resource_id=view.id,
                     changes={"name": view.name, "shared": view.shared, "filters": view.filters, "sort": view.sort})
        emit_event(session, actor, type="saved_view.created", resource="saved_view", resource_id=view.id,
                   payload={"view_id": view.id, "shared": view.shared})
        return _out(actor, view, actor.name or _owner_name(session, view), _Checker(session, actor))


def update_view(actor: Actor, view_id: int, data: SavedViewUpdate, *,
                sessions: SessionFactory | None = None) -> SavedViewOut:
    """Rename, share/unshare, or replace the filter and sort (owner; shared views also MANAGE_TEAM)."""
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "shared"):
        if key in changes and changes[key] is None:
            raise ValidationFailed(f"A view's {key} cannot be empty.", field=key)
    with transaction(sessions) as session:
        view = _load(session, actor, view_id, for_update=True)
        _require_editor(actor, view, "change")
        before = {"name": view.name, "shared": view.shared, "filters": view.filters, "sort": view.sort}
        if data.name is not None and data.name.lower() != view.name.lower():
            _ensure_name_free(session, actor, data.name, owner_id=view.owner_id)
        if data.name is not None:
            view.name = data.name
        if data.shared is not None:
            view.shared = data.shared
        if data.filters is not None:
            _Checker(session, actor).require_valid(data.filters)
            view.filters = stored_filters(data.filters)
            view.sort = data.filters.sort.value
        after = {"name": view.name, "shared": view.shared, "filters": view.filters, "sort": view.sort}
        diff = {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}
        if diff:
            session.flush()
            record_audit(session, actor=actor, action="saved_view.update", resource="saved_view",
                         resource_id=view.id, changes=diff)
            emit_event(session, actor, type="saved_view.updated", resource="saved_view", resource_id=view.id,
                       payload={"view_id": view.id, "fields": sorted(diff), "shared": view.shared})
        return _out(actor, view, _owner_name(session, view), _Checker(session, actor))


def delete_view(actor: Actor, view_id: int, *, sessions: SessionFactory | None = None) -> None:
    """Delete a view (its owner; a shared view also a member who may MANAGE_TEAM)."""
    with transaction(sessions) as session:
        view = _load(session, actor, view_id, for_update=True)
        _require_editor(actor, view, "delete")
        record_audit(session, actor=actor, action="saved_view.delete", resource="saved_view", resource_id=view.id,
                     changes={"name": view.name, "owner_id": view.owner_id, "shared": view.shared})
        emit_event(session, actor, type="saved_view.deleted", resource="saved_view", resource_id=view.id,
                   payload={"view_id": view.id})
        session.delete(view)


def list_view_leads(actor: Actor, view_id: int, *, cursor: str | None = None, page_size: int = 50,
                    sessions: SessionFactory | None = None) -> LeadPage:
    """One page of the leads of a view, within what the actor may see (agents: own + unassigned)."""
    filters = _view_filter(actor, view_id, cursor=cursor, page_size=page_size, sessions=sessions)
    return leads.list_leads(actor, filters, sessions=sessions)


def stored_filters(filters: LeadFilter) -> dict[str, Any]:
    """What a view keeps of a LeadFilter: the chosen fields (JSON), no paging state, no sort."""
    return filters.model_dump(mode="json", exclude_defaults=True, exclude=_NOT_STORED)


# --- helpers ---------------------------------------------------------------------------------------


def _view_filter(actor: Actor, view_id: int, *, cursor: str | None = None, page_size: int = 50,
                 sessions: SessionFactory | None = None) -> LeadFilter:
    """The view's LeadFilter for one page; a view that no longer validates is ValidationFailed."""
    view = get_view(actor, view_id, sessions=sessions)
    if view.filters is None:
        raise ValidationFailed(f"The view '{view.name}' cannot be applied: {view.problem} "
                               "Update it with the current filters, or delete it.", field="filters")
    try:
        return LeadFilter.model_validate({**view.filters.model_dump(), "cursor": cursor, "page_size": page_size})
    except ValidationError as exc:  # a bad cursor or page size from the caller
        raise ValidationFailed(_readable(exc), field="cursor") from None


class _Checker:
    """Re-validates stored filters against the schema and the team's current tags and custom fields."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self._session = session
        self._actor = actor
        self._tags: set[int] | None = None
        self._fields: set[str] | None = None

    def check(self, view: SavedView) -> tuple[LeadFilter | None, str | None]:
        try:
            sort = LeadSort(view.sort) if view.sort else LeadSort.NEWEST
            filters = LeadFilter.model_validate({**(view.filters or {}), "sort": sort})
        except (ValidationError, ValueError) as exc:
            message = _readable(exc) if isinstance(exc, ValidationError) else str(exc)
            return None, f"its saved filter is no longer valid ({message})."
        problem = self.problem(filters)
        return (None, problem) if problem else (filters, None)

    def problem(self, filters: LeadFilter) -> str | None:
        """Why `filters` no longer fits the team (a deleted tag or custom field), or None."""
        if filters.tag_ids and not set(filters.tag_ids) <= self._tag_ids():
            return "a tag it filters on no longer exists."
        gone = sorted({c.key for c in filters.custom} - self._field_keys())
        if gone:
            return f"the custom field{'s' if len(gone) > 1 else ''} {', '.join(gone)} no longer exist" \
                   f"{'' if len(gone) > 1 else 's'}."
        try:  # an operator the field's type does not support
            check_filters(self._session, self._actor.team_id, filters.custom)
        except ValidationFailed as exc:
            return exc.message
        return None

    def require_valid(self, filters: LeadFilter) -> None:
        """Refuse to save a filter that could not be applied."""
        problem = self.problem(filters)
        if problem:
            raise ValidationFailed(f"This filter cannot be saved: {problem}", field="filters")

    def _tag_ids(self) -> set[int]:
        if self._tags is None:
            self._tags = set(self._session.scalars(select(Tag.id).where(Tag.team_id == self._actor.team_id)))
        return self._tags

    def _field_keys(self) -> set[str]:
        if self._fields is None:
            self._fields = set(self._session.scalars(
                select(CustomFieldDefinition.key).where(CustomFieldDefinition.team_id == self._actor.team_id)))
        return self._fields


def _out(actor: Actor, view: SavedView, owner_name: str, checker: _Checker) -> SavedViewOut:
    filters, problem = checker.check(view)
    return SavedViewOut(
        id=view.id, name=view.name, filters=filters, sort=filters.sort if filters else None,
        shared=view.shared, owner=UserRef(id=view.owner_id, name=owner_name), mine=view.owner_id == actor.user_id,
        can_edit=_may_edit(actor, view), problem=problem, created_at=view.created_at, updated_at=view.updated_at,
    )


def _load(session: Session, actor: Actor, view_id: int, *, for_update: bool = False) -> SavedView:
    """A view of the actor's team that is theirs or shared; anything else (another team's, a
    teammate's private one) is NotFound, so ids reveal nothing."""
    stmt = select(SavedView).where(
        SavedView.id == view_id, SavedView.team_id == actor.team_id,
        or_(SavedView.owner_id == actor.user_id, SavedView.shared.is_(True)))
    if for_update:
        stmt = stmt.with_for_update()
    view = session.scalars(stmt).one_or_none()
    if view is None:
        raise NotFound(f"Saved view {view_id} was not found.")
    return view


def _may_edit(actor: Actor, view: SavedView) -> bool:
    return view.owner_id == actor.user_id or (view.shared and can(actor, Action.MANAGE_TEAM))


def _require_editor(actor: Actor, view: SavedView, verb: str) -> None:
    if not _may_edit(actor, view):
        raise PermissionDenied(f"Only its owner or a team owner or admin can {verb} the shared view '{view.name}'.")


def _ensure_name_free(session: Session, actor: Actor, name: str, *, owner_id: int | None = None) -> None:
    owner = actor.user_id if owner_id is None else owner_id
    taken = session.scalar(select(SavedView.id).where(
        SavedView.team_id == actor.team_id, SavedView.owner_id == owner,
        func.lower(SavedView.name) == name.lower()))
    if taken is not None:
        raise Conflict(f"There is already a saved view named '{name}'. Pick another name.", field="name")


def _owner_name(session: Session, view: SavedView) -> str:
    return session.scalar(select(User.name).where(User.id == view.owner_id)) or "Former member"


def _readable(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "__root__")
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
