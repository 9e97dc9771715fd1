"""A small OpenAI-compatible server for tests that misbehaves on request.

It binds to 127.0.0.1 only, answers each request once (no loops of its own), and shuts down
with the test. `faults` maps a substring of the prompt to the list of behaviours the next
requests with that prompt get, one per request ("429", "ok" = rate limited, then answered);
when a list runs out, requests are answered normally. Every request is logged.

Behaviours: ok, 400, 401, 404, 429, 500, 503, timeout, malformed, truncated, empty_choices,
length, content_filter, null_content, disconnect, die, tool_call.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The capitals test plugin's answers, by a word of each prompt.
CAPITALS = {
    "France": "Paris", "Frankreich": "Paris", "Francia": "París",
    "Japan": "Tokyo", "Japón": "Tokio", "Kenya": "Nairobi", "Kenia": "Nairobi",
}  # fmt: skip


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # the default backlog (5) drops connections at high concurrency
    allow_reuse_address = True


class FakeOpenAI:
    def __init__(self, *, model: str = "served-model", api_key: str | None = None,
                 delay: float = 0.0, port: int = 0) -> None:  # fmt: skip
        self.model = model
        self.api_key = api_key
        self.delay = delay  # seconds per completion (a latency-only endpoint)
        self.faults: dict[str, list[str]] = {}
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.endswith("/models"):
                    if not server.authorised(self.headers):
                        return self.send(401, {"error": {"message": "bad key"}})
                    return self.send(200, {"object": "list", "data": [
                        {"id": server.model, "object": "model", "root": "/models/served",
                         "max_model_len": 2048},
                    ]})  # fmt: skip
                if self.path == "/version":
                    return self.send(200, {"version": "fake-1.0"})
                self.send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                chat = self.path.endswith("/chat/completions")
                prompt = (body["messages"][-1]["content"] if chat else body.get("prompt")) or ""
                if isinstance(prompt, list):
                    prompt = prompt[0]
                behaviour = server.next_behaviour(str(prompt))
                with server.lock:
                    server.log.append({"path": self.path, "prompt": prompt, "body": body,
                                       "behaviour": behaviour})  # fmt: skip
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    if not server.authorised(self.headers):
                        return self.send(401, {"error": {"message": "bad key"}})
                    if body.get("model") != server.model:
                        return self.send(404, {"error": {"message": "no such model"}})
                    self.answer(behaviour, chat, str(prompt), body)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def answer(self, behaviour: str, chat: bool, prompt: str, body: dict) -> None:
                if server.delay:
                    time.sleep(server.delay)
                if behaviour.isdigit():
                    return self.send(int(behaviour), {"error": {"message": f"fault {behaviour}"}})
                if behaviour == "timeout":
                    time.sleep(2.5)
                    return self.send(200, completion(chat, "late", "stop"))
                if behaviour == "malformed":
                    return self.raw(200, b'{"choices": [{"text": "Par')
                if behaviour == "truncated":
                    data = json.dumps(completion(chat, "Paris", "stop")).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data) + 50))
                    self.end_headers()
                    self.wfile.write(data[:20])
                    self.close_connection = True
                    return None
                if behaviour == "disconnect":
                    self.close_connection = True
                    return None
                if behaviour == "empty_choices":  # with an error that leaks the caller's key
                    leak = self.headers.get("Authorization", "")
                    return self.send(200, {"id": "x", "choices": [], "error": f"quota for {leak}"})
                if behaviour == "die":  # the server goes away mid-run
                    threading.Thread(target=server.stop, daemon=True).start()
                    self.close_connection = True
                    return None
                if behaviour == "null_content":
                    return self.send(200, completion(chat, None, "stop"))
                if behaviour == "tool_call":
                    return self.send(200, tool_call_completion(body))
                answer = next((c for w, c in CAPITALS.items() if w in prompt), "Atlantis")
                reason = {"length": "length", "content_filter": "content_filter"}.get(
                    behaviour, "stop"
                )
                return self.send(200, completion(chat, answer if chat else f" {answer}", reason))

            def send(self, status: int, payload: dict) -> None:
                self.raw(status, json.dumps(payload).encode())

            def raw(self, status: int, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (a timeout test): nothing to answer
                    self.close_connection = True

        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def authorised(self, headers: Any) -> bool:
        return self.api_key is None or headers.get("Authorization") == f"Bearer {self.api_key}"

    def next_behaviour(self, prompt: str) -> str:
        with self.lock:
            for word, plan in self.faults.items():
                if word in prompt and plan:
                    return plan.pop(0)
        return "ok"

    def requests_for(self, word: str) -> int:
        return sum(word in str(entry["prompt"]) for entry in self.log)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def completion(chat: bool, text: str | None, reason: str) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": reason}
    if chat:
        choice["message"] = {"role": "assistant", "content": text}
    else:
        choice["text"] = text
    return {"id": "cmpl-1", "object": "chat.completion" if chat else "text_completion",
            "choices": [choice], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}  # fmt: skip


def tool_call_completion(body: dict[str, Any]) -> dict[str, Any]:
    """Calls the first tool it was sent, with the first enum value or "x" for each required
    string argument (a stand-in for a model that uses the tools natively)."""
    tool = body["tools"][0]["function"]
    params = tool.get("parameters", {})
    arguments = {
        name: (spec.get("enum") or ["Sofia"])[0]
        for name, spec in params.get("properties", {}).items()
        if name in params.get("required", [])
    }  # fmt: skip
    call = {"id": "call_1", "type": "function",
            "function": {"name": tool["name"], "arguments": json.dumps(arguments)}}  # fmt: skip
    return {"id": "c", "object": "chat.completion", "choices": [{
        "index": 0, "finish_reason": "tool_calls",
        "message": {"role": "assistant", "content": None, "tool_calls": [call]},
    }]}  # fmt: skip
