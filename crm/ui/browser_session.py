"""The browser-session cookie: signing, the one-time hand-over ticket, the browser-side trigger.

How a sign-in survives a reload:

1. The sign-in page checks the credentials and calls `sessions.start_browser_session`, which
   stores only the SHA-256 of a random token in `user_sessions` and returns the raw token.
2. Streamlit cannot set cookies (it talks to the browser over a websocket), so the page keeps
   the token in `st.session_state` and hands the browser a **one-time ticket** (random, 60 s,
   single use, held in this process's memory — never the token itself).
3. A tiny script (`cookie_trigger`) POSTs the ticket, same-origin, to `/_auth/session`, a
   Starlette route mounted next to Streamlit by `crm.ui.asgi` (`st.App`). The route redeems the
   ticket and answers `Set-Cookie: rep_session=<token signed with SECRET_KEY>; HttpOnly;
   SameSite=Lax; Path=/` (plus `Secure` over HTTPS). JavaScript never sees the token.
4. On every run app.py reads `st.context.cookies` (sent with the websocket handshake), checks the
   signature and asks `sessions.resume_browser_session` for the Actor: the server decides —
   30 minutes idle, 12 hours absolute, revoked on sign-out everywhere, deactivated users refused.

Nothing here touches the database; the services do.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping

from itsdangerous import BadSignature, URLSafeTimedSerializer

from crm.config import get_settings

COOKIE_NAME = "rep_session"
COOKIE_MAX_AGE = 12 * 60 * 60  # the absolute lifetime; the server enforces idle expiry too
SESSION_PATH = "/_auth/session"
LOGOUT_PATH = "/_auth/logout"
TICKET_SECONDS = 60
_SALT = "realestate-pro.browser-session.v1"

_tickets: dict[str, tuple[str, float]] = {}
_lock = threading.Lock()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT)


def sign(token: str) -> str:
    """The cookie value for a raw session token (tamper-evident, timestamped)."""
    return _serializer().dumps(token)


def unsign(value: str | None) -> str | None:
    """The raw token inside a cookie value, or None if missing, forged or older than 12 hours."""
    if not value:
        return None
    try:
        token = _serializer().loads(value, max_age=COOKIE_MAX_AGE)
    except BadSignature:  # includes SignatureExpired
        return None
    return token if isinstance(token, str) and token else None


def token_from_cookies(cookies: Mapping[str, str] | None) -> str | None:
    """The session token carried by the request's cookies, if any (and correctly signed)."""
    if not cookies:
        return None
    try:
        value = cookies.get(COOKIE_NAME)
    except Exception:  # noqa: BLE001 - st.context.cookies outside a server can misbehave
        return None
    return unsign(value if isinstance(value, str) else None)


def issue_ticket(token: str) -> str:
    """A single-use, short-lived ticket the browser exchanges for the cookie."""
    ticket = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _lock:
        for key in [k for k, (_, expires) in _tickets.items() if expires < now]:
            del _tickets[key]
        _tickets[ticket] = (token, now + TICKET_SECONDS)
    return ticket


def redeem_ticket(ticket: str) -> str | None:
    """Spend a ticket: the raw session token, or None if unknown, used or expired."""
    with _lock:
        entry = _tickets.pop(ticket, None)
    if entry is None or entry[1] < time.monotonic():
        return None
    return entry[0]


def ticket_pending(ticket: str) -> bool:
    with _lock:
        entry = _tickets.get(ticket)
    return entry is not None and entry[1] >= time.monotonic()


def cookie_trigger(path: str, ticket: str | None = None) -> str:
    """The script that asks the server for the cookie (or to clear it), same-origin.

    The element is placed in the main document (st.html with JavaScript allowed), so the
    fetch carries the page's origin and the response's Set-Cookie applies to the app.
    """
    body = json.dumps({"ticket": ticket}) if ticket else "{}"
    return (
        "<script>(function(){"
        "var base=window.location.pathname.replace(/\\/[^\\/]*$/,'');"
        f"fetch(base+{json.dumps(path)},{{method:'POST',credentials:'same-origin',"
        "headers:{'Content-Type':'application/json'},"
        f"body:{json.dumps(body)}}})"
        ".then(function(r){document.documentElement.dataset.repSession=String(r.status);})"
        ".catch(function(){document.documentElement.dataset.repSession='error';});"
        "})();</script>"
    )
