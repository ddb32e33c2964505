"""Tag inputs and outputs: team-wide labels put on leads."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from crm.schemas.common import InputModel
from crm.schemas.leads import LeadSelection

HEX_COLOR = r"^#[0-9A-Fa-f]{6}$"


class TagCreate(InputModel):
    name: str = Field(min_length=1, max_length=64)
    color: str | None = Field(default=None, pattern=HEX_COLOR)


class TagUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    color: str | None = Field(default=None, pattern=HEX_COLOR)


class TagAssign(InputModel):
    tag_ids: list[int] = Field(default=[], max_length=100)
    names: list[str] = Field(default=[], max_length=100)


class TagOut(BaseModel):
    id: int
    name: str
    color: str | None
    lead_count: int


class BulkTags(InputModel):
    """Add and/or remove tags on every selected lead (ids, or the whole filtered view).
    `add_names` are tag names; a name the team does not have yet creates the tag."""

    selection: LeadSelection
    add_tag_ids: list[int] = Field(default=[], max_length=100)
    remove_tag_ids: list[int] = Field(default=[], max_length=100)
    add_names: list[str] = Field(default=[], max_length=100)

    @model_validator(mode="after")
    def _something_to_do(self) -> BulkTags:
        if not (self.add_tag_ids or self.remove_tag_ids or any(n.strip() for n in self.add_names)):
            raise ValueError("give tags to add or to remove")
        if set(self.add_tag_ids) & set(self.remove_tag_ids):
            raise ValueError("a tag cannot be both added and removed")
        return self


class BulkTagResult(BaseModel):
    count: int  # leads in the selection
    added: int  # (lead, tag) pairs that were not there before
    removed: int
