"""The real provider clients (ChatOpenAI, ChatAnthropic) run the full tool loop against a local fake API."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from crm.agent.agent import (
    DEFAULT_MODELS,
    ToolUse,
    build_agent,
    describe_provider_error,
    make_chat_model,
    stream_reply,
)
from crm.agent.tools import AgentContext
from crm.enums import ProviderName, TeamRole
from tests.agent.fake_llm import FakeLLM, fake_llm_server
from tests.factories import make_lead, make_member, make_team

KEY = "sk-test-0123456789abcdef"
# OpenAI's SDK wants the /v1 prefix in base_url; Anthropic's adds it itself.
BASE_PATH = {ProviderName.OPENAI: "/v1", ProviderName.ANTHROPIC: ""}
ENDPOINT = {ProviderName.OPENAI: "/v1/chat/completions", ProviderName.ANTHROPIC: "/v1/messages"}
PROVIDERS = [ProviderName.OPENAI, ProviderName.ANTHROPIC]


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server


def _model(provider: ProviderName, server: FakeLLM, key: str = KEY):  # noqa: ANN202
    return make_chat_model(provider, key, base_url=server.url + BASE_PATH[provider], max_retries=0, timeout=10)


def _tool_params(provider: ProviderName, body: dict) -> dict[str, dict]:
    if provider is ProviderName.OPENAI:
        return {t["function"]["name"]: t["function"]["parameters"] for t in body["tools"]}
    return {t["name"]: t["input_schema"] for t in body["tools"]}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_real_client_completes_a_tool_loop_with_invoke(db: str, fake_llm: FakeLLM, provider: ProviderName) -> None:
    team = make_team()
    owner = make_member(team, TeamRole.OWNER)
    dana = make_lead(owner, first_name="Dana")
    make_lead(make_member(make_team(), TeamRole.OWNER), first_name="Dana", last_name="Rival")

    out = build_agent(_model(provider, fake_llm)).invoke(
        {"messages": [{"role": "user", "content": "Find Dana"}]}, context=AgentContext(owner))

    answer = out["messages"][-1].text
    assert answer.startswith("Found: ")
    found = json.loads(answer.removeprefix("Found: "))
    assert [row["id"] for row in found["leads"]] == [dana.id]  # the other team's Dana stays invisible
    assert [r.path for r in fake_llm.requests] == [ENDPOINT[provider]] * 2
    first = fake_llm.requests[0]
    assert first.headers["authorization"] == f"Bearer {KEY}" or first.headers.get("x-api-key") == KEY
    assert first.body["model"] == DEFAULT_MODELS[provider]
    params = _tool_params(provider, first.body)
    assert set(params) == {"search_leads", "get_lead", "create_lead", "pipeline_summary"}
    assert not any("runtime" in p.get("properties", {}) or "actor" in p.get("properties", {})
                   for p in params.values())
    assert "Never invent" in json.dumps(first.body)  # the system prompt went along


@pytest.mark.parametrize("provider", PROVIDERS)
def test_real_client_streams_the_reply_through_stream_reply(db: str, fake_llm: FakeLLM,
                                                           provider: ProviderName) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    dana = make_lead(owner, first_name="Dana")
    used: list[ToolUse] = []

    chunks = list(stream_reply(build_agent(_model(provider, fake_llm)),
                               [{"role": "user", "content": "Find Dana"}], owner, on_tool=used.append))

    assert all(r.body.get("stream") for r in fake_llm.requests)
    assert len(chunks) >= 2  # it really arrived in pieces
    text = "".join(chunks)
    assert text.startswith("Found: ")
    assert [row["id"] for row in json.loads(text.removeprefix("Found: "))["leads"]] == [dana.id]
    assert used == [ToolUse("search_leads", "Searched leads", ok=True)]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refused_key_reads_as_a_refused_key(db: str, fake_llm: FakeLLM, provider: ProviderName) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    fake_llm.rejected_keys.add("sk-revoked-key")

    with pytest.raises(Exception) as caught:
        list(stream_reply(build_agent(_model(provider, fake_llm, key="sk-revoked-key")),
                          [{"role": "user", "content": "hi"}], owner))

    message = describe_provider_error(caught.value)
    assert message is not None and message.startswith("The AI provider refused the key")
    assert "sk-revoked-key" not in message


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unreachable_provider_reads_as_unreachable(db: str, provider: ProviderName) -> None:
    owner = make_member(make_team(), TeamRole.OWNER)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = make_chat_model(provider, KEY, base_url=f"http://127.0.0.1:{port}{BASE_PATH[provider]}",
                            max_retries=0, timeout=5)

    with pytest.raises(Exception) as caught:
        build_agent(model).invoke({"messages": [{"role": "user", "content": "hi"}]}, context=AgentContext(owner))

    assert describe_provider_error(caught.value) == (
        "The assistant could not reach the AI provider. Please try again in a moment.")


def test_make_chat_model_uses_the_defaults_and_accepts_overrides() -> None:
    anthropic = make_chat_model(ProviderName.ANTHROPIC, KEY)
    openai = make_chat_model("OPENAI", KEY, model="gpt-4.1-mini", max_retries=1, timeout=5)

    assert (anthropic.model, anthropic.max_retries, anthropic.default_request_timeout) == (
        DEFAULT_MODELS[ProviderName.ANTHROPIC], 2, 60)
    assert (openai.model_name, openai.max_retries, openai.request_timeout) == ("gpt-4.1-mini", 1, 5)
    assert KEY not in repr(anthropic) and KEY not in repr(openai)
    with pytest.raises(ValueError, match="not an AI model provider"):
        make_chat_model(ProviderName.STRIPE, KEY)


def test_the_default_anthropic_model_is_not_on_the_sdks_deprecation_list() -> None:
    from anthropic._data import DEPRECATED_MODELS  # the SDK warns (then the API fails) past end-of-life

    assert DEFAULT_MODELS[ProviderName.ANTHROPIC] not in DEPRECATED_MODELS


def test_raw_sdk_errors_are_recognized_without_langchains_wrappers() -> None:
    import anthropic
    import httpx
    import openai

    request = httpx.Request("POST", "http://127.0.0.1/v1/messages")
    refused = httpx.Response(401, request=request)
    assert describe_provider_error(anthropic.APIConnectionError(request=request)) == (
        "The assistant could not reach the AI provider. Please try again in a moment.")
    assert describe_provider_error(openai.AuthenticationError("no", response=refused, body=None)).startswith(
        "The AI provider refused the key")
