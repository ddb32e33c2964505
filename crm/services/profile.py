"""The actor's own profile: name, time zone, language and avatar (stored locally by default)."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.errors import NotFound, ValidationFailed
from crm.orm import User
from crm.providers.storage import get_avatar_storage
from crm.schemas.common import Actor
from crm.schemas.profile import Profile, ProfileUpdate
from crm.services.audit import record_audit

MAX_AVATAR_BYTES = 2 * 1024 * 1024
AVATAR_URL = "/api/settings/avatar"
# Detected from the bytes, never from the file name or the declared content type.
_MAGIC: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
)
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def _sniff(data: bytes) -> str | None:
    for magic, offset, _ctype, ext in _MAGIC:
        if data[offset:offset + len(magic)] == magic:
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _to_profile(user: User) -> Profile:
    return Profile(name=user.name, email=user.email, timezone=user.timezone, language=user.language,
                   avatar_url=f"{AVATAR_URL}?v={user.avatar.rsplit('-', 1)[-1].split('.')[0]}" if user.avatar else None,
                   two_factor_enabled=user.two_factor_enabled, email_verified=user.email_verified)


def _load(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound("Your account was not found.")
    return user


def get_profile(actor: Actor, *, sessions: SessionFactory | None = None) -> Profile:
    """The actor's own profile."""
    with transaction(sessions) as session:
        return _to_profile(_load(session, actor))


def update_profile(actor: Actor, data: ProfileUpdate, *, sessions: SessionFactory | None = None) -> Profile:
    """Change name, time zone or language (only the fields given)."""
    changes = data.model_dump(exclude_none=True)
    with transaction(sessions) as session:
        user = _load(session, actor)
        diff = {k: {"from": getattr(user, k), "to": v} for k, v in changes.items() if getattr(user, k) != v}
        for key, value in changes.items():
            setattr(user, key, value)
        if diff:
            record_audit(session, actor=actor, action="profile.update", resource="user", resource_id=user.id,
                         changes=diff)
        return _to_profile(user)


def set_avatar(actor: Actor, filename: str, data: bytes, *, sessions: SessionFactory | None = None) -> Profile:
    """Store a PNG, JPEG or WebP picture (≤ 2 MB, type read from its bytes) as the actor's avatar."""
    if len(data) > MAX_AVATAR_BYTES:
        raise ValidationFailed("The picture is larger than 2 MB; choose a smaller one.", field="avatar")
    ext = _sniff(data)
    if ext is None:
        raise ValidationFailed("Upload a PNG, JPEG or WebP picture.", field="avatar")
    digest = hashlib.sha256(data).hexdigest()[:16]
    key = f"user-{actor.user_id}-{digest}.{ext}"  # our name, never the uploaded file's
    storage = get_avatar_storage()
    storage.save(key, data)
    with transaction(sessions) as session:
        user = _load(session, actor)
        old = user.avatar
        user.avatar = key
        record_audit(session, actor=actor, action="profile.avatar", resource="user", resource_id=user.id,
                     changes={"filename": filename[:200], "bytes": len(data), "type": CONTENT_TYPES[ext]})
        profile = _to_profile(user)
    if old and old != key:
        storage.delete(old)
    return profile


def remove_avatar(actor: Actor, *, sessions: SessionFactory | None = None) -> Profile:
    """Go back to no avatar."""
    with transaction(sessions) as session:
        user = _load(session, actor)
        old, user.avatar = user.avatar, None
        if old:
            record_audit(session, actor=actor, action="profile.avatar_removed", resource="user", resource_id=user.id)
        profile = _to_profile(user)
    if old:
        get_avatar_storage().delete(old)
    return profile


def get_avatar(user_id: int, *, sessions: SessionFactory | None = None) -> tuple[bytes, str] | None:
    """The avatar bytes and content type of a user, or None."""
    with transaction(sessions) as session:
        user = session.get(User, user_id)
        key = user.avatar if user is not None else None
    if not key:
        return None
    data = get_avatar_storage().load(key)
    if data is None:
        return None
    return data, CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
