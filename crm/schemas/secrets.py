"""Bring-your-own-key DTOs: a key goes in once and only its last 4 characters come out."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, SecretStr

from crm.enums import ProviderName
from crm.schemas.common import InputModel


class ProviderKeyInput(InputModel):
    provider: ProviderName
    key: SecretStr = Field(min_length=8, max_length=4000)


class ProviderKeyInfo(BaseModel):
    provider: ProviderName
    last4: str
    updated_at: dt.datetime
