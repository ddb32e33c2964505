"""A scripted tool-calling chat model, so tests drive the real agent loop without a provider."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

_ids = itertools.count(1)


class FakeToolModel(GenericFakeChatModel):
    """Replays `messages`; records the tool schemas the agent binds (what a provider would get).

    Build it with `disable_streaming=True`: GenericFakeChatModel's own streaming drops tool calls.
    """

    bound_tools: list[dict[str, Any]] = Field(default_factory=list)
    received: list[list[BaseMessage]] = Field(default_factory=list)  # the prompt of every call

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> FakeToolModel:
        self.bound_tools = [convert_to_openai_tool(t) for t in tools]
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.received.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def scripted(*replies: AIMessage | Iterable[AIMessage]) -> FakeToolModel:
    """A fake model answering with `replies` in order (an iterable may be endless)."""
    stream = itertools.chain.from_iterable(r if not isinstance(r, AIMessage) else [r] for r in replies)
    return FakeToolModel(messages=stream, disable_streaming=True)


def call(name: str, **args: Any) -> AIMessage:
    """An assistant turn that calls tool `name` with `args`."""
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{next(_ids)}",
                                              "type": "tool_call"}])


def say(text: str) -> AIMessage:
    return AIMessage(content=text)
