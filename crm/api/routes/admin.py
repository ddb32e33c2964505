"""Administration: user accounts (system admins) and the audit log (system admins; team owners/admins).

Team owners and admins need two-factor authentication on to use any of these endpoints.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError

from crm.api.deps import CurrentActor
from crm.api.errors import as_request_validation_error
from crm.api.schemas import error_responses
from crm.schemas.admin import AdminUserOut, AuditFilter, AuditOut, UserFilter
from crm.schemas.common import Page
from crm.services import admin, two_factor


def two_factor_for_admins(actor: CurrentActor) -> None:
    """Team owners and admins need two-factor on before any admin endpoint (as on the Admin page)."""
    two_factor.require_for_sensitive(actor)


router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(two_factor_for_admins)])


def user_filter(
    search: Annotated[str | None, Query(description="Part of a name or email.")] = None,
    active: bool | None = None,
    page: int = 1,
    page_size: int = 50,
) -> UserFilter:
    try:
        return UserFilter(search=search, active=active, page=page, page_size=page_size)
    except ValidationError as exc:
        raise as_request_validation_error(exc, location="query") from None


def audit_filter(
    action: Annotated[str | None, Query(description="Action, or its prefix (e.g. `team.`).")] = None,
    resource: str | None = None,
    user_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> AuditFilter:
    try:
        return AuditFilter(action=action, resource=resource, user_id=user_id, since=since, until=until,
                           page=page, page_size=page_size)
    except ValidationError as exc:
        raise as_request_validation_error(exc, location="query") from None


@router.get("/users", response_model=Page[AdminUserOut], responses=error_responses(401, 403, 422))
def list_users(actor: CurrentActor, filters: Annotated[UserFilter, Depends(user_filter)]) -> Page[AdminUserOut]:
    """Every user account (system admins only)."""
    return admin.list_users(actor, filters)


@router.get("/users/{user_id}", response_model=AdminUserOut, responses=error_responses(401, 403, 404))
def get_user(actor: CurrentActor, user_id: int) -> AdminUserOut:
    """One user account with its teams (system admins only)."""
    return admin.get_user(actor, user_id)


@router.patch("/users/{user_id}/activate", response_model=AdminUserOut, responses=error_responses(401, 403, 404))
def activate_user(actor: CurrentActor, user_id: int) -> AdminUserOut:
    """Let a deactivated user sign in again (system admins only)."""
    return admin.set_user_active(actor, user_id, True)


@router.patch("/users/{user_id}/deactivate", response_model=AdminUserOut,
              responses=error_responses(401, 403, 404, 422))
def deactivate_user(actor: CurrentActor, user_id: int) -> AdminUserOut:
    """Block a user from signing in and end all their sessions and tokens (system admins only)."""
    return admin.set_user_active(actor, user_id, False)


@router.get("/audit-logs", response_model=Page[AuditOut], responses=error_responses(401, 403, 422))
def list_audit_logs(actor: CurrentActor, filters: Annotated[AuditFilter, Depends(audit_filter)]) -> Page[AuditOut]:
    """Audit entries, newest first: your team's (owners/admins) or everyone's (system admins)."""
    return admin.list_audit_logs(actor, filters)
