"""Register, sign in (with the two-factor step), tokens, password reset, email verification, me."""

from __future__ import annotations

from fastapi import APIRouter, status

from crm.api.deps import ClientIp, CurrentActor, UserAgent
from crm.api.schemas import error_responses
from crm.errors import TwoFactorRequired
from crm.schemas.auth import (
    CurrentUser,
    ForgotPasswordInput,
    LoginInput,
    LoginResult,
    MessageOut,
    RefreshInput,
    RegisterInput,
    ResetPasswordInput,
    TokenPair,
    TwoFactorChallenge,
    TwoFactorLoginInput,
    VerifyEmailInput,
)
from crm.schemas.profile import Profile, ProfileUpdate
from crm.services import auth, profile

router = APIRouter(prefix="/api/auth", tags=["auth"])

REGISTERED = ("Check your inbox: we sent a link to confirm your email. "
              "If you already have an account, we sent sign-in help instead.")
RESET_SENT = "If an account exists for that email, we sent a link to reset the password. It works once, for 1 hour."


@router.post("/register", response_model=MessageOut, status_code=status.HTTP_202_ACCEPTED,
             responses=error_responses(404, 409, 422, 429))
def register(data: RegisterInput, ip: ClientIp, agent: UserAgent) -> MessageOut:
    """Create an account and a team you own (or join one with `invitation_token`).

    The answer is the same whether or not the email already has an account.
    """
    auth.register(data, ip_address=ip, user_agent=agent)
    return MessageOut(message=REGISTERED)


@router.post("/login", response_model=LoginResult | TwoFactorChallenge, responses=error_responses(401, 403, 422, 429))
def login(data: LoginInput, ip: ClientIp, agent: UserAgent) -> LoginResult | TwoFactorChallenge:
    """Exchange email and password for a 15-minute access token and a 7-day refresh token.

    With two-factor on, the answer is `{"two_factor_required": true, "ticket": ...}`: send the
    ticket and a code to POST /api/auth/2fa/verify. After 5 failures in 15 minutes (per account
    or per IP) the answer is 429 with a Retry-After header.
    """
    try:
        return auth.login(data, ip_address=ip, user_agent=agent)
    except TwoFactorRequired as challenge:
        return TwoFactorChallenge(ticket=challenge.ticket, message=challenge.message)


@router.post("/2fa/verify", response_model=LoginResult, responses=error_responses(401, 403, 422, 429))
def verify_two_factor(data: TwoFactorLoginInput, ip: ClientIp, agent: UserAgent) -> LoginResult:
    """Second step of sign-in: the ticket plus a code from the authenticator app (or a recovery code)."""
    return auth.login_two_factor(data.ticket, data.code, ip_address=ip, user_agent=agent)


@router.post("/refresh", response_model=TokenPair, responses=error_responses(401, 422))
def refresh(data: RefreshInput) -> TokenPair:
    """Trade a refresh token for a new pair; each refresh token works once."""
    return auth.refresh_tokens(data.refresh_token)


@router.post("/logout", response_model=MessageOut, responses=error_responses(401))
def logout(actor: CurrentActor) -> MessageOut:
    """Sign out everywhere: every refresh token and browser session ends."""
    auth.logout(actor)
    return MessageOut(message="You are signed out on every device.")


@router.post("/forgot-password", response_model=MessageOut, status_code=status.HTTP_202_ACCEPTED,
             responses=error_responses(422, 429))
def forgot_password(data: ForgotPasswordInput, ip: ClientIp) -> MessageOut:
    """Email a password-reset link; the answer never says whether the account exists."""
    auth.request_password_reset(data.email, ip_address=ip)
    return MessageOut(message=RESET_SENT)


@router.post("/reset-password", response_model=MessageOut, responses=error_responses(422))
def reset_password(data: ResetPasswordInput) -> MessageOut:
    """Set a new password with the emailed token; every session of the account ends."""
    auth.reset_password(data.token, data.new_password)
    return MessageOut(message="Your password was changed. Sign in with the new one.")


@router.post("/verify-email", response_model=MessageOut, responses=error_responses(422))
def verify_email(data: VerifyEmailInput) -> MessageOut:
    """Confirm the email address with the emailed token."""
    auth.verify_email(data.token)
    return MessageOut(message="Your email address is confirmed.")


@router.post("/resend-verification", response_model=MessageOut, responses=error_responses(401))
def resend_verification(actor: CurrentActor) -> MessageOut:
    """Send a new email-confirmation link (nothing happens once confirmed)."""
    auth.resend_verification(actor)
    return MessageOut(message="If your email is not confirmed yet, we sent a new link.")


@router.get("/me", response_model=CurrentUser, responses=error_responses(401, 404))
def me(actor: CurrentActor) -> CurrentUser:
    """The signed-in user, the team they act in, and all their teams."""
    return auth.current_user(actor)


@router.put("/me", response_model=Profile, responses=error_responses(401, 422))
def update_me(data: ProfileUpdate, actor: CurrentActor) -> Profile:
    """Update your name, time zone or language (email, role and team cannot be set here)."""
    return profile.update_profile(actor, data)
