"""Custom lead fields: the team's own fields, read by every member, managed by owners and admins."""

from __future__ import annotations

from fastapi import APIRouter, Response

from crm.api.deps import CurrentActor
from crm.api.schemas import error_responses
from crm.schemas.custom_fields import CustomFieldCreate, CustomFieldOrder, CustomFieldUpdate
from crm.services import custom_fields
from crm.services.custom_fields import FieldDefinition

router = APIRouter(prefix="/api/settings/custom-fields", tags=["custom fields"])


@router.get("", response_model=list[FieldDefinition], responses=error_responses(401))
def list_custom_fields(actor: CurrentActor) -> list[FieldDefinition]:
    """Your team's custom lead fields in display order (key, label, type, required, choices)."""
    return custom_fields.list_definitions(actor)


@router.post("", response_model=FieldDefinition, status_code=201, responses=error_responses(401, 403, 409, 422))
def create_custom_field(actor: CurrentActor, data: CustomFieldCreate, response: Response) -> FieldDefinition:
    """Add a field; the key is derived from the label unless given and must be new in the team."""
    field = custom_fields.create_definition(actor, data)
    response.headers["Location"] = f"/api/settings/custom-fields/{field.id}"
    return field


# Before /{field_id}: "order" is not a field id.
@router.put("/order", response_model=list[FieldDefinition], responses=error_responses(401, 403, 422))
def reorder_custom_fields(actor: CurrentActor, data: CustomFieldOrder) -> list[FieldDefinition]:
    """Set the display order: every field id of the team, once each."""
    return custom_fields.reorder_definitions(actor, data)


@router.put("/{field_id}", response_model=FieldDefinition, responses=error_responses(401, 403, 404, 409, 422))
def update_custom_field(actor: CurrentActor, field_id: int, data: CustomFieldUpdate) -> FieldDefinition:
    """Change label, required flag or choices (key and type are fixed; a choice in use stays: 409)."""
    return custom_fields.update_definition(actor, field_id, data)


@router.delete("/{field_id}", status_code=204, responses=error_responses(401, 403, 404))
def delete_custom_field(actor: CurrentActor, field_id: int) -> Response:
    """Delete a field and remove its value from every lead of the team."""
    custom_fields.delete_definition(actor, field_id)
    return Response(status_code=204)
