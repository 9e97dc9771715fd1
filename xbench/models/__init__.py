"""Model kinds: what `--model` accepts, resolved before anything loads, built into an lm-eval LM.

Every kind is a `ModelKind` registered through `register_models(register)`, the same public
hook a model plugin uses (see base.py); the built-in kinds are in builtin.py:

    smollm2-135m, gemma3-270m          GGUF models from PyPI packages (engines.py, gguf.py)
    hf:<id or path>                    lm-eval's HF backend
    vllm:<id or path> / sglang:<...>   lm-eval's vLLM / SGLang backends in this process
    local:<url> / local-chat:<url>     an OpenAI-compatible server (api.py)
    openai-chat:<m> / anthropic-chat:<m>   hosted APIs, keys from the environment only
    lm-eval:<type>,<args>              any other lm-eval model type
    fake[:...] / predictions:<file>    test and file backends (responders.py)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from .base import (
    OPERATIONAL_OPTIONS,
    BuildContext,
    GenerationSettings,
    ModelKind,
    ModelSpec,
    failure,
    is_failure,
    read_response,
    read_usage,
    redact,
    short_name,
    tool_envelope,
    with_note,
    with_usage,
)  # fmt: skip
from .gguf import GGUF_MODELS, GgufPackage
from .responders import (
    MissingResponse,
    check_prediction_tasks,
    fake_responder,
    predictions_responder,
    read_predictions,
)  # fmt: skip

__all__ = [
    "GGUF_MODELS", "OPERATIONAL_OPTIONS", "BuildContext", "GenerationSettings", "GgufPackage",
    "MissingResponse", "ModelKind", "ModelSpec", "build", "builtin_kinds", "check_prediction_tasks",
    "failure", "fake_responder", "is_failure", "predictions_responder", "read_predictions",
    "read_response", "redact", "resolve", "short_name", "tool_envelope", "with_note",
    "with_usage", "read_usage",
]  # fmt: skip


@functools.cache
def builtin_kinds() -> Mapping[str, ModelKind]:
    from .builtin import register_models

    kinds: dict[str, ModelKind] = {}
    register_models(lambda kind: kinds.setdefault(kind.name, kind))
    return kinds


def resolve(
    spec: str, kinds: Mapping[str, ModelKind] | None = None, *, check: bool = True
) -> ModelSpec:
    """Parse `--model` against `kinds` (default: the built-in ones) without loading anything;
    `check=False` skips each kind's checks (API keys, packages)."""
    from .base import resolve as _resolve

    return _resolve(spec, builtin_kinds() if kinds is None else kinds, check=check)


def build(model: ModelSpec, kinds: Mapping[str, ModelKind] | None = None, **context: Any) -> Any:
    """Load the model as an lm-eval LM (torch, transformers, aiohttp load here)."""
    kinds = builtin_kinds() if kinds is None else kinds
    return kinds[model.kind].build(model, BuildContext(**context))
