"""`xbench report --html/--markdown`: a self-contained report of several models that opens in
chromium without any request leaving the file, with heatmap numbers on each metric's fixed
scale; the Markdown has the same tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import xbench
from tests.helpers import xbench_cli

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def db(tmp_path_factory, shared_data):
    db = tmp_path_factory.mktemp("share") / "x.duckdb"
    for accuracy, name in ((0.9, "strong"), (0.3, "weak")):
        xbench.run(model=f"fake:accuracy={accuracy}", model_name=name,
                   tasks=["mgsm_direct", "ntrex128_chat_en-x"], languages=["en", "de", "ja", "th"],
                   limit=6, data_dir=shared_data, db=db, progress=False, bootstrap_resamples=50)  # fmt: skip
    return db


def test_markdown_report_has_every_section_and_the_numbers(db, tmp_path):
    out = tmp_path / "report.md"
    cli = xbench_cli("report", "strong", "weak", "--markdown", str(out), "--db", str(db))
    assert cli.returncode == 0, cli.stderr
    text = out.read_text(encoding="utf-8")
    for heading in ("## Overview", "## Per language", "## Parity", "## Transfer",
                    "## Language fidelity", "### ntrex128_chat_en-x · chrF++ (higher is better)"):  # fmt: skip
        assert heading in text
    assert "| Thai (tha_Thai) |" in text.split("### mgsm_direct")[1].split("\n")[2]
    overview = text.split("## Overview")[1].split("## Per language")[0]
    rows = [line for line in overview.splitlines() if "| mgsm_direct | accuracy |" in line]
    # The stronger model is ranked first; coverage is 4 of MGSM's 11 languages.
    assert [r.split(" | ")[0] for r in rows] == ["| strong", "| weak"]
    assert all("4/11 languages" in r and "limit 6, 0-shot" in r for r in rows)


def test_unknown_model_is_a_one_line_error(db, tmp_path):
    cli = xbench_cli("report", "strnog", "--html", str(tmp_path / "r.html"), "--db", str(db))
    assert cli.returncode == 2 and "did you mean strong?" in cli.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.browser
def test_html_report_opens_offline_in_chromium(db, tmp_path):
    from tests.leaderboard.server import chromium

    out = tmp_path / "report.html"
    cli = xbench_cli("report", "--html", str(out), "--db", str(db))
    assert cli.returncode == 0, cli.stderr
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=['\"]https?:", text) and "<script" not in text
    requests: list[str] = []
    with chromium() as browser:
        for width in (1440, 400):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(out.as_uri())
            assert page.title() == "xbench report: strong, weak"
            assert page.locator("h2").all_inner_texts() == [
                "Overview", "Per language", "Parity", "Transfer", "Language fidelity",
                "Tokens and the tokenizer tax"]  # fmt: skip
            assert page.locator("svg").count() == 2  # a bar chart per task
            cell = page.locator("td[title='strong · Thai (tha_Thai)']").first
            assert re.fullmatch(r"\d+\.\d", cell.inner_text())
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"html-report-{width}.png"), full_page=True)
            # Readable at 400 px: nothing wider than the page except inside scroll boxes.
            overflow = page.evaluate("document.body.scrollWidth - window.innerWidth")
            assert overflow <= 1, overflow
            page.close()
    assert all(url.startswith("file://") for url in requests), requests
