"""xbench leaderboard: where each model is strong and where it fails, language by language.

    xbench leaderboard [--db PATH] [--port N]
    (or: streamlit run leaderboard/app.py -- --db PATH)

Read-only: every query is a short read-only connection through `queries.py`, so it never blocks
a running `xbench run`. Filters live in the URL query, so any view can be shared as a link.
"""

from __future__ import annotations

import duckdb
import streamlit as st

from xbench.errors import XbenchError
from xbench_leaderboard import common, navigation

FILL_COMMAND = "xbench run --model smollm2-135m --tasks mgsm_native_cot,mgsm_en_cot --limit 20"


def main() -> None:
    st.set_page_config(page_title="xbench leaderboard", layout="wide")
    page = navigation.register()
    db = common.db_path()
    try:
        has_runs = common.query("has_runs")
    except XbenchError as exc:  # no file, an older or newer schema, a damaged file
        st.title("xbench leaderboard")
        common.empty_state(common.plain(str(exc)))
        return
    if not has_runs:
        st.title("xbench leaderboard")
        common.empty_state(
            f"The store {common.plain(str(db))} holds no runs yet. Fill it with: "
            f"`{FILL_COMMAND} --db {db}`"
        )
        return
    try:
        page.run()
    except XbenchError as exc:
        st.error(common.plain(str(exc)))
    except duckdb.Error as exc:  # damage found only when a page reads that part of the file
        st.error(
            common.plain(
                f"The store {db} could not be read ({type(exc).__name__}: {exc}); it may be "
                "damaged: restore it from a backup, or move it aside to start a new store."
            )
        )


main()
