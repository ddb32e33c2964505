"""GET /api/health: is the API up and does the database answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crm.api import probes
from crm.api.schemas import Health

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health() -> JSONResponse:
    """200 when the database answers `SELECT 1`, else 503 (no details: this route is public)."""
    if await probes.database_ok():
        return JSONResponse(Health(status="ok", database="ok").model_dump())
    return JSONResponse(Health(status="unavailable", database="unavailable").model_dump(), status_code=503)
