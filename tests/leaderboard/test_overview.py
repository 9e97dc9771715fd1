"""The Overview page: models x tasks with mean, worst language and gap, filters in the URL,
recomputation over a language family or script, and links from cells to their samples."""

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers import REPO
from tests.leaderboard import pages
from xbench import languages as xlangs
from xbench.store import Store
from xbench_leaderboard import queries
from xbench_leaderboard.views.overview import (
    headlines,
    language_heatmap,
    language_order,
    recompute,
    samples_url,
)

LOW, HIGH, SMOL = "fake:accuracy=0.3", "fake:accuracy=0.8", "smollm2-135m"


def open_page(**params: str) -> AppTest:
    return pages.open_page("overview", "Overview", **params)


def unit(db, model: str, task_name: str):
    scores = queries.unit_scores(db, task_name.partition(".")[0], model)
    return scores[scores.task_name == task_name].iloc[0]


def test_cells_show_the_stored_mean_worst_language_and_gap(app_env):
    table = open_page().dataframe[1].value  # every task (the expander under the heatmap)
    assert set(table.index) == {LOW, HIGH, SMOL}
    stored = queries.overview(app_env)
    assert len(stored) == 9  # 2 fakes x (2 MGSM modes + capitals + moodcheck) + SmolLM2 x 1
    for row in stored.itertuples():
        cell = table.loc[row.model]
        assert cell[f"{row.task} ({row.metric}) · mean"] == pytest.approx(row.mean)
        assert cell[f"{row.task} ({row.metric}) · worst"] == pytest.approx(row.worst)
        assert cell[f"{row.task} ({row.metric}) · gap"] == pytest.approx(row.gap)
        worst = unit(app_env, row.model, f"{row.task}.{row.worst_language}")
        assert cell[f"{row.task} ({row.metric}) · worst language"] == samples_url(
            worst.run_id, worst.task_name
        )
    # The fake at 0.3 is worst in German on English-CoT MGSM; its gap is best minus worst.
    assert table.loc[LOW, "mgsm_en_cot (accuracy) · worst language"].endswith(
        "unit=mgsm_en_cot.deu_Latn"
    )
    assert table.loc[LOW, "mgsm_en_cot (accuracy) · gap"] == pytest.approx(5 / 12 - 2 / 12)
    assert (
        table.loc[SMOL, "mgsm_direct (accuracy) · mean"] == 0.0
    )  # 2 items, 8 tokens: nothing right


def test_recompute_over_every_language_is_the_stored_parity(app_env):
    stored = queries.overview(app_env).set_index(["model", "task"]).sort_index()
    ours = recompute(queries.overview_units(app_env)).set_index(["model", "task"]).sort_index()
    for column in ["mean", "worst", "gap"]:
        assert ours[column].tolist() == pytest.approx(stored[column].tolist())
    assert ours.worst_language.tolist() == stored.worst_language.tolist()
    assert ours.languages.tolist() == stored.languages.tolist()


def test_a_family_filter_recomputes_over_its_languages(app_env):
    at = open_page(families="Indo-European")
    assert at.multiselect(key="w_families").value == ["Indo-European"]
    assert "over 3 of 6 languages: deu_Latn, eng_Latn, spa_Latn" in at.caption[0].value
    table = at.dataframe[1].value
    de, en = (unit(app_env, HIGH, f"mgsm_en_cot.{c}").value for c in ("deu_Latn", "eng_Latn"))
    assert table.loc[HIGH, "mgsm_en_cot (accuracy) · mean"] == pytest.approx((de + en) / 2)
    assert table.loc[HIGH, "mgsm_en_cot (accuracy) · gap"] == pytest.approx(abs(en - de))
    # moodcheck has English and Japanese; only English is Indo-European.
    assert table.loc[HIGH, "moodcheck (accuracy) · gap"] == 0
    # Picking a script in the widget lands in the URL, next to the family.
    at.multiselect(key="w_scripts").set_value(["Latin"]).run()
    assert at.query_params["scripts"] == "Latin" and at.query_params["families"] == "Indo-European"
    at.multiselect(key="w_families").set_value(["Japonic"]).run()
    assert "No model × task matches" in at.info[0].value  # Japanese is not written in Latin


def test_model_and_benchmark_filters_and_cell_samples_links(app_env):
    at = open_page(models=SMOL, benchmarks="mgsm", cell_task="mgsm_direct")
    table = at.dataframe[1].value
    assert table.index.tolist() == [SMOL]
    assert [c.partition(" · ")[0] for c in table.columns] == ["mgsm_direct (accuracy)"] * 4
    assert at.selectbox(key="w_cell_model").value == SMOL
    links = pages.links(at)
    run_id = unit(app_env, SMOL, "mgsm_direct.deu_Latn").run_id
    for language, name in (("deu_Latn", "German"), ("eng_Latn", "English")):
        # same tab, and the page's model filter carried along
        want = {"models": SMOL, "model": SMOL, "run": run_id, "unit": f"mgsm_direct.{language}",
                "show": "all", "page": "1"}  # fmt: skip
        assert (f"{name} 0.000", "samples", want) in links
    at.multiselect(key="w_models").set_value([LOW, HIGH]).run()
    assert at.query_params["models"] == f"{LOW},{HIGH}"
    assert set(at.dataframe[1].value.index) == {LOW, HIGH}


def test_a_model_without_the_chosen_task_says_which_run_fills_it(app_env):
    at = open_page(cell_model=SMOL, cell_task="capitals")
    assert f"`xbench run --model {SMOL} --tasks capitals`" in at.info[0].value


def test_a_store_with_a_run_but_no_scores_says_how_to_fill_it(tmp_path, monkeypatch):
    db = tmp_path / "x.duckdb"
    Store(db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "INSERT INTO runs (run_id, model, args, config_hash, versions, tasks, status, started_at)"
            " VALUES ('r1', 'fake', '{}', 'h', '{}', '[]', 'running', now())"
        )
    monkeypatch.setenv("XBENCH_DB", str(db))
    st.cache_data.clear()
    at = open_page()
    assert "No scores yet" in at.info[0].value and "xbench run --model" in at.info[0].value


def test_the_app_opens_on_the_overview(app_env):
    at = AppTest.from_file(str(REPO / "leaderboard" / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert set(at.dataframe[0].value.index) == {LOW, HIGH, SMOL}


@pytest.mark.parametrize("damage", ["truncated", "not a database", "newer schema"])
def test_a_damaged_or_newer_store_is_one_message_not_an_exception(
    app_env, tmp_path, monkeypatch, damage
):
    import shutil

    from xbench.store import MIGRATIONS

    db = tmp_path / "copy.duckdb"
    shutil.copy(app_env, db)
    if damage == "truncated":
        db.write_bytes(db.read_bytes()[:20_000])
    elif damage == "not a database":
        db.write_bytes(b"not duckdb at all" * 200)
    else:
        con = duckdb.connect(str(db))
        con.execute("INSERT INTO migrations VALUES (?, 'future', now())", [MIGRATIONS[-1][0] + 1])
        con.close()
    monkeypatch.setenv("XBENCH_DB", str(db))
    st.cache_data.clear()
    at = AppTest.from_file(str(REPO / "leaderboard" / "app.py"), default_timeout=60).run()
    assert not at.exception
    message = pages.shown(at.info[0].value)
    assert str(db) in message
    assert ("newer xbench" if damage == "newer schema" else "damaged") in message


def test_a_multi_metric_task_shows_its_primary_metric_named(mt_env):
    """MT stores four metrics per unit; the Overview shows one number per task, the primary
    metric (corpus chrF++), and says so in the column name."""
    at = open_page()
    table = at.dataframe[1].value
    tasks = {c.partition(" · ")[0] for c in table.columns}
    assert tasks == {"ntrex128_chat_en-x (chrF++)", "ntrex128_chat_x-en (chrF++)"}
    stored = queries.overview(mt_env)
    assert set(stored.metric) == {"chrF++"}
    # The benchmark group names its headline task and metric.
    assert "mt: ntrex128_chat_en-x (chrF++)" in pages.shown(at.caption[0].value)


def test_one_column_group_per_benchmark_ranked_with_coverage(app_env):
    """The benchmark with the most results comes first (MGSM: 2 fakes x 2 modes x 4 languages
    and SmolLM2 x 2); its headline task is its task with the most results (a tie: by name)."""
    stored = queries.overview(app_env)
    heads = headlines(stored)
    assert heads.benchmark.iloc[0] == "mgsm" and heads.task.iloc[0] == "mgsm_en_cot"
    at = open_page()
    assert at.selectbox(key="w_benchmark").value == "mgsm"
    board = at.dataframe[0].value
    assert board.columns[0] == "details"
    assert list(board.columns[1:5]) == [
        "mgsm · mean", "mgsm · worst language", "mgsm · gap", "mgsm · coverage"]  # fmt: skip
    assert board.index.tolist()[:2] == [HIGH, LOW]  # ranked on MGSM, best first
    row = stored[(stored.model == LOW) & (stored.task == "mgsm_en_cot")].iloc[0]
    assert board.loc[LOW, "mgsm · mean"] == pytest.approx(100 * row["mean"])  # percent points
    assert board.loc[LOW, "mgsm · worst language"] == "German"  # a name, not a code
    assert board.loc[LOW, "mgsm · coverage"] == "4/11"
    assert board.loc[LOW, "details"].startswith("/languages?benchmark=mgsm&task=mgsm_en_cot")
    # SmolLM2 has no English-CoT result: its MGSM cells are empty, not another task's.
    assert pd.isna(board.loc[SMOL, "mgsm · mean"])
    # Ranking on another benchmark reorders the rows.
    other = heads.benchmark.iloc[1]
    at.selectbox(key="w_benchmark").set_value(other).run()
    assert at.query_params["benchmark"] == other


def test_heatmap_languages_sort_and_numbers_on_a_fixed_scale(app_env):
    units = queries.overview_units(app_env)
    cells = units[units.task == "mgsm_en_cot"]
    by_family = language_order(cells, "family")
    assert by_family == sorted(
        set(cells.language), key=lambda c: (xlangs.family(c), xlangs.name(c))
    )
    assert by_family[:2] == ["swh_Latn", "eng_Latn"]  # Atlantic-Congo, then Indo-European
    by_score = language_order(cells, "score")
    means = cells.groupby("language").value.mean()
    assert [means[c] for c in by_score] == sorted(means, reverse=True)
    gap = language_order(cells, "gap to English")
    assert gap[-1] == "eng_Latn" or means[gap[-1]] >= means["eng_Latn"]
    spec = language_heatmap(cells, by_score, None).to_dict()
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["scale"]["domain"] == [0, 100.0]  # accuracy in percent points, 0-100
    assert spec["layer"][1]["mark"]["type"] == "text"  # the number in each cell
    names = {row["name"] for row in spec["datasets"][spec["data"]["name"]]}
    assert {"English", "German", "Swahili", "Chinese"} <= names
