"""In-process engines through lm-eval's backends: transformers (`hf:`, the GGUF packages),
vLLM (`vllm:`), SGLang (`sglang:`), and any other lm-eval model type (`lm-eval:`)."""

from __future__ import annotations

from importlib import metadata
from importlib.util import find_spec
from typing import Any

from ..errors import XbenchError
from .base import BuildContext, ModelSpec


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def hf_lm(
    pretrained: str, *, batch_size: int | str = 1, device: str | None = None, **kwargs: Any
) -> Any:
    """lm-eval's HF backend (transformers), on GPU when there is one."""
    import torch
    from lm_eval.models.huggingface import HFLM

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    lm = HFLM(pretrained=pretrained, batch_size=batch_size, device=device, **kwargs)
    config = getattr(getattr(lm, "model", None), "config", None)
    lm.xbench_identity = {
        "engine": f"transformers {_version('transformers')}",
        "commit_hash": getattr(config, "_commit_hash", None),
        "dtype": str(getattr(lm.model, "dtype", "")).removeprefix("torch.") or None,
        "device": str(device),
    }
    return lm


def build_hf(model: ModelSpec, context: BuildContext) -> Any:
    assert model.target is not None
    options = dict(model.options)
    return hf_lm(
        model.target,
        batch_size=context.batch_size,
        revision=options.pop("revision", None),
        dtype=options.pop("dtype", "auto"),
        device=options.pop("device", None),
        peft=options.pop("peft", None),
        trust_remote_code=options.pop("trust_remote_code", "false").lower() == "true",
    )


# vLLM's options as xbench accepts them, with their types; SGLang takes the same names.
ENGINE_OPTIONS: dict[str, type] = {
    "tensor_parallel_size": int, "data_parallel_size": int, "gpu_memory_utilization": float,
    "max_model_len": int, "dtype": str, "revision": str, "quantization": str,
    "trust_remote_code": bool, "enable_thinking": bool, "think_end_token": str,
    "enforce_eager": bool, "max_num_seqs": int,
}  # fmt: skip
# SGLang's names for them.
_SGLANG_NAMES = {
    "tensor_parallel_size": "tp_size", "data_parallel_size": "dp_size",
    "gpu_memory_utilization": "mem_fraction_static", "max_model_len": "context_length",
}  # fmt: skip


def engine_args(model: ModelSpec) -> dict[str, Any]:
    """The spec's options, typed; a value of the wrong type is a one-line error."""
    out: dict[str, Any] = {}
    for key, raw in model.options.items():
        kind = ENGINE_OPTIONS[key]
        try:
            if kind is bool:
                if raw.lower() not in ("true", "false"):
                    raise ValueError
                out[key] = raw.lower() == "true"
            else:
                out[key] = kind(raw)
        except ValueError:
            raise XbenchError(
                f"{model.kind} option {key}={raw!r} in {model.spec!r} must be a {kind.__name__}"
            ) from None
        if kind in (int, float) and out[key] <= 0:
            raise XbenchError(f"{model.kind} option {key}={raw} must be positive")
    return out


def check_engine(model: ModelSpec) -> None:
    engine_args(model)


def _need(module: str, what: str) -> None:
    if find_spec(module) is None:
        raise XbenchError(
            f"{what} needs the package {module} in this environment; install it on the GPU "
            f"machine (`pip install {module}`, under its own torch and transformers pins: README, "
            "Run on GPUs and clusters), or serve the model and use local-chat:<url>,model=NAME"
        )


def build_vllm(model: ModelSpec, context: BuildContext) -> Any:
    """lm-eval's vLLM backend in this process; data_parallel_size > 1 runs one engine per
    GPU group through Ray, as lm-eval does."""
    args = engine_args(model)
    _need("vllm", "vllm:")
    if args.get("data_parallel_size", 1) > 1:
        _need("ray", "vllm: with data_parallel_size > 1")
    from lm_eval.api.registry import get_model

    generation = context.generation
    lm = get_model("vllm")(
        pretrained=model.target, batch_size=context.batch_size if context.batch_size != 1 else "auto",
        seed=generation.seed, max_gen_toks=generation.max_gen_toks or 256, **args,
    )  # fmt: skip
    lm.xbench_identity = {"engine": f"vllm {_version('vllm')}", **args}
    return lm


def build_sglang(model: ModelSpec, context: BuildContext) -> Any:
    """lm-eval's SGLang backend (offline engine) in this process."""
    args = {_SGLANG_NAMES.get(k, k): v for k, v in engine_args(model).items()}
    _need("sglang", "sglang:")
    from lm_eval.api.registry import get_model

    lm = get_model("sglang")(
        pretrained=model.target, batch_size=context.batch_size,
        max_gen_toks=context.generation.max_gen_toks or 256, **args,
    )  # fmt: skip
    lm.xbench_identity = {"engine": f"sglang {_version('sglang')}", **args}
    return lm


def check_lm_eval(model: ModelSpec) -> None:
    from lm_eval.api.registry import get_model

    try:
        get_model(str(model.target))
    except (KeyError, ValueError, ImportError, ModuleNotFoundError, AttributeError) as exc:
        raise XbenchError(
            f"lm-eval has no model type {model.target!r} ({' '.join(str(exc).split())[:120]}); "
            'use one of `python -c "from lm_eval.api.registry import model_registry as r; print(list(r))"`'
        ) from None


def build_lm_eval(model: ModelSpec, context: BuildContext) -> Any:
    """Any lm-eval model type with its own model_args, as `lm_eval --model T --model_args A`."""
    from lm_eval.api.registry import get_model

    cls = get_model(str(model.target))
    arg_string = ",".join(f"{k}={v}" for k, v in model.options.items())
    try:
        lm = cls.create_from_arg_string(
            arg_string, {"batch_size": context.batch_size, "device": None}
        )
    except (TypeError, ValueError, OSError, ImportError) as exc:
        raise XbenchError(
            f"lm-eval model {model.target} could not start with {arg_string!r}: "
            f"{' '.join(str(exc).split())[:200]}"
        ) from None
    lm.xbench_identity = {"engine": f"lm-eval {model.target}"}
    return lm
