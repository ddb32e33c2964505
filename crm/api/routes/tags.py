"""Tags: the team's labels for leads."""

from __future__ import annotations

from fastapi import APIRouter, Response

from crm.api.deps import CurrentActor
from crm.api.schemas import error_responses
from crm.schemas.tags import TagCreate, TagOut, TagUpdate
from crm.services import tags

router = APIRouter(prefix="/api/tags", tags=["tags"])


@router.get("", response_model=list[TagOut], responses=error_responses(401))
def list_tags(actor: CurrentActor) -> list[TagOut]:
    """Your team's tags with the number of leads carrying each."""
    return tags.list_tags(actor)


@router.post("", response_model=TagOut, status_code=201, responses=error_responses(401, 403, 409, 422))
def create_tag(actor: CurrentActor, data: TagCreate, response: Response) -> TagOut:
    """Create a tag; names are unique in the team whatever their case; colour as #RRGGBB."""
    tag = tags.create_tag(actor, data)
    response.headers["Location"] = f"/api/tags/{tag.id}"
    return tag


@router.put("/{tag_id}", response_model=TagOut, responses=error_responses(401, 403, 404, 409, 422))
def update_tag(actor: CurrentActor, tag_id: int, data: TagUpdate) -> TagOut:
    """Rename or recolour a tag (managers and above)."""
    return tags.update_tag(actor, tag_id, data)


@router.delete("/{tag_id}", status_code=204, responses=error_responses(401, 403, 404))
def delete_tag(actor: CurrentActor, tag_id: int) -> Response:
    """Delete a tag and take it off every lead (managers and above)."""
    tags.delete_tag(actor, tag_id)
    return Response(status_code=204)
