"""Parity: how evenly each model performs across languages on one task (gap, min/max ratio,
coefficient of variation, Gini), and one model's languages as a sorted bar chart with 95% CIs.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from xbench import languages as langs
from xbench_leaderboard import common
from xbench_leaderboard.views.overview import FILL

MEASURES = {
    "gap": "gap (best − worst)",
    "min_max_ratio": "min / max ratio",
    "cv": "coefficient of variation",
    "gini": "Gini",
}
NOTE = (
    "Lower gap, CV and Gini and a min/max ratio near 1 mean more even performance across languages."
)


def _named(code: object) -> object:
    """`deu_Latn` -> `German (deu_Latn)` in a table cell; empty stays empty."""
    return code if code is None or pd.isna(code) else f"{langs.name(str(code))} ({code})"


def measures_chart(parity: pd.DataFrame) -> alt.FacetChart:
    long = parity.melt(id_vars=["model"], value_vars=list(MEASURES), var_name="measure")
    long["measure"] = long.measure.map(MEASURES)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=None, axis=alt.Axis(format=".2~f")),
            y=alt.Y(
                "model:N", sort=parity.model.tolist(), title=None, axis=alt.Axis(labelLimit=120)
            ),
            tooltip=["model", "measure", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=220, height=alt.Step(20 if len(parity) <= 30 else 10))
        # One measure under the other: every one readable on a phone's width too.
        .facet(facet=alt.Facet("measure:N", sort=list(MEASURES.values()), title=None), columns=1)
        .resolve_scale(x="independent")
    )


def languages_chart(scores: pd.DataFrame) -> alt.LayerChart:
    """One model's languages, best first (direction-aware), each with its 95% CI."""
    metric = scores.metric.iloc[0] if "metric" in scores and len(scores) else "score"
    lower = bool("higher_is_better" in scores and scores.higher_is_better.eq(False).all())
    scores = scores.assign(name=scores.language.map(langs.name))  # the code is in the tooltip
    order = scores.sort_values(["value", "name"], ascending=[lower, True]).name.tolist()
    base = alt.Chart(scores).encode(
        y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=160))
    )
    tooltip = [
        alt.Tooltip("label:N", title="language"),
        alt.Tooltip("value:Q", title=metric, format=".3f"),
        alt.Tooltip("ci_low:Q", title="CI low (95%)", format=".3f"),
        alt.Tooltip("ci_high:Q", title="CI high (95%)", format=".3f"),
        "n",
    ]
    bars = base.mark_bar().encode(x=alt.X("value:Q", title=metric), tooltip=tooltip)
    errors = base.mark_rule(color="black").encode(x="ci_low:Q", x2="ci_high:Q", tooltip=tooltip)
    return alt.layer(bars, errors).properties(height=alt.Step(22))


def render() -> None:
    st.title("Parity")
    if (chosen := common.task_rows("parity", FILL)) is None:
        return
    task, parity = chosen
    parity = common.one_metric(parity)
    if parity.empty:
        return
    st.caption(NOTE)
    common.chart(measures_chart(parity), f"{task}-parity")
    parity = parity.assign(
        languages=[common.coverage(n, of) for n, of in
                   zip(parity.languages, parity.task_languages, strict=True)],
        worst_language=parity.worst_language.map(_named),
        best_language=parity.best_language.map(_named),
    )  # fmt: skip
    st.dataframe(
        parity[
            [
                "model",
                "languages",
                "settings",
                "mean",
                "worst_language",
                "worst",
                "best_language",
                "best",
                *MEASURES,
            ]
        ],
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="%.3f")
            for c in ["mean", "worst", "best", *MEASURES]
        },
    )

    st.subheader("A model's languages")
    model = common.choose("Model", parity.model.tolist(), "model")
    scores = common.query("unit_scores", task, model).dropna(subset=["value"])
    scores = scores[scores.metric == parity.metric.iloc[0]]  # the metric chosen above
    if scores.empty:
        common.empty_state(
            f"{model} has no answered items on {task}: `xbench run --model {model} --tasks {task}`"
        )
        return
    scores = scores.assign(label=scores.language.map(common.language_label))
    common.chart(languages_chart(scores), f"{task}-{model}-languages")
