"""What every leaderboard page shares: the store path, cached queries, URL-backed filters."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from xbench import languages, settings
from xbench_leaderboard import queries

T = TypeVar("T")
CACHE_TTL_S = 5  # a running `xbench run` shows up within seconds


def db_path() -> Path:
    """`streamlit run app.py -- --db PATH`, else $XBENCH_DB, else the user data dir."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    return settings.db_path(parser.parse_known_args(sys.argv[1:])[0].db)


def query(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call `queries.<name>(db, *args)`, cached for a few seconds per store and arguments."""
    return _cached_query(str(db_path()), name, *args, **kwargs)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _cached_query(db: str, name: str, *args: Any, **kwargs: Any) -> Any:
    return getattr(queries, name)(db, *args, **kwargs)


def choose(label: str, options: Sequence[T], key: str, *, default: T | None = None,
           fmt: Callable[[T], str] = str) -> T | None:  # fmt: skip
    """A selectbox whose value lives in the URL query (`?key=value`), so a view is a link."""
    options = list(options)
    if not options:
        return None
    wanted = st.query_params.get(key)
    by_text = {fmt(o) if not isinstance(o, str) else o: o for o in options}
    value = by_text.get(wanted) if wanted is not None else None
    if value is None:
        value = default if default in options else options[0]
    chosen = st.selectbox(
        label, options, index=options.index(value), format_func=fmt, key=f"w_{key}"
    )
    st.query_params[key] = chosen if isinstance(chosen, str) else fmt(chosen)
    return chosen


def choose_task() -> str | None:
    """Benchmark, then one of its tasks (`?benchmark=..&task=..`); None when nothing is stored.
    Call it inside two columns' worth of width: it lays out its own two columns."""
    left, right = st.columns(2)
    with left:
        benchmark = choose("Benchmark", query("benchmarks"), "benchmark")
    with right:
        return choose("Task", query("tasks", benchmark), "task")


def task_rows(query_name: str, fill: str) -> tuple[str, Any] | None:
    """A page's common head: benchmark and task choosers, then `queries.<query_name>(task)`
    narrowed to the models chosen (`?models=..`; none chosen: all). None after an empty state
    naming `fill`, the run command that would give the page something to show."""
    left, right = st.columns(2)
    with left:
        task = choose_task()
    if task is None:
        empty_state(f"No scores yet. Score a model with: `{fill}`")
        return None
    rows = query(query_name, task)
    with right:
        models = choose_many("Models", sorted(rows.model.unique()), "models")
    return task, rows[rows.model.isin(models or rows.model)]


def one_metric(rows: Any, key: str = "metric", label: str = "Metric") -> Any:
    """The rows of one metric: a picker when the task has several (default: its primary
    metric), so no chart or table stacks metrics. Says which way the metric is better."""
    metrics = sorted(rows.metric.unique())
    if not metrics:
        return rows
    primary = sorted(rows[rows.primary_metric.fillna(True)].metric.unique()) or metrics
    metric = choose(label, metrics, key, default=primary[0]) if len(metrics) > 1 else metrics[0]
    rows = rows[rows.metric == metric]
    if not rows.empty and rows.higher_is_better.eq(False).all():
        st.caption(f"{plain(metric)}: lower is better — worst is the highest value")
    return rows


def choose_many(label: str, options: Sequence[str], key: str) -> list[str]:
    """A multiselect backed by `?key=a,b`; empty means "all"."""
    wanted = [v for v in st.query_params.get(key, "").split(",") if v in options]
    chosen = st.multiselect(label, list(options), default=wanted, key=f"w_{key}")
    if chosen:
        st.query_params[key] = ",".join(chosen)
    elif key in st.query_params:
        del st.query_params[key]
    return chosen


def text_input(label: str, key: str) -> str:
    value = st.text_input(label, value=st.query_params.get(key, ""), key=f"w_{key}")
    if value:
        st.query_params[key] = value
    elif key in st.query_params:
        del st.query_params[key]
    return value


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=^])")


def plain(text: str, limit: int = 300) -> str:
    """`text` (a URL parameter, a name, an error) made safe inside Streamlit Markdown: every
    Markdown-active character escaped, so it shows as typed and never becomes a link, an image
    or formatting; one line, at most `limit` characters."""
    one_line = " ".join(str(text).split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line)


# The app's pages by url path, registered by app.py on every run: drill-downs link to them.
PAGES: dict[str, Any] = {}
KEPT_FILTERS = ("models", "metric")  # what a drill-down carries over to the page it opens


def link(path: str, label: str, params: dict[str, str], *, help: str | None = None) -> None:
    """A drill-down to another page in the same tab and session (no reload), with `params` and
    the shared filters of this view (`KEPT_FILTERS`) in its URL; the browser's back button
    returns to this view as it was."""
    kept = {k: st.query_params[k] for k in KEPT_FILTERS if k in st.query_params}
    st.page_link(PAGES[path], label=label, query_params={**kept, **params}, help=help)


def samples_params(run_id: str, task_name: str, model: str) -> dict[str, str]:
    """A drill-down's query for the Samples page of one unit, with every choice that page would
    otherwise write itself: Streamlit adds a history entry for each change of the URL query,
    and one made as the page opens would trap the back button on it."""
    return {"model": model, "run": run_id, "unit": task_name, "show": "all", "page": "1"}


def drill_table(frame: pd.DataFrame, key: str, to: str, label: Callable[[Any], str],
                params: Callable[[Any], dict[str, str]], **dataframe: Any) -> None:  # fmt: skip
    """`st.dataframe(frame)` whose rows can be selected: a selected row gives a same-tab link
    to page `to` (`label(row)`, `params(row)`; `row.name` is its index). Link columns in the
    table still open a new tab, for those who want one."""
    event = st.dataframe(frame, key=key, on_select="rerun", selection_mode="single-row",
                         **dataframe)  # fmt: skip
    rows = list(event.selection.rows) if event else []
    if not rows:
        st.caption("Select a row to open it here.")
    for i in rows:
        row = frame.iloc[i]
        link(to, label(row), params(row))


def sample_links(units: pd.DataFrame) -> None:
    """One same-tab link per unit to its samples, `language score`, worst first (the metric's
    direction), in a row that wraps."""
    higher = units.higher_is_better.fillna(True) if "higher_is_better" in units else True
    ordered = units.assign(_s=units.value.where(higher, -units.value), shown_name=units.language.map(
        languages.name)).sort_values(["_s", "shown_name"], na_position="first")  # fmt: skip
    with st.container(horizontal=True, gap="small"):
        for u in ordered.itertuples():
            score = "–" if pd.isna(u.value) else f"{u.value:.3f}"
            link("samples", f"{u.shown_name} {score}",
                 samples_params(u.run_id, u.task_name, u.model),
                 help=f"Samples of {u.model} in {language_label(u.language)}")  # fmt: skip


def language_label(code: str) -> str:
    """`deu_Latn` -> `German (deu_Latn · Indo-European, Latin)`: what a hover shows."""
    return f"{languages.name(code)} ({code} · {languages.family(code)}, {languages.script(code)})"


def chart_file(chart: Any, fmt: str) -> bytes:
    """`chart` (Altair) drawn as an SVG or PNG file, offline (vl-convert's bundled Vega)."""
    import vl_convert

    spec = chart.to_dict()
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode()
    return vl_convert.vegalite_to_png(spec, scale=2)


def chart(figure: Any, name: str, **kwargs: Any) -> Any:
    """`st.altair_chart(figure, **kwargs)` with SVG and PNG downloads beneath (drawn only when
    clicked); `name` is the file's name and the buttons' key. Tables have CSV downloads in
    their own toolbar."""
    event = st.altair_chart(figure, **kwargs)
    name = re.sub(r"[^\w.+-]+", "_", name)  # a model spec's ':' and '/' never reach a file name
    with st.container(horizontal=True, gap="small"):
        for fmt, mime in (("svg", "image/svg+xml"), ("png", "image/png")):
            st.download_button(
                fmt.upper(), lambda fmt=fmt: chart_file(figure, fmt), file_name=f"{name}.{fmt}",
                mime=mime, key=f"download_{name}_{fmt}", on_click="ignore", type="tertiary",
                icon=":material/download:", help=f"Download this chart as {fmt.upper()}",
            )  # fmt: skip
    return event


def empty_state(message: str) -> None:
    st.info(message)


def coverage(n: Any, of: Any) -> str:
    """ "9/11": a result over 9 of the task's 11 languages ("9" when the total is not known)."""
    if of is None or pd.isna(of):
        return f"{int(n)}"
    return f"{int(n)}/{int(of)}"
