"""Settings: profile (name, avatar, time zone, language), password, two-factor authentication, and
the user's own AI provider key (stored encrypted, only its last 4 characters shown)."""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from crm.enums import ProviderName
from crm.errors import DomainError
from crm.schemas.common import Actor
from crm.schemas.secrets import ProviderKeyInput
from crm.services import secrets, two_factor
from crm.ui import session
from crm.ui.account import show_notice
from crm.ui.assistant import AI_PROVIDERS, PROVIDER_LABELS
from crm.ui.custom_field_settings import custom_fields_section
from crm.ui.errors import validation_messages
from crm.ui.format import absolute_time
from crm.ui.settings_sections import password_section, profile_section, two_factor_section

PROVIDER_INPUT = "settings_ai_provider"
KEY_INPUT = "settings_ai_key"
NOTICE = "settings_ai_notice"  # ("success" | "error", text), shown once after a save or removal


def save_key(actor: Actor) -> None:
    """Save button callback. The input is emptied first, whatever happens: a key is never kept
    in session state nor shown again after this point."""
    typed = st.session_state.get(KEY_INPUT) or ""
    st.session_state[KEY_INPUT] = ""
    provider = st.session_state[PROVIDER_INPUT]
    if not typed.strip():
        st.session_state[NOTICE] = ("error", "Paste your API key first.")
        return
    try:
        info = secrets.set_user_key(actor, ProviderKeyInput(provider=provider, key=typed))
    except ValidationError as exc:
        st.session_state[NOTICE] = ("error", "The key was not saved. " + key_problem(exc))
    except DomainError as exc:
        st.session_state[NOTICE] = ("error", exc.message)
    else:
        label = PROVIDER_LABELS[info.provider]
        st.session_state[NOTICE] = ("success", f"Saved your {label} key ending in {info.last4}.")


def key_problem(exc: ValidationError) -> str:
    # pydantic words SecretStr length errors as "items"; say it the way a user thinks of a key.
    if any(err["loc"] and err["loc"][0] == "key" for err in exc.errors()):
        return "That does not look like an API key: paste the whole key (8 to 4,000 characters)."
    return " ".join(validation_messages(exc))


def remove_key(actor: Actor, provider: ProviderName) -> None:
    """Remove button callback."""
    try:
        secrets.delete_user_key(actor, provider)
    except DomainError as exc:
        st.session_state[NOTICE] = ("error", exc.message)
    else:
        st.session_state[NOTICE] = ("success", f"Removed your {PROVIDER_LABELS[provider]} key.")


def api_keys_section(actor: Actor) -> None:
    st.subheader("AI assistant key")
    try:
        two_factor.require_for_sensitive(actor)
    except DomainError as exc:
        st.warning(exc.message + " (See the Two-factor tab.)", icon=":material/lock:")
        return

    st.caption(
        "The AI Assistant runs on your own Anthropic or OpenAI account. Your key is stored encrypted, "
        "is only used to call the provider on your behalf, and only its last 4 characters are ever shown."
    )

    if notice := st.session_state.pop(NOTICE, None):
        kind, text = notice
        if kind == "success":
            st.success(text, icon=":material/check_circle:")
        else:
            st.error(text, icon=":material/error:")

    stored = [k for k in secrets.list_user_keys(actor) if k.provider in AI_PROVIDERS]
    if stored:
        for info in stored:
            name, masked, updated, action = st.columns([3, 2, 3, 2], vertical_alignment="center")
            name.markdown(f"**{PROVIDER_LABELS[info.provider]}**")
            masked.code(f"•••• {info.last4}", language=None)
            updated.caption(f"Updated {absolute_time(info.updated_at)}")
            action.button("Remove", key=f"settings_remove_{info.provider.value}", icon=":material/delete:",
                          on_click=remove_key, args=(actor, info.provider))
    else:
        st.info("No key saved yet. Add one below to use the AI Assistant.", icon=":material/key:")

    with st.container(border=True):
        st.selectbox("Provider", options=AI_PROVIDERS, format_func=PROVIDER_LABELS.__getitem__, key=PROVIDER_INPUT)
        st.text_input("API key", type="password", key=KEY_INPUT, autocomplete="off",
                      placeholder="sk-…", help="Saving again for the same provider replaces the old key.")
        st.button("Save key", type="primary", icon=":material/save:", on_click=save_key, args=(actor,),
                  key="settings_ai_save")


actor = session.require_actor()
st.title("Settings")
show_notice()
profile_tab, password_tab, two_factor_tab, keys_tab, fields_tab = st.tabs(
    ["Profile", "Password", "Two-factor", "API keys", "Custom fields"])
with profile_tab:
    profile_section(actor)
with password_tab:
    password_section(actor)
with two_factor_tab:
    two_factor_section(actor)
with keys_tab:
    api_keys_section(actor)
with fields_tab:
    custom_fields_section(actor)
