"""Compare: two models side by side, unit by unit (task × language), with paired significance.

Runs `xbench.compare` on the two chosen runs (each model's latest run unless another is picked):
only items scored in both runs count; a unit is a significant win when the paired test
(exact McNemar for 0/1 scores, sign-flip permutation otherwise) has p < 0.05.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

import xbench
from xbench import languages as langs
from xbench.errors import XbenchError
from xbench_leaderboard import common

FILL = "xbench run --model {model} --tasks mgsm_native_cot --languages en,de,sw --limit 20"
COLUMNS = ["task", "language", "n", "score_a", "score_b", "delta", "p_bootstrap", "test", "p_test", "winner"]  # fmt: skip


@st.cache_data(ttl=60, show_spinner="Comparing…")  # a finished run never changes; a running one may
def _compare(run_a: str, run_b: str, db: str) -> dict[str, Any]:
    return xbench.compare(run_a, run_b, db=db).as_dict()


def _samples(run_id: str, task_name: str) -> str:
    return "/samples?" + urlencode({"run": run_id, "unit": task_name})


def _pick_run(side: str, model: str, runs: pd.DataFrame) -> str | None:
    """The model's latest run unless `?r<side>=RUN` picks another of its runs."""
    labels = {
        r.run_id: f"{r.run_id} · {r.status} · {', '.join(sorted({t['task'] for t in json.loads(r.tasks)}))}"
        for r in runs[runs.model == model].itertuples()
    }
    latest = common.query("latest_run", model)
    return common.choose(
        f"Run of {side.upper()}",
        list(labels),
        f"r{side}",
        default=latest,
        fmt=lambda r: labels.get(r, r),
    )


def _delta_chart(table: pd.DataFrame, a: str, b: str) -> alt.Chart:
    table = table.assign(unit=table.task + " · " + table.language.map(langs.name))
    return (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X("delta:Q", title=f"Δ = {b} − {a}"),
            y=alt.Y("unit:N", sort="x", title=None, axis=alt.Axis(labelLimit=200)),
            color=alt.Color(
                "winner:N",
                title="significant win",
                scale=alt.Scale(domain=[a, b, "—"], range=["#4c78a8", "#f58518", "#c7c7c7"]),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=300),
            ),
            tooltip=[
                "task",
                alt.Tooltip("language:N", title="code"),
                "n",
                alt.Tooltip("score_a:Q", title=a, format=".3f"),
                alt.Tooltip("score_b:Q", title=b, format=".3f"),
                alt.Tooltip("delta:Q", format="+.3f"),
                alt.Tooltip("p_test:Q", format=".3g"),
                "test",
            ],
        )
        .properties(height=alt.Step(20))
    )


def render() -> None:
    st.title("Compare")
    models = common.query("models")
    if len(models) < 2:
        common.empty_state("Compare needs two models in the store: " + ", then ".join(
            f"`{FILL.format(model=m)}`" for m in [*models, "fake:accuracy=0.8"][:2]))  # fmt: skip
        return
    runs = common.query("runs")
    left, right = st.columns(2)
    with left:
        a = common.choose("Model A", models, "a", default=models[0])
        run_a = _pick_run("a", a, runs)
    with right:
        b = common.choose("Model B", models, "b", default=models[1])
        run_b = _pick_run("b", b, runs)
    if run_a is None or run_b is None:
        return
    try:
        result = _compare(run_a, run_b, str(common.db_path()))
    except XbenchError as exc:
        common.empty_state(
            f"Nothing to compare: {exc}. Pick runs of the same tasks above, or score both models "
            f"on one task, e.g. `{FILL.format(model=a)}` and `{FILL.format(model=b)}`."
        )
        return
    names = {"a": f"A: {a}", "b": f"B: {b}"}
    table = pd.DataFrame(result["units"])
    table["winner"] = table.winner.map(names).fillna("—")
    table["samples A"] = [_samples(run_a, t) for t in table.task_name]
    table["samples B"] = [_samples(run_b, t) for t in table.task_name]

    cols = st.columns(3)
    cols[0].metric(f"Significant wins for A ({a})", result["wins_a"])
    cols[1].metric(f"Significant wins for B ({b})", result["wins_b"])
    cols[2].metric("Units compared", len(table))
    st.caption(
        f"Runs {run_a} (A) and {run_b} (B), on items scored in both. Δ = B − A. A win needs the "
        f"paired test's p < {result['alpha']} (McNemar for 0/1 scores, else sign-flip); "
        "p_bootstrap is the paired bootstrap p-value."
    )
    common.chart(_delta_chart(table, names["a"], names["b"]), "compare", width="stretch")
    number = st.column_config.NumberColumn(format="%.3f")
    st.dataframe(
        table[[*COLUMNS, "samples A", "samples B"]],
        hide_index=True,
        column_config={
            "score_a": st.column_config.NumberColumn(f"A: {a}", format="%.3f"),
            "score_b": st.column_config.NumberColumn(f"B: {b}", format="%.3f"),
            "delta": st.column_config.NumberColumn("Δ (B − A)", format="%+.3f"),
            "p_bootstrap": number,
            "p_test": number,
            "samples A": st.column_config.LinkColumn("samples A", display_text="A"),
            "samples B": st.column_config.LinkColumn("samples B", display_text="B"),
        },
    )
