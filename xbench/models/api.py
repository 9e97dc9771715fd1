"""Served models: OpenAI-compatible servers (vLLM, SGLang, TGI, llama.cpp, Ollama) and hosted
APIs (OpenAI, Anthropic), through lm-eval's own API backends.

lm-eval sends the requests (concurrency, batching, chat messages, stop sequences). What this
module adds on top, as a mixin over lm-eval's classes:

- faults: each request is retried with jittered exponential backoff on transient errors
  (timeouts, HTTP 408/409/425/429/5xx, a dropped connection, malformed or truncated JSON); a
  request that still fails, or fails for good (another 4xx, no choices, a content filter),
  becomes that sample's error with its cause. An endpoint that cannot serve the run at all
  (unreachable, bad credentials, unknown model) stops the run with one line saying what to do.
- identity: the served model id, the server's engine and version, as the server reports them.
- native tools: chat endpoints receive function-calling tools in the request (`tools`), and
  their `tool_calls` come back as ```tool_call blocks the function-calling scorers read.

API keys come from the environment only (lm-eval reads OPENAI_API_KEY / ANTHROPIC_API_KEY); no
message, stored field or export contains one.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from typing import Any

import aiohttp
import requests
import tenacity
from lm_eval.models.anthropic_llms import AnthropicChat
from lm_eval.models.openai_completions import (
    LocalChatCompletion,
    LocalCompletionsAPI,
    OpenAIChatCompletion,
)

from ..errors import XbenchError, cause
from .base import TOOL_ENVELOPE, failure, redact, with_note, with_usage

# lm-eval logs every failed attempt with the whole response; xbench reports each failure once,
# as the sample's error (or the run's).
for _name in ("lm_eval.models.api_models", "lm_eval.models.openai_completions",
              "lm_eval.models.anthropic_llms"):  # fmt: skip
    logging.getLogger(_name).setLevel(logging.CRITICAL)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_FAILED_KEY = "__xbench_failed__"
# How many prompts the request in flight carries (one asyncio task each, so a context variable).
_prompts_in_request: contextvars.ContextVar[int] = contextvars.ContextVar("n", default=1)


class EndpointError(XbenchError):
    """The endpoint cannot serve this run: the run stops (units finished so far are kept)."""


class _Retry(Exception):
    """A transient failure: try the request again."""


class _Unreachable(_Retry):
    """No connection at all: retried, then the run stops (the server is down or misnamed)."""


class _GiveUp(Exception):
    """The request failed for good: that sample's error."""


class Resilient:
    """Mixin over an lm-eval TemplateAPI class: retries, per-request errors, identity."""

    base_url: str
    model: str
    timeout: int
    xbench_retries: int = 3
    xbench_backoff: float = 1.0
    xbench_key_env: str = "OPENAI_API_KEY"
    xbench_chat: bool = False
    xbench_native_tools: bool = False
    xbench_backend = "?"  # lm-eval's name for the backend
    _xbench_in_flight = 0  # requests sent and not yet answered (for the progress display)
    _xbench_retried = 0  # retries so far in this run

    def _where(self) -> str:
        return self.base_url

    def xbench_request_stats(self) -> tuple[int, int]:
        """(requests in flight, retries so far): shown by the run's progress display."""
        return self._xbench_in_flight, self._xbench_retried

    def _attempt(self, attempt: Any) -> None:
        if attempt.retry_state.attempt_number > 1:
            self._xbench_retried += 1

    # --- one request, retried ------------------------------------------------------------

    def _policy(self) -> dict[str, Any]:
        return {
            "stop": tenacity.stop_after_attempt(self.xbench_retries + 1),
            "wait": tenacity.wait_random_exponential(multiplier=self.xbench_backoff, max=30),
            "retry": tenacity.retry_if_exception_type(_Retry),
            "reraise": True,
        }

    def _final(self, exc: Exception, n: int) -> list[str]:
        """What a request that failed after its retries returns (or raises)."""
        tries = f"after {self.xbench_retries + 1} tries"
        if isinstance(exc, _Unreachable):
            raise EndpointError(
                f"cannot reach {self._where()} ({exc}) {tries}; start the server or fix the "
                "URL, then rerun the same command to resume"
            ) from None
        why = f"{exc} {tries}" if isinstance(exc, _Retry) else str(exc)
        return [failure(redact(why))] * n

    async def amodel_call(self, session: Any, sem: Any, messages: Any, **kwargs: Any) -> Any:
        _prompts_in_request.set(len(messages))
        try:
            async for attempt in tenacity.AsyncRetrying(**self._policy()):
                with attempt:
                    self._attempt(attempt)
                    self._xbench_in_flight += 1
                    try:
                        return await super().amodel_call(session, sem, messages, **kwargs)  # type: ignore[misc]
                    except Exception as exc:  # noqa: BLE001 - sorted into retry / give up / stop
                        raise self._classify(exc) from exc
                    finally:
                        self._xbench_in_flight -= 1
        except (_Retry, _GiveUp) as exc:
            return self._final(exc, len(messages))
        return None  # not reached: tenacity returns or raises

    def model_call(self, messages: Any, **kwargs: Any) -> Any:
        try:
            for attempt in tenacity.Retrying(**self._policy()):
                with attempt:
                    self._attempt(attempt)
                    self._xbench_in_flight += 1
                    try:
                        return super().model_call(messages, **kwargs)  # type: ignore[misc]
                    except Exception as exc:  # noqa: BLE001
                        raise self._classify(exc) from exc
                    finally:
                        self._xbench_in_flight -= 1
        except (_Retry, _GiveUp) as exc:
            return {_FAILED_KEY: self._final(exc, 1)[0]}
        return None

    def _classify(self, exc: Exception) -> Exception:
        if isinstance(exc, XbenchError | _Retry | _GiveUp):
            return exc
        status = getattr(exc, "status", None)  # aiohttp.ClientResponseError
        if status is None and isinstance(exc, requests.HTTPError) and exc.response is not None:
            status = exc.response.status_code
        if isinstance(status, int):
            if status in (401, 403):
                return EndpointError(
                    f"{self._where()} refused the credentials (HTTP {status}); set "
                    f"{self.xbench_key_env} to a valid key (keys are read from the environment only)"
                )
            if status == 404:
                return EndpointError(
                    f"{self._where()} answered HTTP 404 (no such endpoint or model {self.model!r}); "
                    "check the base URL and model= (the server lists its models at /v1/models)"
                )
            if status in RETRY_STATUS:
                what = "rate limited" if status == 429 else "server error"
                return _Retry(f"HTTP {status} ({what})")
            hint = "; if the server does not take tools, add tools=prompt to --model" if (
                self.xbench_native_tools and status == 400
            ) else ""  # fmt: skip
            return _GiveUp(f"the server rejected the request (HTTP {status}){hint}")
        if isinstance(exc, asyncio.TimeoutError | TimeoutError | requests.Timeout):
            return _Retry(f"no answer within {self.timeout} s")
        if isinstance(exc, aiohttp.ClientConnectorError | requests.ConnectionError) and not (
            isinstance(exc, requests.ConnectionError) and "RemoteDisconnected" in str(exc)
        ):
            reason = getattr(exc, "os_error", None) or exc
            return _Unreachable(cause(reason, limit=120, with_type=False))
        if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError
                      | aiohttp.ClientOSError | requests.ConnectionError):  # fmt: skip
            return _Retry("the server closed the connection mid-answer")
        if isinstance(exc, ValueError | aiohttp.ContentTypeError):  # JSONDecodeError included
            return _Retry("malformed or truncated JSON in the response")
        return _GiveUp(f"request failed: {cause(exc, limit=200)}")

    # --- the response ----------------------------------------------------------------------

    def parse_generations(self, outputs: Any, **kwargs: Any) -> list[str]:
        contexts = kwargs.get("contexts")
        n = len(contexts) if contexts is not None else _prompts_in_request.get()
        if isinstance(outputs, dict) and _FAILED_KEY in outputs:
            return [outputs[_FAILED_KEY]] * n
        texts: list[str] = []
        for out in outputs if isinstance(outputs, list) else [outputs]:
            texts += self._texts(out)
        if len(texts) < n:  # never shift answers onto the wrong prompts
            texts += [failure("the server returned fewer answers than prompts")] * (n - len(texts))
        return texts[:n]

    def _texts(self, out: Any) -> list[str]:
        if not isinstance(out, dict):
            return [failure(f"the response is a JSON {type(out).__name__}, not an object")]
        choices = out.get("choices")
        if not isinstance(choices, list) or not choices:
            error = out.get("error")
            detail = f" ({redact(str(error))[:160]})" if error else ""
            return [failure(f"the server returned no choices{detail}")]
        ordered = sorted(choices, key=lambda c: c.get("index", 0) if isinstance(c, dict) else 0)
        texts = [self._choice(c) for c in ordered]
        usage = out.get("usage")
        if len(texts) == 1 and isinstance(usage, dict):  # a batch's usage is its total: unsplit
            texts = [with_usage(texts[0], usage.get("prompt_tokens"),
                                usage.get("completion_tokens"))]  # fmt: skip
        return texts

    def _choice(self, choice: Any) -> str:
        if not isinstance(choice, dict):
            return failure("a choice in the response is not an object")
        text = self._choice_text(choice)
        return _finished(choice.get("finish_reason"), text)

    def _choice_text(self, choice: dict[str, Any]) -> str:
        text = choice.get("text")
        if not isinstance(text, str):
            return failure("the server returned no text (null)")
        return text

    # --- identity --------------------------------------------------------------------------

    def identify(self) -> dict[str, Any]:
        """Ask the server what it serves (`/v1/models`) and, best-effort, its version; an
        unreachable server, refused key or unknown model stops here, before any unit."""
        models_url = _models_url(self.base_url)
        try:
            response = requests.get(
                models_url, headers=self._headers(), timeout=min(self.timeout, 30)
            )
        except requests.RequestException as exc:
            raise EndpointError(
                f"cannot reach {models_url} ({cause(exc, limit=160, with_type=False)}); start "
                "the server or fix the URL"
            ) from None
        if response.status_code in (401, 403):
            raise self._classify(requests.HTTPError(response=response))
        identity: dict[str, Any] = {"endpoint": self.base_url}
        if response.ok:
            try:
                listed = response.json().get("data") or []
            except (ValueError, AttributeError):
                listed = []
            by_id = {m.get("id"): m for m in listed if isinstance(m, dict)}
            if by_id and self.model not in by_id:
                served = ", ".join(sorted(map(str, by_id))[:10])
                raise EndpointError(
                    f"{models_url} does not serve model {self.model!r} (it serves: {served}); "
                    "pass model=<one of them>"
                )
            entry = by_id.get(self.model, {})
            identity["served_model"] = entry.get("id", self.model)
            for key in ("root", "max_model_len", "owned_by", "created"):
                if entry.get(key) is not None:
                    identity[f"served_{key}"] = entry[key]
        identity["server"] = self._server_version()
        return identity

    def _headers(self) -> dict[str, str]:
        try:
            return dict(self.header)  # type: ignore[attr-defined]
        except ValueError as exc:  # lm-eval: "API key not found ..."
            raise EndpointError(f"set {self.xbench_key_env} in the environment ({exc})") from None

    def _server_version(self) -> str | None:
        root = _models_url(self.base_url).rsplit("/v1/", 1)[0]
        if "api.openai.com" in root or "api.anthropic.com" in root:
            return None
        try:
            response = requests.get(f"{root}/version", timeout=3)
            version = response.json().get("version") if response.ok else None
        except (requests.RequestException, ValueError, AttributeError):
            return None
        return str(version) if version else None


def _finished(reason: Any, text: str) -> str:
    if reason == "content_filter":
        return failure(
            "the provider's content filter blocked the answer (finish_reason=content_filter)"
        )
    if reason == "length" and not text.startswith("\x00"):
        return with_note("cut at the token limit (finish_reason=length)", text)
    return text


def _models_url(endpoint: str) -> str:
    base = endpoint.rstrip("/")
    for suffix in ("/chat/completions", "/completions", "/messages"):
        if base.endswith(suffix):
            return base[: -len(suffix)] + "/models"
    return base + "/models"


def tool_call_blocks(tool_calls: Any) -> str:
    """OpenAI `tool_calls` as the ```tool_call blocks the function-calling scorers read; an
    `arguments` string that is not JSON stays as it came, so the scorer reports it malformed."""
    blocks = []
    for call in tool_calls if isinstance(tool_calls, list) else []:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        name, arguments = function.get("name"), function.get("arguments")
        try:
            parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
            body = json.dumps({"name": name, "arguments": parsed}, ensure_ascii=False)
        except ValueError:
            body = f'{{"name": {json.dumps(name, ensure_ascii=False)}, "arguments": {arguments}}}'
        blocks.append(f"```tool_call\n{body}\n```")
    return "\n".join(blocks)


class ChatMessages:
    """Mixin for OpenAI-style chat endpoints: message content and tool calls, native tools."""

    xbench_chat = True
    think_end_token: str | None = None

    def create_message(self, messages: Any, generate: bool = False) -> Any:
        first = messages[0]
        if isinstance(first, str) and first.startswith(TOOL_ENVELOPE):
            return json.loads(first)  # {"messages": [...], "tools": [...]}
        return super().create_message(messages, generate)  # type: ignore[misc]

    def _create_payload(self, messages: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        tools = None
        if isinstance(messages, dict):
            messages, tools = messages["messages"], messages.get("tools")
        payload = super()._create_payload(messages, *args, **kwargs)  # type: ignore[misc]
        if tools:
            payload["tools"] = [
                t if "type" in t else {"type": "function", "function": t} for t in tools
            ]
        return payload

    def _choice_text(self, choice: dict[str, Any]) -> str:
        message = choice.get("message")
        if not isinstance(message, dict):
            return failure("a choice in the response has no message")
        content, calls = message.get("content"), message.get("tool_calls")
        if content is not None and not isinstance(content, str):
            return failure(f"the message content is a JSON {type(content).__name__}, not text")
        if self.think_end_token and content and self.think_end_token in content:
            content = content.split(self.think_end_token)[-1].lstrip()
        blocks = tool_call_blocks(calls) if calls else ""
        if content is None and not blocks:
            only = (
                " (only reasoning; raise --max-gen-toks)"
                if message.get("reasoning_content")
                else ""
            )
            return failure(f"the model returned no content (null){only}")
        return "\n".join(part for part in (content, blocks) if part)


class CompletionsLM(Resilient, LocalCompletionsAPI):
    """`local:` — the completions endpoint of any OpenAI-compatible server."""

    xbench_backend = "local-completions"


class ChatLM(ChatMessages, Resilient, LocalChatCompletion):
    """`local-chat:` — the chat endpoint of any OpenAI-compatible server."""

    xbench_backend = "local-chat-completions"


class OpenAIChatLM(ChatMessages, Resilient, OpenAIChatCompletion):
    """`openai-chat:` — OpenAI's hosted chat completions (OPENAI_API_KEY)."""

    xbench_backend = "openai-chat-completions"


class AnthropicChatLM(Resilient, AnthropicChat):
    """`anthropic-chat:` — Anthropic's messages API (ANTHROPIC_API_KEY); tools go in the prompt."""

    xbench_backend = "anthropic-chat"
    xbench_chat = True
    xbench_key_env = "ANTHROPIC_API_KEY"

    def _texts(self, out: Any) -> list[str]:
        if not isinstance(out, dict) or not isinstance(out.get("content"), list):
            return [failure("the response has no content list")]
        text = "".join(
            block.get("text", "") for block in out["content"]
            if isinstance(block, dict) and block.get("type") == "text"
        )  # fmt: skip
        reason = out.get("stop_reason")
        if reason == "refusal":
            return [failure("the model refused to answer (stop_reason=refusal)")]
        text = _finished("length" if reason == "max_tokens" else reason, text)
        usage = out.get("usage") if isinstance(out.get("usage"), dict) else {}
        return [with_usage(text, usage.get("input_tokens"), usage.get("output_tokens"))]

    def _server_version(self) -> str | None:
        return None
