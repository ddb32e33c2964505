"""People who sign in, their tokens and their encrypted provider keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.enums import ProviderName, SecretOwner, SubscriptionTier, SystemRole
from crm.orm.base import Base, BigId, created_at_col, enum_column, fk, int_pk, updated_at_col


class User(Base):
    __tablename__ = "users"

    id: Mapped[int_pk]
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    avatar: Mapped[str | None] = mapped_column(String(500))
    role: Mapped[SystemRole] = mapped_column(enum_column(SystemRole), default=SystemRole.USER)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    language: Mapped[str] = mapped_column(String(16), default="en")
    phone: Mapped[str | None] = mapped_column(String(32))
    last_login_at: Mapped[dt.datetime | None]
    last_login_ip: Mapped[str | None] = mapped_column(String(64))
    two_factor_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    two_factor_secret: Mapped[str | None] = mapped_column(String(255))  # AES-GCM ciphertext
    two_factor_recovery_codes: Mapped[list[Any] | None]  # SHA-256 hashes of 60-bit codes, each usable once
    password_changed_at: Mapped[dt.datetime | None]
    subscription_tier: Mapped[SubscriptionTier] = mapped_column(
        enum_column(SubscriptionTier), default=SubscriptionTier.FREE
    )
    subscription_id: Mapped[str | None] = mapped_column(String(255))
    trial_ends_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]

    memberships: Mapped[list[TeamMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class RefreshToken(Base):
    """One issued refresh token; rotation marks the old one used, logout revokes all."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int_pk]
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE", index=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at_col]


class ProviderSecret(Base):
    """A bring-your-own key (LLM, email, SMS, payments), AES-256-GCM encrypted at rest."""

    __tablename__ = "provider_secrets"
    __table_args__ = (
        UniqueConstraint("owner_kind", "owner_id", "provider"),
        CheckConstraint("length(last4) <= 4", name="last4_len"),
    )

    id: Mapped[int_pk]
    owner_kind: Mapped[SecretOwner] = mapped_column(enum_column(SecretOwner))
    owner_id: Mapped[int] = mapped_column(BigId)
    provider: Mapped[ProviderName] = mapped_column(enum_column(ProviderName))
    ciphertext: Mapped[str] = mapped_column(String(4096))
    last4: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]


class UserSession(Base):
    """A signed-in browser: survives a reload, ends after 30 min idle, 12 h absolute, or sign-out."""

    __tablename__ = "user_sessions"

    id: Mapped[int_pk]
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE", index=True)
    team_id: Mapped[int | None] = fk("teams.id", ondelete="SET NULL", nullable=True, index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[created_at_col]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))


class AuthToken(Base):
    """A single-use, expiring token sent by email (verify email, reset password)."""

    __tablename__ = "auth_tokens"
    __table_args__ = (Index("ix_auth_tokens_user_id_purpose", "user_id", "purpose"),)

    id: Mapped[int_pk]
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE")
    purpose: Mapped[str] = mapped_column(String(32))  # verify_email | reset_password | login_ticket
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at_col]


class LoginAttempt(Base):
    """One sign-in try, kept to throttle by account and by IP (5 failures per 15 minutes)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created_at", "email", "created_at"),
        Index("ix_login_attempts_ip_address_created_at", "ip_address", "created_at"),
    )

    id: Mapped[int_pk]
    email: Mapped[str] = mapped_column(String(320))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[created_at_col]


from crm.orm.teams import TeamMember  # noqa: E402  (relationship target; import cycle by design)
