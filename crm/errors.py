"""Typed domain errors raised by services and translated by each entry point."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user may see; `message` is safe to show."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The resource does not exist or is not visible to the actor (same answer on purpose)."""


class PermissionDenied(DomainError):
    """The actor is known but their role does not allow this action."""


class AuthenticationFailed(DomainError):
    """Credentials or token were not accepted."""


class ValidationFailed(DomainError):
    """Input broke a business rule; nothing was written."""


class Conflict(DomainError):
    """The change clashes with existing data (e.g. a duplicate email in the team)."""


class PlanLimitReached(DomainError):
    """The team's subscription tier does not allow more of this."""


class RateLimited(DomainError):
    """Too many attempts in a short time; `retry_after` says how many seconds to wait."""

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))


class TwoFactorRequired(DomainError):
    """The password was right; a second factor is needed. `ticket` carries the sign-in on."""

    def __init__(self, ticket: str, message: str = "Enter the 6-digit code from your authenticator app.") -> None:
        super().__init__(message)
        self.ticket = ticket
