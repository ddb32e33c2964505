"""Build the assistant (model + tools + guard rails) and stream its replies for the chat page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from langchain.agents import create_agent
from langchain.agents.middleware import (
    AgentMiddleware,
    HumanInTheLoopMiddleware,
    InterruptOnConfig,
    ModelCallLimitMiddleware,
    ModelRequest,
    ToolCallLimitMiddleware,
    dynamic_prompt,
)
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langgraph.graph.state import CompiledStateGraph

from crm.agent.prompts import SYSTEM_PROMPT, user_context
from crm.agent.tools import TOOL_LABELS, TOOLS, AgentContext
from crm.config import get_settings
from crm.enums import ProviderName
from crm.schemas.common import Actor

# Guard rails against runaway loops and bulk actions (OWASP LLM06 excessive agency).
MAX_MODEL_CALLS_PER_RUN = 10
MAX_TOOL_CALLS_PER_RUN = 20
MAX_LEADS_CREATED_PER_RUN = 5

# Tools that must pause for the user's approval before they run (HumanInTheLoopMiddleware).
# None today: creating a lead is neither destructive nor outbound. Anything that sends email or
# SMS, deletes, bulk-updates or exports goes here, e.g.
#   "send_email": {"allowed_decisions": ["approve", "reject"]},
# and then the agent needs a checkpointer so the run can stop and resume across reruns.
GATED_TOOLS: dict[str, bool | InterruptOnConfig] = {}

DEFAULT_MODELS: dict[ProviderName, str] = {
    ProviderName.ANTHROPIC: "claude-sonnet-5",
    ProviderName.OPENAI: "gpt-4o-mini",
}

LIMIT_REACHED_REPLY = (
    "I stopped here: answering this needed more steps than I may take in one turn. "
    "Try a narrower question."
)


@dynamic_prompt
def signed_in_user_prompt(request: ModelRequest[AgentContext]) -> str:
    """Append who is signed in (and today's date in the CRM's time zone) to the system prompt."""
    base = request.system_message.text if request.system_message else SYSTEM_PROMPT
    today = dt.datetime.now(ZoneInfo(get_settings().timezone)).date()
    return f"{base}\n\n{user_context(request.runtime.context.actor, today)}"


def build_agent(model: BaseChatModel, *, checkpointer: Any = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the assistant around `model`; invoke it with `context=AgentContext(actor)`.

    Cheap (a few ms): the graph holds the model (and so its API key) but no per-user state.
    """
    middleware: list[AgentMiddleware[Any, Any]] = [
        signed_in_user_prompt,
        ModelCallLimitMiddleware(run_limit=MAX_MODEL_CALLS_PER_RUN, exit_behavior="end"),
        ToolCallLimitMiddleware(run_limit=MAX_TOOL_CALLS_PER_RUN, exit_behavior="continue"),
        ToolCallLimitMiddleware(tool_name="create_lead", run_limit=MAX_LEADS_CREATED_PER_RUN,
                                exit_behavior="continue"),
    ]
    if GATED_TOOLS:
        if checkpointer is None:
            raise ValueError("Gated tools pause the run, so build_agent needs a checkpointer.")
        middleware.append(HumanInTheLoopMiddleware(interrupt_on=GATED_TOOLS))
    return create_agent(
        model,
        tools=TOOLS,
        system_prompt=SYSTEM_PROMPT,
        context_schema=AgentContext,
        middleware=middleware,
        checkpointer=checkpointer,
        name="crm_assistant",
    )


def make_chat_model(
    provider: ProviderName,
    api_key: str,
    *,
    base_url: str | None = None,
    model: str | None = None,
    max_retries: int = 2,
    timeout: float = 60.0,
) -> BaseChatModel:
    """Build the provider's chat model with the user's own key.

    The provider packages take seconds to import, so they are imported here, on first use,
    not when the app starts. `base_url` points the client elsewhere (tests: a local fake).
    """
    provider = ProviderName(provider)  # plain "OPENAI" works too
    options: dict[str, Any] = {"api_key": api_key, "max_retries": max_retries, "timeout": timeout}
    if base_url:
        options["base_url"] = base_url
    if provider is ProviderName.ANTHROPIC:
        from langchain_anthropic import ChatAnthropic

        return ChatAnthropic(model=model or DEFAULT_MODELS[provider], **options)
    if provider is ProviderName.OPENAI:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=model or DEFAULT_MODELS[provider], **options)
    raise ValueError(f"{provider.value} is not an AI model provider.")


@dataclass(frozen=True)
class ToolUse:
    """A tool the assistant ran during a reply, for the chat's status lines."""

    name: str
    label: str  # "Searched leads", or "Could not create a lead" when ok is False
    ok: bool  # False when the tool answered with an error (e.g. an invalid email)


def stream_reply(
    agent: CompiledStateGraph[Any, Any, Any, Any],
    messages: Sequence[BaseMessage | dict[str, str]],
    actor: Actor,
    *,
    on_tool: Callable[[ToolUse], None] | None = None,
) -> Iterator[str]:
    """Run the agent for `actor` and yield the assistant's text as it arrives.

    Works with `st.write_stream`. Tool-call-only chunks are skipped; every tool that ran is
    reported through `on_tool` (as soon as its result is in), so the page can show status
    lines. Text of separate model turns is joined with a blank line.
    """
    wrote_text = False
    current_id: str | None = None
    stream = agent.stream({"messages": list(messages)}, context=AgentContext(actor), stream_mode="messages")
    for chunk, meta in stream:
        node = meta.get("langgraph_node", "")
        if isinstance(chunk, ToolMessage):
            if node == "tools" and on_tool is not None:
                name, ok = chunk.name or "tool", chunk.status != "error"
                done, failed = TOOL_LABELS.get(name, (name, f"{name} failed"))
                on_tool(ToolUse(name=name, label=done if ok else failed, ok=ok))
            continue
        if not isinstance(chunk, AIMessage):
            continue
        if node == "model":
            text = chunk.text
            if not text:
                continue  # a tool-call-only chunk
            if wrote_text and chunk.id != current_id:
                yield "\n\n"
            current_id, wrote_text = chunk.id, True
            yield text
        elif "." in node:
            # A guard-rail middleware ended the run (e.g. the model-call limit) with its own
            # technical message; the user gets a plain sentence instead.
            yield ("\n\n" if wrote_text else "") + LIMIT_REACHED_REPLY
            wrote_text = True


def describe_provider_error(exc: BaseException) -> str | None:
    """A user-facing sentence for an AI provider failure, or None if `exc` is not one.

    langchain-core's provider-neutral errors (which langchain-openai and langchain-anthropic
    raise, subclassing the SDK's own) come first; raw SDK errors are matched by class name,
    which both SDKs share, so neither SDK is imported here.
    """
    if isinstance(exc, ModelError):
        for kinds, sentence in _MODEL_ERROR_SENTENCES:
            if isinstance(exc, kinds):
                return sentence
        return "The AI provider could not answer this request. Please try again."
    if type(exc).__module__.split(".")[0] not in ("openai", "anthropic"):
        return None
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"AuthenticationError", "PermissionDeniedError"}:
        return REFUSED_KEY
    if "APIConnectionError" in names:  # includes timeouts
        return UNREACHABLE
    if "RateLimitError" in names:
        return RATE_LIMITED
    return "The AI provider could not answer this request. Please try again."


REFUSED_KEY = "The AI provider refused the key. Check it, or save a new one, on the Settings page."
UNREACHABLE = "The assistant could not reach the AI provider. Please try again in a moment."
RATE_LIMITED = "The AI provider is rate-limiting this key (or its quota is used up). Please try again later."
_MODEL_ERROR_SENTENCES: list[tuple[type[ModelError] | tuple[type[ModelError], ...], str]] = [
    ((ModelAuthenticationError, ModelPermissionDeniedError), REFUSED_KEY),
    ((ModelConnectionError, ModelTimeoutError), UNREACHABLE),
    (ModelRateLimitError, RATE_LIMITED),
    (ModelNotFoundError, "The AI provider does not offer the model the assistant asked for."),
    (ContextOverflowError, "This conversation got too long for the model. Start a new conversation."),
    (ModelAPIError, "The AI provider is having trouble right now. Please try again in a moment."),
]
