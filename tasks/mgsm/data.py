"""Loading MGSM: test items and few-shot exemplars, from a local copy or from the hub.

Local layout (url-nlp, see data_cards/mgsm.md): `<data-dir>/mgsm/mgsm_<lang>.tsv` (no header,
`question<TAB>answer`) and `<data-dir>/mgsm/mgsm_exemplars.json`. Hub: `juletxara/mgsm`, one
config per language, `test` (250 rows) and `train` (the 8 exemplars).

`render` gets the unit's LoadContext, so exemplars come from the same source as the items
(`ctx.data_dir`, or the hub when it is None).
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from xbench.spec import DataError, Item, LoadContext

from .prompts import LANGUAGES, MAX_FEWSHOT, Exemplar, Words
from .scoring import normalize_number

HUB_ID = "juletxara/mgsm"
CARD = "data_cards/mgsm.md"
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def load_items(ctx: LoadContext, *, language: str) -> Sequence[Item]:
    """The 250 test items of `language` (ISO 639-1), from `ctx.data_dir` or the hub."""
    if ctx.data_dir is not None:
        return load_local(Path(ctx.data_dir), language)
    return load_hub(HUB_ID, language)


def exemplars_for(ctx: LoadContext, language: str) -> Sequence[Exemplar]:
    """The exemplars of `language` from the unit's source (loaded on first use)."""
    if ctx.data_dir is not None:
        return read_exemplars(Path(ctx.data_dir))[language]
    return hub_exemplars(HUB_ID, language)


# --- local files --------------------------------------------------------------------------


def tsv_path(data_dir: Path, language: str) -> Path:
    return data_dir / "mgsm" / f"mgsm_{language}.tsv"


def exemplars_path(data_dir: Path) -> Path:
    return data_dir / "mgsm" / "mgsm_exemplars.json"


@functools.cache
def load_local(data_dir: Path, language: str) -> tuple[Item, ...]:
    path = tsv_path(data_dir, language)
    if not path.is_file():
        raise DataError(f"MGSM data file not found: {path}; see {CARD} for how to get it")
    return tuple(
        Item(item_key=str(index), question=question, gold=gold)
        for index, (question, gold) in enumerate(_read_tsv(path))
    )


def _read_tsv(path: Path) -> list[tuple[str, str]]:
    rows = []
    try:
        with path.open(encoding="utf-8", newline="") as file:
            reader = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
            for row in reader:
                rows.append(_check_row(row, f"{path}:{reader.line_num}"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc}); see {CARD}") from exc
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: {exc}; see {CARD}") from exc
    return rows


def _check_row(row: list[str], where: str) -> tuple[str, str]:
    if len(row) != 2:
        raise DataError(
            f"{where}: expected 2 tab-separated columns (question, answer), got {len(row)};"
            f" see {CARD}"
        )
    question, answer = row
    if not question.strip():
        raise DataError(f"{where}: empty question; see {CARD}")
    if not _PLAIN_NUMBER.fullmatch(answer.strip().replace(",", "")):
        raise DataError(f"{where}: answer {answer!r} is not a number; see {CARD}")
    return question, normalize_number(answer.strip())


@functools.cache
def read_exemplars(data_dir: Path) -> Mapping[str, tuple[Exemplar, ...]]:
    path = exemplars_path(data_dir)
    if not path.is_file():
        raise DataError(f"MGSM exemplars not found: {path}; see {CARD} for how to get it")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        numbers = [int(n) for n in raw["EXEMPLAR_NUMBER_ANSWERS"]]
        by_language = {
            language: tuple(
                Exemplar(question=shot["q"], answer=shot["a"], number=number)
                for shot, number in zip(raw["MGSM_EXEMPLARS"][language], numbers, strict=True)
            )
            for language in LANGUAGES
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"{path}: unexpected content ({type(exc).__name__}: {exc}); see {CARD}"
        ) from exc
    _check_count(by_language, str(path))
    return MappingProxyType(by_language)


def _check_count(by_language: Mapping[str, Sequence[Exemplar]], where: str) -> None:
    for language, shots in by_language.items():
        if len(shots) < MAX_FEWSHOT:
            raise DataError(
                f"{where}: {len(shots)} exemplars for {language!r}, expected {MAX_FEWSHOT};"
                f" see {CARD}"
            )


# --- hub ----------------------------------------------------------------------------------


@functools.cache
def load_hub(dataset: str, language: str) -> tuple[Item, ...]:
    rows = _hub_rows(dataset, language, "test")
    return tuple(item_from_hub_row(index, row) for index, row in enumerate(rows))


@functools.cache
def hub_exemplars(dataset: str, language: str) -> tuple[Exemplar, ...]:
    rows = _hub_rows(dataset, language, "train")
    try:
        shots = tuple(exemplar_from_hub_row(row, LANGUAGES[language]) for row in rows)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{dataset} ({language}, train): unexpected content ({exc!r})") from exc
    _check_count({language: shots}, f"{dataset} ({language}, train)")
    return shots


def item_from_hub_row(index: int, row: Mapping[str, Any]) -> Item:
    """A hub test row (question, answer_number; answer is null) -> Item; row i is item_key i."""
    question, number = row.get("question"), row.get("answer_number")
    if not isinstance(question, str) or not question.strip() or not isinstance(number, int):
        raise DataError(f"{HUB_ID} test row {index}: unexpected content {dict(row)!r}")
    return Item(
        item_key=str(index),
        question=question,
        gold=str(number),
    )


def exemplar_from_hub_row(row: Mapping[str, Any], words: Words) -> Exemplar:
    """A hub train row -> Exemplar. The hub's question / answer start with the localized
    "Question:" / "Step-by-Step Answer:"; a copy without them gets them added."""
    return Exemplar(
        question=_with_prefix(str(row["question"]), words.question_prefix),
        answer=_with_prefix(str(row["answer"]), words.cot_answer_prefix),
        number=int(row["answer_number"]),
    )


def _with_prefix(text: str, prefix: str) -> str:
    return text if text.startswith(prefix.rstrip()) else prefix + text


def _hub_rows(dataset: str, language: str, split: str) -> list[Mapping[str, Any]]:
    try:
        import datasets  # heavy: imported only when the hub is actually used

        return list(datasets.load_dataset(dataset, language, split=split))
    except Exception as exc:  # any failure to fetch is a data problem with one remedy
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise DataError(
            f"could not load MGSM from the hub ({dataset}, {language}, {split}): {reason};"
            f" download the files and pass --data-dir / XBENCH_DATA_DIR (see {CARD})"
        ) from exc
