"""Request dependencies: the acting user from the bearer token, and where a request came from."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crm.errors import AuthenticationFailed
from crm.schemas.common import Actor
from crm.services import auth

bearer_scheme = HTTPBearer(
    auto_error=False, bearerFormat="JWT",
    description="The access_token returned by POST /api/auth/login (valid 15 minutes).",
)


def get_current_actor(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    x_team_id: Annotated[int | None, Header(
        description="Act in another of your teams (default: the team the token was issued for).",
    )] = None,
) -> Actor:
    """Resolve `Authorization: Bearer <access token>` (and `X-Team-Id`) to a fresh Actor."""
    if credentials is None:
        raise AuthenticationFailed("Sign in first: send the header 'Authorization: Bearer <access token>'.")
    return auth.actor_from_access_token(credentials.credentials, team_id=x_team_id)


def client_ip(request: Request) -> str | None:
    """The peer address (the proxy's, unless uvicorn runs with --proxy-headers)."""
    return request.client.host if request.client else None


def user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent") or None


CurrentActor = Annotated[Actor, Depends(get_current_actor)]
ClientIp = Annotated[str | None, Depends(client_ip)]
UserAgent = Annotated[str | None, Depends(user_agent)]
