"""Loading TUCAN (Bulgarian) and BFCL (English, Arabic) items, from a local copy or the source.

Local layout (see data_cards/tucan.md and data_cards/bfcl.md):
  <data-dir>/tucan/*.json                      a JSON array of TUCAN eval objects (all files)
  <data-dir>/bfcl/BFCL_v4_<category>.json      JSON Lines questions (upstream gorilla)
  <data-dir>/bfcl/possible_answer/BFCL_v4_<category>.json
  <data-dir>/bfcl_ar/...                       the same for the Arabic fork
Without a data dir: TUCAN from the hub (`llm-bg/Tucan-BG-Eval-v1.0`), BFCL from the raw files
of the pinned gorilla commits on GitHub.

Every item carries, in `fields`: "functions" (the JSON-schema list shown to the model),
"messages" (BFCL's turn; TUCAN: one user message), "expected" ({"kind": "call" | "no_call" |
"any_call", "calls": [...], "allowed_values": bool}; BFCL calls map each parameter to its list of
allowed values, TUCAN calls to one value each) and "category" / "scenario_type".
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from xbench.spec import DataError, Item, LoadContext

TUCAN_HUB_ID = "llm-bg/Tucan-BG-Eval-v1.0"
TUCAN_CARD = "data_cards/tucan.md"
BFCL_CARD = "data_cards/bfcl.md"

# Raw files of the pinned commits (see data_cards/bfcl.md): (questions folder, answers folder).
_UPSTREAM = (
    "https://raw.githubusercontent.com/ShishirPatil/gorilla/"
    "6ea57973c7a6097fd7c5915698c54c17c5b1b6c8/berkeley-function-call-leaderboard/bfcl_eval/data/"
)
_FORK = (
    "https://raw.githubusercontent.com/kubrak94/gorilla/"
    "3e9a71fef7969ce21c2f58c1418bcecfdd396b33/berkeley-function-call-leaderboard/bfcl_eval/data/"
)
BFCL_SOURCES = {
    "en": (_UPSTREAM, _UPSTREAM + "possible_answer/"),
    "ar": (_FORK + "user_prompt_ar/func_desc_ar/func_param_desc_ar/", _FORK + "possible_answer/"),
}
BFCL_DIRS = {"en": "bfcl", "ar": "bfcl_ar"}

# task suffix -> (BFCL file category, what is expected)
BFCL_CATEGORIES: dict[str, tuple[str, str]] = {
    "simple": ("simple_python", "call"),
    "multiple": ("multiple", "call"),
    "parallel": ("parallel", "call"),
    "parallel_multiple": ("parallel_multiple", "call"),
    "irrelevance": ("irrelevance", "no_call"),
    "live_simple": ("live_simple", "call"),
    "live_multiple": ("live_multiple", "call"),
    "live_parallel": ("live_parallel", "call"),
    "live_parallel_multiple": ("live_parallel_multiple", "call"),
    "live_irrelevance": ("live_irrelevance", "no_call"),
    "live_relevance": ("live_relevance", "any_call"),
}
# The categories the Arabic fork snapshot has.
BFCL_AR_CATEGORIES = (
    "simple",
    "multiple",
    "parallel",
    "parallel_multiple",
    "irrelevance",
    "live_simple",
)

# Known fault of the Arabic fork (bfcl_ar/SOURCE.md): its possible answers predate six upstream
# ground-truth fixes. Where the upstream answer file is at hand (same data dir, or the pinned
# upstream commit) those six ids take the upstream answer. Without it, simple_python_363 is still
# repaired: the fork's answer names `find_closest`, but the only function in the question is
# `restaurant_search.find_closest`, so the item could never be scored correct.
AR_UPSTREAM_FIXED_IDS = frozenset(
    {
        "simple_python_363",
        "parallel_155",
        "parallel_158",
        "live_simple_137-90-0",
        "live_simple_138-91-0",
        "live_simple_205-116-13",
    }
)
AR_RENAMED_FUNCTION = {"simple_python_363": ("find_closest", "restaurant_search.find_closest")}


# --- TUCAN ----------------------------------------------------------------------------------


def load_tucan(ctx: LoadContext) -> Sequence[Item]:
    if ctx.data_dir is not None:
        return load_tucan_local(Path(ctx.data_dir))
    return load_tucan_hub(TUCAN_HUB_ID)


@functools.cache
def load_tucan_local(data_dir: Path) -> tuple[Item, ...]:
    folder = data_dir / "tucan"
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        raise DataError(
            f"TUCAN data not found: no {folder / '*.json'}; see {TUCAN_CARD} for how to get it"
        )
    items: list[Item] = []
    for path in files:
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{path}: not a UTF-8 JSON array ({exc}); see {TUCAN_CARD}") from exc
        if not isinstance(rows, list):
            raise DataError(f"{path}: expected a JSON array of objects; see {TUCAN_CARD}")
        stem = path.stem if len(files) > 1 else ""
        for index, row in enumerate(rows):
            key = f"{stem}:{index}" if stem else str(index)
            items.append(tucan_item(row, key, f"{path}: item {index}"))
    return tuple(items)


@functools.cache
def load_tucan_hub(dataset: str) -> tuple[Item, ...]:
    try:
        import datasets  # heavy: imported only when the hub is actually used

        loaded = datasets.load_dataset(dataset)
        split = "test" if "test" in loaded else next(iter(loaded))
        rows = list(loaded[split])
    except Exception as exc:  # any failure to fetch is a data problem with one remedy
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise DataError(
            f"could not load TUCAN from the hub ({dataset}): {reason}; download it and pass"
            f" --data-dir / XBENCH_DATA_DIR (see {TUCAN_CARD})"
        ) from exc
    return tuple(
        tucan_item(row, str(row.get("id", index)), f"{dataset} row {index}")
        for index, row in enumerate(rows)
    )


def tucan_item(row: Any, key: str, where: str) -> Item:
    """One TUCAN object -> Item. Hub rows may hold `functions` / `expected_behavior` as JSON
    strings; they are decoded."""
    try:
        message = row["user_message"]
        functions = _maybe_json(row["functions"])
        behaviour = _maybe_json(row["expected_behavior"])
        if not isinstance(message, str) or not message.strip():
            raise ValueError("empty user_message")
        _check_functions(functions)
        if behaviour["should_call_function"]:
            name, parameters = behaviour["expected_function"], behaviour["expected_parameters"]
            if not isinstance(name, str) or not isinstance(parameters, dict):
                raise ValueError("expected_function / expected_parameters")
            expected = {"kind": "call", "calls": [{"name": name, "arguments": parameters}]}
        else:
            expected = {"kind": "no_call", "calls": []}
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"{where}: unexpected content ({type(exc).__name__}: {exc}); see {TUCAN_CARD}"
        ) from exc
    expected["allowed_values"] = False
    return Item(
        item_key=key,
        question=message,
        gold=_gold(expected),
        fields=MappingProxyType(
            {
                "functions": functions,
                "messages": [{"role": "user", "content": message}],
                "expected": expected,
                "scenario_type": str(row.get("scenario_type", "")),
            }
        ),
    )


# --- BFCL -----------------------------------------------------------------------------------


def load_bfcl(ctx: LoadContext, *, language: str, category: str) -> Sequence[Item]:
    """The items of one BFCL category (a key of BFCL_CATEGORIES) in `language` ("en" / "ar")."""
    data_dir = None if ctx.data_dir is None else Path(ctx.data_dir)
    return _load_bfcl(data_dir, language, category)


@functools.cache
def _load_bfcl(data_dir: Path | None, language: str, category: str) -> tuple[Item, ...]:
    file_category, kind = BFCL_CATEGORIES[category]
    questions = _jsonl(data_dir, language, f"BFCL_v4_{file_category}.json")
    answers: dict[str, Any] = {}
    if kind == "call":
        answers = _answers(data_dir, language, file_category)
        if language == "ar":
            answers = _fix_arabic_answers(data_dir, file_category, answers, questions)
    items = []
    for where, row in questions:
        try:
            key, messages, functions = row["id"], row["question"][0], row["function"]
            _check_functions(functions)
            question = next(m["content"] for m in reversed(messages) if m["role"] == "user")
            if not isinstance(key, str) or not isinstance(question, str):
                raise ValueError("id and content must be strings")
        except (KeyError, TypeError, ValueError, IndexError, StopIteration) as exc:
            raise DataError(
                f"{where}: unexpected content ({type(exc).__name__}: {exc}); see {BFCL_CARD}"
            ) from exc
        if kind == "call":
            if key not in answers:
                raise DataError(f"{where}: no possible answer for id {key!r}; see {BFCL_CARD}")
            expected = {"kind": kind, "calls": answers[key], "allowed_values": True}
        else:
            expected = {"kind": kind, "calls": [], "allowed_values": True}
        items.append(
            Item(
                item_key=key,
                question=question,
                gold=_gold(expected),
                fields=MappingProxyType(
                    {
                        "functions": functions,
                        "messages": messages,
                        "expected": expected,
                        "category": category,
                    }
                ),
            )
        )
    return tuple(items)


def _answers(data_dir: Path | None, language: str, file_category: str) -> dict[str, Any]:
    out = {}
    for where, row in _jsonl(data_dir, language, f"possible_answer/BFCL_v4_{file_category}.json"):
        try:
            calls = [
                {"name": name, "arguments": dict(arguments)}
                for call in row["ground_truth"]
                for name, arguments in call.items()
            ]
            if not calls or not all(
                isinstance(v, list) for c in calls for v in c["arguments"].values()
            ):
                raise ValueError("each argument needs a list of allowed values")
            out[row["id"]] = calls
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(
                f"{where}: unexpected possible answer ({type(exc).__name__}: {exc});"
                f" see {BFCL_CARD}"
            ) from exc
    return out


def _fix_arabic_answers(
    data_dir: Path | None,
    file_category: str,
    answers: dict[str, Any],
    questions: Sequence[tuple[str, Mapping[str, Any]]],
) -> dict[str, Any]:
    """See AR_UPSTREAM_FIXED_IDS: upstream answers for the six ids, or at least the rename."""
    fixed = dict(answers)
    try:
        upstream = _answers(data_dir, "en", file_category)
    except DataError:
        upstream = {}
    for key in AR_UPSTREAM_FIXED_IDS & fixed.keys():
        if key in upstream:
            fixed[key] = upstream[key]
        elif key in AR_RENAMED_FUNCTION:
            old, new = AR_RENAMED_FUNCTION[key]
            fixed[key] = [
                {**call, "name": new if call["name"] == old else call["name"]}
                for call in fixed[key]
            ]
    return fixed


def _jsonl(data_dir: Path | None, language: str, name: str) -> list[tuple[str, Any]]:
    """(where, object) per line of a BFCL JSON Lines file, local or fetched."""
    if data_dir is not None:
        path = data_dir / BFCL_DIRS[language] / name
        if not path.is_file():
            raise DataError(f"BFCL data file not found: {path}; see {BFCL_CARD} for how to get it")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not UTF-8 ({exc}); see {BFCL_CARD}") from exc
        where = str(path)
    else:
        where, text = _fetch(language, name)
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise DataError(f"{where}:{number}: invalid JSON ({exc}); see {BFCL_CARD}") from exc
        if not isinstance(row, dict):
            raise DataError(f"{where}:{number}: expected a JSON object; see {BFCL_CARD}")
        rows.append((f"{where}:{number}", row))
    return rows


@functools.cache
def _fetch(language: str, name: str) -> tuple[str, str]:
    questions, answers = BFCL_SOURCES[language]
    prefix = "possible_answer/"
    url = answers + name[len(prefix) :] if name.startswith(prefix) else questions + name
    try:
        import urllib.request

        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (fixed https URL)
            return url, response.read().decode("utf-8")
    except Exception as exc:  # any failure to fetch is a data problem with one remedy
        raise DataError(
            f"could not download {url}: {type(exc).__name__}: {exc}; download the files and"
            f" pass --data-dir / XBENCH_DATA_DIR (see {BFCL_CARD})"
        ) from exc


# --- shared ---------------------------------------------------------------------------------


def _maybe_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _check_functions(functions: Any) -> None:
    if not isinstance(functions, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) for f in functions
    ):
        raise ValueError("functions must be a list of objects with a name")


def _gold(expected: Mapping[str, Any]) -> str:
    """What the store shows as the gold answer: the expected calls, compact JSON."""
    if expected["kind"] == "no_call":
        return "no call"
    if expected["kind"] == "any_call":
        return "any call"
    return json.dumps(expected["calls"], ensure_ascii=False, separators=(",", ":"))
