"""The built-in model kinds, registered through the same hook a model plugin uses.

`[project.entry-points.xbench] models = "xbench.models.builtin"` puts them in the registry;
a third-party package does the same with its own `register_models(register)`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import XbenchError
from .base import BuildContext, ModelKind, ModelSpec, number_option, short_name

# Options every served kind takes (how requests are sent).
REMOTE_OPTIONS = frozenset({"num_concurrent", "max_retries", "timeout", "backoff"})


def register_models(register: Callable[[ModelKind], None]) -> None:
    from .gguf import GGUF_MODELS

    for name, package in GGUF_MODELS.items():
        register(ModelKind(
            name=name, usage=name, bare=True, build=_build_gguf,
            description=f"from the PyPI package {package.distribution}",
        ))  # fmt: skip
    register(ModelKind(
        name="hf", usage="hf:<hub id or path>[,revision=R,dtype=D,device=X,peft=ADAPTER]",
        options=frozenset({"revision", "dtype", "device", "peft", "trust_remote_code"}),
        build=_lazy("engines", "build_hf"),
        needs_hub=lambda m: not Path(str(m.target)).expanduser().exists(),
        description="lm-eval's HF backend (transformers) in this process",
    ))  # fmt: skip
    register(ModelKind(
        name="fake", usage="fake[:accuracy=0.5,fail_after=N,sleep=S]", takes_target=False,
        options=frozenset({"accuracy", "fail_after", "sleep"}), build=_build_fake,
        check=_check_fake, cacheable=False, default_name=lambda m: m.spec,
        description="deterministic test backend",
    ))  # fmt: skip
    register(ModelKind(
        name="predictions", usage="predictions:<file.jsonl>", build=_build_predictions,
        check=_check_predictions, cacheable=False,
        description="score responses produced elsewhere",
    ))  # fmt: skip
    engine_options = frozenset(_engine_options())
    register(ModelKind(
        name="vllm", build=_lazy("engines", "build_vllm"), options=engine_options,
        usage="vllm:<hub id or path>[,tensor_parallel_size=N,data_parallel_size=N,"
              "gpu_memory_utilization=F,max_model_len=N,dtype=D,revision=R,quantization=Q]",
        check=_lazy_check("engines", "check_engine"),
        needs_hub=lambda m: not Path(str(m.target)).expanduser().exists(),
        description="lm-eval's vLLM backend in this process (needs vllm installed)",
    ))  # fmt: skip
    register(ModelKind(
        name="sglang", build=_lazy("engines", "build_sglang"), options=engine_options,
        usage="sglang:<hub id or path>[,tensor_parallel_size=N,...] (as vllm:)",
        check=_lazy_check("engines", "check_engine"),
        needs_hub=lambda m: not Path(str(m.target)).expanduser().exists(),
        description="lm-eval's SGLang backend in this process (needs sglang installed)",
    ))  # fmt: skip
    register(ModelKind(
        name="local", build=_served("CompletionsLM", "/completions"),
        usage="local:<base_url>,model=NAME[,tokenizer=T,num_concurrent=N,max_retries=N,timeout=S]",
        options=REMOTE_OPTIONS | {"model", "tokenizer", "max_length", "batch_size"},
        check=_check_served, needs_hub=lambda m: "tokenizer" in m.options,
        default_name=lambda m: short_name(m.options.get("model", "")),
        description="completions endpoint of an OpenAI-compatible server",
    ))  # fmt: skip
    register(ModelKind(
        name="local-chat", build=_served("ChatLM", "/chat/completions"),
        usage="local-chat:<base_url>,model=NAME[,tools=native|prompt,num_concurrent=N,...]",
        options=REMOTE_OPTIONS | {"model", "tools", "think_end_token"},
        check=_check_served, default_name=lambda m: short_name(m.options.get("model", "")),
        description="chat endpoint of an OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp, Ollama)",
    ))  # fmt: skip
    register(ModelKind(
        name="openai-chat", build=_hosted("OpenAIChatLM"),
        usage="openai-chat:<model>[,base_url=URL,tools=native|prompt,num_concurrent=N,...]",
        options=REMOTE_OPTIONS | {"base_url", "tools"}, check=_needs_key("OPENAI_API_KEY"),
        description="OpenAI's chat completions (key: $OPENAI_API_KEY)",
    ))  # fmt: skip
    register(ModelKind(
        name="anthropic-chat", build=_hosted("AnthropicChatLM"),
        usage="anthropic-chat:<model>[,num_concurrent=N,...]",
        options=REMOTE_OPTIONS | {"base_url"}, check=_needs_key("ANTHROPIC_API_KEY"),
        description="Anthropic's messages API (key: $ANTHROPIC_API_KEY)",
    ))  # fmt: skip
    register(ModelKind(
        name="lm-eval", build=_lazy("engines", "build_lm_eval"), options=None,
        usage="lm-eval:<model_type>,<model_args>", check=_lazy_check("engines", "check_lm_eval"),
        default_name=lambda m: short_name(
            m.options.get("pretrained") or m.options.get("model") or str(m.target)
        ),
        description="any other lm-eval model type, with its own model_args",
    ))  # fmt: skip


def _engine_options() -> list[str]:
    from .engines import ENGINE_OPTIONS

    return list(ENGINE_OPTIONS)


def _lazy(module: str, function: str) -> Callable[[ModelSpec, BuildContext], Any]:
    """A build function imported only when the model is built (torch, vllm, aiohttp...)."""

    def build(model: ModelSpec, context: BuildContext) -> Any:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{module}"), function)(model, context)

    return build


def _lazy_check(module: str, function: str) -> Callable[[ModelSpec], None]:
    def check(model: ModelSpec) -> None:
        import importlib

        getattr(importlib.import_module(f"{__package__}.{module}"), function)(model)

    return check


# --- local files and test backends -----------------------------------------------------


def _build_gguf(model: ModelSpec, context: BuildContext) -> Any:
    from .engines import hf_lm
    from .gguf import GGUF_MODELS

    path = GGUF_MODELS[model.spec].converted()
    lm = hf_lm(str(path), batch_size=context.batch_size, device=None, dtype="float32")
    lm.xbench_identity["weights"] = path.name  # name-<digest of the GGUF file>
    return lm


def _check_fake(model: ModelSpec) -> None:
    from .responders import _check_fake_options

    _check_fake_options(dict(model.options), model.spec)


def _build_fake(model: ModelSpec, context: BuildContext) -> Any:
    from .responders import fake_responder, responder_lm

    return responder_lm(fake_responder(dict(model.options)), name=model.spec)


def _check_predictions(model: ModelSpec) -> None:
    path = Path(str(model.target)).expanduser()
    if not path.is_file():
        raise XbenchError(f"predictions file {path} not found; pass predictions:<file.jsonl>")


def _build_predictions(model: ModelSpec, context: BuildContext) -> Any:
    from .responders import predictions_responder, responder_lm

    return responder_lm(
        predictions_responder(Path(str(model.target)).expanduser()), name=model.spec
    )


# --- served models ---------------------------------------------------------------------


def _check_remote(model: ModelSpec) -> None:
    number_option(model, "num_concurrent", low=1, high=4096, whole=True)
    number_option(model, "max_retries", low=0, high=100, whole=True)
    number_option(model, "timeout", low=1, high=86400)
    number_option(model, "backoff", low=0, high=600)
    if model.options.get("tools", "native") not in ("native", "prompt"):
        raise XbenchError(f"option tools={model.options['tools']!r} must be native or prompt")


def _check_served(model: ModelSpec) -> None:
    url = urlparse(str(model.target))
    if url.scheme not in ("http", "https") or not url.netloc:
        raise XbenchError(
            f"{model.kind}: {model.target!r} is not an http(s) URL; pass the server's base URL, "
            f"e.g. {model.kind}:http://127.0.0.1:8000/v1,model=NAME"
        )
    if not model.options.get("model"):
        raise XbenchError(
            f"{model.kind}: say which served model to use with model=NAME "
            f"(the server lists them at {model.target.rstrip('/')}/models)"  # type: ignore[union-attr]
        )
    number_option(model, "max_length", low=2, high=10_000_000, whole=True)
    number_option(model, "batch_size", low=1, high=4096, whole=True)
    _check_remote(model)


def _needs_key(variable: str) -> Callable[[ModelSpec], None]:
    def check(model: ModelSpec) -> None:
        if not os.environ.get(variable):
            raise XbenchError(
                f"{model.kind} needs an API key in the environment variable {variable}; "
                f"export {variable}=... (keys are never taken from --model or stored)"
            )
        _check_remote(model)

    return check


def _endpoint(base: str, suffix: str) -> str:
    base = base.rstrip("/")
    if base.endswith(("/completions", "/messages")):
        return base
    return base + suffix


def _remote_args(model: ModelSpec, context: BuildContext) -> dict[str, Any]:
    generation = context.generation
    options = model.options
    return {
        "num_concurrent": int(options.get("num_concurrent", 1)),
        "max_retries": 1,  # one attempt per lm-eval call: xbench retries (Resilient._policy)
        "timeout": int(float(options.get("timeout", 300))),
        "seed": generation.seed,
        "max_gen_toks": generation.max_gen_toks or 256,
    }


def _finish(lm: Any, model: ModelSpec) -> Any:
    lm.xbench_retries = int(model.options.get("max_retries", 3))
    lm.xbench_backoff = float(model.options.get("backoff", 1.0))
    lm.xbench_native_tools = lm.xbench_chat and model.options.get("tools", "native") == "native" and (
        model.kind != "anthropic-chat"
    )  # fmt: skip
    lm.xbench_identity = {"engine": f"lm-eval {lm.xbench_backend}", **lm.identify()}
    return lm


def _served(cls_name: str, suffix: str) -> Callable[[ModelSpec, BuildContext], Any]:
    def build(model: ModelSpec, context: BuildContext) -> Any:
        from . import api

        options = model.options
        kwargs = _remote_args(model, context)
        if cls_name == "CompletionsLM":
            tokenizer = options.get("tokenizer")
            kwargs |= {
                "tokenizer_backend": "huggingface" if tokenizer else None,
                "tokenizer": tokenizer, "tokenized_requests": bool(tokenizer),
                "batch_size": int(options.get("batch_size", 1)),
                "max_length": int(options.get("max_length", 2048)),
            }  # fmt: skip
        else:
            kwargs["think_end_token"] = options.get("think_end_token")
        lm = getattr(api, cls_name)(
            base_url=_endpoint(str(model.target), suffix), model=options["model"], **kwargs
        )
        return _finish(lm, model)

    return build


def _hosted(cls_name: str) -> Callable[[ModelSpec, BuildContext], Any]:
    def build(model: ModelSpec, context: BuildContext) -> Any:
        from . import api

        kwargs = _remote_args(model, context)
        if "base_url" in model.options:
            kwargs["base_url"] = model.options["base_url"]
        lm = getattr(api, cls_name)(model=model.target, **kwargs)
        return _finish(lm, model)

    return build
