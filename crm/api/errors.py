"""Translate domain and validation errors into the API's one error envelope."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crm.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    PlanLimitReached,
    RateLimited,
    TwoFactorRequired,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

# Most specific first: the first class in an error's MRO found here decides.
DOMAIN_STATUS: dict[type[DomainError], tuple[int, str]] = {
    RateLimited: (429, "rate_limited"),
    TwoFactorRequired: (401, "two_factor_required"),
    NotFound: (404, "not_found"),
    PermissionDenied: (403, "permission_denied"),
    AuthenticationFailed: (401, "authentication_failed"),
    ValidationFailed: (422, "validation_failed"),
    Conflict: (409, "conflict"),
    PlanLimitReached: (402, "plan_limit_reached"),
    DomainError: (400, "bad_request"),
}
HTTP_CODES = {400: "bad_request", 401: "authentication_failed", 403: "permission_denied",
              404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
              415: "unsupported_media_type", 429: "rate_limited"}
# Values of body keys containing one of these words are scrubbed from every error message.
SENSITIVE_KEY_PARTS = ("password", "token", "secret", "key", "authorization")
REDACTED = "[redacted]"
# Errors about the body as a whole; their `loc` holds a character offset or nothing useful.
BODY_SHAPE_MESSAGES = {
    "json_invalid": "The body is not valid JSON.",
    "model_attributes_type": "The body must be a JSON object; send it with Content-Type: application/json.",
    "dict_type": "The body must be a JSON object; send it with Content-Type: application/json.",
    "missing": "A JSON body is required.",
}
# The parts of a pydantic `loc` that say where, not which field.
LOCATIONS = {"body", "query", "path", "header", "cookie"}


def error_body(code: str, message: str, *, field: str | None = None,
               details: list[dict[str, str | None]] | None = None) -> dict[str, Any]:
    """Build the envelope `{"error": {"code", "message", "field"[, "details"]}}`."""
    error: dict[str, Any] = {"code": code, "message": message, "field": field}
    if details is not None:
        error["details"] = details
    return {"error": error}


def domain_error_response(exc: DomainError) -> JSONResponse:
    status, code = next(DOMAIN_STATUS[cls] for cls in type(exc).__mro__ if cls in DOMAIN_STATUS)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    body = error_body(code, exc.message, field=exc.field)
    if isinstance(exc, RateLimited):
        # Retry-After in seconds (RFC 9110 §10.2.3); the message says it in minutes for people.
        headers["Retry-After"] = str(exc.retry_after)
        body["error"]["retry_after"] = exc.retry_after
    if isinstance(exc, TwoFactorRequired):
        body["error"]["ticket"] = exc.ticket
    return JSONResponse(body, status_code=status, headers=headers or None)


def validation_response(errors: Sequence[Mapping[str, Any]], body: Any = None) -> JSONResponse:
    """422 with one readable line per problem; never echoes the submitted values of secrets."""
    secrets = sorted(set(_sensitive_values(body)), key=len, reverse=True)
    details = [{"field": None if _is_body_shape(e) else _field(e.get("loc", ())),
                "message": _scrub(_readable(e), secrets)} for e in errors]
    if not details:
        details = [{"field": None, "message": "The request is not valid."}]
    summary = "; ".join(f"{d['field']}: {d['message']}" if d["field"] else str(d["message"]) for d in details)
    return JSONResponse(
        error_body("validation_failed", summary, field=details[0]["field"], details=details), status_code=422
    )


def as_request_validation_error(exc: ValidationError, *, location: str,
                                renames: Mapping[str, str] | None = None) -> RequestValidationError:
    """Re-raise a DTO built from request parts as if FastAPI had refused the parameter itself."""
    renames = renames or {}
    errors = []
    for e in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = tuple(e["loc"])
        if loc and isinstance(loc[0], str):
            loc = (renames.get(loc[0], loc[0]), *loc[1:])
        errors.append({**e, "loc": (location, *loc)})
    return RequestValidationError(errors)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the same envelope."""

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc.errors(), exc.body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        return JSONResponse(error_body(code, message), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side. Please try again."),
            status_code=500,
        )


def _field(loc: Iterable[Any]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or None


def _is_body_shape(error: Mapping[str, Any]) -> bool:
    loc, kind = tuple(error.get("loc", ())), error.get("type")
    if kind == "json_invalid":
        return loc[:1] == ("body",)  # loc[1] is a character offset, not a field
    return kind in BODY_SHAPE_MESSAGES and loc == ("body",)


def _readable(error: Mapping[str, Any]) -> str:
    if _is_body_shape(error):
        return BODY_SHAPE_MESSAGES[error["type"]]
    message = str(error.get("msg") or "is not valid")
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].upper() + message[1:]


def _sensitive_values(body: Any, *, sensitive: bool = False) -> Iterable[str]:
    if isinstance(body, Mapping):
        for key, value in body.items():
            hit = sensitive or any(part in str(key).lower() for part in SENSITIVE_KEY_PARTS)
            yield from _sensitive_values(value, sensitive=hit)
    elif isinstance(body, (list, tuple)):
        for value in body:
            yield from _sensitive_values(value, sensitive=sensitive)
    elif sensitive and body is not None and str(body):
        yield str(body)


def _scrub(message: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        message = message.replace(secret, REDACTED)
    return message
