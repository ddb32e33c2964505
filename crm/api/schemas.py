"""Response shapes that exist only at the HTTP edge (envelopes, compositions of service DTOs)."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    field: str | None
    message: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorInfo


class Health(BaseModel):
    status: str
    database: str


def error_responses(*codes: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses=` entries documenting the error envelope for `codes`."""
    return {code: {"model": ErrorResponse} for code in codes}
