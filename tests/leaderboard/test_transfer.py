"""The Transfer page: score vs English, consistency and prompt-language effect from the filled
store; MultiLoKo and MT effects as empty states naming the run that fills them."""

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.leaderboard import pages
from xbench_leaderboard import queries


def open_page(**params: str) -> AppTest:
    return pages.open_page("transfer", "Transfer", **params)


def charts(at: AppTest) -> list[tuple[dict, list]]:
    """Each Altair chart as (its Vega-Lite spec, its datasets as DataFrames)."""
    return [
        (
            json.loads(c.proto.spec),
            [pa.ipc.open_stream(d.data.data).read_pandas() for d in c.proto.datasets],
        )
        for c in at.get("vega_lite_chart")
    ]


def infos(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


def test_score_vs_english_scatter_matches_the_store(app_env):
    at = open_page(task="mgsm_native_cot")
    stored = queries.unit_scores(app_env, "mgsm_native_cot")
    expected = stored[stored.language != "eng_Latn"]
    table = at.dataframe[0].value
    assert len(table) == 6  # 2 fake models x de, sw, zh
    assert set(table.model) == {"fake:accuracy=0.3", "fake:accuracy=0.8"}
    merged = table.merge(expected, on=["model", "language"])
    assert len(merged) == 6
    assert (merged.score == merged.value).all() and (merged.english_x == merged.english_y).all()
    row = merged.set_index(["model", "language"]).loc[("fake:accuracy=0.8", "deu_Latn")]
    assert row.score == pytest.approx(11 / 12) and row.english_x == pytest.approx(10 / 12)
    assert row.samples == f"/samples?run={row.run_id_y}&unit=mgsm_native_cot.deu_Latn"

    spec, data = charts(at)[0]
    line, points = spec["layer"]
    assert line["mark"]["type"] == "line"  # the y = x reference
    diagonal = data[0]
    assert (diagonal.english == diagonal.value).all()
    tooltip = {t["field"] for t in points["encoding"]["tooltip"]}
    assert {"model", "language", "value", "english"} <= tooltip
    assert sorted(data[1].value) == sorted(expected.value)


def test_consistency_and_prompt_language_effect(app_env):
    at = open_page(task="mgsm_native_cot")
    consistency, effect = at.dataframe[1].value, at.dataframe[2].value
    stored = queries.consistency(app_env, "mgsm_native_cot")
    assert consistency.reset_index(drop=True).equals(stored.reset_index(drop=True))
    assert set(consistency.language) == {"deu_Latn", "swh_Latn", "zho_Hans"}
    assert consistency.n_aligned.eq(12).all()

    assert set(effect.native_task) == {"mgsm_native_cot"} and set(effect.other_task) == {
        "mgsm_en_cot"
    }
    assert len(effect) == 6
    unit = effect.set_index(["model", "language"]).loc[("fake:accuracy=0.8", "deu_Latn")]
    native = queries.unit_scores(app_env, "mgsm_native_cot", "fake:accuracy=0.8")
    english_cot = queries.unit_scores(app_env, "mgsm_en_cot", "fake:accuracy=0.8")
    de = lambda df: df.set_index("language").value["deu_Latn"]  # noqa: E731
    assert unit.delta == pytest.approx(de(native) - de(english_cot))
    # consistency and effect heatmaps carry their numbers in the tooltip
    tooltips = [{t["field"] for t in s["encoding"]["tooltip"]} for s, _ in charts(at)[1:3]]
    assert {"n_aligned", "both_correct", "either_correct"} <= tooltips[0]
    assert {"native", "other", "delta"} <= tooltips[1]


def test_multiloko_and_mt_effects_name_the_run_that_fills_them(app_env):
    text = infos(open_page(task="mgsm_native_cot"))
    assert "appears once MultiLoKo (mother-tongue, locality) runs are stored" in text
    assert "xbench run --model M --tasks multiloko" in text
    assert "appears once machine-translation (direction) runs are stored" in text
    assert "later issue" not in text  # the plugins exist: the text names the run that fills it


def test_task_without_a_prompt_language_pair_points_to_one(app_env):
    at = open_page(task="capitals")
    text = infos(at)
    assert "`capitals` has no variant" in text
    assert "Stored pairs: mgsm_native_cot vs mgsm_en_cot" in text
    assert set(at.dataframe[0].value.language) == {"deu_Latn", "spa_Latn"}


def test_filters_round_trip_through_the_url(app_env):
    at = open_page(task="mgsm_en_cot", models="fake:accuracy=0.8")
    assert at.selectbox(key="w_task").value == "mgsm_en_cot"
    assert at.multiselect(key="w_models").value == ["fake:accuracy=0.8"]
    assert set(at.dataframe[0].value.model) == {"fake:accuracy=0.8"}

    at.selectbox(key="w_task").select("capitals").run()
    assert not at.exception
    assert at.query_params["task"] == "capitals"
    at.multiselect(key="w_models").unselect("fake:accuracy=0.8").run()
    assert "models" not in at.query_params
    assert set(at.dataframe[0].value.model) == {"fake:accuracy=0.3", "fake:accuracy=0.8"}


def test_unknown_task_in_the_url_falls_back(app_env):
    at = open_page(task="no_such_task")
    assert at.selectbox(key="w_task").value == queries.tasks(app_env)[0]


def test_direction_asymmetry_of_a_stored_mt_run(tmp_path, shared_data, monkeypatch):
    import streamlit as st

    import xbench

    db = tmp_path / "mt.duckdb"
    xbench.run(model="fake:accuracy=0.6", tasks=["ntrex128_chat_en-x", "ntrex128_chat_x-en"],
               languages=["de", "sw"], limit=3, data_dir=shared_data, db=db, progress=False)  # fmt: skip
    monkeypatch.setenv("XBENCH_DB", str(db))
    st.cache_data.clear()
    at = open_page(task="ntrex128_chat_en-x")
    [table] = at.dataframe
    shown = table.value
    assert set(shown["language"]) == {"deu_Latn", "swh_Latn"}
    assert "chrF++" in set(shown["metric"])


def test_direction_asymmetry_shows_one_metric_at_a_time(mt_env):
    at = open_page(task="ntrex128_chat_en-x")
    [picker] = [s for s in at.selectbox if s.label.startswith("Metric (")]
    assert picker.value == "chrF++"  # the primary metric first
    assert set(picker.options) == {"BLEU", "TER", "chrF++", "chrf++_sentence"}
    table = next(d.value for d in at.dataframe if "en_to_x" in d.value.columns)
    assert set(table.metric) == {"chrF++"} and len(table) == 3  # de, fr, sw: one metric


@pytest.fixture(scope="module")
def analysed_db(tmp_path_factory, shared_data):
    """A fake model's MGSM run with romanized twins, its typology fit (with two predictions)
    and a routing curve."""
    import xbench
    from xbench.analyses import typology
    from xbench.analyses.routing import LayerDivergence
    from xbench.store import Store

    db = tmp_path_factory.mktemp("analyses") / "x.duckdb"
    xbench.run(model="fake:accuracy=0.6", model_name="moe-a", tasks=["mgsm_direct"], limit=25,
               romanized=True, data_dir=shared_data, db=db, progress=False)  # fmt: skip
    typology.run("moe-a", predict=["yo", "am"], db=db)
    divergence = {"deu_Latn": 0.05, "fra_Latn": 0.04, "tha_Thai": 0.30, "swh_Latn": 0.20}
    Store(db).save_routing("moe-a", "org/moe", "ntrex128", [
        LayerDivergence(c, layer, d * (layer + 1), 50, 8)
        for c, d in divergence.items() for layer in range(3)])  # fmt: skip
    return db


def test_typology_and_routing_sections(analysed_db, monkeypatch):
    from tests.leaderboard.conftest import _point_app_at

    _point_app_at(analysed_db, monkeypatch)
    at = open_page(task="mgsm_direct", distance="genetic")
    drawn = charts(at)
    scatter = next((s, d) for s, d in drawn if "layer" in s and "genetic" in json.dumps(s))
    points = scatter[1][0].set_index("language")
    assert (
        points.loc["yor_Latn", "kind"] == "predicted"
        and points.loc["deu_Latn", "kind"] == "observed"
    )
    assert points.loc["deu_Latn", "genetic"] < points.loc["tha_Thai", "genetic"]
    heat = next((s, d) for s, d in drawn if s.get("mark", {}).get("type") == "rect"
                and "routed layer" in json.dumps(s))  # fmt: skip
    assert len(heat[1][0]) == 12  # 4 languages × 3 layers
    tables = [t.value for t in at.dataframe]
    fit = next(t for t in tables if "loo_mae" in t.columns)
    assert fit.iloc[0].n_languages == 10 and "genetic" in fit.iloc[0].coefficients
    rho = next(t for t in tables if "rho" in t.columns)
    assert list(rho.layer) == [0, 1, 2] and set(rho.n_languages) == {4}
    barrier = next(t for t in tables if "romanized" in t.columns).set_index("name")
    assert set(barrier.index) == {"Thai", "Russian", "Chinese", "Japanese", "Bangla", "Telugu"}
    thai = barrier.loc["Thai"]
    assert thai.delta == pytest.approx(thai.native_script - thai.romanized)
    assert thai.ci_low <= thai.delta <= thai.ci_high and thai.n_paired == 25
    assert any("native − romanized" in json.dumps(spec, ensure_ascii=False) for spec, _ in drawn)
