"""AI Assistant: chat with an agent that reads and creates leads as the signed-in user."""

from __future__ import annotations

import streamlit as st

from crm.agent.agent import ToolUse, build_agent, describe_provider_error, make_chat_model, stream_reply
from crm.errors import DomainError
from crm.services import secrets
from crm.ui import assistant, session

actor = session.require_actor()

st.title("AI Assistant")

keys = {k.provider: k for k in secrets.list_user_keys(actor) if k.provider in assistant.AI_PROVIDERS}
if not keys:
    st.info(
        "The assistant runs on your own Anthropic or OpenAI API key. Add one in Settings: it is stored "
        "encrypted and only its last 4 characters are ever shown.",
        icon=":material/key:",
    )
    st.page_link("pages/settings.py", label="Add your API key in Settings", icon=":material/settings:")
    st.stop()

provider = assistant.choose_provider(list(keys))
top, button = st.columns([4, 1], vertical_alignment="center")
top.caption(f"Answers come from your CRM data, using your {assistant.PROVIDER_LABELS[provider]} key "
            f"ending in {keys[provider].last4}. The assistant can search and open leads, summarize the "
            "pipeline and add new leads.")
button.button("New conversation", icon=":material/add_comment:", on_click=assistant.new_conversation,
              key="assistant_new_conversation")

for turn in assistant.history():
    assistant.render_turn(turn)

if prompt := st.chat_input("Ask about your leads or pipeline…", key="assistant_prompt"):
    assistant.add_turn("user", prompt)
    assistant.render_turn(assistant.history()[-1])
    with st.chat_message("assistant"):
        status = st.container()  # tool status lines go above the streamed reply
        tools: list[str] = []

        def show_tool(use: ToolUse) -> None:
            tools.append(assistant.tool_line(use.label, use.ok))
            status.caption(tools[-1])

        try:
            # The key is decrypted only to build the client; it never reaches session state.
            model = assistant.injected_test_model()
            if model is None:
                api_key = secrets.reveal_user_key(actor, provider)
                if api_key is None:
                    st.warning("Your key was just removed. Add it again in Settings.")
                    st.stop()
                model = make_chat_model(provider, api_key)
            # Built per run (a few ms): the model embeds this user's key, so it is not shared.
            agent = build_agent(model)
            reply = st.write_stream(assistant.without_images(
                stream_reply(agent, assistant.model_messages(), actor, on_tool=show_tool)))
        except DomainError as exc:
            st.error(exc.message, icon=":material/error:")
        except Exception as exc:
            friendly = describe_provider_error(exc)
            if friendly is None:
                raise  # not a provider failure: a bug, and it must surface as one
            st.error(friendly, icon=":material/error:")
        else:
            assistant.add_turn("assistant", str(reply), tools)
