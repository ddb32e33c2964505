"""The signed-in user's settings: profile, avatar, password, two-factor and bring-your-own API keys."""

from __future__ import annotations

from fastapi import APIRouter, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from crm.api.deps import CurrentActor
from crm.api.schemas import error_responses
from crm.enums import ProviderName
from crm.errors import NotFound, ValidationFailed
from crm.schemas.auth import (
    ChangePasswordInput,
    MessageOut,
    RecoveryCodes,
    TokenPair,
    TwoFactorCodeInput,
    TwoFactorDisableInput,
    TwoFactorSetup,
)
from crm.schemas.profile import Profile, ProfileUpdate
from crm.schemas.secrets import ProviderKeyInfo, ProviderKeyInput
from crm.services import auth, profile, secrets, two_factor

router = APIRouter(prefix="/api/settings", tags=["settings"])


@router.get("/profile", response_model=Profile, responses=error_responses(401))
def get_profile(actor: CurrentActor) -> Profile:
    """Your name, email, time zone, language, avatar and security status."""
    return profile.get_profile(actor)


@router.put("/profile", response_model=Profile, responses=error_responses(401, 422))
def update_profile(data: ProfileUpdate, actor: CurrentActor) -> Profile:
    """Change name, time zone (IANA name) or language."""
    return profile.update_profile(actor, data)


@router.post("/avatar", response_model=Profile, responses=error_responses(401, 413, 422))
async def upload_avatar(file: UploadFile, actor: CurrentActor) -> Profile:
    """Upload a PNG, JPEG or WebP picture of at most 2 MB (multipart field `file`)."""
    data = await file.read(profile.MAX_AVATAR_BYTES + 1)
    if len(data) > profile.MAX_AVATAR_BYTES:
        raise ValidationFailed("The picture is larger than 2 MB; choose a smaller one.", field="avatar")
    return await run_in_threadpool(profile.set_avatar, actor, file.filename or "avatar", data)


@router.get("/avatar", responses={**error_responses(401, 404), 200: {"content": {"image/png": {}}}})
def get_avatar(actor: CurrentActor) -> Response:
    """Your avatar picture."""
    found = profile.get_avatar(actor.user_id)
    if found is None:
        raise NotFound("You have no avatar yet.")
    data, content_type = found
    return Response(data, media_type=content_type, headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
        "Content-Security-Policy": "default-src 'none'"})


@router.delete("/avatar", response_model=Profile, responses=error_responses(401))
def delete_avatar(actor: CurrentActor) -> Profile:
    """Remove your avatar."""
    return profile.remove_avatar(actor)


@router.put("/password", response_model=TokenPair, responses=error_responses(401, 422, 429))
def change_password(data: ChangePasswordInput, actor: CurrentActor) -> TokenPair:
    """Change your password. Every other session and token ends; a fresh token pair is returned."""
    auth.change_password(actor, data.current_password, data.new_password)
    return auth.issue_tokens(auth.get_actor(actor.user_id, actor.team_id))


@router.post("/2fa/enable", response_model=TwoFactorSetup, responses=error_responses(401, 409))
def enable_two_factor(actor: CurrentActor) -> TwoFactorSetup:
    """Start enabling two-factor: scan the QR code (or type the secret), then POST /2fa/verify."""
    return two_factor.begin_setup(actor)


@router.post("/2fa/verify", response_model=RecoveryCodes, responses=error_responses(401, 409, 422))
def verify_two_factor(data: TwoFactorCodeInput, actor: CurrentActor) -> RecoveryCodes:
    """Confirm with a code from the app; returns 10 single-use recovery codes, shown only now."""
    return RecoveryCodes(recovery_codes=two_factor.confirm_setup(actor, data.code))


@router.post("/2fa/disable", response_model=MessageOut, responses=error_responses(401, 409, 422))
def disable_two_factor(data: TwoFactorDisableInput, actor: CurrentActor) -> MessageOut:
    """Turn two-factor off with your password and a current code (or a recovery code)."""
    two_factor.disable(actor, data.password, data.code)
    return MessageOut(message="Two-factor authentication is off.")


@router.get("/api-keys", response_model=list[ProviderKeyInfo], responses=error_responses(401, 403))
def list_api_keys(actor: CurrentActor) -> list[ProviderKeyInfo]:
    """Your bring-your-own provider keys: only the last 4 characters are ever shown.

    Team owners and admins need two-factor on first.
    """
    two_factor.require_for_sensitive(actor)
    return secrets.list_user_keys(actor)


@router.put("/api-keys", response_model=ProviderKeyInfo, responses=error_responses(401, 403, 422))
def set_api_key(data: ProviderKeyInput, actor: CurrentActor) -> ProviderKeyInfo:
    """Save (or replace) your key for a provider; it is stored encrypted and never shown again."""
    two_factor.require_for_sensitive(actor)
    return secrets.set_user_key(actor, data)


@router.delete("/api-keys/{provider}", status_code=204, responses=error_responses(401, 403, 422))
def delete_api_key(provider: ProviderName, actor: CurrentActor) -> Response:
    """Forget your key for a provider."""
    two_factor.require_for_sensitive(actor)
    secrets.delete_user_key(actor, provider)
    return Response(status_code=204)
