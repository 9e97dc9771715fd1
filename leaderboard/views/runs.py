"""Leaderboard page: every run's metadata — model, arguments, versions, data sources, timings,
status and the real cause of a failure (`/runs?run=<run_id>`)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from xbench_leaderboard import common


def render() -> None:
    st.title("Runs")
    runs = common.query("runs")
    table = runs.assign(
        coverage=[f"{d}/{p}" if pd.notna(p) else str(d)
                  for d, p in zip(runs.units_done, runs.units_planned, strict=True)],
    )  # fmt: skip
    st.dataframe(
        table[
            [
                "model",
                "benchmarks",
                "languages",
                "coverage",
                "status",
                "settings",
                "started_at",
                "duration_s",
                "error",
                "run_id",
            ]
        ],  # fmt: skip
        hide_index=True,
        column_config={
            "coverage": st.column_config.TextColumn("units", help="units stored / units asked for"),
            "started_at": st.column_config.DatetimeColumn("started", format="YYYY-MM-DD HH:mm:ss"),
            "duration_s": st.column_config.NumberColumn("duration (s)", format="%.1f"),
        },
    )
    by_id = runs.set_index("run_id")
    run_id = common.choose(
        "Run", list(by_id.index), "run",
        fmt=lambda r: f"{r} · {by_id.model[r]} · {by_id.status[r]}",
    )  # fmt: skip
    if run_id is None:
        return
    run = by_id.loc[run_id]
    st.header(f"{run.model} · {run_id}")
    _status(run)

    units = common.query("units", run_id)
    left, right = st.columns(2)
    with left:
        st.subheader("Arguments")
        st.dataframe(settings_table(_json(run.args) or {}), hide_index=True)
        st.subheader("Model")
        st.dataframe(settings_table(_json(run.model_info) or {}), hide_index=True)
    with right:
        st.subheader("Versions")
        versions = _json(run.versions) or {}
        st.dataframe(pd.Series(versions, name="version").rename_axis("package"))
        st.markdown(f"Git hash: `{run.git_hash or 'not in a git checkout'}`")

    st.subheader("Task variants and data sources")
    st.dataframe(pd.DataFrame(_json(run.tasks) or []), hide_index=True)

    st.subheader("Timings per unit")
    if units.empty:
        common.empty_state(
            "This run stored no unit yet. Rerun the same `xbench run` command to resume it."
        )
        return
    units = units.assign(
        samples=[f"/samples?{urlencode({'run': run_id, 'unit': u})}" for u in units.task_name]
    )
    st.caption(
        f"{len(units)} unit{'s' * (len(units) != 1)}, {units.duration_s.sum():.1f} s of model time in all"
    )
    common.drill_table(
        units.drop(columns=["sensitive"]),
        "units",
        "samples",
        label=lambda row: f"Samples of {row.task_name} ›",
        params=lambda row: common.samples_params(run_id, row.task_name, run.model),
        hide_index=True,
        column_config={
            "value": st.column_config.NumberColumn("score", format="%.3f"),
            "duration_s": st.column_config.NumberColumn("duration (s)", format="%.2f"),
            "samples": st.column_config.LinkColumn("samples", display_text="open"),
        },
    )


def settings_table(values: dict[str, Any], prefix: str = "") -> pd.DataFrame:
    """A nested JSON object as readable rows `setting · value`: nested keys joined with a dot
    (`generation.temperature`), lists as comma-separated text, nothing left as a JSON tree."""
    rows: list[dict[str, str]] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(v, f"{key}.{k}" if key else str(k))
        elif isinstance(value, list):
            if any(isinstance(v, dict | list) for v in value):
                for i, v in enumerate(value):
                    walk(v, f"{key}[{i}]")
            else:
                rows.append({"setting": key, "value": ", ".join(map(str, value)) or "—"})
        else:
            rows.append({"setting": key, "value": "—" if value in (None, {}) else str(value)})

    walk(values, prefix)
    return pd.DataFrame(rows, columns=["setting", "value"])


def _status(run: pd.Series) -> None:
    started = f"started {run.started_at:%Y-%m-%d %H:%M:%S}"
    if run.status == "failed":
        st.error(f"**Failed** ({started}): {common.plain(str(run.error), 2000)}")
    elif run.status == "running":
        st.info(f"**Running** ({started}) — or interrupted: rerunning the same command resumes it.")
    else:
        st.success(f"**Completed** ({started}) in {run.duration_s:.1f} s")


def _json(text: str | None) -> Any:
    return None if text is None or pd.isna(text) else json.loads(text)
