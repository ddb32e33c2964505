"""Bring-your-own keys: encrypted at rest, only the last 4 characters ever leave."""

from __future__ import annotations

from sqlalchemy import select

from crm.db import transaction
from crm.enums import ProviderName, TeamRole
from crm.orm import AuditLog, ProviderSecret
from crm.schemas.secrets import ProviderKeyInput
from crm.services import secrets
from tests.factories import make_member, make_team

SENTINEL = "sk-ant-SENTINEL-9f8e7d6c5b4a-KEY1"


def test_key_is_encrypted_and_only_last4_is_listed(db: str) -> None:
    actor = make_member(make_team(), TeamRole.MEMBER)
    info = secrets.set_user_key(actor, ProviderKeyInput(provider=ProviderName.ANTHROPIC, key=SENTINEL))
    assert info.last4 == "KEY1"
    assert [k.last4 for k in secrets.list_user_keys(actor)] == ["KEY1"]
    with transaction() as session:
        stored = session.scalars(select(ProviderSecret)).one()
        audit = session.scalars(select(AuditLog)).all()
    assert SENTINEL not in stored.ciphertext
    assert all(SENTINEL not in str(a.changes) for a in audit)
    assert secrets.reveal_user_key(actor, ProviderName.ANTHROPIC) == SENTINEL


def test_keys_are_per_user(db: str) -> None:
    team = make_team()
    ava, ben = make_member(team), make_member(team)
    secrets.set_user_key(ava, ProviderKeyInput(provider=ProviderName.OPENAI, key=SENTINEL))
    assert secrets.reveal_user_key(ben, ProviderName.OPENAI) is None
    assert secrets.list_user_keys(ben) == []


def test_replacing_and_deleting_a_key(db: str) -> None:
    actor = make_member(make_team())
    secrets.set_user_key(actor, ProviderKeyInput(provider=ProviderName.OPENAI, key=SENTINEL))
    secrets.set_user_key(actor, ProviderKeyInput(provider=ProviderName.OPENAI, key="sk-new-key-0000ABCD"))
    assert [k.last4 for k in secrets.list_user_keys(actor)] == ["ABCD"]
    secrets.delete_user_key(actor, ProviderName.OPENAI)
    assert secrets.reveal_user_key(actor, ProviderName.OPENAI) is None


def test_short_key_error_does_not_reveal_the_key_or_its_length() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as exc:
        ProviderKeyInput(provider=ProviderName.OPENAI, key="abc")
    assert "abc" not in str(exc.value) and "3" not in str(exc.value)


def test_key_unreadable_after_encryption_key_change_gives_readable_error(db: str, monkeypatch) -> None:
    import pytest

    from crm.errors import ValidationFailed
    from tests.conftest import reset_caches

    actor = make_member(make_team())
    secrets.set_user_key(actor, ProviderKeyInput(provider=ProviderName.OPENAI, key=SENTINEL))
    monkeypatch.setenv("ENCRYPTION_KEY", "b3RoZXItZW5jcnlwdGlvbi1rZXktMzItYnl0ZXMhISE=")
    reset_caches()
    with pytest.raises(ValidationFailed, match="save it again"):
        secrets.reveal_user_key(actor, ProviderName.OPENAI)
