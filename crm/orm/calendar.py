"""Appointments: showings, listing presentations, calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import AppointmentStatus, AppointmentType
from crm.orm.base import Base, created_at_col, enum_column, fk, int_pk, team_fk, updated_at_col


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        Index("ix_appointments_team_id_start_time", "team_id", "start_time"),
        Index("ix_appointments_user_id_start_time", "user_id", "start_time"),
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    start_time: Mapped[dt.datetime]
    end_time: Mapped[dt.datetime]
    location: Mapped[str | None] = mapped_column(String(300))
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    type: Mapped[AppointmentType] = mapped_column(enum_column(AppointmentType))
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column(AppointmentStatus), default=AppointmentStatus.SCHEDULED
    )
    user_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True)
    lead_id: Mapped[int | None] = fk("leads.id", ondelete="CASCADE", nullable=True, index=True)
    property_id: Mapped[int | None] = fk("properties.id", ondelete="SET NULL", nullable=True, index=True)
    attendees: Mapped[list[Any] | None]
    reminder_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[created_at_col]
    updated_at: Mapped[updated_at_col]
