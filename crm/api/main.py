"""Application factory: routers, CORS, the error envelope and the OpenAPI docs under /api."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from crm.api.errors import install_error_handlers
from crm.api.routes import activities, admin, auth, health, leads, notes, tags, teams
from crm.api.routes import custom_fields as custom_field_routes
from crm.api.routes import duplicates as duplicate_routes
from crm.api.routes import lead_import as lead_import_routes
from crm.api.routes import saved_views as saved_view_routes
from crm.api.routes import settings as settings_routes
from crm.api.routes import tasks as task_routes
from crm.config import get_settings
from crm.gc_pacing import GcPacer

TITLE = "RealEstate Pro API"


def _version() -> str:
    try:
        return metadata.version("realestate-pro")
    except metadata.PackageNotFoundError:  # running from a checkout, not an installed wheel
        return "0.1.0"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Everything imported and built by now lives as long as the server: freeze it out of the
    # collector's reach. A full collection otherwise walks those objects too, stalling a request
    # for tens to hundreds of milliseconds (measured by bench/leads_list.py). What the server
    # builds later (statement caches) is frozen by the pacer once a full collection turns slow.
    gc.collect()
    gc.freeze()
    pacer: GcPacer = app.state.gc_pacer
    pacer.install()
    try:
        yield
    finally:
        pacer.uninstall()


class _SettleGc:
    """ASGI middleware: after each HTTP request, let the pacer freeze (crm.gc_pacing)."""

    def __init__(self, app: Any, pacer: GcPacer) -> None:
        self.app, self.pacer = app, pacer

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                self.pacer.settle()


def create_app() -> FastAPI:
    """Build the API; settings are read here, not at import time, so tests can re-point them."""
    settings = get_settings()
    app = FastAPI(
        title=TITLE,
        version=_version(),
        description="REST API of the RealEstate Pro CRM. Authenticate with POST /api/auth/login, "
                    "then send `Authorization: Bearer <access_token>`.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        swagger_ui_oauth2_redirect_url="/api/docs/oauth2-redirect",
        lifespan=_lifespan,
    )
    # Bearer tokens travel in a header, never in cookies: no credentials mode needed.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Team-Id"],
        expose_headers=["Location", "WWW-Authenticate"],
        max_age=600,
    )
    app.state.gc_pacer = GcPacer()
    app.add_middleware(_SettleGc, pacer=app.state.gc_pacer)
    install_error_handlers(app)
    app.include_router(duplicate_routes.router)  # before leads: /api/leads/duplicates is not a lead id
    app.include_router(lead_import_routes.router)  # before leads: /api/leads/import(s) is not a lead id
    for module in (health, auth, leads, tags, notes, activities, teams, admin, settings_routes):
        app.include_router(module.router)
    app.include_router(task_routes.router)
    app.include_router(saved_view_routes.router)
    app.include_router(custom_field_routes.router)
    return app
