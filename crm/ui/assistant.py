"""Chat-page helpers: the conversation in session state, its rendering, and the test seam.

Nothing here imports `crm.agent` (the UI and the agent are independent layers); the page
wires the two together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal, TypedDict

import streamlit as st

from crm.config import Environment, get_settings
from crm.enums import ProviderName
from crm.ui.format import md_escape

HISTORY_KEY = "assistant_messages"
PROVIDER_KEY = "assistant_provider"
# TEST SEAM: a LangChain chat model stored under this key replaces the one built from the
# user's key. Honoured only when CRM_ENV=test, so it is inert in development and production.
TEST_MODEL_KEY = "assistant_test_model"

# How much of the conversation is sent back to the model each turn (cost and context bound).
MAX_HISTORY_MESSAGES = 20

PROVIDER_LABELS: dict[ProviderName, str] = {
    ProviderName.ANTHROPIC: "Anthropic (Claude)",
    ProviderName.OPENAI: "OpenAI (GPT)",
}
AI_PROVIDERS = tuple(PROVIDER_LABELS)


class ChatTurn(TypedDict):
    role: Literal["user", "assistant"]
    content: str
    tools: list[str]  # status lines such as "Searched leads", shown above a reply


def history() -> list[ChatTurn]:
    """The conversation of this browser session (cleared on sign-out and team switch)."""
    turns: list[ChatTurn] = st.session_state.setdefault(HISTORY_KEY, [])
    return turns


def add_turn(role: Literal["user", "assistant"], content: str, tools: list[str] | None = None) -> None:
    history().append(ChatTurn(role=role, content=content, tools=tools or []))


def new_conversation() -> None:
    """Button callback: forget the conversation."""
    st.session_state[HISTORY_KEY] = []


def model_messages() -> list[dict[str, str]]:
    """The recent conversation as role/content messages for the agent."""
    return [{"role": t["role"], "content": t["content"]} for t in history()[-MAX_HISTORY_MESSAGES:]]


def render_turn(turn: ChatTurn) -> None:
    with st.chat_message(turn["role"]):
        for line in turn["tools"]:
            st.caption(line)
        # The user's own text is shown as typed; the assistant's was made image-safe when streamed.
        st.markdown(md_escape(turn["content"]) if turn["role"] == "user" else turn["content"])


def tool_line(label: str, ok: bool) -> str:
    """The status line for one tool the assistant ran."""
    return f":material/build: {label}" if ok else f":material/error: {label}"


def without_images(chunks: Iterable[str]) -> Iterator[str]:
    """Pass streamed markdown through with image syntax neutralized.

    A markdown image makes the browser fetch a URL the model wrote: under prompt injection
    that URL can carry CRM data out (OWASP LLM01). `![` is escaped to show as text; a `!`
    at the end of a chunk waits for the next one in case it starts an image.
    """
    pending = ""
    for chunk in chunks:
        text = pending + chunk
        pending = "!" if text.endswith("!") else ""
        text = text[:-1] if pending else text
        if text:
            yield text.replace("![", "!\\[")
    if pending:
        yield pending


def choose_provider(available: list[ProviderName]) -> ProviderName:
    """The provider to chat with: the only one, or the user's pick when they have both keys."""
    if len(available) == 1:
        return available[0]
    choice: ProviderName = st.segmented_control(
        "Model provider", options=available, format_func=lambda p: PROVIDER_LABELS.get(p, p.value),
        default=available[0], key=PROVIDER_KEY, required=True,
    )
    return choice


def injected_test_model() -> Any | None:
    """TEST SEAM: the chat model a test placed in session state, or None (always None outside tests)."""
    if get_settings().environment is not Environment.TEST:
        return None
    return st.session_state.get(TEST_MODEL_KEY)
