"""MGSM (Shi et al. 2022): 250 grade-school math problems in 11 languages, three prompt modes.

Variants: {mgsm_direct, mgsm_native_cot, mgsm_en_cot} x {bn de en es fr ja ru sw te th zh}.
See data_cards/mgsm.md for the data and its caveats.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from xbench.languages import SHORT_CODES
from xbench.spec import TaskSpec

from .data import HUB_ID, exemplars_for, load_items
from .prompts import (
    ENGLISH,
    LANGUAGES,
    MAX_FEWSHOT,
    MODES,
    Mode,
    reference_response,
    render_prompt,
    stop_sequences,
)
from .scoring import score_response

BENCHMARK = "mgsm"
VERSION = "2"  # bump whenever prompts, parsing or data handling change (2: xbench.phrases)


def register_tasks(register: Callable[[TaskSpec], None]) -> None:
    """Register the 33 MGSM variants (3 modes x 11 languages)."""
    for spec in build_specs():
        register(spec)


def build_specs() -> list[TaskSpec]:
    return [_spec(mode, language) for mode in MODES for language in LANGUAGES]


def _spec(mode: Mode, language: str) -> TaskSpec:
    content = LANGUAGES[language]
    prompt = ENGLISH if mode.english_prompt else content
    return TaskSpec(
        benchmark=BENCHMARK,
        task=mode.task,
        language=SHORT_CODES[language],
        prompt_language=SHORT_CODES[prompt.short],
        partition="original" if language == "en" else "human_translated",
        # Every MGSM problem is a GSM8K (English) problem; the others are human translations.
        origin_language=None if language == "en" else SHORT_CODES["en"],
        # Native and English chain-of-thought differ only in the prompt language.
        family="mgsm_cot" if mode.chain_of_thought else mode.task,
        comparable_answers=True,  # answers are numbers in every language
        romanizable=True,  # `--romanized`: the problem in Latin letters, the same answer
        version=VERSION,
        source=f"hub:{HUB_ID} (or <data-dir>/mgsm/mgsm_{language}.tsv)",
        load=functools.partial(load_items, language=language),
        render=functools.partial(render_prompt, mode=mode, words=prompt, exemplars=exemplars_for),
        # Direct prompts end on the answer prefix, so the response itself is the answer.
        score=functools.partial(
            score_response, language=language, answer_implied=not mode.chain_of_thought
        ),
        until=stop_sequences(mode, content, prompt),
        max_gen_toks=mode.max_gen_toks,
        max_fewshot=MAX_FEWSHOT,
        reference_response=functools.partial(reference_response, mode=mode, words=prompt),
        description=mode.description,
    )
