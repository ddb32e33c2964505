"""The account sections of the Settings page: profile, password, two-factor authentication."""

from __future__ import annotations

import base64
import zoneinfo

import streamlit as st

from crm.schemas.common import Actor
from crm.schemas.profile import LANGUAGES, ProfileUpdate
from crm.services import auth, profile, two_factor
from crm.ui import session
from crm.ui.account import PASSWORD_HELP, notice
from crm.ui.errors import attempt
from crm.ui.format import md_escape

AVATAR_TYPES = ["png", "jpg", "jpeg", "webp"]
SETUP_KEY = "settings_2fa_setup"  # the TwoFactorSetup while the user scans the QR code
CODES_KEY = "settings_2fa_codes"  # recovery codes, shown once right after enabling


def _timezones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def profile_section(actor: Actor) -> None:
    me = attempt(lambda: profile.get_profile(actor))
    if me is None:
        return
    st.subheader("Profile")
    picture, details = st.columns([1, 3])
    with picture:
        avatar = profile.get_avatar(actor.user_id)
        if avatar is not None:
            st.image(avatar[0], width=120)
        else:
            st.markdown(":material/account_circle:")
            st.caption("No picture yet")
        upload = st.file_uploader("New picture", type=AVATAR_TYPES, key="settings_avatar",
                                  help="PNG, JPEG or WebP, up to 2 MB.")
        if upload is not None and st.button("Upload picture", key="settings_avatar_save", icon=":material/upload:"):
            if attempt(lambda: profile.set_avatar(actor, upload.name, upload.getvalue())):
                notice("success", "Your picture was updated.")
                st.rerun()
    with details:
        st.markdown(f"**Email:** {md_escape(me.email)} · "
                    + ("verified :material/verified:" if me.email_verified else "not verified yet"))
        if not me.email_verified and st.button("Send the verification email again", key="settings_resend",
                                               icon=":material/forward_to_inbox:"):
            if attempt(lambda: auth.resend_verification(actor) or True):
                st.success("Sent. Check your inbox.", icon=":material/outgoing_mail:")
        zones = _timezones()
        with st.form("settings_profile_form"):
            name = st.text_input("Name", value=me.name, key="settings_profile_name")
            tz = st.selectbox("Time zone", zones, index=zones.index(me.timezone) if me.timezone in zones else None,
                              key="settings_profile_tz", placeholder="Choose your time zone")
            languages = list(LANGUAGES)
            language = st.selectbox("Language", languages, format_func=LANGUAGES.__getitem__,
                                    index=languages.index(me.language) if me.language in languages else 0,
                                    key="settings_profile_language")
            saved = st.form_submit_button("Save profile", type="primary", icon=":material/save:")
        if saved:
            def save() -> object:
                return profile.update_profile(actor, ProfileUpdate(name=name, timezone=tz or me.timezone,
                                                                   language=language))

            if attempt(save):
                notice("success", "Profile saved.")
                st.rerun()


def password_section(actor: Actor) -> None:
    st.subheader("Password")
    st.caption("Changing it signs you out on every other device.")
    with st.form("settings_password_form", clear_on_submit=True):
        current = st.text_input("Current password", type="password", key="settings_password_current",
                                autocomplete="current-password")
        new = st.text_input("New password", type="password", key="settings_password_new", help=PASSWORD_HELP,
                            autocomplete="new-password")
        again = st.text_input("Repeat the new password", type="password", key="settings_password_again",
                              autocomplete="new-password")
        changed = st.form_submit_button("Change password", type="primary", icon=":material/lock_reset:")
    if changed:
        if not current or not new:
            st.error("Enter your current and your new password.", icon=":material/error:")
        elif new != again:
            st.error("The two new passwords are different.", icon=":material/error:")
        elif attempt(lambda: auth.change_password(actor, current, new,
                                                              keep_session=session.current_token()) or True):
            st.success("Password changed. Other devices were signed out.", icon=":material/check_circle:")


def _png_bytes(data_uri: str) -> bytes | None:
    if not data_uri.startswith("data:image/png;base64,"):
        return None
    return base64.b64decode(data_uri.split(",", 1)[1])


def _start_setup(actor: Actor) -> None:
    setup = attempt(lambda: two_factor.begin_setup(actor))
    if setup is not None:
        st.session_state[SETUP_KEY] = setup


def two_factor_section(actor: Actor) -> None:
    st.subheader("Two-factor authentication")
    if codes := st.session_state.get(CODES_KEY):
        st.success("Two-factor authentication is on.", icon=":material/verified_user:")
        st.warning("Save these recovery codes now — they are shown only once. Each works one time "
                   "if you lose your phone.", icon=":material/key:")
        st.code("\n".join(codes), language=None)
        if st.button("I saved my recovery codes", key="settings_2fa_codes_done", type="primary"):
            del st.session_state[CODES_KEY]
            st.rerun()
        return
    if actor.two_factor_enabled:
        st.success("On: signing in asks for a code from your authenticator app.", icon=":material/verified_user:")
        left = attempt(lambda: two_factor.recovery_codes_left(actor))
        if left is not None:
            st.caption(f"{left} recovery code{'s' if left != 1 else ''} left.")
        with st.expander("Turn two-factor off"):
            with st.form("settings_2fa_disable_form", clear_on_submit=True):
                password = st.text_input("Password", type="password", key="settings_2fa_disable_password")
                code = st.text_input("Authentication code (or a recovery code)", key="settings_2fa_disable_code")
                off = st.form_submit_button("Turn off two-factor", icon=":material/remove_moderator:")
            if off:
                if attempt(lambda: two_factor.disable(actor, password, code.strip()) or True):
                    notice("success", "Two-factor authentication is off.")
                    st.rerun()
        return
    setup = st.session_state.get(SETUP_KEY)
    if setup is None:
        st.markdown(":material/shield: **Off.** Add a second step to signing in: a 6-digit code from an "
                    "authenticator app (Google Authenticator, 1Password, Authy…). Required for team owners "
                    "and admins before they open the Admin and API-key pages.")
        st.button("Set up two-factor", key="settings_2fa_start", type="primary", icon=":material/qr_code_2:",
                  on_click=_start_setup, args=(actor,))
        return
    qr, steps = st.columns([1, 2])
    png = _png_bytes(setup.qr_png_data_uri)
    if png:
        qr.image(png, caption="Scan with your authenticator app", width=220)
    else:
        qr.html(setup.qr_svg)
    with steps:
        st.markdown("1. Scan the QR code with your authenticator app (or type the key below).\n"
                    "2. Enter the 6-digit code the app shows.")
        st.code(setup.secret, language=None)
        with st.form("settings_2fa_confirm_form"):
            code = st.text_input("Code from the app", key="settings_2fa_code", autocomplete="one-time-code",
                                 max_chars=8)
            confirmed = st.form_submit_button("Turn on two-factor", type="primary", icon=":material/verified_user:")
        if confirmed:
            codes = attempt(lambda: two_factor.confirm_setup(actor, code.strip()))
            if codes:
                del st.session_state[SETUP_KEY]
                st.session_state[CODES_KEY] = codes
                st.rerun()
        if st.button("Cancel", key="settings_2fa_cancel", type="tertiary"):
            del st.session_state[SETUP_KEY]
            st.rerun()


