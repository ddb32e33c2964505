"""Saved views ("smart lists"): named lead filters, private or shared with the team, and their leads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from crm.api.deps import CurrentActor
from crm.api.schemas import error_responses
from crm.schemas.leads import LeadPage
from crm.schemas.saved_views import SavedViewCreate, SavedViewOut, SavedViewUpdate
from crm.services import saved_views

router = APIRouter(prefix="/api/saved-views", tags=["saved views"])


@router.get("", response_model=list[SavedViewOut], responses=error_responses(401))
def list_views(actor: CurrentActor) -> list[SavedViewOut]:
    """Your views, then those your teammates shared (`mine: false`). A view whose stored filter no
    longer validates (e.g. a deleted custom field) has `filters: null` and says why in `problem`."""
    return saved_views.list_views(actor)


@router.post("", response_model=SavedViewOut, status_code=201, responses=error_responses(401, 409, 422))
def create_view(actor: CurrentActor, data: SavedViewCreate, response: Response) -> SavedViewOut:
    """Save a filter and sort under a name new among your views (case ignored); `shared` shows it to the team."""
    view = saved_views.create_view(actor, data)
    response.headers["Location"] = f"/api/saved-views/{view.id}"
    return view


@router.get("/{view_id}", response_model=SavedViewOut, responses=error_responses(401, 404))
def get_view(actor: CurrentActor, view_id: int) -> SavedViewOut:
    """One of your views or a shared one; a teammate's private view answers 404."""
    return saved_views.get_view(actor, view_id)


@router.put("/{view_id}", response_model=SavedViewOut, responses=error_responses(401, 403, 404, 409, 422))
def update_view(actor: CurrentActor, view_id: int, data: SavedViewUpdate) -> SavedViewOut:
    """Rename, share/unshare or replace the filter (owner; a shared view also team owners and admins)."""
    return saved_views.update_view(actor, view_id, data)


@router.delete("/{view_id}", status_code=204, responses=error_responses(401, 403, 404))
def delete_view(actor: CurrentActor, view_id: int) -> Response:
    """Delete a view (owner; a shared view also team owners and admins)."""
    saved_views.delete_view(actor, view_id)
    return Response(status_code=204)


@router.get("/{view_id}/leads", response_model=LeadPage, responses=error_responses(401, 404, 422))
def list_view_leads(
    actor: CurrentActor, view_id: int,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    page_size: Annotated[int, Query(ge=1, le=200, description="1 to 200.")] = 50,
) -> LeadPage:
    """One page of the view's leads, within the leads you may see (agents: own and unassigned)."""
    return saved_views.list_view_leads(actor, view_id, cursor=cursor, page_size=page_size)
