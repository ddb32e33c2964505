"""Tag inputs and outputs: team-wide labels put on leads."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crm.schemas.common import InputModel

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
