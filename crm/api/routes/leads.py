"""Leads: list (filtered, sorted, paginated), create, read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ValidationError

from crm.api.deps import CurrentActor
from crm.api.errors import as_request_validation_error
from crm.api.schemas import error_responses
from crm.enums import LeadSource, LeadStatus
from crm.schemas.common import Page
from crm.schemas.leads import LeadCreate, LeadDetail, LeadFilter, LeadSort, LeadSummary
from crm.services import leads

router = APIRouter(prefix="/api/leads", tags=["leads"])


def lead_filter(
    search: Annotated[str | None, Query(description="Name, email, company or phone digits.")] = None,
    status: Annotated[list[LeadStatus] | None, Query(description="Repeat to match any of several.")] = None,
    source: Annotated[list[LeadSource] | None, Query(description="Repeat to match any of several.")] = None,
    assigned_to_id: int | None = None,
    unassigned: bool = False,
    sort: LeadSort = LeadSort.NEWEST,
    page: Annotated[int, Query(description="1-based.")] = 1,
    page_size: Annotated[int, Query(description="1 to 200.")] = 50,
) -> LeadFilter:
    """Query string -> LeadFilter; its own rules (limits, lengths) answer 422 like any parameter."""
    try:
        return LeadFilter(search=search, statuses=status or [], sources=source or [],
                          assigned_to_id=assigned_to_id, unassigned=unassigned, sort=sort,
                          page=page, page_size=page_size)
    except ValidationError as exc:
        raise as_request_validation_error(
            exc, location="query", renames={"statuses": "status", "sources": "source"}
        ) from None


@router.get("", response_model=Page[LeadSummary], responses=error_responses(401, 422))
def list_leads(actor: CurrentActor, filters: Annotated[LeadFilter, Depends(lead_filter)]) -> Page[LeadSummary]:
    """One page of the leads you may see (agents: their own and the unassigned pool)."""
    return leads.list_leads(actor, filters)


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
