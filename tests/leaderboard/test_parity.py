"""The Parity page: gap, min/max ratio, CV and Gini per model for one task, and one model's
languages as a sorted bar chart with CIs; its choices live in the URL."""

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.leaderboard import pages
from xbench import languages as xlangs
from xbench_leaderboard import queries

LOW, HIGH = "fake:accuracy=0.3", "fake:accuracy=0.8"
MEASURES = ["gap", "min_max_ratio", "cv", "gini"]


def open_page(**params: str) -> AppTest:
    return pages.open_page("parity", "Parity", **params)


def charts(at: AppTest):
    """Each chart's Vega-Lite spec and data."""
    return [
        (json.loads(c.proto.spec), pa.ipc.open_stream(c.proto.datasets[0].data.data).read_pandas())
        for c in at.get("vega_lite_chart")
    ]


def test_measures_per_model_match_the_store(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_en_cot")
    stored = queries.parity(app_env, "mgsm_en_cot").set_index("model")
    table = at.dataframe[0].value.set_index("model")
    assert set(table.index) == {LOW, HIGH}
    for column in ["mean", "worst", "best", *MEASURES]:
        assert table[column].tolist() == pytest.approx(stored.loc[table.index, column].tolist())
    assert table.loc[LOW, "worst_language"] == "German (deu_Latn)"  # named, code alongside
    (spec, measures), _ = charts(at)
    assert spec["facet"]["field"] == "measure" and spec["columns"] == 1  # stacked: fits a phone
    assert spec["spec"]["mark"]["type"] == "bar"
    assert len(measures) == 2 * 4
    gini = measures[measures.measure == "Gini"].set_index("model").value
    assert gini.loc[LOW] == pytest.approx(stored.loc[LOW, "gini"])
    assert stored.loc[LOW, "gini"] > stored.loc[HIGH, "gini"] > 0


def test_a_models_languages_sorted_with_their_cis(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_native_cot", model=HIGH)
    _, (spec, scores) = charts(at)
    stored = queries.unit_scores(app_env, "mgsm_native_cot", HIGH)
    stored = stored.assign(name=stored.language.map(xlangs.name)).set_index("name")
    bars, errors = spec["layer"]
    order = bars["encoding"]["y"]["sort"]  # language names, the codes on hover
    assert sorted(order) == sorted(stored.index)
    assert [stored.value[c] for c in order] == sorted(stored.value, reverse=True)
    assert (errors["encoding"]["x"]["field"], errors["encoding"]["x2"]["field"]) == ("ci_low", "ci_high")  # fmt: skip
    got = scores.set_index("name").loc[order]
    for column in ["value", "ci_low", "ci_high", "n"]:
        assert got[column].tolist() == pytest.approx(stored.loc[order, column].tolist())
    assert (got.ci_low <= got.value).all() and (got.value <= got.ci_high).all()


def test_choices_round_trip_through_the_url(app_env):
    at = open_page()
    assert at.query_params["benchmark"] == "capitals" and at.query_params["task"] == "capitals"
    at.selectbox(key="w_benchmark").select("mgsm").run()
    at.selectbox(key="w_task").select("mgsm_native_cot").run()
    at.multiselect(key="w_models").set_value([LOW]).run()
    at.selectbox(key="w_model").select(LOW).run()
    assert {k: at.query_params[k] for k in ("benchmark", "task", "models", "model")} == {
        "benchmark": "mgsm", "task": "mgsm_native_cot", "models": LOW, "model": LOW,
    }  # fmt: skip
    assert at.dataframe[0].value.model.tolist() == [LOW]
    shared = open_page(**{k: at.query_params[k] for k in at.query_params})
    assert shared.dataframe[0].value.equals(at.dataframe[0].value)


def test_smollm2_all_zero_run_has_no_ratio_but_still_renders(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_direct")
    row = at.dataframe[0].value.iloc[0]
    assert row.model == "smollm2-135m" and row.gap == 0 and row.languages == "2/11"  # coverage
    assert row[["min_max_ratio", "cv", "gini"]].isna().all()  # undefined when every score is 0


def test_a_multi_metric_task_shows_one_metric_at_a_time_following_its_direction(mt_env):
    at = open_page(benchmark="mt", task="ntrex128_chat_en-x")
    picker = next(s for s in at.selectbox if s.label == "Metric")
    assert picker.value == "chrF++" and set(picker.options) == {
        "BLEU",
        "TER",
        "chrF++",
        "chrf++_sentence",
    }
    (_, measures), _ = charts(at)
    assert len(measures) == 4  # one model x four measures: metrics are never stacked
    at = open_page(benchmark="mt", task="ntrex128_chat_en-x", metric="TER")
    table = at.dataframe[0].value
    stored = queries.parity(mt_env, "ntrex128_chat_en-x")
    ter = stored[stored.metric == "TER"].iloc[0]
    assert table["worst"].tolist() == pytest.approx([ter.worst])
    units = queries.units(mt_env, ter.run_id)  # the Runs and Samples pages' unit list
    assert len(units) == 6 and set(units.metric) == {"chrF++"}  # one row per unit, both directions
    with __import__("duckdb").connect(str(mt_env), read_only=True) as con:
        worst = con.execute(
            "SELECT language FROM unit_scores WHERE metric = 'TER' AND task = 'ntrex128_chat_en-x'"
            " ORDER BY value DESC LIMIT 1"
        ).fetchone()[0]
    # the HIGHEST TER is the worst
    assert table["worst_language"].tolist() == [f"{xlangs.name(worst)} ({worst})"]
    assert any("lower is better" in c.value for c in at.caption)
