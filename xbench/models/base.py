"""The public model-plugin API: a `ModelKind` turns a `--model` spec into an lm-eval LM.

A plugin (installed through the entry-point group `xbench`, or a file in `--plugin-path`)
offers model kinds with a function `register_models(register)` that calls
`register(ModelKind(...))`; the built-in kinds (xbench/models/builtin.py) use exactly that.

A spec is `<kind>:<target>[,key=value,...]` (`hf:org/model,revision=abc`), `<kind>[:key=value,...]`
for kinds without a target (`fake:accuracy=0.5`), or a bare name (`smollm2-135m`). Resolving a
spec parses and checks it without loading anything; `ModelKind.build` loads the model.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from ..errors import XbenchError

# A failed request travels through lm-eval as a response text that starts with this marker
# (lm-eval wants one string per request); the bridge turns it into that sample's error, and
# the response cache never keeps it. A note (e.g. "cut at the token limit") travels the same
# way in front of a real response.
_FAILED = "\x00xbench-failed\x00"
_NOTE = "\x00xbench-note\x00"
# The engine's own token counts of a request (its `usage` field) travel in front of the
# response, outermost, so they are cached with it: "<marker>prompt,completion\x00<response>".
_USAGE = "\x00xbench-usage\x00"


def failure(why: str) -> str:
    """The response text that stands for a request that failed with cause `why`."""
    return _FAILED + why


def with_note(note: str, text: str) -> str:
    """A real response with a note on how it came back."""
    return f"{_NOTE}{note}\x00{text}"


def with_usage(text: str, prompt_tokens: Any, completion_tokens: Any) -> str:
    """A response with the engine's token counts for its request; a failure, or counts that
    are not whole numbers, stay as they are (never a made-up count)."""
    counts = (prompt_tokens, completion_tokens)
    if is_failure(text) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                   for n in counts):  # fmt: skip
        return text
    return f"{_USAGE}{prompt_tokens},{completion_tokens}\x00{text}"


def read_usage(text: Any) -> tuple[tuple[int, int] | None, Any]:
    """((prompt tokens, completion tokens) or None, the response without them)."""
    if not isinstance(text, str) or not text.startswith(_USAGE):
        return None, text
    counts, _, rest = text[len(_USAGE) :].partition("\x00")
    prompt, _, completion = counts.partition(",")
    return (int(prompt), int(completion)), rest


def read_response(text: Any) -> tuple[str | None, str | None, str | None]:
    """(response, error, note) of what an LM returned for one request."""
    _, text = read_usage(text)
    if not isinstance(text, str):
        return None, f"the model returned no text ({type(text).__name__})", None
    if text.startswith(_FAILED):
        return None, text[len(_FAILED) :] or "the request failed", None
    if text.startswith(_NOTE):
        note, _, response = text[len(_NOTE) :].partition("\x00")
        return response, None, note
    return text, None, None


# A function-calling prompt for an endpoint that takes tools natively: a JSON object
# {"messages": [...], "tools": [...]} in place of the prompt text.
TOOL_ENVELOPE = '{"messages": '


def tool_envelope(messages: list[dict[str, str]], tools: Any) -> str:
    return json.dumps({"messages": messages, "tools": list(tools)}, ensure_ascii=False)


def is_failure(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(_FAILED)


@dataclass(frozen=True)
class GenerationSettings:
    """The generation settings of a run, sent to every kind that takes them."""

    temperature: float = 0.0  # greedy by default: evaluation, not chat
    top_p: float | None = None
    seed: int = 1234
    system_prompt: str | None = None
    apply_chat_template: bool = False
    max_gen_toks: int | None = None  # None: each task's own length

    def kwargs(self) -> dict[str, Any]:
        """What goes into lm-eval's generation_kwargs (besides `until` and `max_gen_toks`)."""
        out: dict[str, Any] = {"do_sample": self.temperature > 0, "temperature": self.temperature}
        if self.top_p is not None:
            out["top_p"] = self.top_p
        return out


@dataclass(frozen=True)
class BuildContext:
    """What a kind's `build` may use besides its spec."""

    batch_size: int | str = 1
    generation: GenerationSettings = field(default_factory=GenerationSettings)


@dataclass(frozen=True)
class ModelSpec:
    """A resolved `--model`."""

    spec: str  # as given
    kind: str  # the ModelKind's name
    options: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None  # hub id / path / URL / file

    def info(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, **self.options}


@dataclass(frozen=True)
class ModelKind:
    """One kind of `--model`: how to parse it, name it, and build an lm-eval LM from it.

    `build(spec, context)` returns an lm-eval LM. It may set `xbench_identity` (a dict) on the
    LM with what the model resolved to (served model id, engine version, commit hash): it is
    stored with the run and keys the response cache. An LM that sets `xbench_chat = True`
    takes chat messages (the chat template is always on); one that also sets
    `xbench_native_tools = True` receives function-calling prompts as a JSON envelope
    `{"messages": [...], "tools": [...]}` and returns tool calls as ```tool_call blocks.
    """

    name: str  # "vllm": specs start with "vllm:"; a bare-name kind is the whole spec
    usage: (
        str  # one line for --help and errors: "vllm:<hub id or path>[,tensor_parallel_size=N,...]"
    )
    build: Callable[[ModelSpec, BuildContext], Any]
    options: frozenset[str] | None = frozenset()  # allowed option keys; None: any (pass-through)
    takes_target: bool = True  # "<name>:<target>[,opts]"; False: "<name>[:opts]"
    bare: bool = False  # the spec is exactly `name` (smollm2-135m)
    # Checks options cheaply at resolve time (numbers, files, environment); raises XbenchError.
    check: Callable[[ModelSpec], None] | None = None
    cacheable: bool = True  # responses go through the response cache
    needs_hub: Callable[[ModelSpec], bool] = lambda spec: False
    # A short display name when --model-name is not given (never a full path).
    default_name: Callable[[ModelSpec], str] | None = None
    description: str = ""

    def resolve(self, spec: str, rest: str, *, check: bool = True) -> ModelSpec:
        """The parsed spec; `check=False` skips the kind's own check (an API key, an installed
        package), for commands that only read the spec (`xbench tokenizers`)."""
        if self.bare:
            return ModelSpec(spec, self.name, target=self.name)
        if self.takes_target:
            target, _, opts = rest.partition(",")
            if not target.strip():
                raise XbenchError(f"model {spec!r} names no target; use {self.usage}")
        else:
            target, opts = None, rest
        options = parse_options(opts, spec)
        if self.options is not None and (unknown := set(options) - self.options):
            raise XbenchError(
                f"unknown {self.name} option(s) {sorted(unknown)} in {spec!r}; use "
                f"{sorted(self.options)}"
            )
        if bad := [k for k in options if _SECRET.search(k)]:
            raise XbenchError(
                f"model option {bad[0]!r} in {spec!r} looks like a credential; pass API keys "
                "through environment variables (e.g. OPENAI_API_KEY), never in --model"
            )
        model = ModelSpec(spec, self.name, options, target.strip() if target else None)
        if check and self.check is not None:
            self.check(model)
        return model

    def display_name(self, model: ModelSpec) -> str:
        if self.default_name is not None:
            return self.default_name(model)
        return short_name(model.target) if model.target and not self.bare else model.spec


# Option names that would hold a credential (api_key, auth_token, ...), and environment
# variables that do (OPENAI_API_KEY, HF_TOKEN, ...).
_SECRET = re.compile(r"(^|_)(key|token|secret|password)$", re.IGNORECASE)
_SECRET_ENV = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)

# Operational options change how requests are sent, never what comes back: they are left out
# of the response cache's key.
OPERATIONAL_OPTIONS = frozenset(
    {"num_concurrent", "max_retries", "timeout", "backoff", "batch_size", "device"}
)


def parse_options(text: str, spec: str) -> dict[str, str]:
    options = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if not sep:
            raise XbenchError(f"model option {part!r} in {spec!r} is not key=value")
        options[key.strip()] = value.strip()
    return options


def short_name(target: str) -> str:
    """A readable name for a hub id, path or file: its last part without a file suffix
    (`/home/me/preds/euro-7b.jsonl` -> `euro-7b`, `org/Model-7B` -> `Model-7B`)."""
    path = PurePath(target.rstrip("/\\"))
    name = path.stem if path.suffix in (".jsonl", ".json", ".gguf", ".safetensors") else path.name
    return name or target


def resolve(spec: str, kinds: Mapping[str, ModelKind], *, check: bool = True) -> ModelSpec:
    """Parse `--model` against the registered kinds, without loading anything."""
    spec = spec.strip()
    if spec in kinds and kinds[spec].bare:
        return kinds[spec].resolve(spec, "", check=check)
    name, sep, rest = spec.partition(":")
    kind = kinds.get(name)
    if kind is not None and not kind.bare and (sep or not kind.takes_target):
        return kind.resolve(spec, rest, check=check)
    import difflib

    names = ", ".join(k.name if k.bare else f"{k.name}:…" for k in kinds.values())
    close = difflib.get_close_matches(name.casefold(), list(kinds), n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise XbenchError(
        f"unknown model {spec!r}; {hint}model kinds: {names} (see the model table in the README)"
    )


def number_option(
    model: ModelSpec, key: str, *, low: float, high: float, whole: bool = False
) -> float | None:
    """A numeric option checked against [low, high]; None when absent."""
    if key not in model.options:
        return None
    raw = model.options[key]
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        what = "a whole number" if whole else "a number"
        raise XbenchError(
            f"{model.kind} option {key}={raw!r} in {model.spec!r} is not {what}"
        ) from None
    if not low <= value <= high:
        raise XbenchError(
            f"{model.kind} option {key}={raw} in {model.spec!r} must be between {low:g} and {high:g}"
        )
    return value


def env_secrets() -> list[str]:
    """Values of credential-like environment variables, to keep out of every message."""
    return [v for k, v in os.environ.items() if _SECRET_ENV.search(k) and len(v) >= 8]


def redact(text: str) -> str:
    for secret in env_secrets():
        text = text.replace(secret, "***")
    return text
