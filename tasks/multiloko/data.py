"""Loading MultiLoKo: the encrypted release archive, an unpacked folder, or a local copy.

Upstream ships everything in one archive, `benchmark_data.tar.xz.enc`, made with
`openssl enc -aes-256-cbc -pbkdf2 -iter 100000` and the password published in its README
("multiloko"). The file is "Salted__" + an 8-byte salt + the ciphertext; key and IV are
PBKDF2-HMAC-SHA256(password, salt, 100000) split 32 + 16 bytes (OpenSSL's defaults); the
plaintext is PKCS#7-padded tar.xz. We decrypt it in Python into the user cache
(`<cache>/multiloko/<sha256 prefix>/`), never into the repository.

Where the data comes from (`LoadContext.data_dir`, see data_cards/multiloko.md):
  - `<data-dir>/multiloko/benchmark_data/<language>/*.jsonl`: an unpacked folder;
  - `<data-dir>/multiloko/*.tar.xz.enc`: an archive (the official one, or the en/it subset of
    ../shared/data/multiloko), decrypted on first use;
  - no data dir: the official archive downloaded from GitHub (`RELEASE_URL`) into the cache.

Files inside `benchmark_data/`: `<language>/dev.jsonl` (local questions),
`<language>/dev_translated_{human,machine}_english.jsonl` (those translated into English),
`english/dev_translated_{human,machine}_<language>.jsonl` (English questions translated).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import lzma
import os
import shutil
import tarfile
import tempfile
import urllib.request
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

from xbench.spec import DataError, Item, LoadContext

from .scoring import normalized_forms

CARD = "data_cards/multiloko.md"
RELEASE_URL = "https://github.com/facebookresearch/multiloko/raw/main/benchmark_data.tar.xz.enc"
PASSWORD = "multiloko"  # published in the upstream README
ITERATIONS = 100_000
SPLIT = "dev"
_MAGIC = b"Salted__"


# --- the encrypted archive ------------------------------------------------------------------


def decrypt(blob: bytes, password: str = PASSWORD, *, where: str = "archive") -> bytes:
    """`openssl enc -d -aes-256-cbc -pbkdf2 -iter 100000` in Python: the tar.xz bytes."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if not blob.startswith(_MAGIC) or len(blob) < 32 or (len(blob) - 16) % 16:
        raise DataError(f"{where}: not an OpenSSL 'Salted__' AES-256-CBC file; see {CARD}")
    salt, body = blob[8:16], blob[16:]
    secret = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS, dklen=48)
    decryptor = Cipher(algorithms.AES(secret[:32]), modes.CBC(secret[32:])).decryptor()
    padded = decryptor.update(body) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DataError(
            f"{where}: could not decrypt (wrong password or corrupt file); see {CARD}"
        ) from None


def unpack(archive: Path, destination: Path, password: str = PASSWORD) -> Path:
    """Decrypt and extract `archive` into `destination` (created); returns `destination`."""
    try:
        blob = archive.read_bytes()
    except OSError as exc:
        raise DataError(f"{archive}: cannot read ({exc}); see {CARD}") from exc
    plain = decrypt(blob, password, where=str(archive))
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=destination.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r:xz") as tar:
            tar.extractall(staging, filter="data")
        if destination.exists():  # another process finished first
            return destination
        staging.rename(destination)
    except (tarfile.TarError, lzma.LZMAError, EOFError) as exc:
        raise DataError(
            f"{archive}: decrypted, but not a valid tar.xz ({exc}): wrong password or corrupt"
            f" file; see {CARD}"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination


def _cache_root() -> Path:
    from xbench.settings import cache_dir

    return cache_dir() / "multiloko"


def unpacked_archive(archive: Path) -> Path:
    """The cached unpacked copy of `archive` (decrypted on first use), keyed by its hash."""
    try:
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    except OSError as exc:
        raise DataError(f"{archive}: cannot read ({exc}); see {CARD}") from exc
    destination = _cache_root() / digest
    return destination if destination.is_dir() else unpack(archive, destination)


def download_release(url: str = RELEASE_URL) -> Path:
    """The official archive, downloaded once into the cache."""
    target = _cache_root() / "downloads" / url.rsplit("/", 1)[-1]
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DataError(
            f"could not download the MultiLoKo archive from {url} ({exc}); download it by hand"
            f" into <data-dir>/multiloko/ and pass --data-dir / XBENCH_DATA_DIR (see {CARD})"
        ) from exc
    os.replace(partial, target)
    return target


# --- finding the data -----------------------------------------------------------------------


@functools.cache
def data_root(data_dir: Path | None) -> Path:
    """The `benchmark_data` folder for a data dir (None: the downloaded official release)."""
    if data_dir is None:
        return _benchmark_data(unpacked_archive(download_release(RELEASE_URL)), RELEASE_URL)
    folder = Path(data_dir) / "multiloko"
    if (folder / "benchmark_data").is_dir():
        return folder / "benchmark_data"
    archives = sorted(folder.glob("*.tar.xz.enc"))
    if not archives:
        raise DataError(
            f"MultiLoKo data not found: no {folder / 'benchmark_data'} folder and no"
            f" *.tar.xz.enc archive in {folder}; see {CARD} for how to get it"
        )
    # The official archive wins over a partial copy when both are there.
    official = [a for a in archives if a.name == "benchmark_data.tar.xz.enc"]
    archive = (official or archives)[0]
    return _benchmark_data(unpacked_archive(archive), str(archive))


def _benchmark_data(unpacked: Path, origin: str) -> Path:
    root = unpacked / "benchmark_data"
    if not root.is_dir():
        raise DataError(f"{origin}: the archive holds no benchmark_data/ folder; see {CARD}")
    return root


def data_file(root: Path, language: str, kind: str) -> Path:
    """kind: "local", "to_en_human" / "to_en_machine", "from_en_human" / "from_en_machine"."""
    if kind == "local":
        return root / language / f"{SPLIT}.jsonl"
    if kind.startswith("to_en_"):
        return root / language / f"{SPLIT}_translated_{kind.removeprefix('to_en_')}_english.jsonl"
    if kind.startswith("from_en_"):
        who = kind.removeprefix("from_en_")
        return root / "english" / f"{SPLIT}_translated_{who}_{language}.jsonl"
    raise ValueError(f"unknown MultiLoKo partition kind {kind!r}")


# --- reading items --------------------------------------------------------------------------


def load_items(
    ctx: LoadContext, *, language: str, kind: str, content_language: str, normalization: str
) -> Sequence[Item]:
    """The items of one variant. `language` names the folder / file (upstream name);
    `content_language` is the language the questions are written in (for normalisation)."""
    data_dir = None if ctx.data_dir is None else Path(ctx.data_dir)
    path = data_file(data_root(data_dir), language, kind)
    return _usable_items(path, content_language, normalization)


@functools.cache
def read_file(path: Path) -> tuple[tuple[int, Item], ...]:
    """(line number, Item) for every row; targets as given (blank ones included)."""
    if not path.is_file():
        raise DataError(
            f"MultiLoKo data file not found: {path} (a partial copy lacks it?); see {CARD}"
        )
    rows: list[tuple[int, Item]] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc}); see {CARD}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = _item(line, f"{path}:{number}")
        if item.item_key in seen:
            raise DataError(f"{path}:{number}: duplicate id {item.item_key!r}; see {CARD}")
        seen.add(item.item_key)
        rows.append((number, item))
    return tuple(rows)


def _item(line: str, where: str) -> Item:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: not valid JSON ({exc}); see {CARD}") from None
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected a JSON object; see {CARD}")
    question, targets, key = row.get("question"), row.get("targets"), row.get("id")
    output_type = row.get("output_type", "")
    if not isinstance(key, str) or not key:
        raise DataError(f"{where}: missing or empty 'id'; see {CARD}")
    if not isinstance(question, str) or not question.strip():
        raise DataError(f"{where}: missing or empty 'question'; see {CARD}")
    if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
        raise DataError(f"{where}: 'targets' must be a non-empty list of strings; see {CARD}")
    if not isinstance(output_type, str):
        raise DataError(f"{where}: 'output_type' must be a string; see {CARD}")
    return Item(
        item_key=key,
        question=question,
        gold=" | ".join(targets),
        fields=MappingProxyType({"targets": tuple(targets), "output_type": output_type}),
    )


class EmptyGoldWarning(UserWarning):
    """Some gold answers normalise to empty; they were dropped (reported, never scored)."""


@functools.cache
def _usable_items(path: Path, language: str, normalization: str) -> tuple[Item, ...]:
    """Drop the gold answers that normalise to empty and report them; an item left with none
    is a DataError (upstream would have scored an empty answer as correct on it)."""
    items, dropped, unusable = [], [], []
    where = str(path)
    for number, item in read_file(path):
        targets = tuple(
            t for t in item.fields["targets"] if normalized_forms(t, language, normalization)
        )
        if not targets:
            unusable.append(f"{where}:{number} ({item.item_key})")
            continue
        if len(targets) < len(item.fields["targets"]):
            dropped.append(item.item_key)
            fields = {**item.fields, "targets": targets, "dropped_empty_targets": True}
            item = Item(item.item_key, item.question, " | ".join(targets), MappingProxyType(fields))
        items.append(item)
    if unusable:
        raise DataError(
            f"{len(unusable)} MultiLoKo item(s) have no gold answer that survives"
            f" {normalization} normalisation: {', '.join(unusable)}; see {CARD}"
        )
    if dropped:
        warnings.warn(
            f"{where}: {len(dropped)} item(s) had gold answers that normalise to empty"
            f" ({normalization}); those answers are not scored against: {', '.join(dropped)}",
            EmptyGoldWarning,
            stacklevel=2,
        )
    return tuple(items)


def empty_gold_report(ctx: LoadContext, **variant: str) -> list[str]:
    """The ids of a variant's items whose gold list lost an empty-normalising answer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyGoldWarning)
        items = load_items(ctx, **variant)
    return [item.item_key for item in items if item.fields.get("dropped_empty_targets")]
