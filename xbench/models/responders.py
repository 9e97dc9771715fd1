"""Test and file backends: `fake` (deterministic) and `predictions:` (responses made elsewhere).

Both are plain functions of (doc, prompt) wrapped into an lm-eval LM by `responder_lm`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from ..errors import XbenchError
from .base import failure


class MissingResponse(Exception):
    """Raised by a responder for an item it has no response for: recorded as a sample error."""


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
    from .. import languages

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


def responder_lm(respond: Callable[[dict[str, Any], str], str], *, name: str) -> Any:
    """Wrap a plain `respond(doc, prompt) -> str` function as an lm-eval generative LM.

    A responder that raises `MissingResponse` for an item gets that item recorded as an
    error (never as an empty, wrong answer); any other exception fails the run."""
    from lm_eval.api.model import LM

    class ResponderLM(LM):
        def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
            out = []
            for request in requests:
                try:
                    out.append(respond(request.doc, request.args[0]))
                except MissingResponse as exc:
                    out.append(failure(str(exc)))
            return out

        def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
            raise NotImplementedError(f"{name} only generates text")

        def loglikelihood_rolling(
            self, requests: list[Any], disable_tqdm: bool = False
        ) -> list[Any]:
            raise NotImplementedError(f"{name} only generates text")

        @property
        def tokenizer_name(self) -> str:
            return name

        def apply_chat_template(
            self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
        ) -> str:
            """A plain, visible template, so `--apply-chat-template` runs with test backends."""
            turns = "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in chat_history)
            return turns + ("<|assistant|>\n" if add_generation_prompt else "")

    return ResponderLM()
