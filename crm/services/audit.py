"""Audit trail and domain events, written inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crm.orm import AuditLog, DomainEvent
from crm.schemas.common import Actor


def record_audit(
    session: Session,
    *,
    action: str,
    resource: str,
    resource_id: object | None = None,
    actor: Actor | None = None,
    user_id: int | None = None,
    team_id: int | None = None,
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> None:
    """Append one audit entry (actor, team, action, resource, changes, where from)."""
    session.add(
        AuditLog(
            user_id=actor.user_id if actor else user_id,
            team_id=actor.team_id if actor else team_id,
            action=action,
            resource=resource,
            resource_id=None if resource_id is None else str(resource_id),
            changes=changes,
            ip_address=ip_address,
            user_agent=(user_agent or None) and user_agent[:500],
        )
    )


def emit_event(
    session: Session, actor: Actor | None, *, type: str, resource: str, resource_id: object,
    payload: dict[str, Any], team_id: int | None = None,
) -> None:
    """Write a domain event to the transactional outbox (consumed by workflows, notifications)."""
    session.add(
        DomainEvent(
            team_id=actor.team_id if actor else team_id,
            actor_id=actor.user_id if actor else None,
            type=type,
            resource=resource,
            resource_id=str(resource_id),
            payload=payload,
        )
    )


def jsonable(value: Any) -> Any:
    """Make a change value JSON-safe for audit/event payloads (Decimal, enums, dates)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
