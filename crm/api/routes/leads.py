"""Leads: list, create, read, update, delete, status, assignment, bulk actions and tags."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from crm.api.deps import CurrentActor
from crm.api.errors import as_request_validation_error
from crm.api.schemas import error_responses
from crm.enums import LeadSource, LeadStatus
from crm.schemas.custom_fields import parse_filter_param
from crm.schemas.leads import (
    BulkAssign,
    BulkResult,
    BulkUpdate,
    LeadAssign,
    LeadCount,
    LeadCreate,
    LeadDetail,
    LeadFilter,
    LeadPage,
    LeadSelection,
    LeadSort,
    LeadUpdate,
    StatusChange,
)
from crm.schemas.tags import TagAssign
from crm.services import lead_export, leads, tags
from crm.services.lead_export import ExportFormat

router = APIRouter(prefix="/api/leads", tags=["leads"])


def lead_filter(
    search: Annotated[str | None, Query(description="Part of a name, email, company or phone number.")] = None,
    status: Annotated[list[LeadStatus] | None, Query(description="Repeat to match any of several.")] = None,
    source: Annotated[list[LeadSource] | None, Query(description="Repeat to match any of several.")] = None,
    tag_id: Annotated[list[int] | None, Query(description="Leads with any of these tags; repeat.")] = None,
    assigned_to_id: int | None = None,
    unassigned: bool = False,
    score_min: Annotated[int | None, Query(description="0 to 100.")] = None,
    score_max: Annotated[int | None, Query(description="0 to 100.")] = None,
    created_from: Annotated[dt.date | None, Query(description="First day, in your time zone.")] = None,
    created_to: Annotated[dt.date | None, Query(description="Last day (inclusive), in your time zone.")] = None,
    last_contact_from: Annotated[dt.date | None, Query(description="First day, in your time zone.")] = None,
    last_contact_to: Annotated[dt.date | None, Query(description="Last day (inclusive), in your time zone.")] = None,
    never_contacted: bool = False,
    cf: Annotated[list[str] | None, Query(description="Custom field condition `key:op[:value]`, e.g. "
                                          "`max_budget:gte:500000`, `areas:any_of:Downtown|Uptown`; repeat.")] = None,
    sort: LeadSort = LeadSort.NEWEST,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    page_size: Annotated[int, Query(description="1 to 200.")] = 50,
) -> LeadFilter:
    """Query string -> LeadFilter; its own rules (limits, lengths) answer 422 like any parameter."""
    try:
        return LeadFilter(search=search, statuses=status or [], sources=source or [], tag_ids=tag_id or [],
                          assigned_to_id=assigned_to_id, unassigned=unassigned, score_min=score_min,
                          score_max=score_max, created_from=created_from, created_to=created_to,
                          last_contact_from=last_contact_from, last_contact_to=last_contact_to,
                          never_contacted=never_contacted, sort=sort, cursor=cursor, page_size=page_size,
                          custom=[parse_filter_param(c) for c in cf or []])
    except ValidationError as exc:
        raise as_request_validation_error(
            exc, location="query",
            renames={"statuses": "status", "sources": "source", "tag_ids": "tag_id", "custom": "cf"}
        ) from None


@router.get("", response_model=LeadPage, responses=error_responses(401, 422))
def list_leads(actor: CurrentActor, filters: Annotated[LeadFilter, Depends(lead_filter)]) -> LeadPage:
    """One page of the leads you may see (agents: their own and the unassigned pool).

    Follow `next_cursor` for the next page; `total` is exact when `total_is_exact`, else a lower bound.
    """
    return leads.list_leads(actor, filters)


@router.get("/count", response_model=LeadCount, responses=error_responses(401, 422))
def count_leads(actor: CurrentActor, filters: Annotated[LeadFilter, Depends(lead_filter)]) -> LeadCount:
    """The exact number of leads in the filtered view; it reads every match, so ask only when needed."""
    return LeadCount(total=leads.count_leads(actor, filters))


@router.get("/export", responses={**error_responses(401, 403, 422),
                                   200: {"content": {"text/csv": {}, ExportFormat.XLSX.media_type: {}}}})
def export_leads(
    actor: CurrentActor, filters: Annotated[LeadFilter, Depends(lead_filter)],
    format: ExportFormat = ExportFormat.CSV,  # noqa: A002 - the public query parameter's name
) -> StreamingResponse:
    """Download every lead of the filtered view (not just one page) as CSV or XLSX."""
    stream = lead_export.export_leads(actor, filters, format)
    return StreamingResponse(stream, media_type=format.media_type,
                             headers={"Content-Disposition": f'attachment; filename="leads.{format.value}"'})


@router.post("", response_model=LeadDetail, status_code=201, responses=error_responses(401, 404, 409, 422))
def create_lead(actor: CurrentActor, data: LeadCreate, response: Response) -> LeadDetail:
    """Create a lead in your current team; it needs an email or a phone number."""
    lead = leads.create_lead(actor, data)
    response.headers["Location"] = f"/api/leads/{lead.id}"
    return lead


@router.get("/{lead_id}", response_model=LeadDetail, responses=error_responses(401, 404))
def get_lead(actor: CurrentActor, lead_id: int) -> LeadDetail:
    """A lead with its tags and timeline; ids you may not see answer 404."""
    return leads.get_lead(actor, lead_id)


# The bulk routes come before "/{lead_id}" ones only for readability: their methods differ anyway.
@router.post("/bulk/update", response_model=BulkResult, responses=error_responses(401, 403, 404, 422))
def bulk_update(actor: CurrentActor, data: BulkUpdate) -> BulkResult:
    """Change status, source or type of the selected leads (ids, or every lead matching a filter)."""
    return leads.bulk_update(actor, data.selection, data.changes)


@router.post("/bulk/assign", response_model=BulkResult, responses=error_responses(401, 403, 404, 422))
def bulk_assign(actor: CurrentActor, data: BulkAssign) -> BulkResult:
    """Assign the selected leads to a team member (`user_id: null` returns them to the pool)."""
    return leads.bulk_assign(actor, data.selection, data.user_id)


@router.post("/bulk/delete", response_model=BulkResult, responses=error_responses(401, 403, 404, 422))
def bulk_delete(actor: CurrentActor, data: LeadSelection) -> BulkResult:
    """Delete the selected leads (owners and admins)."""
    return leads.bulk_delete(actor, data)


@router.put("/{lead_id}", response_model=LeadDetail, responses=error_responses(401, 404, 409, 422))
def update_lead(actor: CurrentActor, lead_id: int, data: LeadUpdate) -> LeadDetail:
    """Change the fields you send; the others keep their values."""
    return leads.update_lead(actor, lead_id, data)


@router.delete("/{lead_id}", status_code=204, responses=error_responses(401, 403, 404))
def delete_lead(actor: CurrentActor, lead_id: int) -> Response:
    """Delete a lead with its notes, tasks and timeline (managers and above)."""
    leads.delete_lead(actor, lead_id)
    return Response(status_code=204)


@router.patch("/{lead_id}/status", response_model=LeadDetail, responses=error_responses(401, 404, 422))
def change_status(actor: CurrentActor, lead_id: int, data: StatusChange) -> LeadDetail:
    """Move a lead to another pipeline status; the change is logged on its timeline."""
    return leads.change_lead_status(actor, lead_id, data.status)


@router.patch("/{lead_id}/assign", response_model=LeadDetail, responses=error_responses(401, 403, 404, 422))
def assign_lead(actor: CurrentActor, lead_id: int, data: LeadAssign) -> LeadDetail:
    """Assign a lead (managers and above), or claim / release one yourself as an agent."""
    return leads.assign_lead(actor, lead_id, data.user_id)


@router.post("/{lead_id}/tags", response_model=list[str], responses=error_responses(401, 404, 409, 422))
def add_tags(actor: CurrentActor, lead_id: int, data: TagAssign) -> list[str]:
    """Put tags on a lead by id or by name (new names create the tag); answers the lead's tags."""
    return tags.add_tags_to_lead(actor, lead_id, data)


@router.delete("/{lead_id}/tags/{tag_id}", status_code=204, responses=error_responses(401, 404))
def remove_tag(actor: CurrentActor, lead_id: int, tag_id: int) -> Response:
    """Take a tag off a lead."""
    tags.remove_tag_from_lead(actor, lead_id, tag_id)
    return Response(status_code=204)
