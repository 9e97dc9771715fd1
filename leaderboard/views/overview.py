"""Overview: every model at a glance, from each model's latest result per task.

First one column group per benchmark: its headline task (the one with the most results) and
that task's primary metric: mean over languages, worst language, gap (best − worst) and
coverage ("4/11" languages), models ranked on the chosen benchmark, each row linking to its
languages. Beneath, the chosen benchmark's per-language heatmap: numbers in the cells, one
fixed colour scale per metric (0–1 or 0–100, reversed for lower-is-better), languages by name
(code on hover), sorted by score, gap to English, family or script. Last, every task's mean,
worst language and gap, each worst language linking to its samples.

A language family or script filter recomputes the numbers over the kept languages (the parity
view's definitions, from the units behind it).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import altair as alt
import pandas as pd
import streamlit as st

from xbench import languages as langs
from xbench_leaderboard import common

FILL = "xbench run --model smollm2-135m --tasks mgsm_native_cot --limit 20"
KEYS = ["run_id", "model", "benchmark", "task", "metric"]
STATS = {"mean": "mean", "worst": "worst", "samples": "worst language", "gap": "gap"}
LANGUAGE_IN_URL = r"unit=[^&]*?([a-z]{2,3}_[A-Z][a-z]{3})"  # shows the language of a link


def samples_url(run_id: str, task_name: str) -> str:
    """The Samples page of one unit (the contract with the Samples page)."""
    return "/samples?" + urlencode({"run": run_id, "unit": task_name})


def _signed(units: pd.DataFrame) -> pd.Series:
    """Each value oriented so that lower is worse, whatever the metric's direction."""
    higher = units.higher_is_better.fillna(True) if "higher_is_better" in units else True
    return units.value.where(higher, -units.value)


def recompute(units: pd.DataFrame) -> pd.DataFrame:
    """mean, worst (language) and gap per model x task over `units`, as the parity view does:
    following the metric's direction, languages with no answered item left out, ties for the
    worst broken by language code."""
    answered = units.dropna(subset=["value"]).assign(_s=lambda u: _signed(u))
    answered = answered.sort_values(["_s", "language"])
    stats = answered.groupby(KEYS, sort=False).agg(
        mean=("value", "mean"),
        worst=("value", "first"),
        best=("value", "last"),
        worst_language=("language", "first"),
        languages=("value", "size"),
    )
    return stats.assign(gap=(stats.best - stats.worst).abs()).reset_index()


def matrix(table: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Models as rows; per task the columns `<task> · mean / worst / worst language / gap`."""
    worst_units = units.drop_duplicates(["run_id", "task", "metric", "language"]).rename(
        columns={"language": "worst_language"}
    )
    table = table.merge(worst_units[[*KEYS, "worst_language", "task_name"]], how="left")
    table["samples"] = [
        None if pd.isna(t) else samples_url(r, t)
        for r, t in zip(table.run_id, table.task_name, strict=True)
    ]
    table["column"] = table.task + " (" + table.metric + ")"  # every number names its metric
    wide = table.pivot(index="model", columns="column", values=list(STATS))
    order = table.sort_values(["benchmark", "column"]).column.unique()
    wide = wide[[(stat, column) for column in order for stat in STATS]]
    wide.columns = [f"{column} · {STATS[stat]}" for stat, column in wide.columns]
    return wide.sort_values(wide.columns[0], ascending=False)


def headlines(table: pd.DataFrame) -> pd.DataFrame:
    """Per benchmark its headline task (the most model x language results; ties by name),
    benchmarks with the most results first: columns benchmark, task, metric, results."""
    sizes = table.groupby(["benchmark", "task", "metric"], as_index=False).languages.sum()
    sizes = sizes.rename(columns={"languages": "results"})
    best = sizes.sort_values(["benchmark", "results", "task"], ascending=[True, False, True])
    best = best.drop_duplicates("benchmark")
    totals = table.groupby("benchmark").languages.sum().rename("benchmark_results")
    best = best.join(totals, on="benchmark")
    return (
        best.sort_values(["benchmark_results", "benchmark"], ascending=[False, True])
        .drop(columns="benchmark_results")
        .reset_index(drop=True)
    )


BENCHMARK_STATS = ("mean", "worst language", "gap", "coverage")


def benchmark_table(
    table: pd.DataFrame, heads: pd.DataFrame, rank_by: str, scales: dict[str, float] | None = None
) -> pd.DataFrame:
    """Models as rows; per benchmark (its headline task) the columns `<benchmark> · mean /
    worst language / gap / coverage`; ranked on `rank_by`'s mean, best first (direction-aware);
    `details` links to the model's languages on that benchmark's headline task. Means and gaps
    follow the one display rule: a 0-1 metric in percent points, a 0-100 one as it is."""
    rows: dict[str, dict[str, object]] = {}
    for head in heads.itertuples():
        part = table[(table.task == head.task) & (table.metric == head.metric)]
        factor = 100.0 if (scales or {}).get(head.task, 1.0) <= 1.0 else 1.0
        for r in part.itertuples():
            row = rows.setdefault(r.model, {})
            row[f"{head.benchmark} · mean"] = r.mean * factor
            row[f"{head.benchmark} · worst language"] = (
                None if pd.isna(r.worst_language) else langs.name(r.worst_language)
            )
            row[f"{head.benchmark} · gap"] = r.gap * factor
            row[f"{head.benchmark} · coverage"] = common.coverage(
                r.languages, getattr(r, "task_languages", None)
            )
    wide = pd.DataFrame.from_dict(rows, orient="index")
    columns = [f"{b} · {stat}" for b in heads.benchmark for stat in BENCHMARK_STATS]
    # Every model has a row: one without a benchmark's headline task has empty cells there.
    wide = wide.reindex(index=sorted(table.model.unique()), columns=columns)
    head = heads[heads.benchmark == rank_by].iloc[0]
    rows_of_head = table[table.task == head.task]
    lower = "higher_is_better" in table and bool(rows_of_head.higher_is_better.eq(False).all())
    wide = wide.sort_values(f"{rank_by} · mean", ascending=lower, na_position="last")
    wide.insert(0, "details", [
        "/languages?" + urlencode({"benchmark": rank_by, "task": head.task, "models": m})
        for m in wide.index
    ])  # fmt: skip
    wide.index.name = "model"
    return wide


SORTS = ("score", "gap to English", "family", "script")


def language_order(units: pd.DataFrame, how: str) -> list[str]:
    """The heatmap's languages: best first by mean over models (`score`), largest gap to
    English first, or grouped by family / script (then by name)."""
    present = list(units.language.unique())
    if how in ("family", "script"):
        group = langs.family if how == "family" else langs.script
        return sorted(present, key=lambda c: (group(c), langs.name(c)))
    signed = units.assign(_s=_signed(units))
    by_language = signed.groupby("language")._s.mean()
    if how == "gap to English" and "eng_Latn" in by_language:
        gap = by_language["eng_Latn"] - by_language
        return sorted(present, key=lambda c: (-gap.get(c, 0.0), langs.name(c)))
    return sorted(present, key=lambda c: (-by_language.get(c, 0.0), langs.name(c)))


def language_heatmap(units: pd.DataFrame, order: list[str], grouped_by: str | None) -> alt.Chart:
    """Models x languages with the value in each cell, on the metric's full scale."""
    scale = float(units.metric_scale.dropna().iloc[0]) if units.metric_scale.notna().any() else 1.0
    lower = bool(units.higher_is_better.eq(False).all())
    metric = units.metric.iloc[0]
    group = {"family": langs.family, "script": langs.script}.get(grouped_by or "")
    data = units.assign(
        name=units.language.map(
            lambda c: f"{group(c)} · {langs.name(c)}" if group else langs.name(c)),
        shown=[None if pd.isna(v) else (v * 100 if scale <= 1 else v) for v in units.value],
    )  # fmt: skip
    names = [data[data.language == c].name.iloc[0] for c in order]
    models = (
        data.assign(_s=_signed(data)).groupby("model")._s.mean().sort_values(ascending=False)
    ).index.tolist()
    shown_top = 100.0
    colour = alt.Color(
        "shown:Q", title=f"{metric} ({'lower' if lower else 'higher'} is better)",
        scale=alt.Scale(scheme="redyellowgreen", domain=[0, shown_top], reverse=lower),
        legend=alt.Legend(orient="bottom", gradientLength=240, titleLimit=360),
    )  # fmt: skip
    base = alt.Chart(data).encode(
        x=alt.X("name:N", sort=names, title=None, axis=alt.Axis(labelAngle=-40, labelLimit=160)),
        y=alt.Y("model:N", sort=models, title=None, axis=alt.Axis(labelLimit=220)),
        tooltip=[
            "model", alt.Tooltip("name:N", title="language"),
            alt.Tooltip("language:N", title="code"),
            alt.Tooltip("shown:Q", title=metric, format=".1f"), "n",
        ],
    )  # fmt: skip
    cells = base.mark_rect().encode(color=colour)
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("shown:Q", format=".1f"), color=alt.value("#1d1d1f")
    )
    return (cells + text).properties(height=alt.Step(26))


def language_filter(present: list[str]) -> list[str]:
    """Family and script filters (URL-backed); returns the languages they keep."""
    left, right = st.columns(2)
    with left:
        families = common.choose_many(
            "Language families", sorted({langs.family(c) for c in present}), "families"
        )
    with right:
        scripts = common.choose_many(
            "Scripts", sorted({langs.script(c) for c in present}), "scripts"
        )
    return [
        c
        for c in present
        if (not families or langs.family(c) in families)
        and (not scripts or langs.script(c) in scripts)
    ]


def render() -> None:
    st.title("Overview")
    table, units = common.query("overview"), common.query("overview_units")
    if table.empty:
        common.empty_state(f"No scores yet. Score a model with: `{FILL}`")
        return
    left, right = st.columns(2)
    with left:
        models = common.choose_many("Models", sorted(table.model.unique()), "models")
    with right:
        benchmarks = common.choose_many(
            "Benchmarks", sorted(table.benchmark.unique()), "benchmarks"
        )
    present = sorted(units.language.unique())
    kept = language_filter(present)
    units = units[units.language.isin(kept)]
    if len(kept) < len(present):  # the stored parity covers all languages: recompute
        table = recompute(units)
        shown = ", ".join(kept[:20]) + (" …" if len(kept) > 20 else "")
        st.caption(f"Mean, worst and gap over {len(kept)} of {len(present)} languages: {shown}")
    table = table[
        table.model.isin(models or table.model)
        & table.benchmark.isin(benchmarks or table.benchmark)
    ]
    if table.empty:
        common.empty_state("No model × task matches these filters; clear some of them.")
        return
    heads = headlines(table)
    benchmark = common.choose("Benchmark", list(heads.benchmark), "benchmark",
                              default=heads.benchmark.iloc[0])  # fmt: skip
    shown = heads.assign(what=[f"{h.task} ({h.metric})" for h in heads.itertuples()])
    st.caption(
        "Each benchmark shows its headline task (the most results) and that task's primary "
        "metric: " + "; ".join(f"{common.plain(h.benchmark)}: {common.plain(h.what)}"
                                for h in shown.itertuples())
        + ". 0–1 metrics in percent points, 0–100 metrics as they are; models ranked on "
        + common.plain(benchmark) + "."
    )  # fmt: skip
    scales = units.groupby("task").metric_scale.first().fillna(1.0).to_dict()
    board = benchmark_table(table, heads, benchmark, scales)
    config: dict[str, object] = {
        "details": st.column_config.LinkColumn("details", display_text="languages ›")
    }
    for column in board.columns:
        if column.endswith((" · mean", " · gap")):
            config[column] = st.column_config.NumberColumn(column, format="%.1f")
    common.drill_table(
        board, "board", "languages",
        label=lambda row: f"{row.name}: languages on {benchmark} ›",
        # with the Languages page's own choices, so that opening it adds no history entry
        params=lambda row: {**dict(parse_qsl(urlsplit(row.details).query)), "sort": "score",
                            "model": str(row.name)},  # fmt: skip
        column_config=config,
    )  # fmt: skip

    head = heads[heads.benchmark == benchmark].iloc[0]
    left, right = st.columns(2)
    with left:
        tasks = sorted(table[table.benchmark == benchmark].task.unique())
        task = common.choose("Task", tasks, "heat_task", default=head.task)
    with right:
        how = common.choose("Sort languages by", list(SORTS), "sort")
    cells = units[(units.task == task)]
    if not cells.empty:
        order = language_order(cells, how or "score")
        chart = language_heatmap(cells, order, how if how in ("family", "script") else None)
        common.chart(chart, f"{task}-languages")

    st.subheader("Every task")
    st.caption(
        "Mean, worst language (a link to its samples) and gap of each task's primary metric."
    )
    wide = matrix(table, units)
    config = {
        c: st.column_config.LinkColumn(
            c, display_text=LANGUAGE_IN_URL, help="Samples of the worst language"
        )
        if c.endswith("worst language")
        else st.column_config.NumberColumn(c, format="%.3f")
        for c in wide.columns
    }
    st.dataframe(wide, column_config=config)

    st.subheader("Samples of a cell")
    left, right = st.columns(2)
    with left:
        model = common.choose("Model", list(wide.index), "cell_model")
    with right:
        task = common.choose("Task", sorted(table.task.unique()), "cell_task")
    cell = units[(units.model == model) & (units.task == task)]
    if cell.empty:
        common.empty_state(
            f"{model} has no scores on {task}: `xbench run --model {model} --tasks {task}`"
        )
    else:
        common.sample_links(cell)
