"""MultiLoKo (Hupkes & Bogoychev 2025): local-knowledge QA in 31 languages, dev split.

Variants (task.language), all of benchmark and family "multiloko", so that the store's
mother-tongue and locality effects pair them:
  - `multiloko_local.<L>`: the questions written in L (partition original);
  - `multiloko_<name>_to_en_{human,machine}.eng_Latn`: L's questions translated into English
    (origin_language L; `<name>` is upstream's language name, e.g. `simplified_mandarin`, so
    that the 30 origins get 30 task names in one language);
  - `multiloko_from_en_{human,machine}.<L>`: the English questions translated into L
    (origin_language eng_Latn).
Each has an opt-in twin `<task>_norm2`, benchmark and family "multiloko_norm2", scored with
upstream's later, richer normalisation (`--tasks multiloko` selects only the default set).
num_fewshot 0 gives the chat prompt, 1..5 the few-shot prompt. See data_cards/multiloko.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from xbench.spec import TaskSpec

from .data import CARD, load_items
from .prompts import (
    ENGLISH,
    LANGUAGES,
    MAX_FEWSHOT,
    reference_response,
    render_prompt,
    stop_sequences,
)
from .scoring import score_response

BENCHMARK = "multiloko"
VERSION = "2"  # bump whenever prompts, parsing or data handling change (2: xbench.phrases)
KINDS = ("local", "to_en_human", "to_en_machine", "from_en_human", "from_en_machine")
NORM2_SUFFIX = "_norm2"


def register_tasks(register: Callable[[TaskSpec], None]) -> None:
    """Register every MultiLoKo variant (31 local + 60 into English + 60 from English, x2)."""
    for spec in build_specs():
        register(spec)


def build_specs() -> list[TaskSpec]:
    specs = []
    for normalization in ("v1", "v2"):
        for name in LANGUAGES:
            for kind in KINDS:
                if kind == "local" or name != ENGLISH.name:
                    specs.append(_spec(name, kind, normalization))
    return specs


def task_name(name: str, kind: str, normalization: str = "v1") -> str:
    suffix = NORM2_SUFFIX if normalization == "v2" else ""
    if kind.startswith("to_en_"):
        return f"multiloko_{name}_{kind}{suffix}"
    return f"multiloko_{kind}{suffix}"


def _spec(name: str, kind: str, normalization: str) -> TaskSpec:
    """One variant. `name` is the upstream language whose folder / file holds the data."""
    language = LANGUAGES[name]
    into_english = kind.startswith("to_en_")
    content = ENGLISH if into_english else language  # prompts are in the content language
    if kind == "local":
        partition, origin = "original", None
    else:
        partition = "human_translated" if kind.endswith("_human") else "machine_translated"
        origin = language.code if into_english else ENGLISH.code
    described = {
        "local": f"questions written in {name}",
        "to_en_human": f"{name} questions translated into English by humans",
        "to_en_machine": f"{name} questions machine-translated into English",
        "from_en_human": f"English questions translated into {name} by humans",
        "from_en_machine": f"English questions machine-translated into {name}",
    }[kind]
    return TaskSpec(
        benchmark=BENCHMARK + (NORM2_SUFFIX if normalization == "v2" else ""),
        task=task_name(name, kind, normalization),
        language=content.code,
        prompt_language=content.code,
        partition=partition,
        origin_language=origin,
        family=BENCHMARK + (NORM2_SUFFIX if normalization == "v2" else ""),
        version=f"{VERSION}-{normalization}",
        source="release benchmark_data.tar.xz.enc (decrypted to the cache) or <data-dir>/multiloko/",
        load=functools.partial(
            load_items,
            language=name,
            kind=kind,
            content_language=content.name,
            normalization=normalization,
        ),
        render=functools.partial(render_prompt, language=content.name),
        score=functools.partial(
            score_response,
            prompt_language=content.name,
            content_language=content.name,
            normalization=normalization,
        ),
        until=stop_sequences(content.name),
        max_gen_toks=64,
        max_fewshot=MAX_FEWSHOT,
        metric="exact_match",
        romanizable=True,  # `--romanized`: the question in Latin letters, the same gold answer
        reference_response=functools.partial(reference_response, language=content.name),
        description=f"MultiLoKo dev, {described} ({normalization} normalisation; {CARD})",
    )
