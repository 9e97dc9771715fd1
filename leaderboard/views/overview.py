"""Overview: every model x task at a glance — the mean over languages, the worst language and
the gap (best − worst), from each model's latest run of the task.

A language family or script filter recomputes the three over the kept languages (the parity
view's definitions, from the units behind it). Each worst language links to its samples.
"""

from __future__ import annotations

from urllib.parse import urlencode

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


def sample_links(units: pd.DataFrame) -> str:
    """Markdown links `language score` to each unit's samples, worst first."""
    ordered = units.assign(_s=_signed(units)).sort_values(["_s", "language"], na_position="first")
    return " · ".join(
        f"[{u.language} {'–' if pd.isna(u.value) else f'{u.value:.3f}'}]"
        f"({samples_url(u.run_id, u.task_name)})"
        for u in ordered.itertuples()
    )


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
        st.markdown(sample_links(cell))
