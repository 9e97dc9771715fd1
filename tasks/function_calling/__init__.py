"""Function calling: TUCAN (Bulgarian) and BFCL-format sets (English, Arabic).

Variants (task.language; `task` carries the source, the category and, for English instructions
over non-English content, the suffix `_en_prompt`):
  tucan.bul_Cyrl, tucan_en_prompt.bul_Cyrl                      family "tucan"
  bfcl_<category>.eng_Latn for the 11 BFCL categories            family "bfcl_<category>"
  bfcl_<category>.arb_Arab, bfcl_<category>_en_prompt.arb_Arab   for the 6 categories of the
                                                                 Arabic fork
Categories: simple, multiple, parallel, parallel_multiple, irrelevance, live_simple,
live_multiple, live_parallel, live_parallel_multiple, live_irrelevance, live_relevance.

Tools are always given in the prompt text (TUCAN's layout), never through a chat template's tool
support; see prompts.py. Scoring: TUCAN's six outcomes with TUCAN's or BFCL's rules
(scoring.py). See data_cards/tucan.md and data_cards/bfcl.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from xbench.languages import SHORT_CODES
from xbench.spec import TaskSpec

from . import data, scoring
from .prompts import LANGUAGES, TOOLS_IN_PROMPT, reference_response, render_prompt, tool_schemas

BENCHMARK = "function_calling"
VERSION = "2"  # bump whenever prompts, parsing or data handling change (2: call-metric CIs)
MAX_GEN_TOKS = 512  # Tucan-Eval's max_new_tokens


def register_tasks(register: Callable[[TaskSpec], None]) -> None:
    for spec in build_specs():
        register(spec)


def build_specs() -> list[TaskSpec]:
    specs = [_tucan("bg"), _tucan("en")]
    for category in data.BFCL_CATEGORIES:
        specs.append(_bfcl(category, "en", "en"))
        if category in data.BFCL_AR_CATEGORIES:
            specs.append(_bfcl(category, "ar", "ar"))
            specs.append(_bfcl(category, "ar", "en"))
    return specs


def _tucan(prompt: str) -> TaskSpec:
    words = LANGUAGES[prompt]
    task = "tucan" if prompt == "bg" else f"tucan_{prompt}_prompt"
    return TaskSpec(
        benchmark=BENCHMARK,
        task=task,
        language=SHORT_CODES["bg"],
        prompt_language=SHORT_CODES[prompt],
        partition="original",
        family="tucan",
        version=VERSION,
        source=f"hub:{data.TUCAN_HUB_ID} (or <data-dir>/tucan/*.json); {TOOLS_IN_PROMPT}",
        load=data.load_tucan,
        render=functools.partial(render_prompt, words=words),
        tools=tool_schemas,
        score=functools.partial(scoring.score_response, rules="tucan", cyrillic=True),
        max_gen_toks=MAX_GEN_TOKS,
        corpus_metrics=functools.partial(scoring.corpus_metrics, rules="tucan", cyrillic=True),
        reference_response=functools.partial(reference_response, words=words),
        description=(
            f"TUCAN Bulgarian function calling, {prompt} instructions, TUCAN rules; "
            f"{TOOLS_IN_PROMPT}"
        ),
    )


def _bfcl(category: str, content: str, prompt: str) -> TaskSpec:
    words = LANGUAGES[prompt]
    task = f"bfcl_{category}" + ("" if prompt == content else f"_{prompt}_prompt")
    folder = data.BFCL_DIRS[content]
    file_category = data.BFCL_CATEGORIES[category][0]
    return TaskSpec(
        benchmark=BENCHMARK,
        task=task,
        language=SHORT_CODES[content],
        prompt_language=SHORT_CODES[prompt],
        # The Arabic fork does not say how it was translated; see data_cards/bfcl.md.
        partition="original" if content == "en" else "machine_translated",
        origin_language=None if content == "en" else SHORT_CODES["en"],
        family=f"bfcl_{category}",
        version=VERSION,
        source=(
            f"{data.BFCL_SOURCES[content][0]}BFCL_v4_{file_category}.json (or <data-dir>/"
            f"{folder}/BFCL_v4_{file_category}.json); {TOOLS_IN_PROMPT}"
        ),
        load=functools.partial(data.load_bfcl, language=content, category=category),
        render=functools.partial(render_prompt, words=words),
        tools=tool_schemas,
        score=functools.partial(scoring.score_response, rules="bfcl"),
        max_gen_toks=MAX_GEN_TOKS,
        corpus_metrics=functools.partial(scoring.corpus_metrics, rules="bfcl"),
        reference_response=functools.partial(reference_response, words=words),
        description=(
            f"BFCL {category} ({content} content, {prompt} instructions), BFCL AST rules; "
            f"{TOOLS_IN_PROMPT}"
        ),
    )
