"""Sign-in, token refresh and the current user."""

from __future__ import annotations

from fastapi import APIRouter

from crm.api.deps import ClientIp, CurrentActor, UserAgent
from crm.api.schemas import error_responses
from crm.schemas.auth import CurrentUser, LoginInput, LoginResult, RefreshInput, TokenPair
from crm.services import auth

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=LoginResult, responses=error_responses(401, 403, 422))
def login(data: LoginInput, ip: ClientIp, agent: UserAgent) -> LoginResult:
    """Exchange email and password for a 15-minute access token and a 7-day refresh token."""
    return auth.login(data, ip_address=ip, user_agent=agent)


@router.post("/refresh", response_model=TokenPair, responses=error_responses(401, 422))
def refresh(data: RefreshInput) -> TokenPair:
    """Trade a refresh token for a new pair; each refresh token works once."""
    return auth.refresh_tokens(data.refresh_token)


@router.get("/me", response_model=CurrentUser, responses=error_responses(401, 404))
def me(actor: CurrentActor) -> CurrentUser:
    """The signed-in user, the team they act in, and all their teams."""
    return auth.current_user(actor)
