"""A tiny stand-in for the OpenAI and Anthropic HTTP APIs on 127.0.0.1, for the real SDK clients.

Script: the first model call of a conversation asks for `search_leads`; once a tool result is
in the conversation it answers "Found: <the tool result>". Both plain JSON and server-sent
event streams are served. Requests (path, headers, body) are recorded for assertions, and
any key in `rejected_keys` gets a 401 like a revoked key would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOOL_ARGS = {"search": "Dana"}


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeLLM:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    rejected_keys: set[str] = field(default_factory=set)


def _tool_result_openai(messages: list[dict[str, Any]]) -> str | None:
    last = messages[-1]
    return str(last["content"]) if last.get("role") == "tool" else None


def _tool_result_anthropic(messages: list[dict[str, Any]]) -> str | None:
    content = messages[-1].get("content")
    if not isinstance(content, list):
        return None
    for block in content:
        if block.get("type") == "tool_result":
            inner = block.get("content")
            if isinstance(inner, list):
                return "".join(part.get("text", "") for part in inner)
            return str(inner)
    return None


def _openai(body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return (whole response, stream chunks) for a chat.completions request."""
    result = _tool_result_openai(body["messages"])
    base = {"id": "chatcmpl-fake", "created": 0, "model": body["model"]}
    usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    if result is None:
        tool_call = {"id": "call_fake_1", "type": "function",
                     "function": {"name": "search_leads", "arguments": json.dumps(TOOL_ARGS)}}
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [tool_call]}
        finish = "tool_calls"
        deltas = [{"role": "assistant", "content": None,
                   "tool_calls": [{"index": 0, **tool_call, "function": {"name": "search_leads", "arguments": ""}}]},
                  {"tool_calls": [{"index": 0, "function": {"arguments": json.dumps(TOOL_ARGS)}}]}]
    else:
        text = f"Found: {result}"
        message = {"role": "assistant", "content": text}
        finish = "stop"
        deltas = [{"role": "assistant", "content": ""}, {"content": text[:10]}, {"content": text[10:]}]
    whole = {**base, "object": "chat.completion", "usage": usage,
             "choices": [{"index": 0, "message": message, "finish_reason": finish}]}
    chunks = [{**base, "object": "chat.completion.chunk",
               "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    chunks.append({**base, "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    chunks.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
    return whole, chunks


def _anthropic(body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return (whole response, stream events) for a messages request."""
    result = _tool_result_anthropic(body["messages"])
    if result is None:
        block: dict[str, Any] = {"type": "tool_use", "id": "toolu_fake_1", "name": "search_leads",
                                 "input": TOOL_ARGS}
        stop = "tool_use"
        start_block = {**block, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": json.dumps(TOOL_ARGS)}]
    else:
        text = f"Found: {result}"
        block = {"type": "text", "text": text}
        stop = "end_turn"
        start_block = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": text[:10]}, {"type": "text_delta", "text": text[10:]}]
    message = {"id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
               "stop_reason": None, "stop_sequence": None, "content": [],
               "usage": {"input_tokens": 11, "output_tokens": 1}}
    whole = {**message, "content": [block], "stop_reason": stop, "usage": {"input_tokens": 11, "output_tokens": 7}}
    events = [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": start_block},
        *({"type": "content_block_delta", "index": 0, "delta": d} for d in deltas),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
         "usage": {"output_tokens": 7}},
        {"type": "message_stop"},
    ]
    return whole, events


def _handler(state: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            path = self.path.split("?", 1)[0]
            state.requests.append(Recorded(path, {k.lower(): v for k, v in self.headers.items()}, body))
            auth = self.headers.get("Authorization", "") or self.headers.get("x-api-key", "")
            if any(key in auth for key in state.rejected_keys):
                self._json(401, {"error": {"type": "authentication_error", "message": "invalid x-api-key"},
                                 "type": "error"})
                return
            if path.endswith("/chat/completions"):
                whole, chunks = _openai(body)
                if body.get("stream"):
                    self._sse([(None, c) for c in chunks] + [(None, "[DONE]")])
                else:
                    self._json(200, whole)
            elif path.endswith("/messages"):
                whole, events = _anthropic(body)
                if body.get("stream"):
                    self._sse([(e["type"], e) for e in events])
                else:
                    self._json(200, whole)
            else:
                self._json(404, {"error": {"message": f"no route {path}"}})

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _sse(self, events: list[tuple[str | None, Any]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for name, payload in events:
                data = payload if isinstance(payload, str) else json.dumps(payload)
                prefix = f"event: {name}\n" if name else ""
                self.wfile.write(f"{prefix}data: {data}\n\n".encode())
                self.wfile.flush()
            self.close_connection = True

    return Handler


@contextmanager
def fake_llm_server() -> Iterator[FakeLLM]:
    """Serve the fake APIs on a free port of 127.0.0.1 for the duration of the block."""
    state = FakeLLM(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
