"""Choose provider implementations from settings: the one place that knows which is live."""

from __future__ import annotations

from crm.config import get_settings
from crm.providers.email import EmailSender, OutboxEmailSender, SendgridEmailSender


def get_email_sender() -> EmailSender:
    """Return SendGrid when a key is configured, else the local outbox."""
    settings = get_settings()
    if settings.sendgrid_api_key:
        return SendgridEmailSender(settings.sendgrid_api_key, host=settings.sendgrid_host or None)
    return OutboxEmailSender()
