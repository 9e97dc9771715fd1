"""The tokenizer tax: how many more tokens a model's tokenizer spends on the same text in
another language (no generation needed).

Over n-way parallel text (NTREX-128: the same 1,997 news sentences in every language), for each
language L of the tokenizer `tok`:

    premium_L        = Σ_s |tok(s_L)| / Σ_s |tok(s_eng)|          (English = 1.0)
    fertility_L      = Σ_s |tok(s_L)| / Σ_s words(s_L)             (tokens per word), or
                       Σ_s |tok(s_L)| / Σ_s chars(s_L)             for scripts written without
                                                                   spaces between words
    bytes_per_token_L = Σ_s bytes(s_L) / Σ_s |tok(s_L)|            (UTF-8 bytes)

The premium is Petrov et al. (NeurIPS 2023), "Language Model Tokenizers Introduce Unfairness
Between Languages"; fertility is Rust et al. (ACL 2021), "How Good is Your Tokenizer?". Tokens
are counted without special tokens (no BOS/EOS), so a sentence's count is its text's alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import XbenchError

ENGLISH = "eng_Latn"
# Scripts written without spaces between words: fertility per character there (a "word" would
# be a whole clause). ISO 15924 codes.
UNSPACED_SCRIPTS = frozenset({"Hans", "Hant", "Hani", "Jpan", "Thai", "Khmr", "Laoo", "Mymr", "Tibt"})  # fmt: skip
CORPORA = ("ntrex128", "flores_plus_dev", "flores_plus_devtest")


@dataclass(frozen=True)
class LanguageTokens:
    """One language's counts over the corpus, and the ratios made from them."""

    language: str
    segments: int
    tokens: int
    words: int
    characters: int
    bytes: int
    fertility: float
    fertility_unit: str  # "word" or "character"
    bytes_per_token: float
    premium: float | None  # None when English is not measured alongside

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(
    count: Callable[[Sequence[str]], Sequence[int]], texts: Mapping[str, Sequence[str]]
) -> list[LanguageTokens]:
    """Counts and ratios per language of `texts` ({language: aligned segments}); `count`
    gives the token count of each segment of a list. English first, then as given."""
    lengths = {len(segments) for segments in texts.values()}
    if len(lengths) > 1:
        raise XbenchError(
            f"parallel text must have the same number of segments in every language, not "
            f"{sorted(lengths)}; use an n-way parallel corpus (ntrex128)"
        )
    tokens = {}
    for language, segments in texts.items():
        if not segments:
            raise XbenchError(f"no {language} segments to tokenize; check the corpus")
        tokens[language] = sum(int(n) for n in count(list(segments)))
        if tokens[language] <= 0:
            raise XbenchError(f"the tokenizer gave no tokens for {language}: check the tokenizer")
    english = tokens.get(ENGLISH)
    out = []
    for language in sorted(texts, key=lambda c: c != ENGLISH):
        segments, n = texts[language], tokens[language]
        unit = "character" if language.rpartition("_")[2] in UNSPACED_SCRIPTS else "word"
        words = sum(len(s.split()) for s in segments)
        characters = sum(len("".join(s.split())) for s in segments)  # spaces are not counted
        n_bytes = sum(len(s.encode("utf-8")) for s in segments)
        out.append(LanguageTokens(
            language=language, segments=len(segments), tokens=n, words=words,
            characters=characters, bytes=n_bytes,
            fertility=n / (characters if unit == "character" else words), fertility_unit=unit,
            bytes_per_token=n_bytes / n, premium=None if english is None else n / english,
        ))  # fmt: skip
    return out


# --- which tokenizer a model has ---------------------------------------------------------------


def tokenizer_source(model: Any, explicit: str | None = None) -> tuple[str, dict[str, str]]:
    """Where a resolved `--model` (ModelSpec) keeps its tokenizer: a hub id or folder, and the
    `from_pretrained` options (revision). `explicit` (`--tokenizer`) wins. A model whose
    tokenizer cannot be loaded here is a clear error naming `--tokenizer`."""
    if explicit:
        return explicit, {}
    options = dict(model.options)
    revision = {"revision": options["revision"]} if options.get("revision") else {}
    from ..models.gguf import GGUF_MODELS

    if model.kind in GGUF_MODELS:
        return str(GGUF_MODELS[model.kind].converted()), {}
    if model.kind in ("hf", "vllm", "sglang") and model.target:
        return str(Path(model.target).expanduser()) if Path(model.target).expanduser().exists() \
            else model.target, revision  # fmt: skip
    if model.kind == "local" and options.get("tokenizer"):
        return options["tokenizer"], {}
    if model.kind == "lm-eval" and (options.get("tokenizer") or options.get("pretrained")):
        return options.get("tokenizer") or options["pretrained"], revision
    raise XbenchError(
        f"model {model.spec!r} has no tokenizer xbench can load (a {model.kind} model); pass "
        "--tokenizer with its tokenizer's hub id or a local copy, e.g. "
        "--tokenizer HuggingFaceTB/SmolLM2-135M-Instruct"
    )


def not_loaded(what: str, source: str, exc: BaseException, how: str = "") -> XbenchError:
    """The one-line error for a hub id or folder that transformers could not load."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return XbenchError(
        f"cannot load {what} {source!r} ({first[:200]}); give a hub id that exists (and "
        f"network, or a copy in the Hugging Face cache) or a local folder{how}"
    )


def load_counter(source: str, options: Mapping[str, str]) -> Callable[[Sequence[str]], list[int]]:
    """The token counter of a transformers tokenizer (a hub id or a folder)."""
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise XbenchError("measuring tokenizers needs transformers: pip install xbench") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **options)
    except (OSError, ValueError) as exc:
        raise not_loaded("the tokenizer", source, exc, " with --tokenizer") from None

    def count(segments: Sequence[str]) -> list[int]:
        encoded = tokenizer(list(segments), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    return count


# --- the parallel text -------------------------------------------------------------------------


def parallel_text(
    languages: Sequence[str], corpus: str = "ntrex128", data_dir: str | Path | None = None,
    limit: int | None = None,
) -> dict[str, list[str]]:  # fmt: skip
    """{language: the corpus's aligned segments} (the first `limit`), English always included;
    from `data_dir` or the corpus's public source. `languages` in any form (codes, names)."""
    from xbench_tasks import mt
    from xbench_tasks.mt import data

    from .. import languages as langs

    if limit is not None and limit < 1:
        raise XbenchError("--limit must be at least 1")
    languages = langs.require(languages)

    sets = mt.language_sets()
    if corpus not in sets:
        raise XbenchError(f"unknown corpus {corpus!r}; choose one of {', '.join(sets)}")
    available = {*sets[corpus], ENGLISH}
    missing = [c for c in languages if c not in available]
    if missing:
        raise XbenchError(
            f"{corpus} has no {', '.join(missing)} here; its languages: "
            f"{', '.join(sorted(available))}"
        )
    wanted = [ENGLISH, *dict.fromkeys(c for c in languages if c != ENGLISH)]
    lines = data.parallel_segments(corpus, wanted, Path(data_dir) if data_dir else None)
    return {c: list(lines[c][:limit] if limit else lines[c]) for c in wanted}


def measured_model(model: str, model_name: str | None) -> tuple[Any, str]:
    """(the resolved `--model`, the name to store it under) for a command that reads a model
    without generating: its kind's checks (an API key) are skipped."""
    from .. import plugins, settings
    from ..runner import _model_name

    registry = plugins.load_registry([], [], cache_dir=settings.cache_dir())
    spec = registry.resolve_model(model, check=False)
    return spec, _model_name(model_name, registry.models[spec.kind].display_name(spec))


def run(
    model: str, languages: Sequence[str], *, tokenizer: str | None = None,
    corpus: str = "ntrex128", data_dir: str | Path | None = None, limit: int | None = None,
    db: str | Path | None = None, model_name: str | None = None, store: bool = True,
) -> tuple[str, str, list[LanguageTokens]]:  # fmt: skip
    """`xbench tokenizers`: measure `model`'s tokenizer on `languages` (codes in any form),
    store one row per language; returns (model name, tokenizer source, rows)."""
    from .. import settings

    spec, name = measured_model(model, model_name)
    texts = parallel_text(languages, corpus, settings.data_dir(data_dir), limit)
    source, options = tokenizer_source(spec, tokenizer)
    rows = measure(load_counter(source, options), texts)
    if store:
        from ..store import Store

        Store(settings.db_path(db)).save_tokenizer_stats(name, source, corpus, rows)
    return name, source, rows
