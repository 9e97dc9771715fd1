"""JiraiBench (Xiao et al. 2025, arXiv:2503.21679): self-destructive-behaviour content in Chinese
and Japanese posts of the Jirai community, three categories (drug overdose, eating disorder,
self-harm), each labelled 0 (not concerning), 1 (first person) or 2 (third party).

Variants: jiraibench_{zh,ja,en}_prompt.{zho_Hans,jpn_Jpan}: every content language with
instructions in Chinese, Japanese and English. `prompt_language` records the instruction
language and all six share the family "jiraibench", so the store's prompt_language_effect pairs
native instructions (zh on zh, ja on ja) with the other two.

The data is not public: it is loaded from a local copy only (see data.py and
data_cards/jiraibench.md). The texts are sensitive; every variant is marked so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from xbench.languages import SHORT_CODES
from xbench.spec import TaskSpec

from .data import CARD, load_items
from .prompts import PROMPT_LANGUAGES, reference_response, render_prompt, stop_sequences
from .scoring import corpus_metrics, score_response

BENCHMARK = "jiraibench"
VERSION = "2"  # bump whenever prompts, parsing, metrics or data handling change
CONTENT_LANGUAGES = ("zh", "ja")
MAX_GEN_TOKS = 64  # three short lines


def register_tasks(register: Callable[[TaskSpec], None]) -> None:
    """Register the 6 variants: 2 content languages x 3 instruction languages."""
    for spec in build_specs():
        register(spec)


def build_specs() -> list[TaskSpec]:
    return [_spec(content, prompt) for prompt in PROMPT_LANGUAGES for content in CONTENT_LANGUAGES]


def _spec(content: str, prompt: str) -> TaskSpec:
    words = PROMPT_LANGUAGES[prompt]
    return TaskSpec(
        benchmark=BENCHMARK,
        task=f"jiraibench_{prompt}_prompt",
        language=SHORT_CODES[content],
        prompt_language=SHORT_CODES[prompt],
        partition="original",  # posts written in their own language
        family=BENCHMARK,  # the variants differ only in content and instruction language
        comparable_answers=True,  # labels mean the same whatever the language
        version=VERSION,
        source=f"local only (not public): <data-dir>/jiraibench/*.{{xlsx,csv,jsonl}}; see {CARD}",
        load=functools.partial(load_items, language=content),
        render=functools.partial(render_prompt, words=words),
        score=score_response,
        until=stop_sequences(words),
        max_gen_toks=MAX_GEN_TOKS,
        metric="label_accuracy",  # per sample: share of the three categories right
        primary_metric="macro_f1",
        corpus_metrics=corpus_metrics,
        sensitive=True,
        reference_response=functools.partial(reference_response, words=words),
        description=(
            f"JiraiBench {content} posts, {prompt} instructions: overdose / eating disorder /"
            " self-harm labels 0-2, macro-F1"
        ),
    )
