"""Sending email: the interface, the local outbox sender and the SendGrid adapter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str | None = None
    from_address: str = "RealEstate Pro <no-reply@realestate-pro.local>"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SentEmail:
    provider: str
    message_id: str


class EmailSender(Protocol):
    name: str

    def send(self, message: EmailMessage) -> SentEmail: ...


class OutboxEmailSender:
    """Sends nothing: the mailer service records every message in `outbox_deliveries`.

    This is what makes the product work with no keys (and what tests read back).
    """

    name = "outbox"

    def send(self, message: EmailMessage) -> SentEmail:
        return SentEmail(provider=self.name, message_id=f"outbox-{uuid.uuid4().hex}")


class SendgridEmailSender:
    """SendGrid through its official SDK (`host` lets tests point it at a local fake server)."""

    name = "sendgrid"

    def __init__(self, api_key: str, *, host: str | None = None) -> None:
        from sendgrid import SendGridAPIClient

        self._client = SendGridAPIClient(api_key, host=host) if host else SendGridAPIClient(api_key)

    def send(self, message: EmailMessage) -> SentEmail:
        from sendgrid.helpers.mail import Mail

        mail = Mail(from_email=message.from_address, to_emails=message.to, subject=message.subject,
                    plain_text_content=message.text, html_content=message.html or None)
        response = self._client.send(mail)
        return SentEmail(provider=self.name, message_id=response.headers.get("X-Message-Id", ""))
