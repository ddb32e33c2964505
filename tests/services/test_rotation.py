"""Encryption-key rotation: every stored secret is re-encrypted, nothing half-done."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from crm.config import get_settings
from crm.db import transaction
from crm.enums import IntegrationProvider, ProviderName, TeamRole
from crm.errors import ValidationFailed
from crm.orm import Integration, ProviderSecret, User
from crm.rotate_keys import main as rotate_cli
from crm.schemas.secrets import ProviderKeyInput
from crm.security import decrypt_secret, encrypt_secret
from crm.services import secrets, two_factor
from tests.factories import make_member, make_team


def _new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _seed() -> tuple[int, int, str]:
    owner = make_member(make_team(), TeamRole.OWNER)
    secrets.set_user_key(owner, ProviderKeyInput(provider=ProviderName.OPENAI, key=SecretStr("sk-rotate-me-0001")))
    setup = two_factor.begin_setup(owner)
    with transaction() as session:
        integration = Integration(team_id=owner.team_id, provider=IntegrationProvider.HUBSPOT, name="HubSpot",
                                  credentials_ciphertext=encrypt_secret('{"token": "hub-123"}'))
        session.add(integration)
        session.flush()
        return owner.user_id, integration.id, setup.secret


def test_rotation_re_encrypts_everything_and_can_be_repeated(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    user_id, integration_id, totp_secret = _seed()
    old, new = get_settings().encryption_key, _new_key()
    assert secrets.rotate_encryption_key(old, new) == 3
    with transaction() as session:
        row = session.scalars(select(ProviderSecret)).one()
        assert decrypt_secret(row.ciphertext, key_b64=new) == "sk-rotate-me-0001"
        assert decrypt_secret(session.get(User, user_id).two_factor_secret, key_b64=new) == totp_secret
        assert decrypt_secret(session.get(Integration, integration_id).credentials_ciphertext,
                              key_b64=new) == '{"token": "hub-123"}'
    assert secrets.rotate_encryption_key(old, new) == 0  # already done: a no-op
    # The product reads with the new key once ENCRYPTION_KEY is switched.
    monkeypatch.setenv("ENCRYPTION_KEY", new)
    get_settings.cache_clear()
    from crm.services.auth import get_actor

    assert secrets.reveal_user_key(get_actor(user_id), ProviderName.OPENAI) == "sk-rotate-me-0001"


def test_a_value_neither_key_opens_stops_the_whole_rotation(db: str) -> None:
    _seed()
    with transaction() as session:
        session.add(ProviderSecret(owner_kind="USER", owner_id=999, provider=ProviderName.STRIPE,
                                   ciphertext=encrypt_secret("sk-x", key_b64=_new_key()), last4="sk-x"))
    old, new = get_settings().encryption_key, _new_key()
    with pytest.raises(ValidationFailed, match="neither key"):
        secrets.rotate_encryption_key(old, new)
    with transaction() as session:  # nothing changed
        for row in session.scalars(select(ProviderSecret).where(ProviderSecret.owner_id != 999)):
            assert decrypt_secret(row.ciphertext, key_b64=old)


def test_bad_keys_are_refused(db: str) -> None:
    with pytest.raises(ValidationFailed, match="32 random bytes"):
        secrets.rotate_encryption_key(get_settings().encryption_key, "not-base64!")
    with pytest.raises(ValidationFailed, match="same"):
        secrets.rotate_encryption_key(get_settings().encryption_key, get_settings().encryption_key)


def test_cli(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _seed()
    assert rotate_cli(["--old-key", get_settings().encryption_key, "--new-key", _new_key()]) == 0
    assert "Re-encrypted 3 secret(s)" in capsys.readouterr().out
    assert rotate_cli(["--old-key", get_settings().encryption_key, "--new-key", "short"]) == 1
    assert "32 random bytes" in capsys.readouterr().err
