"""The leaderboard's pages, registered with Streamlit so that drill-downs (`common.link`) can
open them in the same tab."""

from __future__ import annotations

import streamlit as st

from xbench_leaderboard import common
from xbench_leaderboard.views import (
    compare,
    cost,
    fidelity,
    languages,
    overview,
    parity,
    runs,
    samples,
    transfer,
)


def pages() -> list[st.Page]:
    return [
        st.Page(overview.render, title="Overview", url_path="home", default=True),  # at "/"
        # The default page is served at "/"; this hidden alias keeps "/overview" links working.
        st.Page(overview.render, title="Overview", url_path="overview", visibility="hidden"),
        st.Page(languages.render, title="Languages", url_path="languages"),
        st.Page(parity.render, title="Parity", url_path="parity"),
        st.Page(transfer.render, title="Transfer", url_path="transfer"),
        st.Page(fidelity.render, title="Fidelity", url_path="fidelity"),
        st.Page(compare.render, title="Compare", url_path="compare"),
        st.Page(cost.render, title="Cost", url_path="cost"),
        st.Page(samples.render, title="Samples", url_path="samples"),
        st.Page(runs.render, title="Runs", url_path="runs"),
    ]


def register() -> st.Page:
    """`st.navigation` over every page, each also known to `common.link` by its url path (the
    default page, served at "/", as "home"); returns the page the URL asks for."""
    every = pages()
    page = st.navigation(every)
    common.PAGES.clear()
    common.PAGES.update({p.url_path or "home": p for p in every if p.visibility == "visible"})
    return page
