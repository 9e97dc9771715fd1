"""Transfer: does a language keep up with English, and what moves its score?

Score vs English (view `transfer` through `latest_units`), cross-lingual consistency on aligned
items (view `consistency`), and the effect views: prompt language, MultiLoKo's mother-tongue
and locality effects, and machine-translation direction asymmetry.
"""

from __future__ import annotations

from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from xbench import languages
from xbench.store import ENGLISH
from xbench_leaderboard import common

# view -> (heading, what the delta is, the run that fills it)
EFFECTS = {
    "mother_tongue_effect": (
        "MultiLoKo: mother-tongue effect",
        "local questions asked in their language − the same questions translated into English",
        "appears once MultiLoKo (mother-tongue, locality) runs are stored: "
        "`xbench run --model M --tasks multiloko --languages de,sw,zh`",
    ),
    "locality_effect": (
        "MultiLoKo: locality effect",
        "local questions in a language − English-sourced questions translated into it",
        "appears once MultiLoKo (mother-tongue, locality) runs are stored: "
        "`xbench run --model M --tasks multiloko --languages de,sw,zh`",
    ),
    "direction_asymmetry": (
        "Machine translation: direction asymmetry",
        "en→X score − X→en score",
        "appears once machine-translation (direction) runs are stored: "
        "`xbench run --model M --tasks <an MT task in both directions> --languages de,sw`",
    ),
}


def _heatmap(df: pd.DataFrame, value: str, title: str, tooltip: list, *, diverging: bool = False):
    """Models × languages, colored by `value` (centered on 0 when `diverging`)."""
    scale = alt.Scale(scheme="redblue", domainMid=0) if diverging else alt.Scale(scheme="viridis")
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("language:N", title=None),
            y=alt.Y("model:N", title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(f"{value}:Q", title=title, scale=scale),
            tooltip=["model", "language", *tooltip],
        )
        .properties(height=alt.Step(24))
    )


def _score_vs_english(scores: pd.DataFrame, task: str) -> None:
    st.subheader("Score vs English")
    points = scores[(scores.language != ENGLISH) & scores.english.notna() & scores.value.notna()]
    if points.empty:
        if not (scores.language == ENGLISH).any():  # e.g. en->X translation: English is the source
            common.empty_state(
                f"`{task}` has no English score to compare with (its variants have no English "
                "content, as in a translation out of English); transfer applies to tasks with an "
                "English variant."
            )
            return
        common.empty_state(
            f"No language of `{task}` has an English score from the same model to compare with. "
            f"Run it with English included: `xbench run --model M --tasks {task} --languages en,de,sw`"
        )
        return
    points = points.assign(family=points.language.map(languages.family))
    lo = min(points.value.min(), points.english.min(), 0.0)
    hi = max(points.value.max(), points.english.max(), 1.0)
    scatter = (
        alt.Chart(points)
        .mark_circle(size=70, opacity=0.8)
        .encode(
            x=alt.X("english:Q", title="English score", scale=alt.Scale(domain=[lo, hi])),
            y=alt.Y("value:Q", title="score in the language", scale=alt.Scale(domain=[lo, hi])),
            color=alt.Color("family:N", title="language family"),
            tooltip=[
                "model",
                "language",
                "family",
                alt.Tooltip("value:Q", title="score", format=".3f"),
                alt.Tooltip("english:Q", title="English", format=".3f"),
                alt.Tooltip("relative:Q", title="score / English", format=".2f"),
                "n",
            ],
        )
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"english": [lo, hi], "value": [lo, hi]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x="english:Q", y="value:Q")
    )
    common.chart((diagonal + scatter).properties(height=420), f"{task}-transfer", width="stretch")
    st.caption(
        "Each point is one model in one language; below the dashed line y = x it trails English."
    )
    links = zip(points.run_id, points.task_name, strict=True)
    points = points.assign(
        samples=["/samples?" + urlencode({"run": r, "unit": t}) for r, t in links]
    )
    columns = ["model", "language", "value", "english", "relative", "n", "samples"]
    shown = (
        points[[*columns, "run_id", "task_name"]]
        .sort_values(["relative", "model"])
        .rename(columns={"value": "score", "relative": "score / English"})
    )
    common.drill_table(
        shown,
        "points",
        "samples",
        label=lambda row: f"Samples of {row.model} · {row.language} ›",
        params=lambda row: common.samples_params(row.run_id, row.task_name, row.model),
        column_order=[c for c in shown.columns if c not in ("run_id", "task_name")],
        hide_index=True,
        column_config={"samples": st.column_config.LinkColumn("samples", display_text="samples")},
    )


def _consistency(task: str, models: list[str]) -> None:
    st.subheader("Cross-lingual consistency")
    df = common.query("consistency", task)
    df = df[df.model.isin(models)] if models else df
    if df.empty:
        common.empty_state(
            f"No item of `{task}` is aligned with its English version yet. Run English with the "
            f"other languages: `xbench run --model M --tasks {task} --languages en,de,sw`"
        )
        return
    tooltip = [
        "n_aligned",
        "both_correct",
        "either_correct",
        alt.Tooltip("agreement:Q", format=".2f"),
    ]
    chart = _heatmap(
        df, "consistency", "consistency", [alt.Tooltip("consistency:Q", format=".2f"), *tooltip]
    )
    common.chart(chart, f"{task}-consistency", width="stretch")
    st.caption(
        "Consistency = items correct in both English and the language / items correct in either "
        "(same item_key; a score ≥ 0.5 counts as correct). Agreement = share of items answered in "
        "both with the same extracted answer, where answers are comparable across languages."
    )
    st.dataframe(df, hide_index=True)


def _prompt_language(task: str, models: list[str]) -> None:
    st.subheader("Prompt-language effect")
    df = common.query("effect", "prompt_language_effect")
    df = df[df.model.isin(models)] if models else df
    mine = df[(df.native_task == task) | (df.other_task == task)]
    if mine.empty:
        pairs = sorted({f"{n} vs {o}" for n, o in zip(df.native_task, df.other_task, strict=True)})
        have = f" Stored pairs: {', '.join(pairs)}." if pairs else ""
        common.empty_state(
            f"`{task}` has no variant with the same content but instructions in another language."
            f"{have} Such a pair is filled by e.g. "
            "`xbench run --model M --tasks mgsm_native_cot,mgsm_en_cot --languages de,sw,zh`"
        )
        return
    tooltip = ["native_task", "other_task", "other_prompt_language",
               alt.Tooltip("native:Q", format=".3f"), alt.Tooltip("other:Q", format=".3f"),
               alt.Tooltip("delta:Q", format="+.3f")]  # fmt: skip
    common.chart(
        _heatmap(mine, "delta", "Δ native − other", tooltip, diverging=True),
        "prompt-language",
        width="stretch",
    )
    st.caption(
        "Δ = score with instructions in the language itself − with instructions in another language."
    )
    st.dataframe(mine, hide_index=True)


def _effect(view: str, models: list[str]) -> None:
    heading, meaning, fill = EFFECTS[view]
    st.subheader(heading)
    df = common.query("effect", view)
    df = df[df.model.isin(models)] if models else df
    if df.empty:
        common.empty_state(f"This {fill}.")
        return
    df = common.one_metric(df, key=f"{view}_metric", label=f"Metric ({heading})")
    common.chart(
        _heatmap(
            df,
            "delta",
            "Δ",
            ["benchmark", "family", alt.Tooltip("delta:Q", format="+.3f")],
            diverging=True,
        ),
        view,
        width="stretch",
    )
    st.caption(f"Δ = {meaning}.")
    st.dataframe(df, hide_index=True)


def render() -> None:
    st.title("Transfer")
    task = common.choose("Task", common.query("tasks"), "task")
    if task is None:
        common.empty_state(
            "No scores yet: `xbench run --model M --tasks mgsm_native_cot,mgsm_en_cot`"
        )
        return
    scores = common.query("unit_scores", task)
    models = common.choose_many("Models (all when empty)", sorted(scores.model.unique()), "models")
    if models:
        scores = scores[scores.model.isin(models)]
    _score_vs_english(common.one_metric(scores), task)
    _consistency(task, models)
    _prompt_language(task, models)
    st.header("MultiLoKo and machine translation (all benchmarks)")
    for view in EFFECTS:
        _effect(view, models)
