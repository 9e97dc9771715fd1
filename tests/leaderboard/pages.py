"""Open one leaderboard page in streamlit's AppTest, as a link with URL query params would."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _render(view: str) -> None:
    # AppTest runs this function's source as a script: everything it uses is imported inside.
    import importlib

    from xbench_leaderboard import navigation

    navigation.register()  # the pages drill-downs link to (the app does the same)
    importlib.import_module(f"xbench_leaderboard.views.{view}").render()


def open_page(view: str, title: str, /, **params: str) -> AppTest:
    """Run `views/<page>.py`'s render() with `params` in the URL query; check it ran cleanly."""
    at = AppTest.from_function(_render, args=(view,), default_timeout=60)
    at.query_params.update(params)
    at.run()
    assert not at.exception
    assert at.title[0].value == title
    return at


def shown(markdown: str) -> str:
    """What a reader sees of Streamlit Markdown source: backslash escapes resolved."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown)


def links(at: AppTest) -> list[tuple[str, str, dict[str, str]]]:
    """Every same-tab drill-down on the page (`st.page_link`): label, page url path, params."""
    from urllib.parse import parse_qsl

    return [
        (e.proto.label, e.proto.page, dict(parse_qsl(e.proto.query_string)))
        for e in at.get("page_link")
    ]
