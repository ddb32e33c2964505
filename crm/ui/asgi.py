"""The Streamlit app as one ASGI application, plus the two routes that own the session cookie.

Run with `uvicorn crm.ui.asgi:app --port 8501` (what `make run` does). Streamlit itself cannot
set cookies, so these Starlette routes do it (see `crm.ui.browser_session` for the whole flow):

- `POST /_auth/session` {"ticket": ...}: redeems a one-time ticket issued by the sign-in page and
  answers with the signed, HttpOnly, SameSite=Lax session cookie;
- `POST /_auth/logout`: ends that browser session on the server and clears the cookie.

Both refuse cross-site requests (Origin / Sec-Fetch-Site checks): another site cannot sign a
visitor into someone else's account (login CSRF) nor sign them out.

Keep one worker process: Streamlit sessions and the tickets live in this process's memory.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm.config import Environment, get_settings
from crm.ui import browser_session

ROOT = Path(__file__).resolve().parents[2]
NO_STORE = {"Cache-Control": "no-store"}


def _same_origin(request: Request) -> bool:
    """True unless the browser says the request comes from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return fetch_site is not None  # a browser that sent Sec-Fetch-Site vouched for it
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return (request.url.scheme == "https" or forwarded == "https"
            or get_settings().environment is Environment.PRODUCTION)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=NO_STORE)


async def start_session(request: Request) -> Response:
    if not _same_origin(request):
        return _error(403, "cross-site request refused")
    try:
        payload = await request.json()
    except ValueError:
        return _error(400, "expected a JSON body")
    ticket = payload.get("ticket") if isinstance(payload, dict) else None
    token = browser_session.redeem_ticket(ticket) if isinstance(ticket, str) else None
    if token is None:
        return _error(400, "unknown or expired ticket")
    response = Response(status_code=204, headers=NO_STORE)
    response.set_cookie(
        browser_session.COOKIE_NAME, browser_session.sign(token),
        max_age=browser_session.COOKIE_MAX_AGE, path="/", httponly=True, samesite="lax",
        secure=_secure(request),
    )
    return response


async def end_session(request: Request) -> Response:
    if not _same_origin(request):
        return _error(403, "cross-site request refused")
    token = browser_session.token_from_cookies(request.cookies)
    if token is not None:
        from crm.services import sessions  # noqa: PLC0415 - only needed on sign-out

        await run_in_threadpool(sessions.end_browser_session, token)
    response = Response(status_code=204, headers=NO_STORE)
    response.delete_cookie(browser_session.COOKIE_NAME, path="/", httponly=True, samesite="lax",
                           secure=_secure(request))
    return response


routes = [
    Route(browser_session.SESSION_PATH, start_session, methods=["POST"]),
    Route(browser_session.LOGOUT_PATH, end_session, methods=["POST"]),
]

app = st.App(str(ROOT / "app.py"), routes=routes)
