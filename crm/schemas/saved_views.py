"""Saved views ("smart lists"): a named lead filter + sort, private to its owner or shared with the team."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field

from crm.schemas.common import InputModel
from crm.schemas.leads import LeadFilter, LeadSort, UserRef

ViewName = Annotated[str, Field(min_length=1, max_length=100)]


class SavedViewCreate(InputModel):
    """A new view. Its filter's `cursor` and `page_size` are paging state, not part of the view: dropped."""

    name: ViewName
    filters: LeadFilter = LeadFilter()
    shared: bool = False


class SavedViewUpdate(InputModel):
    """Fields left out keep their value: rename, share/unshare, or replace the filter and sort."""

    name: ViewName | None = None
    filters: LeadFilter | None = None
    shared: bool | None = None


class SavedViewOut(BaseModel):
    id: int
    name: str
    # None when the stored filter no longer validates (then `problem` says why, readably).
    filters: LeadFilter | None
    sort: LeadSort | None
    shared: bool
    owner: UserRef
    mine: bool  # the actor owns it (else it is a teammate's shared view)
    can_edit: bool  # the actor may update or delete it (owner; MANAGE_TEAM for shared views)
    problem: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
