"""The script barrier: how much of a language's gap is its script?

`xbench run --romanized` adds, for every selected variant whose input is in a non-Latin script
and whose task allows it (`TaskSpec.romanizable`: MGSM, MultiLoKo, MT out of the language), the
same variant with its prompt romanized by uroman (Hermjakob, May & Knight 2018, "Out-of-the-box
Universal Romanization Tool uroman", ACL demos; the `uroman` package). It is a field of the
variant, `input_script = "Latn"` (`mgsm_direct.tha_Thai@script=Latn`), not another task: the
scorer, the gold answers and the expected output language stay those of the original variant.

The view `script_barrier` pairs each romanized unit with its native-script twin of the same run:

    Δ_rom(L) = S(native script) − S(romanized)       (in the metric's own units)

`barrier` adds a paired 95% bootstrap CI on the aligned items (the mean per-item difference of
the samples' scores), and the prompt tokens per item of both: the token premium of the script.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..errors import XbenchError
from ..spec import Item, LoadContext, TaskSpec

ROMAN = "Latn"
UROMAN = "uroman 1.3.1.1"


@functools.cache
def _uroman() -> Any:
    try:
        import uroman
    except ImportError:
        raise XbenchError("romanized variants need uroman: pip install xbench") from None
    return uroman.Uroman()


def romanize(text: str, language: str) -> str:
    """`text` in Latin script (uroman, told the language: `tha_Thai` -> lcode `tha`)."""
    return _uroman().romanize_string(text, lcode=language.partition("_")[0])


def input_language(spec: TaskSpec) -> str:
    """The language the prompt's content is in: an MT task's source, else the variant's."""
    return spec.source_language or spec.language


def can_romanize(spec: TaskSpec) -> bool:
    """A romanizable task whose input is in a non-Latin script, not already romanized."""
    language = input_language(spec)
    return (spec.romanizable and spec.input_script is None and spec.tools is None
            and language.rpartition("_")[2] != ROMAN)  # fmt: skip


def romanized(spec: TaskSpec) -> TaskSpec:
    """The variant with its whole prompt romanized (content and any native-language
    instructions; English text passes unchanged); everything else as the original's."""
    language = input_language(spec)

    def render_romanized(item: Item, num_fewshot: int, context: LoadContext) -> str:
        return romanize(spec.renderer(context)(item, num_fewshot), language)

    return replace(
        spec, input_script=ROMAN, axes=(*spec.axes, "input_script"), render=render_romanized,
        version=f"{spec.version}+{UROMAN.replace(' ', '-')}",
        description=f"{spec.description} (input romanized with {UROMAN})".strip(),
    )  # fmt: skip


def with_romanized(specs: Sequence[TaskSpec]) -> tuple[list[TaskSpec], dict[str, str]]:
    """`specs` with, after each that can be romanized, its romanized twin; and the twins'
    names mapped to their originals'."""
    out: list[TaskSpec] = []
    twin_of: dict[str, str] = {}
    for spec in specs:
        out.append(spec)
        if can_romanize(spec):
            twin = romanized(spec)
            out.append(twin)
            twin_of[twin.name] = spec.name
    if not twin_of:
        raise XbenchError(
            "--romanized found no selected variant with non-Latin-script input to romanize "
            "(MGSM, MultiLoKo and MT out of a language in Thai, Cyrillic, Han, ... script); "
            "choose such --languages"
        )
    return out, twin_of


def barrier(store: Any, run_id: str, resamples: int = 1000,
            seed: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    """The `script_barrier` rows of a run with a paired 95% bootstrap CI of Δ_rom on the
    items answered in both scripts (`ci_low`, `ci_high`, `n_paired`)."""
    from ..stats import paired_bootstrap

    with store.connect() as con:
        rel = con.execute(
            "SELECT * FROM script_barrier WHERE run_id = ? ORDER BY benchmark, task, language",
            [run_id],
        )
        cols = [d[0] for d in rel.description]
        rows = [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
        out = []
        for row in rows:
            pairs = con.execute(
                "SELECT n.score, r.score FROM samples n JOIN samples r USING (run_id, item_key)"
                " WHERE n.run_id = ? AND n.task_name = ? AND r.task_name = ?"
                " AND n.score IS NOT NULL AND r.score IS NOT NULL ORDER BY item_key",
                [run_id, row["native_script_task_name"], row["romanized_task_name"]],
            ).fetchall()  # fmt: skip
            paired = {"n_paired": len(pairs), "item_delta": None, "ci_low": None, "ci_high": None,
                      "p_bootstrap": None}  # fmt: skip
            if pairs:  # delta = mean(native) - mean(romanized) on the same items
                test = paired_bootstrap([b for _, b in pairs], [a for a, _ in pairs],
                                        resamples=resamples, seed=seed)  # fmt: skip
                paired.update(item_delta=test.delta, ci_low=test.ci_low, ci_high=test.ci_high,
                              p_bootstrap=test.p_value)  # fmt: skip
            out.append({**row, **paired})
    return out
