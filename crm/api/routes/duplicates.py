"""Duplicate leads ("not duplicates" marks too) and merging them, a lead's properties of
interest, and bulk tagging.

Registered before the leads router: its "/api/leads/{lead_id}" would otherwise answer
"/api/leads/duplicates" with a 422.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError

from crm.api.deps import CurrentActor
from crm.api.errors import as_request_validation_error
from crm.api.schemas import error_responses
from crm.schemas.duplicates import (
    DismissalPage,
    DismissalResult,
    DismissDuplicates,
    DuplicateMatch,
    DuplicatePage,
    DuplicateQuery,
    DuplicateReason,
    MergeOut,
    MergePreview,
    MergeRequest,
    PropertyInterest,
)
from crm.schemas.tags import BulkTagResult, BulkTags
from crm.services import duplicate_dismissals, duplicates, lead_merge, lead_properties, tags

router = APIRouter(prefix="/api/leads", tags=["leads"])


def duplicate_query(
    reason: Annotated[list[DuplicateReason] | None, Query(description="Repeat for several; none: all.")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(description="Groups per page, 1 to 100.")] = 20,
) -> DuplicateQuery:
    try:
        return DuplicateQuery(reasons=reason or [], cursor=cursor, limit=limit)
    except ValidationError as exc:
        raise as_request_validation_error(exc, location="query", renames={"reasons": "reason"}) from None


@router.get("/duplicates", response_model=DuplicatePage, responses=error_responses(401, 422))
def find_duplicates(actor: CurrentActor, query: Annotated[DuplicateQuery, Depends(duplicate_query)]) -> DuplicatePage:
    """Groups of leads you may see that look like the same person (same email, same phone, or a
    similar name at the same company or with the same phone), each with its reasons."""
    return duplicates.find_duplicates(actor, query)


@router.post("/duplicates/dismiss", response_model=DismissalResult, responses=error_responses(401, 404, 422))
def dismiss_duplicates(actor: CurrentActor, data: DismissDuplicates) -> DismissalResult:
    """Mark these leads as different people ("not duplicates"): no two of them are suggested
    together again. Answers how many pairs were newly marked."""
    return duplicate_dismissals.dismiss_duplicates(actor, data)


def dismissed_leads(
    lead_id: Annotated[list[int], Query(description="Two or more; repeat the parameter.")],
) -> DismissDuplicates:
    try:
        return DismissDuplicates(lead_ids=lead_id)
    except ValidationError as exc:
        raise as_request_validation_error(exc, location="query", renames={"lead_ids": "lead_id"}) from None


@router.delete("/duplicates/dismiss", response_model=DismissalResult, responses=error_responses(401, 404, 422))
def restore_duplicates(actor: CurrentActor,
                       data: Annotated[DismissDuplicates, Depends(dismissed_leads)]) -> DismissalResult:
    """Undo "not duplicates" for these leads: their pairs may be suggested again."""
    return duplicate_dismissals.restore_duplicates(actor, data)


@router.get("/duplicates/dismissed", response_model=DismissalPage, responses=error_responses(401, 403, 422))
def list_dismissals(
    actor: CurrentActor,
    before_id: Annotated[int | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Pairs per page.")] = 50,
) -> DismissalPage:
    """The team's pairs marked "not duplicates", newest first (managers and above)."""
    return duplicate_dismissals.list_dismissals(actor, before_id=before_id, limit=limit)


@router.get("/merge/preview", response_model=MergePreview, responses=error_responses(401, 404, 422))
def merge_preview(actor: CurrentActor, survivor_id: int, merged_id: int) -> MergePreview:
    """Two leads side by side: each field's values, the suggested choice, and what would move."""
    return lead_merge.merge_preview(actor, survivor_id, merged_id)


@router.post("/merge", response_model=MergeOut, responses=error_responses(401, 403, 404, 409, 422))
def merge_leads(actor: CurrentActor, data: MergeRequest) -> MergeOut:
    """Merge `merged_id` into `survivor_id` (managers and above); answers the merge log entry."""
    return lead_merge.merge_leads(actor, data)


@router.post("/bulk/tags", response_model=BulkTagResult, responses=error_responses(401, 403, 404, 409, 422))
def bulk_tag(actor: CurrentActor, data: BulkTags) -> BulkTagResult:
    """Add and/or remove tags on the selected leads (ids, or every lead matching a filter)."""
    return tags.bulk_tag(actor, data.selection, data.add_tag_ids, data.remove_tag_ids, add_names=data.add_names)


@router.get("/{lead_id}/duplicates", response_model=list[DuplicateMatch], responses=error_responses(401, 404))
def duplicates_of(actor: CurrentActor, lead_id: int) -> list[DuplicateMatch]:
    """Leads you may see that look like this one, with the reasons."""
    return duplicates.duplicates_of(actor, lead_id)


@router.get("/{lead_id}/merges", response_model=list[MergeOut], responses=error_responses(401, 404))
def merge_history(actor: CurrentActor, lead_id: int) -> list[MergeOut]:
    """The leads merged into this one, newest first, with what was kept and moved."""
    return lead_merge.merge_history(actor, lead_id)


@router.get("/{lead_id}/properties", response_model=list[PropertyInterest], responses=error_responses(401, 404))
def properties_of_interest(actor: CurrentActor, lead_id: int) -> list[PropertyInterest]:
    """Listings the lead viewed, saved, asked about or toured, most recent first."""
    return lead_properties.list_interests(actor, lead_id)
