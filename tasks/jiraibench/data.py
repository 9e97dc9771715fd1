"""Loading JiraiBench from a local copy of the authors' release. There is no public source.

Layout: `<data-dir>/jiraibench/` holding one or more `.xlsx`, `.csv` or `.jsonl` files; every
file is read (a release split by language works as well as one file). The gold schema is not
confirmed by a primary source (see data_cards/jiraibench.md), so every file is validated:

  text              the post                                  (also: content, post)
  language          zh or ja (or zho_Hans / jpn_Jpan)         (also: lang)
  overdose          0, 1 or 2                                 (also: od, drug_overdose)
  eating_disorder   0, 1 or 2                                 (also: ed)
  self_harm         0, 1 or 2                                 (also: sh)
  id                optional, unique; else "<file name>:<line>" is the item key

Labels: 0 = not concerning, 1 = first person, 2 = third party. Column names are matched
without regard to case, spaces and hyphens ("Self-Harm" is self_harm). csv files are UTF-8
(a BOM is fine) with a header line; xlsx files are read from their first sheet, header in
row 1, and errors name the sheet row as the line; jsonl files hold one object per line.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from xbench.spec import DataError, Item, LoadContext

from .prompts import CATEGORIES
from .scoring import format_gold

CARD = "data_cards/jiraibench.md"
PAPER = "arXiv:2503.21679"
SUFFIXES = (".xlsx", ".csv", ".jsonl")
LANGUAGE_VALUES = {"zh": "zh", "zho_hans": "zh", "ja": "ja", "jpn_jpan": "ja"}
LABEL_MEANINGS = "0 (not concerning), 1 (first person) or 2 (third party)"

# Canonical column -> the names accepted for it (after `_canonical`).
COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "post"),
    "language": ("language", "lang"),
    "overdose": ("overdose", "od", "drug_overdose"),
    "eating_disorder": ("eating_disorder", "ed"),
    "self_harm": ("self_harm", "sh"),
    "id": ("id",),
}
REQUIRED = ("text", "language", *CATEGORIES)
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
EXPECTED = (
    "expected columns text, language (zh or ja), overdose, eating_disorder, self_harm"
    f" (each {LABEL_MEANINGS}) and optionally id; also accepted: content/post for text,"
    " lang for language, od/drug_overdose, ed, sh for the labels"
)


def load_items(ctx: LoadContext, *, language: str) -> Sequence[Item]:
    """The items whose content language is `language` (zh or ja), from `ctx.data_dir`."""
    if ctx.data_dir is None:
        raise DataError(
            "JiraiBench has no public source: pass --data-dir / XBENCH_DATA_DIR with the"
            f" authors' release under <data-dir>/jiraibench/ (request it from the authors of"
            f" {PAPER}; see {CARD})"
        )
    return load_language(Path(ctx.data_dir), language)


@functools.cache
def load_language(data_dir: Path, language: str) -> tuple[Item, ...]:
    items = tuple(item for item in load_all(data_dir) if item.fields["language"] == language)
    if not items:
        files = ", ".join(str(path) for path in data_files(data_dir))
        raise DataError(f"no JiraiBench rows with language {language!r} in {files}; see {CARD}")
    return items


def data_files(data_dir: Path) -> list[Path]:
    folder = data_dir / "jiraibench"
    files = sorted(
        path
        for path in folder.glob("*")
        if path.suffix.lower() in SUFFIXES
        and path.is_file()
        and not path.name.startswith((".", "~$"))
    )
    if not files:
        raise DataError(
            f"JiraiBench data not found: no .xlsx, .csv or .jsonl file in {folder}. The data is"
            f" not public: request it from the authors of {PAPER} (Xiao et al. 2025) and put"
            f" their release there; see {CARD}"
        )
    return files


@functools.cache
def load_all(data_dir: Path) -> tuple[Item, ...]:
    items: list[Item] = []
    seen: dict[str, str] = {}
    for path in data_files(data_dir):
        for where, row in _rows(path):
            item = _item(row, where, path)
            if item.item_key in seen:
                raise DataError(
                    f"{where}: id {item.item_key!r} already used at {seen[item.item_key]};"
                    f" see {CARD}"
                )
            seen[item.item_key] = where
            items.append(item)
    return tuple(items)


# --- reading the three formats ----------------------------------------------------------------


def _canonical(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip()).lower()


def _header(names: Sequence[object], where: str) -> dict[str, int]:
    """Canonical column -> its index; raises on missing or doubled columns."""
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        column = _ALIASES.get(_canonical(name)) if name is not None else None
        if column is None:
            continue
        if column in positions:
            raise DataError(
                f"{where}: two columns for {column!r} ({names[positions[column]]!r} and"
                f" {name!r}); {EXPECTED}; see {CARD}"
            )
        positions[column] = index
    missing = [column for column in REQUIRED if column not in positions]
    if missing:
        found = [str(name) for name in names if name is not None]
        raise DataError(
            f"{where}: missing column(s) {', '.join(missing)} (found: {', '.join(found) or 'none'});"
            f" {EXPECTED}; see {CARD}"
        )
    return positions


def _rows(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, {canonical column: raw value}) for every data row of `path`."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _csv_rows(path)
    elif suffix == ".jsonl":
        yield from _jsonl_rows(path)
    else:
        yield from _xlsx_rows(path)


def _csv_rows(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file)
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path}: empty file; {EXPECTED}; see {CARD}")
            positions = _header(header, f"{path}:1")
            for row in reader:
                where = f"{path}:{reader.line_num}"
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise DataError(
                        f"{where}: {len(row)} fields, the header has {len(header)}; see {CARD}"
                    )
                yield where, {column: row[index] for column, index in positions.items()}
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc}); save it as UTF-8 csv; see {CARD}") from exc
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: {exc}; see {CARD}") from exc


def _jsonl_rows(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc}); see {CARD}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not JSON ({exc.msg}); see {CARD}") from exc
        if not isinstance(obj, dict):
            raise DataError(f"{where}: expected a JSON object per line; {EXPECTED}; see {CARD}")
        keys = list(obj)
        positions = _header(keys, where)
        yield where, {column: obj[keys[index]] for column, index in positions.items()}


def _xlsx_rows(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    try:
        import openpyxl  # imported only when an xlsx file is read
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise DataError(f"{path}: reading xlsx needs openpyxl (pip install openpyxl)") from exc
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip / XML errors of a broken or mislabelled file
        raise DataError(
            f"{path}: not a readable xlsx file ({type(exc).__name__}: {exc}); see {CARD}"
        ) from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise DataError(f"{path}: empty first sheet; {EXPECTED}; see {CARD}")
        positions = _header(list(header), f"{path}:1")
        for number, row in enumerate(rows, start=2):
            if all(cell is None or str(cell).strip() == "" for cell in row):
                continue
            cells = list(row) + [None] * (len(header) - len(row))
            yield f"{path}:{number}", {column: cells[index] for column, index in positions.items()}
    finally:
        book.close()


# --- validating one row -----------------------------------------------------------------------


def _item(row: Mapping[str, Any], where: str, path: Path) -> Item:
    text = row["text"]
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: column 'text' is empty or not text ({text!r}); see {CARD}")
    language = LANGUAGE_VALUES.get(str(row["language"]).strip().lower())
    if language is None:
        raise DataError(
            f"{where}: column 'language' is {row['language']!r}; expected zh or ja"
            f" (or zho_Hans / jpn_Jpan); see {CARD}"
        )
    labels = {category: _label(row[category], category, where) for category in CATEGORIES}
    raw_id = row.get("id")
    has_id = raw_id is not None and str(raw_id).strip() != ""
    key = _id_text(raw_id) if has_id else f"{path.name}:{where.rpartition(':')[2]}"
    return Item(
        item_key=key,
        question=text,
        gold=format_gold(labels),
        fields=MappingProxyType({"language": language, "labels": MappingProxyType(labels)}),
    )


def _label(value: Any, category: str, where: str) -> int:
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[0-9]+(?:\.0+)?\s*", value):
        number = float(value)
    if number is None or number not in (0, 1, 2):
        raise DataError(
            f"{where}: column {category!r} is {value!r}; expected {LABEL_MEANINGS}; see {CARD}"
        )
    return int(number)


def _id_text(value: Any) -> str:
    """Ids as text; a float id from a spreadsheet (12.0) is the integer 12."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
