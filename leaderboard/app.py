"""xbench leaderboard: per-language scores from the store, read-only.

    streamlit run leaderboard/app.py -- --db PATH     (default: $XBENCH_DB or the user data dir)

This first page lists runs and one run's per-language scores with their confidence intervals;
the parity, transfer and sample views build on the same read-only store.
"""

from __future__ import annotations

import argparse
import sys

import streamlit as st

from xbench import settings
from xbench.errors import XbenchError
from xbench.store import Store


def _db_arg() -> str | None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    return parser.parse_known_args(sys.argv[1:])[0].db


def main() -> None:
    st.set_page_config(page_title="xbench", layout="wide")
    st.title("xbench: every language, not the average")
    path = settings.db_path(_db_arg())
    try:
        store = Store(path, read_only=True)
        runs = store.runs()
    except XbenchError as exc:
        st.info(f"{exc}. For example: `xbench run --model smollm2-135m --tasks mgsm --limit 5`")
        return
    if not runs:
        st.info(
            "No runs yet: `xbench run --model smollm2-135m --tasks mgsm --limit 5` fills this page."
        )
        return
    st.subheader("Runs")
    st.dataframe(runs, hide_index=True)
    run_id = st.selectbox("Run", [r["run_id"] for r in runs])
    scores = store.scores(run_id)
    st.subheader(f"Per-language scores of {run_id}")
    if not scores:
        st.info("This run has no finished task-language unit yet.")
        return
    st.dataframe(
        [
            {
                "task": s["task"], "language": s["language"], "prompt language": s["prompt_language"],
                "accuracy": s["value"], "95% CI low": s["ci_low"], "95% CI high": s["ci_high"],
                "n": s["n"], "errors": s["n_errors"],
            }
            for s in scores
        ],
        hide_index=True,
    )  # fmt: skip


main()
