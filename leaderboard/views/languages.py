"""Languages: a heatmap of models x languages for one task, by score or by score relative to
English. Numbers in the cells, one fixed colour scale per metric (0–100: a 0–1 metric in percent
points; relative: 0–2 around 1 = English), languages by name with the code on hover, sortable by
score, gap to English, family or script. Hovering a cell shows its 95% CI and n; clicking it
links to its samples.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from xbench import languages as langs
from xbench_leaderboard import common
from xbench_leaderboard.views.overview import (
    FILL,
    SORTS,
    _signed,
    language_order,
)

RELATIVE_TOP = 2.0  # relative to English: the colour scale runs 0–2, 1 (= English) in the middle


def url_toggle(label: str, key: str) -> bool:
    """A switch backed by `?key=1`, like the filters in `common` (a view is a link)."""
    on = st.toggle(label, value=st.query_params.get(key) == "1", key=f"w_{key}")
    if on:
        st.query_params[key] = "1"
    elif key in st.query_params:
        del st.query_params[key]
    return on


def shown_values(scores: pd.DataFrame) -> pd.Series:
    """The display rule of every leaderboard number: a 0–1 metric in percent points, a 0–100
    metric as it is."""
    scale = scores.metric_scale.fillna(1.0) if "metric_scale" in scores else 1.0
    return scores.value.where(scale > 1, scores.value * 100)


def heatmap(scores: pd.DataFrame, relative: bool, sort: str = "score") -> alt.LayerChart:
    metric = scores.metric.iloc[0] if "metric" in scores and len(scores) else "score"
    lower_better = bool("higher_is_better" in scores and scores.higher_is_better.eq(False).all())
    direction = "lower" if lower_better else "higher"
    group = {"family": langs.family, "script": langs.script}.get(sort)
    data = scores.assign(
        shown=shown_values(scores),
        name=[f"{group(c)} · {langs.name(c)}" if group else langs.name(c) for c in scores.language],
    )
    if relative:
        field, fmt, title = "relative", ".2f", f"{metric} / English (1 = as in English)"
        # Colours follow the metric's direction: the better end is the same colour for TER.
        scale = alt.Scale(scheme="redyellowblue", domain=[0, RELATIVE_TOP], domainMid=1,
                          clamp=True, reverse=lower_better)  # fmt: skip
    else:
        field, fmt, title = "shown", ".1f", f"{metric}, 0–100 ({direction} is better)"
        scale = alt.Scale(scheme="redyellowgreen", domain=[0, 100], reverse=lower_better)
    names = [data[data.language == c].name.iloc[0] for c in language_order(data, sort)]
    mean = data.assign(_s=_signed(data)).groupby("model")._s.mean()
    model_order = mean.sort_values(ascending=False).index.tolist()  # best first
    pick = alt.selection_point(fields=["model", "language"], name="cell")
    base = alt.Chart(data).encode(
        x=alt.X("name:N", sort=names, title=None, axis=alt.Axis(labelAngle=-40, labelLimit=160)),
        y=alt.Y("model:N", sort=model_order, title=None, axis=alt.Axis(labelLimit=220)),
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
    cells = (
        base.mark_rect()
        .encode(
            color=alt.Color(
                f"{field}:Q",
                scale=scale,
                title=title,
                legend=alt.Legend(orient="bottom", gradientLength=240, titleLimit=360),
            ),  # fmt: skip
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        )
        .add_params(pick)
    )
    layers = [cells]
    if len(data) <= 600:  # numbers while they fit in their cells
        layers.append(base.mark_text(fontSize=11).encode(
            text=alt.Text(f"{field}:Q", format=fmt), color=alt.value("#1d1d1f")
        ))  # fmt: skip
    return alt.layer(*layers).properties(
        height=alt.Step(26 if scores.model.nunique() <= 30 else 14)
    )


def render() -> None:
    st.title("Languages")
    if (chosen := common.task_rows("unit_scores", FILL)) is None:
        return
    task, scores = chosen
    scores = common.one_metric(scores)
    left, right = st.columns(2)
    with left:
        sort = common.choose("Sort languages by", list(SORTS), "sort") or "score"
    with right:
        relative = url_toggle("Relative to English", "relative")
    scores = scores.assign(label=lambda d: d.language.map(common.language_label))
    if relative and scores.relative.isna().all():
        common.empty_state(
            f"No model has a nonzero English score on {task} to compare with: "
            f"`xbench run --model <model> --tasks {task} --languages en`"
        )
        return
    event = common.chart(
        heatmap(scores, relative, sort), f"{task}-languages", on_select="rerun", key="heatmap"
    )
    for cell in (event.selection.get("cell") or []) if event else []:
        picked = scores[
            (scores.model == cell.get("model")) & (scores.language == cell.get("language"))
        ]
        for unit in picked.itertuples():
            common.link(
                "samples",
                f"Samples of {unit.model} · {langs.name(unit.language)} ›",
                common.samples_params(unit.run_id, unit.task_name, unit.model),
            )

    model = common.choose("Samples of", sorted(scores.model.unique()), "model")
    common.sample_links(scores[scores.model == model])
