"""Fidelity: does a model answer in the language it was asked to use?

Per model × language of a task: the share of judged responses in the expected language and the
line-level pass rate (Marchisio et al. 2024), from each model's latest run (view `fidelity`).
"""

from __future__ import annotations

from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from xbench import languages as langs
from xbench_leaderboard import common

COLUMNS = ["model", "language", "prompt_language", "n", "n_judged", "fidelity", "line_pass_rate"]
FILL = "xbench run --model smollm2-135m --tasks mgsm_native_cot --languages de,sw,zh --limit 20"
JUDGED = (
    "Judged = responses long enough for the language identifier to be reliable (after code, math "
    "and URLs are removed: ≥ 41 letters in Latin, Cyrillic, Arabic or Devanagari, ≥ 9 in scripts "
    "that nearly name their language, ≥ 7 in Han, kana or Hangul; mostly letters; identifier "
    'confident). Shorter answers such as "18" or "Paris" are not judged, so fidelity is the '
    "share of judged responses in the expected language; the rule and its evidence are in "
    "xbench/fidelity.py."
)


def _heatmap(units: pd.DataFrame) -> alt.LayerChart:
    """Models × languages: colored by fidelity, gray where nothing was judged."""
    units = units.assign(
        name=units.language.map(langs.name),
        label=[
            "–" if pd.isna(f) else f"{f:.0%}"  # short enough for a phone; n_judged on hover
            for f, j in zip(units.fidelity, units.n_judged, strict=True)
        ],
    )
    base = alt.Chart(units).properties(height=alt.Step(26)).encode(
        x=alt.X("name:N", title=None, axis=alt.Axis(labelAngle=-40, labelLimit=160)),
        y=alt.Y("model:N", title=None, axis=alt.Axis(labelLimit=220)),
        tooltip=[
            "model", alt.Tooltip("name:N", title="language"),
            alt.Tooltip("language:N", title="code"), "prompt_language", "n", "n_judged",
            alt.Tooltip("fidelity:Q", format=".1%", title="in expected language"),
            alt.Tooltip("line_pass_rate:Q", format=".1%", title="line pass rate"),
        ],
    )  # fmt: skip
    gray = base.mark_rect(color="#dddddd")  # shows where nothing was judged (fidelity null)
    cells = base.mark_rect().encode(
        color=alt.Color(
            "fidelity:Q",
            title="in expected language",
            scale=alt.Scale(domain=[0, 1], scheme="viridis"),
            legend=alt.Legend(orient="bottom", format=".0%", gradientLength=240),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition(
            "isValid(datum.fidelity) && datum.fidelity < 0.6",
            alt.value("white"),
            alt.value("black"),
        ),
    )
    return gray + cells + text if len(units) <= 400 else gray + cells  # labels while legible


def render() -> None:
    st.title("Fidelity")
    st.caption(JUDGED)
    every = common.query("fidelity_units")
    if every.empty:
        common.empty_state(f"No scores yet. Fill the store with: `{FILL}`")
        return
    judged = every.groupby("task").n_judged.sum().sort_values(ascending=False, kind="stable")
    task = common.choose("Task", sorted(judged.index), "task", default=judged.index[0])
    models = common.choose_many("Models (all when empty)", sorted(every.model.unique()), "models")
    every = every[every.model.isin(models)] if models else every
    units = every[every.task == task]
    if not units.n_judged.fillna(0).any():
        common.empty_state(
            f"No response to `{task}` was long enough to judge its language (n_judged = 0 "
            f"everywhere). Tasks with longer answers fill it, e.g. chain-of-thought: `{FILL}`"
        )
    common.chart(_heatmap(units), f"{task}-fidelity", width="stretch")
    st.caption("Cells: share of judged responses in the expected language; – (gray): none judged.")
    links = zip(units.run_id, units.task_name, strict=True)
    units = units.assign(samples=["/samples?" + urlencode({"run": r, "unit": t}) for r, t in links])
    shown = units[[*COLUMNS, "samples", "run_id", "task_name"]]
    common.drill_table(
        shown,
        "units",
        "samples",
        label=lambda row: f"Samples of {row.model} · {langs.name(row.language)} ›",
        params=lambda row: common.samples_params(row.run_id, row.task_name, row.model),
        column_order=[*COLUMNS, "samples"],
        hide_index=True,
        column_config={
            "fidelity": st.column_config.ProgressColumn(
                "in expected language", format="percent", min_value=0, max_value=1
            ),
            "line_pass_rate": st.column_config.NumberColumn("line pass rate", format="percent"),
            "samples": st.column_config.LinkColumn("samples", display_text="samples"),
        },
    )
    st.caption(
        "Line pass rate: share of responses with a judged line whose judged lines are all in "
        "the expected language. Each unit's samples show the detected language per response."
    )

    st.subheader("All tasks, per model")
    every = every.assign(in_expected=every.fidelity.fillna(0) * every.n_judged.fillna(0))
    per_model = every.groupby("model")[["n", "n_judged", "in_expected"]].sum()
    per_model["fidelity"] = per_model.in_expected / per_model.n_judged.where(per_model.n_judged > 0)
    st.dataframe(
        per_model.drop(columns="in_expected").reset_index(),
        hide_index=True,
        column_config={
            "fidelity": st.column_config.NumberColumn("in expected language", format="percent")
        },
    )
    st.caption("Over every task: judged responses in the expected language / judged responses.")
