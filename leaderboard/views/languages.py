"""Languages: a heatmap of models x languages for one task, colored by score or by score
relative to English; hovering a cell shows its 95% CI and n, clicking it links to its samples.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from xbench import languages as langs
from xbench_leaderboard import common
from xbench_leaderboard.views.overview import FILL, sample_links, samples_url


def url_toggle(label: str, key: str) -> bool:
    """A switch backed by `?key=1`, like the filters in `common` (a view is a link)."""
    on = st.toggle(label, value=st.query_params.get(key) == "1", key=f"w_{key}")
    if on:
        st.query_params[key] = "1"
    elif key in st.query_params:
        del st.query_params[key]
    return on


def heatmap(scores: pd.DataFrame, relative: bool) -> alt.Chart:
    metric = scores.metric.iloc[0] if "metric" in scores and len(scores) else "score"
    field, title = ("relative", f"{metric} / English") if relative else ("value", metric)
    lower_better = bool("higher_is_better" in scores and scores.higher_is_better.eq(False).all())
    # Colours follow the metric's direction: the better end is the same colour for TER.
    scale = (
        alt.Scale(scheme="redyellowblue", domainMid=1, reverse=lower_better)
        if relative
        else alt.Scale(scheme="viridis", reverse=lower_better)
    )
    mean = scores.groupby("model").value.mean()
    model_order = mean.sort_values(ascending=lower_better).index.tolist()  # best first
    language_order = sorted(scores.language.unique(), key=lambda c: (langs.family(c), c))
    pick = alt.selection_point(fields=["model", "language"], name="cell")
    return (
        alt.Chart(scores)
        .mark_rect()
        .encode(
            x=alt.X("language:N", sort=language_order, title="language (grouped by family)"),
            y=alt.Y("model:N", sort=model_order, title=None),
            color=alt.Color(f"{field}:Q", scale=scale, title=title),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
            tooltip=[
                "model",
                alt.Tooltip("label:N", title="language"),
                alt.Tooltip("value:Q", title=metric, format=".3f"),
                alt.Tooltip("ci_low:Q", title="CI low (95%)", format=".3f"),
                alt.Tooltip("ci_high:Q", title="CI high (95%)", format=".3f"),
                "n",
                alt.Tooltip("english:Q", title="English", format=".3f"),
                alt.Tooltip("relative:Q", title="relative to English", format=".2f"),
            ],
        )
        .add_params(pick)
        .properties(height=alt.Step(22 if scores.model.nunique() <= 30 else 12))
    )


def render() -> None:
    st.title("Languages")
    if (chosen := common.task_rows("unit_scores", FILL)) is None:
        return
    task, scores = chosen
    scores = common.one_metric(scores)
    relative = url_toggle("Relative to English", "relative")
    scores = scores.assign(label=lambda d: d.language.map(common.language_label))
    if relative and scores.relative.isna().all():
        common.empty_state(
            f"No model has a nonzero English score on {task} to compare with: "
            f"`xbench run --model <model> --tasks {task} --languages en`"
        )
        return
    event = st.altair_chart(heatmap(scores, relative), on_select="rerun", key="heatmap")
    for cell in (event.selection.get("cell") or []) if event else []:
        picked = scores[
            (scores.model == cell.get("model")) & (scores.language == cell.get("language"))
        ]
        for unit in picked.itertuples():
            st.markdown(
                f"[Samples of {unit.model} · {unit.task_name}]({samples_url(unit.run_id, unit.task_name)})"
            )

    model = common.choose("Samples of", sorted(scores.model.unique()), "model")
    st.markdown(sample_links(scores[scores.model == model]))
