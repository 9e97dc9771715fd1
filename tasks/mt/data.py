"""Loading the MT test sets as aligned (source, reference) items.

NTREX-128 (data_cards/ntrex128.md)
  local: `<data-dir>/ntrex128/newstest2019-src.eng.txt` and `newstest2019-ref.<code>.txt`
         (NTREX-128/ of MicrosoftTranslator/NTREX, byte for byte; CRLF; 1997 lines each) and
         optionally `DOCUMENT_IDS.tsv` (one document id per line).
  public: the same files from GitHub at a pinned commit, downloaded once into the user cache.
FLORES+ (data_cards/flores_plus.md)
  local: `<data-dir>/flores_plus/<split>/<config>.parquet` (a snapshot of the hub repo:
         `huggingface-cli download openlanguagedata/flores_plus --repo-type dataset
         --local-dir <data-dir>/flores_plus`), or `<split>/<config>.txt`, one sentence a line.
  hub:   `openlanguagedata/flores_plus`, one config per language, splits dev / devtest (gated:
         accept the terms on the hub and log in first).

An item is one segment: `question` = the source sentence, `gold` = the reference,
`item_key` = the segment index (the same in every language: the sets are n-way parallel).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

from xbench.spec import DataError, Item, LoadContext

from . import optional
from .languages import NTREX_ENGLISH, NTREX_OF, flores_config

NTREX_CARD = "data_cards/ntrex128.md"
NTREX_REPO = "MicrosoftTranslator/NTREX"
NTREX_COMMIT = "8561f6a622db9edad1217683e5c83daefd8bb2bf"
NTREX_SEGMENTS = 1997
FLORES_CARD = "data_cards/flores_plus.md"
FLORES_HUB_ID = "openlanguagedata/flores_plus"
FLORES_SPLITS = {"dev": 997, "devtest": 1012}


def _pair(
    source: Sequence[str], target: Sequence[str], where: str, documents: Sequence[str] | None
) -> tuple[Item, ...]:
    if len(source) != len(target):
        raise DataError(f"{where}: {len(source)} source lines but {len(target)} reference lines")
    return tuple(
        Item(
            item_key=str(index),
            question=src,
            gold=tgt,
            fields=MappingProxyType({"document": documents[index]} if documents else {}),
        )
        for index, (src, tgt) in enumerate(zip(source, target, strict=True))
    )


def _read_lines(path: Path, card: str, expected: int | None) -> tuple[str, ...]:
    """One segment a line (CRLF or LF), UTF-8, no empty lines."""
    if not path.is_file():
        raise DataError(f"MT data file not found: {path}; see {card} for how to get it")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc}); see {card}") from exc
    # Split on "\n" only (not str.splitlines): a U+2028 inside a segment must not shift lines.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    for number, line in enumerate(lines, 1):
        if not line.strip():
            raise DataError(f"{path}:{number}: empty segment; see {card}")
    if expected is not None and len(lines) != expected:
        raise DataError(f"{path}: {len(lines)} lines, expected {expected}; see {card}")
    return tuple(lines)


# --- NTREX-128 ------------------------------------------------------------------------------


def ntrex_file(code: str) -> str:
    """The file name of an xbench code (`deu_Latn` -> newstest2019-ref.deu.txt)."""
    if code == "eng_Latn":
        return f"newstest2019-src.{NTREX_ENGLISH}.txt"
    return f"newstest2019-ref.{NTREX_OF[code]}.txt"


def load_ntrex(
    ctx: LoadContext, *, source: str, target: str, extra: optional.Extra | None = None
) -> Sequence[Item]:
    """Items of the direction source -> target (xbench codes), from `ctx.data_dir` or GitHub
    (kept in `ctx.cache_dir`)."""
    if (
        extra is not None
    ):  # optional metrics that cannot run here stop the run before any model loads
        extra.check()
    if ctx.data_dir is not None:
        return _load_ntrex(Path(ctx.data_dir) / "ntrex128", source, target)
    return _load_ntrex(None, source, target, _cache_root(ctx))


@functools.cache
def _load_ntrex(
    folder: Path | None, source: str, target: str, cache: Path | None = None
) -> tuple[Item, ...]:
    if folder is None:
        assert cache is not None
        folder = _download_ntrex(
            (ntrex_file(source), ntrex_file(target), "DOCUMENT_IDS.tsv"), cache
        )
    src = _ntrex_lines(folder, source)
    tgt = _ntrex_lines(folder, target)
    ids_path = folder / "DOCUMENT_IDS.tsv"
    documents = _read_lines(ids_path, NTREX_CARD, NTREX_SEGMENTS) if ids_path.is_file() else None
    return _pair(src, tgt, f"{folder} ({source} -> {target})", documents)


@functools.cache
def _ntrex_lines(folder: Path, code: str) -> tuple[str, ...]:
    return _read_lines(folder / ntrex_file(code), NTREX_CARD, NTREX_SEGMENTS)


def parallel_segments(
    corpus: str, codes: Sequence[str], data_dir: Path | None
) -> dict[str, tuple[str, ...]]:
    """{code: the corpus's segments} for n-way parallel use (the tokenizer tax): NTREX-128
    (`ntrex128`) or FLORES+ (`flores_plus_dev`, `flores_plus_devtest`), from `data_dir` or
    their public source (NTREX: GitHub, cached; FLORES+: the Hugging Face hub)."""
    if corpus == "ntrex128":
        if data_dir is not None:
            folder = Path(data_dir) / "ntrex128"
        else:
            from xbench import settings

            folder = _download_ntrex([ntrex_file(c) for c in codes], settings.cache_dir())
        return {c: _ntrex_lines(folder, c) for c in codes}
    split = corpus.removeprefix("flores_plus_")
    folder = Path(data_dir) / "flores_plus" if data_dir is not None else None
    return {c: _flores_lines(folder, split, c) for c in codes}


def _cache_root(ctx: LoadContext) -> Path:
    if ctx.cache_dir is not None:
        return Path(ctx.cache_dir)
    from xbench import settings

    return settings.cache_dir()


def _download_ntrex(names: Sequence[str], cache: Path) -> Path:
    """Fetch NTREX-128 files from GitHub at the pinned commit into the user cache (once)."""
    import urllib.error
    import urllib.request

    folder = cache / "ntrex128" / NTREX_COMMIT
    folder.mkdir(parents=True, exist_ok=True)
    for file_name in names:
        path = folder / file_name
        if path.is_file():
            continue
        url = f"https://raw.githubusercontent.com/{NTREX_REPO}/{NTREX_COMMIT}/NTREX-128/{file_name}"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                payload = response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise DataError(
                f"could not download {url} ({exc}); put a local copy under "
                f"<data-dir>/ntrex128/ and pass --data-dir (see {NTREX_CARD})"
            ) from exc
        partial = path.with_suffix(".part")
        partial.write_bytes(payload)
        partial.replace(path)
    return folder


# --- FLORES+ --------------------------------------------------------------------------------


def load_flores(
    ctx: LoadContext, *, split: str, source: str, target: str, extra: optional.Extra | None = None
) -> Sequence[Item]:
    if extra is not None:
        extra.check()
    folder = Path(ctx.data_dir) / "flores_plus" if ctx.data_dir is not None else None
    return _load_flores(folder, split, source, target)


@functools.cache
def _load_flores(folder: Path | None, split: str, source: str, target: str) -> tuple[Item, ...]:
    src, tgt = (_flores_lines(folder, split, code) for code in (source, target))
    where = f"{folder or FLORES_HUB_ID} {split} ({source} -> {target})"
    return _pair(src, tgt, where, None)


@functools.cache
def _flores_lines(folder: Path | None, split: str, code: str) -> tuple[str, ...]:
    config = flores_config(code)
    if folder is None:
        return _flores_hub(split, config)
    expected = FLORES_SPLITS[split]
    parquet = folder / split / f"{config}.parquet"
    if parquet.is_file():
        return _flores_parquet(parquet, expected)
    text = folder / split / f"{config}.txt"
    if text.is_file():
        return _read_lines(text, FLORES_CARD, expected)
    raise DataError(
        f"FLORES+ data file not found: {parquet} (or {text.name}); see {FLORES_CARD} for how "
        "to get it"
    )


def _flores_rows(rows: Sequence[dict], where: str, expected: int) -> tuple[str, ...]:
    """Rows (`id`, `text`) -> sentences ordered by id; ids must be 0..n-1 or 1..n."""
    try:
        ordered = sorted(rows, key=lambda row: int(row["id"]))
        texts = [row["text"] for row in ordered]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"{where}: expected columns id and text ({type(exc).__name__}: {exc}); "
            f"see {FLORES_CARD}"
        ) from exc
    for row, text in zip(ordered, texts, strict=True):
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{where}: empty text in row id {row['id']}; see {FLORES_CARD}")
        if "\n" in text:
            raise DataError(f"{where}: a line break in row id {row['id']}; see {FLORES_CARD}")
    if len(texts) != expected:
        raise DataError(f"{where}: {len(texts)} rows, expected {expected}; see {FLORES_CARD}")
    return tuple(texts)


def _flores_parquet(path: Path, expected: int) -> tuple[str, ...]:
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path, columns=["id", "text"]).to_pylist()
    except Exception as exc:  # pyarrow raises several types for bad files / missing columns
        raise DataError(f"{path}: not a FLORES+ parquet file ({exc}); see {FLORES_CARD}") from exc
    return _flores_rows(rows, str(path), expected)


def _flores_hub(split: str, config: str) -> tuple[str, ...]:
    import datasets

    try:
        rows = datasets.load_dataset(FLORES_HUB_ID, config, split=split)
    except Exception as exc:  # network, auth (gated repo), unknown config
        raise DataError(
            f"could not load {FLORES_HUB_ID} ({config}, {split}): {type(exc).__name__}: {exc}; "
            f"accept the dataset's terms on the hub and log in (huggingface-cli login), or pass "
            f"--data-dir with a local copy (see {FLORES_CARD})"
        ) from exc
    return _flores_rows(list(rows), f"{FLORES_HUB_ID} ({config}, {split})", FLORES_SPLITS[split])
