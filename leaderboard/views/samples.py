"""Leaderboard page: one unit's samples, searchable and paged.

Other pages drill down here with `/samples?run=<run_id>&unit=<task_name>&q=<search>&page=<n>`.
Texts of a sensitive benchmark stay hidden until the reader asks for them; that choice lives in
the session only, never in the URL, so a shared link never reveals them.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import streamlit as st

from xbench.metrics import show
from xbench_leaderboard import common, queries

PAGE_SIZE = 20
# Where a search looks (`?scope=`): what each scope is called, and how the count says it.
SCOPES = {"unit": "", "run": "in every unit of this run", "model": "in every run of {model}"}
SCOPE_LABELS = {
    "unit": "this unit", "run": "every unit of this run", "model": "every run of this model",
}  # fmt: skip
CONTENT_WARNING = (
    "Content warning: this benchmark is marked sensitive. Like JiraiBench, it contains content "
    "about self-harm, eating disorders or drug overdose. Its texts (prompts, responses, answers) "
    "are hidden; scores and metadata stay visible."
)


def render() -> None:
    st.title("Samples")
    runs = common.query("runs")
    asked = {key: st.query_params.get(key) for key in ("run", "unit", "q", "show", "every")}
    if asked["run"] is not None and asked["run"] not in set(runs.run_id):
        st.warning(f"There is no run {common.plain(asked['run'])} in this store; choose one below.")
    elif asked["run"] is not None:  # a drill-down link: its run decides the model
        st.query_params["model"] = runs.loc[runs.run_id == asked["run"], "model"].iloc[0]

    left, middle, right = st.columns([2, 3, 3])
    with left:
        model = common.choose("Model", sorted(set(runs.model)), "model")
    own = runs[runs.model == model].set_index("run_id")
    with middle:
        run_id = common.choose(
            "Run", list(own.index), "run",
            fmt=lambda r: f"{own.started_at[r]:%Y-%m-%d %H:%M} · {own.status[r]} · {r}",
        )  # fmt: skip
    units = common.query("units", run_id)
    if units.empty:
        common.empty_state(
            f"Run {common.plain(run_id)} stored no samples. Fill one with: "
            f"xbench run \\-\\-model {common.plain(model)} \\-\\-tasks mgsm\\_native\\_cot "
            "\\-\\-limit 20"
        )
        return
    if (
        asked["run"] == run_id
        and asked["unit"] is not None
        and asked["unit"] not in set(units.task_name)
    ):
        st.warning(
            f"Run {common.plain(run_id)} has no unit {common.plain(asked['unit'])}; choose one below."
        )
    with right:
        unit = common.choose("Unit (task.language)", list(units.task_name), "unit")

    header = common.query("unit", run_id, unit)
    _header(header)
    show_texts = True
    if bool(header.sensitive.any()):
        st.warning(CONTENT_WARNING)
        # Session-only state keyed by unit: a link never reveals, another unit starts hidden.
        show_texts = st.checkbox("Show texts", value=False, key=f"reveal:{run_id}:{unit}")
    if show_texts:
        search = common.text_input("Search prompts, responses, answers and gold", "q")
    else:
        # Which hidden sample matches a query would tell what the hidden texts say: searching
        # a sensitive unit needs the same click as reading it. A link's query waits for it.
        st.text_input(
            "Search prompts, responses, answers and gold", value="", disabled=True,
            help="Search is off while the texts are hidden; tick 'Show texts' to search.",
        )  # fmt: skip
        search = ""
    left, right = st.columns(2)
    with left:
        shown = common.choose("Show", list(queries.SHOWN), "show")
    with right:
        if asked["every"] == "1" and "scope" not in st.query_params:  # links before ?scope=
            st.query_params["scope"] = "run"
        scope = common.choose(
            "Search in", list(SCOPES), "scope", fmt=SCOPE_LABELS.__getitem__,
        ) if show_texts and search else "unit"  # fmt: skip
        scope = scope or "unit"
    if show_texts and (run_id, unit, search, shown, scope) != (
        asked["run"], asked["unit"], asked["q"] or "", asked["show"] or "all",
        st.query_params.get("scope", "unit") if search else "unit",
    ):  # fmt: skip
        st.query_params["page"] = "1"  # another unit or search starts at its first page
    runs_searched = list(own.index) if scope == "model" else run_id
    _samples(runs_searched, None if scope != "unit" else unit, search, show_texts=show_texts,
             shown=shown or "all", where=SCOPES[scope].format(model=model))  # fmt: skip


def _header(header: pd.DataFrame) -> None:
    first = header.iloc[0]
    st.subheader(f"{common.plain(first.model)} on {common.plain(first.task_name)}")
    st.caption(
        common.plain(f"{first.benchmark} · {first.task} v{first.task_version} · {first.partition}")
    )
    cols = st.columns(5)
    cols[0].metric("Language", first.language, help=common.language_label(first.language))
    cols[1].metric(
        "Prompt language", first.prompt_language, help=common.language_label(first.prompt_language)
    )
    cols[2].metric("n", int(first.n))
    cols[3].metric("Errors", int(first.n_errors), help="samples with no scorable response")
    for row in header.itertuples():
        scale = row.metric_scale if not pd.isna(row.metric_scale) else 1.0
        ci = (
            "" if pd.isna(row.ci_low)
            else f"95% CI [{show(row.ci_low, scale)}, {show(row.ci_high, scale)}]"
        )  # fmt: skip
        value = "—" if pd.isna(row.value) else show(row.value, scale)
        unit = "%" if scale <= 1 else f" of {scale:.0f}"
        cols[4].metric(
            common.plain(f"{row.metric}{unit if value != '—' else ''}"), value,
            help=ci or "no answered samples",
        )  # fmt: skip
        if ci:
            cols[4].caption(ci)


def _samples(
    run_id: str | list[str],
    unit: str | None,
    search: str,
    *,
    show_texts: bool,
    shown: str = "all",
    where: str = "",
) -> None:
    try:
        page = max(int(st.query_params.get("page", "1")), 1)
    except ValueError:
        page = 1
    rows, total = _page(run_id, unit, search, page, shown)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if page > pages:  # a stale link past the end shows the last page
        page = pages
        rows, total = _page(run_id, unit, search, page, shown)
    st.query_params["page"] = str(page)

    kind = ("" if shown == "all" else f" ({shown})") + (f" {where}" if unit is None else "")
    found = f"{total} sample{'s' * (total != 1)}{kind}" + (
        f" matching “{common.plain(search, 120)}”" if search else ""
    )
    prev, info, nxt = st.columns([1, 4, 1])
    prev.button("← Previous", disabled=page <= 1, on_click=_go, args=(page - 1,), key="prev")
    info.caption(f"{found} · page {page} of {pages}")
    nxt.button("Next →", disabled=page >= pages, on_click=_go, args=(page + 1,), key="next")
    if rows.empty:
        common.empty_state(
            "No sample matches this search." if search
            else "No sample of this kind." if shown != "all" else "This unit has no samples."
        )  # fmt: skip
    for sample in rows.itertuples():
        _sample(sample, show_texts, with_unit=unit is None, with_run=not isinstance(run_id, str))


def _page(
    run_id: str | list[str], unit: str | None, search: str, page: int, shown: str = "all"
) -> tuple[pd.DataFrame, int]:
    offset = (page - 1) * PAGE_SIZE
    return common.query("samples", run_id, unit, search, limit=PAGE_SIZE, offset=offset,
                        show=shown)  # fmt: skip


def _go(page: int) -> None:
    st.query_params["page"] = str(page)


def _sample(sample: Any, show_texts: bool, with_unit: bool = False, with_run: bool = False) -> None:
    if sample.error is not None and not pd.isna(sample.error):
        verdict = "error"
    else:
        verdict = (
            "✓" if sample.score == 1 else ("✗" if sample.score == 0 else f"{sample.score:.2f}")
        )
    lang = sample.detected_language if isinstance(sample.detected_language, str) else "—"
    where = (f"{sample.run_id} · " if with_run else "") + (
        f"{sample.task_name} · " if with_unit else ""
    )
    with st.expander(f"{common.plain(where + str(sample.item_key))} · {verdict} · language {lang}"):
        meta = {
            "score": None if pd.isna(sample.score) else f"{sample.score:.3g}",
            "detected language": lang,
            "in expected language": (
                None if pd.isna(sample.in_expected) else "yes" if sample.in_expected else "no"
            ),
        }
        st.caption(
            common.plain(" · ".join(f"{k}: {'—' if pd.isna(v) else v}" for k, v in meta.items()))
        )
        if verdict == "error":
            st.error(
                common.plain(sample.error, 1000)
                if show_texts
                else "error (cause hidden with the texts)"
            )
        if not show_texts:
            st.caption("Texts hidden (see the content warning above).")
            return
        if not pd.isna(sample.response_chars):
            st.caption(
                f"Response cut to its first {len(sample.response):,} of "
                f"{int(sample.response_chars):,} characters before scoring."
            )
        if isinstance(sample.note, str):
            st.caption(f"Scorer: {common.plain(sample.note)}")
        calls = readable_calls(
            sample.extracted, sample.gold, alternatives=str(sample.task_name).startswith("bfcl")
        )
        if calls is not None:  # function calling: the outcome and both calls as call text
            outcome, made, expected = calls
            st.markdown(f"**Outcome:** {common.plain(outcome)}")
        left, right = st.columns(2)
        extracted, gold = (made, expected) if calls is not None else (sample.extracted, sample.gold)
        for col, label, text in (
            (left, "Prompt", sample.prompt), (right, "Response", sample.response),
            (left, "Calls made" if calls else "Extracted answer", extracted),
            (right, "Calls expected" if calls else "Gold", gold),
        ):  # fmt: skip
            col.caption(label)
            col.code("" if text is None or pd.isna(text) else text, language=None, wrap_lines=True)


def readable_calls(
    extracted: Any, gold: Any, *, alternatives: bool = False
) -> tuple[str, str, str] | None:
    """A function-calling sample's (outcome, calls made, calls expected) as call text —
    `get_weather(location="София")`; with `alternatives` (BFCL's gold lists every accepted
    value of an argument) those values joined with `|` — or None when the sample is not one
    (its extracted answer is not the scorer's outcome record)."""
    try:
        made = json.loads(extracted) if isinstance(extracted, str) else None
        expected = json.loads(gold) if isinstance(gold, str) else None
    except ValueError:
        return None
    if not (isinstance(made, dict) and "outcome" in made and isinstance(expected, list)):
        return None

    def value(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False)

    def call(c: Any, accepted: bool) -> str:
        if not isinstance(c, dict):
            return value(c)
        args = c.get("arguments") or {}
        shown = [
            f"{k}={' | '.join(value(x) for x in v) if accepted and isinstance(v, list) else value(v)}"
            for k, v in (args.items() if isinstance(args, dict) else [])
        ]  # fmt: skip
        return f"{c.get('name')}({', '.join(shown)})"

    outcome = str(made["outcome"]).replace("_", " ")
    calls = made.get("calls") or []
    return (
        outcome,
        "\n".join(call(c, False) for c in calls) or "(no call)",
        "\n".join(call(c, alternatives) for c in expected) or "(no call: the right answer is none)",
    )
