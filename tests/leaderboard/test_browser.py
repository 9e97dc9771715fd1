"""Every page in a real browser: `xbench leaderboard` serves the filled store, headless Debian
chromium (Playwright) loads each page, checks it rendered without an exception box, and saves a
full-page screenshot under test-artifacts/screenshots/ (gitignored; look at them after a run)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.helpers import REPO
from tests.leaderboard import server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = server.PAGES
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    server.require_browser()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with server.chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def leaderboard(filled_db, browser):
    with server.serve(filled_db) as running:
        yield running


@pytest.fixture(params=[1400, 400], ids=["wide", "phone"])
def page(browser, request):
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_renders(leaderboard, page, path):
    url = f"{leaderboard.url}/{path}"
    server.load(page, url, PAGES[path])
    server.wait_until_drawn(page, server.KEY_ELEMENTS[path])
    assert page.get_by_role("heading", name=PAGES[path], level=1).first.is_visible()
    server.check_no_error(page, url)  # again, after the charts drew
    width = page.viewport_size["width"]
    server.full_screenshot(page, SCREENSHOTS / f"{path}-{width}.png")
    # Readable on a phone too: the page itself never scrolls sideways (tables and charts
    # scroll or shrink inside their own boxes).
    overflow = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=\\\"stMain\\\"], body')]"
        ".map(e => e.scrollWidth - e.clientWidth))"
    )
    assert overflow <= 1, f"{path} at {width} px scrolls sideways by {overflow} px"
    # The sidebar links every page (st.navigation), so each page is reachable by a click too.
    nav = page.locator('[data-testid="stSidebarNav"]')
    for title in PAGES.values():
        assert nav.get_by_text(title, exact=True).count() == 1


def test_root_is_the_overview(leaderboard, page):
    server.load(page, leaderboard.url, PAGES["overview"])


def test_missing_database_explains_how_to_fill_it(tmp_path, browser, page):
    missing = tmp_path / "none.duckdb"
    with server.serve(missing) as running:
        server.load(page, running.url, "xbench leaderboard")
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "xbench run" in text and str(missing) in text
        server.full_screenshot(page, SCREENSHOTS / "missing-database.png")
    assert not missing.exists()  # the leaderboard never creates a store


def test_sigterm_stops_the_server(tmp_path):
    """SIGTERM to `xbench leaderboard` alone (not its process group) must stop the server too."""
    with server.serve(tmp_path / "none.duckdb") as running:
        os.kill(running.process.pid, signal.SIGTERM)
        running.process.wait(server.STOP_TIMEOUT_S)
        deadline = time.monotonic() + server.STOP_TIMEOUT_S
        while running.healthy() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not running.healthy(), "Streamlit outlived `xbench leaderboard`"


@pytest.fixture(scope="module")
def mt_leaderboard(mt_db, browser):
    with server.serve(mt_db) as running:
        yield running


# A multi-metric task (MT: chrF++, BLEU, TER lower-is-better, sentence chrF++) on every page
# that shows a task, opened on a non-primary, lower-is-better metric where it has a picker.
MT_PAGES = {
    "overview": "",
    "languages": "?benchmark=mt&task=ntrex128_chat_en-x&metric=TER",
    "parity": "?benchmark=mt&task=ntrex128_chat_en-x&metric=TER",
    "transfer": "?task=ntrex128_chat_x-en&metric=TER",
    "fidelity": "",
    "runs": "",
}


@pytest.mark.parametrize("path", MT_PAGES)
def test_a_multi_metric_task_renders_on_every_page(mt_leaderboard, page, path):
    url = f"{mt_leaderboard.url}/{path}{MT_PAGES[path]}"
    server.load(page, url, PAGES[path])
    server.wait_until_drawn(page, server.KEY_ELEMENTS[path])
    server.check_no_error(page, url)
    server.full_screenshot(page, SCREENSHOTS / f"mt-{path}.png")


def test_a_drill_down_opens_in_the_same_tab_and_back_keeps_the_filters(leaderboard, page):
    """Overview → a language's samples: same tab, same session (no new page or reload); the
    model filter travels along; the browser's back button returns to the filtered view."""
    model = "fake:accuracy=0.8"
    query = f"?models={model}&cell_model={model}&cell_task=mgsm_native_cot"
    server.load(page, f"{leaderboard.url}/overview{query}", "Overview")
    server.wait_until_drawn(page, server.KEY_ELEMENTS["overview"])
    page.locator('[data-testid="stPageLink"] a:visible', has_text="German").first.click()
    page.get_by_role("heading", name="Samples", level=1).first.wait_for(timeout=30_000)
    page.wait_for_selector(server.APP_IDLE, timeout=30_000)
    assert len(page.context.pages) == 1  # no new tab
    assert "/samples?" in page.url and "unit=mgsm_native_cot.deu_Latn" in page.url
    assert "models=fake" in page.url
    server.check_no_error(page, page.url)
    page.go_back()  # once: opening the Samples page added no history entry of its own
    overview = page.get_by_role("heading", name="Overview", level=1)
    overview.first.wait_for(timeout=30_000)
    assert "/overview?" in page.url and "cell_task=mgsm_native_cot" in page.url
    # the filter is in effect again, not only in the URL
    chosen = page.locator('[data-testid="stMultiSelect"]').first.inner_text()
    assert model in chosen


def test_charts_download_as_svg_and_png_and_tables_as_csv(leaderboard, page, tmp_path):
    url = f"{leaderboard.url}/languages?benchmark=mgsm&task=mgsm_native_cot"
    server.load(page, url, "Languages")
    server.wait_until_drawn(page, server.KEY_ELEMENTS["languages"])
    for fmt, head in (("SVG", b"<svg"), ("PNG", b"\x89PNG")):
        with page.expect_download(timeout=60_000) as download:
            button = page.locator('[data-testid="stDownloadButton"] button:visible', has_text=fmt)
            button.first.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == f"mgsm_native_cot-languages.{fmt.lower()}"
        content = saved.read_bytes()
        assert content.startswith(head) or head in content[:200]
        if fmt == "SVG":
            assert b"German" in content and b"Swahili" in content  # the languages, by name
    # A table's own toolbar downloads it as CSV. Chromium would ask where to save it (the
    # File System Access picker); without the picker Streamlit downloads it as a file.
    page.add_init_script("delete window.showSaveFilePicker")
    server.load(page, f"{leaderboard.url}/runs", "Runs")
    server.wait_until_drawn(page, server.KEY_ELEMENTS["runs"])
    page.locator('[data-testid="stDataFrame"]').first.hover()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download as CSV").locator("visible=true").first.click()
    saved = tmp_path / "runs.csv"
    download.value.save_as(saved)
    header = saved.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "model" in header and "status" in header
