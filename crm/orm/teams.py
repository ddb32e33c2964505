"""Teams (brokerages) — the tenancy boundary — and their members."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.enums import SubscriptionTier, TeamRole
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, updated_at_col, utcnow


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    settings: Mapped[dict[str, Any] | None]
    subscription_tier: Mapped[SubscriptionTier] = mapped_column(
        enum_column(SubscriptionTier), default=SubscriptionTier.FREE
    )
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]

    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int_pk]
    team_id: Mapped[int] = fk("teams.id", ondelete="CASCADE", index=True)
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE", index=True)
    role: Mapped[TeamRole] = mapped_column(enum_column(TeamRole), default=TeamRole.MEMBER)
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


class TeamInvitation(Base):
    """An emailed, single-use, expiring invitation to join a team."""

    __tablename__ = "team_invitations"

    id: Mapped[int_pk]
    team_id: Mapped[int] = fk("teams.id", ondelete="CASCADE", index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[TeamRole] = mapped_column(enum_column(TeamRole), default=TeamRole.MEMBER)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    invited_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    expires_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at_col]


from crm.orm.users import User  # noqa: E402
