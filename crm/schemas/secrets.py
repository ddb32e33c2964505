"""Bring-your-own-key DTOs: a key goes in once and only its last 4 characters come out."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, SecretStr, field_validator

from crm.enums import ProviderName
from crm.schemas.common import InputModel


class ProviderKeyInput(InputModel):
    provider: ProviderName
    key: SecretStr

    @field_validator("key")
    @classmethod
    def _plausible_key(cls, value: SecretStr) -> SecretStr:
        # The message must not echo the key nor reveal its length.
        plain = value.get_secret_value().strip()
        if not 8 <= len(plain) <= 4000 or any(ch.isspace() for ch in plain):
            raise ValueError("That does not look like an API key; paste the whole key from your provider.")
        return SecretStr(plain)


class ProviderKeyInfo(BaseModel):
    provider: ProviderName
    last4: str
    updated_at: dt.datetime
