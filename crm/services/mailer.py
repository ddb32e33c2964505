"""Send an email and keep a record of it, inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.config import get_settings
from crm.orm import OutboxDelivery
from crm.providers.email import EmailMessage, SentEmail
from crm.providers.registry import get_email_sender


def send_email(
    session: Session, *, to: str, subject: str, text: str, html: str | None = None,
    team_id: int | None = None, kind: str = "transactional",
) -> SentEmail:
    """Send through the configured provider and record the delivery in `outbox_deliveries`."""
    message = EmailMessage(to=to, subject=subject, text=text, html=html, from_address=get_settings().email_from)
    sent = get_email_sender().send(message)
    session.add(OutboxDelivery(
        team_id=team_id, channel="email", to_address=to, from_address=message.from_address,
        subject=subject, body=text,
        payload={"kind": kind, "provider": sent.provider, "message_id": sent.message_id, "html": html},
    ))
    return sent


def last_email_to(session: Session, address: str) -> OutboxDelivery | None:
    """Return the newest email recorded for `address` (tests and the local inbox view)."""
    return session.scalars(
        select(OutboxDelivery).where(OutboxDelivery.channel == "email", OutboxDelivery.to_address == address)
        .order_by(OutboxDelivery.id.desc()).limit(1)
    ).one_or_none()
