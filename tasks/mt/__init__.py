"""Machine translation on n-way parallel test sets: NTREX-128 and FLORES+ (dev, devtest).

Variant names (`task.language`, see data_cards/ntrex128.md):
  <set>_<style>_en-x.<X>       English -> X     (language = X, the target)
  <set>_<style>_x-en.<X>       X -> English     (language = X, the source)
  <set>_<style>_<S>-x.<X>      S -> X, on request (language = X, the target)
with <set> in {ntrex128, flores_plus_dev, flores_plus_devtest} and <style> in {chat, base}.
`language` is always the non-English side, so `--languages de` picks both directions and the
per-language views line up; `source_language` / `target_language` say the direction. All
variants of one set and style share the family `<set>_<style>`, so `direction_asymmetry`
pairs en->X with X->en.

Options (`--task-arg mt.<option>=<value>`, also for `xbench tasks`):
  pairs=deu_Latn-fra_Latn,jpn_Jpan-kor_Hang   extra X -> Y pairs, neither English (both sets and
                                               styles); or call `pair_specs` from a plugin
  flores_languages=glg_Latn,ast_Latn          more FLORES+ languages (FLORES+ config names)
  extra_metrics=spBLEU,COMET, comet_model=PATH optional metrics (see optional.py)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from xbench.spec import DataError, PluginContext, TaskSpec

from . import data, languages, optional
from .languages import ENGLISH, FLORES_DEFAULT, NTREX
from .prompts import STYLES, Style, reference_response, render, stop_sequences
from .scoring import METRICS, PRIMARY_METRIC, SENTENCE_METRIC, corpus_metrics, score_response

BENCHMARK = "mt"
VERSION = "1"  # bump whenever prompts, parsing, metrics or data handling change
MAX_GEN_TOKS = 256


def register_tasks(register: Callable[[TaskSpec], None], context: PluginContext) -> None:
    """en->X and X->en for every language of both test sets, both prompt styles, plus the
    X->Y pairs of the `pairs` option."""
    extra = optional.Extra.parse(context.option("extra_metrics"), context.option("comet_model"))
    for spec in build_specs(
        pairs=context.option("pairs", "") or "",
        flores_languages=context.option("flores_languages", "") or "",
        extra=extra,
    ):
        register(spec)


def build_specs(
    *, pairs: str = "", flores_languages: str = "", extra: optional.Extra | None = None
) -> list[TaskSpec]:
    extra = extra or optional.Extra()
    sets = language_sets(flores_languages)
    specs = []
    for test_set, codes in sets.items():
        for style in STYLES:
            for code in codes:
                specs.append(_spec(test_set, style, ENGLISH, code, extra))
                specs.append(_spec(test_set, style, code, ENGLISH, extra))
    specs.extend(pair_specs(parse_pairs(pairs), sets, extra))
    return specs


def language_sets(flores_languages: str = "") -> dict[str, tuple[str, ...]]:
    """Test set -> its non-English languages (xbench codes)."""
    flores = tuple(dict.fromkeys((*FLORES_DEFAULT, *_codes(flores_languages))))
    ntrex = tuple(language.code for language in NTREX.values())
    return {
        "ntrex128": ntrex,
        **{f"flores_plus_{split}": flores for split in data.FLORES_SPLITS},
    }


def parse_pairs(value: str) -> list[tuple[str, str]]:
    """ "deu_Latn-fra_Latn, jpn_Jpan-kor_Hang" -> [(deu_Latn, fra_Latn), (jpn_Jpan, kor_Hang)]."""
    pairs = []
    for raw in _codes(value):
        source, sep, target = raw.partition("-")
        if not sep or not source or not target or source == target:
            raise DataError(f"--task-arg mt.pairs: {raw!r} is not a pair like deu_Latn-fra_Latn")
        pairs.append((source, target))
    return pairs


def pair_specs(
    pairs: Iterable[tuple[str, str]],
    sets: dict[str, tuple[str, ...]] | None = None,
    extra: optional.Extra | None = None,
) -> list[TaskSpec]:
    """Variants for source -> target pairs without English, in every test set and style that
    has both languages. A pair that no test set has raises (at registration)."""
    sets = language_sets() if sets is None else sets
    specs = []
    for source, target in pairs:
        if ENGLISH in (source, target):
            raise DataError(f"mt.pairs: {source}-{target}: English pairs are registered already")
        found = [name for name, codes in sets.items() if {source, target} <= set(codes)]
        if not found:
            raise DataError(f"mt.pairs: no MT test set has both {source} and {target}")
        specs.extend(
            _spec(name, style, source, target, extra or optional.Extra())
            for name in found
            for style in STYLES
        )
    return specs


def task_name(test_set: str, style: Style, source: str, target: str) -> str:
    if source == ENGLISH:
        direction = "en-x"
    elif target == ENGLISH:
        direction = "x-en"
    else:
        direction = f"{source}-x"
    return f"{test_set}_{style.key}_{direction}"


def _spec(test_set: str, style: Style, source: str, target: str, extra: optional.Extra) -> TaskSpec:
    if test_set == "ntrex128":
        load = functools.partial(data.load_ntrex, source=source, target=target, extra=extra)
        where = f"github:{data.NTREX_REPO}@{data.NTREX_COMMIT[:7]} (or <data-dir>/ntrex128/)"
    else:
        split = test_set.removeprefix("flores_plus_")
        load = functools.partial(
            data.load_flores, split=split, source=source, target=target, extra=extra
        )
        where = f"hub:{data.FLORES_HUB_ID} {split} (or <data-dir>/flores_plus/{split}/)"
    return TaskSpec(
        benchmark=BENCHMARK,
        task=task_name(test_set, style, source, target),
        language=source if target == ENGLISH else target,
        prompt_language=ENGLISH,
        # The source sentences were written in English; every other side is a translation.
        partition="original" if source == ENGLISH else "human_translated",
        origin_language=ENGLISH,
        source_language=source,
        target_language=target,
        family=f"{test_set}_{style.key}",
        version=VERSION,
        source=where,
        load=load,
        render=functools.partial(render, style=style, source=source, target=target),
        score=functools.partial(score_response, target=target),
        until=stop_sequences(style, source, target),
        max_gen_toks=MAX_GEN_TOKS,
        metric=SENTENCE_METRIC,
        primary_metric=PRIMARY_METRIC,
        metrics=METRICS,
        romanizable=True,  # `--romanized` romanizes the source of X->en (never English input)
        corpus_metrics=functools.partial(corpus_metrics, target=target, extra=extra),
        reference_response=functools.partial(reference_response, style=style),
        description=(
            f"{languages.name(source)} -> {languages.name(target)} on {test_set}: "
            f"{style.description}"
        ),
    )


def _codes(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
