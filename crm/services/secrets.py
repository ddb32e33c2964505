"""Bring-your-own keys: stored AES-256-GCM encrypted; only the last 4 characters leave."""

from __future__ import annotations

import binascii

from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.enums import ProviderName, SecretOwner
from crm.errors import ValidationFailed
from crm.orm import Integration, ProviderSecret, User
from crm.schemas.common import Actor
from crm.schemas.secrets import ProviderKeyInfo, ProviderKeyInput
from crm.security import decrypt_secret, encrypt_secret, last4
from crm.services.audit import record_audit


def set_user_key(actor: Actor, data: ProviderKeyInput, *, sessions: SessionFactory | None = None) -> ProviderKeyInfo:
    """Store (or replace) the actor's own key for a provider."""
    plain = data.key.get_secret_value().strip()
    with transaction(sessions) as session:
        row = _find(session, actor.user_id, data.provider)
        if row is None:
            row = ProviderSecret(owner_kind=SecretOwner.USER, owner_id=actor.user_id, provider=data.provider,
                                 ciphertext=encrypt_secret(plain), last4=last4(plain))
            session.add(row)
        else:
            row.ciphertext, row.last4 = encrypt_secret(plain), last4(plain)
        session.flush()
        # The audit entry names the provider and last 4 characters only — never the key.
        record_audit(session, actor=actor, action="secret.set", resource="provider_secret",
                     resource_id=row.id, changes={"provider": data.provider.value, "last4": row.last4})
        return ProviderKeyInfo(provider=row.provider, last4=row.last4, updated_at=row.updated_at)


def list_user_keys(actor: Actor, *, sessions: SessionFactory | None = None) -> list[ProviderKeyInfo]:
    """Return which providers the actor has keys for (last 4 characters only)."""
    with transaction(sessions) as session:
        rows = session.scalars(select(ProviderSecret).where(
            ProviderSecret.owner_kind == SecretOwner.USER, ProviderSecret.owner_id == actor.user_id)
            .order_by(ProviderSecret.provider)).all()
        return [ProviderKeyInfo(provider=r.provider, last4=r.last4, updated_at=r.updated_at) for r in rows]


def delete_user_key(actor: Actor, provider: ProviderName, *, sessions: SessionFactory | None = None) -> None:
    """Forget the actor's key for `provider`."""
    with transaction(sessions) as session:
        session.execute(delete(ProviderSecret).where(
            ProviderSecret.owner_kind == SecretOwner.USER, ProviderSecret.owner_id == actor.user_id,
            ProviderSecret.provider == provider))
        record_audit(session, actor=actor, action="secret.delete", resource="provider_secret",
                     changes={"provider": provider.value})


def reveal_user_key(actor: Actor, provider: ProviderName, *, sessions: SessionFactory | None = None) -> str | None:
    """Decrypt the actor's key for server-side use (building an LLM client); never display it."""
    with transaction(sessions) as session:
        row = _find(session, actor.user_id, provider)
        if row is None:
            return None
        try:
            return decrypt_secret(row.ciphertext)
        except (InvalidTag, ValueError):
            # The server's ENCRYPTION_KEY changed without a re-encryption: the key is lost.
            raise ValidationFailed(
                f"Your saved {provider.value.title()} key can no longer be read; please save it again."
            ) from None


def _find(session: Session, user_id: int, provider: ProviderName) -> ProviderSecret | None:
    return session.scalars(select(ProviderSecret).where(
        ProviderSecret.owner_kind == SecretOwner.USER, ProviderSecret.owner_id == user_id,
        ProviderSecret.provider == provider)).one_or_none()


def rotate_encryption_key(old_key_b64: str, new_key_b64: str, *, sessions: SessionFactory | None = None) -> int:
    """Re-encrypt every stored secret from `old_key_b64` to `new_key_b64`; return how many changed.

    Covers provider keys, users' TOTP secrets and integrations' credentials, in one transaction:
    a value readable by neither key stops the whole run (nothing is half-rotated). Values that
    already open with the new key are left alone, so an interrupted run can simply be repeated.
    Afterwards set ENCRYPTION_KEY to the new key and restart.
    """
    try:
        encrypt_secret("probe", key_b64=new_key_b64)
        encrypt_secret("probe", key_b64=old_key_b64)
    except (ValueError, binascii.Error):
        raise ValidationFailed("Both keys must be 32 random bytes, base64-encoded (AES-256).") from None
    if old_key_b64 == new_key_b64:
        raise ValidationFailed("The new key is the same as the old one.")
    changed = 0
    with transaction(sessions) as session:
        targets: list[tuple[object, str, str]] = []
        for secret in session.scalars(select(ProviderSecret)):
            targets.append((secret, "ciphertext", f"provider_secret {secret.id}"))
        for user in session.scalars(select(User).where(User.two_factor_secret.is_not(None))):
            targets.append((user, "two_factor_secret", f"user {user.id} two-factor secret"))
        for integration in session.scalars(select(Integration).where(Integration.credentials_ciphertext.is_not(None))):
            targets.append((integration, "credentials_ciphertext", f"integration {integration.id}"))
        for row, column, label in targets:
            value = getattr(row, column)
            try:
                plain = decrypt_secret(value, key_b64=old_key_b64)
            except (InvalidTag, ValueError, binascii.Error):
                try:
                    decrypt_secret(value, key_b64=new_key_b64)
                    continue  # already rotated by an earlier, interrupted run
                except (InvalidTag, ValueError, binascii.Error):
                    raise ValidationFailed(
                        f"The {label} opens with neither key; nothing was changed.") from None
            setattr(row, column, encrypt_secret(plain, key_b64=new_key_b64))
            changed += 1
        record_audit(session, action="secret.key_rotated", resource="encryption_key",
                     changes={"re_encrypted": changed})
    return changed
