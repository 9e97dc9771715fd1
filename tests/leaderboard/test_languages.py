"""The Languages page: a models x languages heatmap for one task, scores or relative to English,
CI and n in the tooltip, links to each unit's samples, and its choices in the URL."""

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.leaderboard import pages
from xbench_leaderboard import queries

LOW, HIGH = "fake:accuracy=0.3", "fake:accuracy=0.8"


def open_page(**params: str) -> AppTest:
    return pages.open_page("languages", "Languages", **params)


def heatmap(at: AppTest):
    """The chart's Vega-Lite spec and its data."""
    (chart,) = at.get("vega_lite_chart")
    return json.loads(chart.proto.spec), pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_pandas()  # fmt: skip


def test_heatmap_colors_each_model_and_language_by_its_score(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_native_cot")
    spec, data = heatmap(at)
    assert spec["mark"]["type"] == "rect"
    assert spec["encoding"]["color"]["field"] == "value"
    assert [t["field"] for t in spec["encoding"]["tooltip"]][2:6] == ["value", "ci_low", "ci_high", "n"]  # fmt: skip
    stored = queries.unit_scores(app_env, "mgsm_native_cot")
    assert len(data) == len(stored) == 8  # 2 fakes x 4 languages; SmolLM2 ran mgsm_direct only
    got = data.set_index(["model", "language"]).sort_index()
    want = stored.set_index(["model", "language"]).sort_index()
    for column in ["value", "ci_low", "ci_high", "n", "relative"]:
        assert got[column].tolist() == pytest.approx(want[column].tolist())
    assert got.loc[(HIGH, "deu_Latn"), "label"] == "deu_Latn (Indo-European, Latin)"
    assert spec["encoding"]["y"]["sort"] == [HIGH, LOW]  # best mean first


def test_relative_to_english_switch_lives_in_the_url(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_native_cot")
    assert not at.toggle(key="w_relative").value and "relative" not in at.query_params
    at.toggle(key="w_relative").set_value(True).run()
    assert at.query_params["relative"] == "1"
    spec, data = heatmap(at)
    assert spec["encoding"]["color"]["field"] == "relative"
    swahili = data[(data.model == LOW) & (data.language == "swh_Latn")].iloc[0]
    english = data[(data.model == LOW) & (data.language == "eng_Latn")].iloc[0]
    assert swahili.relative == pytest.approx(swahili.value / english.value)
    assert english.relative == 1
    # A shared link opens the relative view directly.
    assert open_page(benchmark="mgsm", task="mgsm_native_cot", relative="1").toggle[0].value


def test_samples_links_for_the_chosen_model(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_native_cot", model=LOW)
    for model in (LOW, HIGH):
        if model == HIGH:
            at.selectbox(key="w_model").select(HIGH).run()
            assert at.query_params["model"] == HIGH
        links = at.markdown[-1].value
        for u in queries.unit_scores(app_env, "mgsm_native_cot", model).itertuples():
            # the run that scored the unit, not the model's latest run (that one ran capitals)
            assert f"[{u.language} {u.value:.3f}](/samples?run={u.run_id}&unit={u.task_name})" in links  # fmt: skip


def test_task_and_model_choices_round_trip(app_env):
    at = open_page()
    assert dict(at.query_params)["benchmark"] == "capitals"  # the first benchmark by default
    at.selectbox(key="w_benchmark").select("mgsm").run()
    at.selectbox(key="w_task").select("mgsm_en_cot").run()
    at.multiselect(key="w_models").set_value([HIGH]).run()
    assert {k: at.query_params[k] for k in ("benchmark", "task", "models")} == {
        "benchmark": "mgsm", "task": "mgsm_en_cot", "models": HIGH,
    }  # fmt: skip
    _, data = heatmap(at)
    assert set(data.model) == {HIGH} and set(data.task_name.str.partition(".")[0]) == {
        "mgsm_en_cot"
    }


def test_relative_view_without_an_english_score_says_what_to_run(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_direct", relative="1")
    assert "nonzero English score on mgsm_direct" in at.info[0].value
    assert "xbench run --model <model> --tasks mgsm_direct --languages en" in at.info[0].value


def test_a_multi_metric_task_shows_one_metric_following_its_direction(mt_env):
    at = open_page(benchmark="mt", task="ntrex128_chat_en-x")
    picker = next(s for s in at.selectbox if s.label == "Metric")
    assert picker.value == "chrF++"  # the primary metric by default
    spec, data = heatmap(at)
    assert set(data.metric) == {"chrF++"} and spec["encoding"]["color"]["title"] == "chrF++"
    at = open_page(benchmark="mt", task="ntrex128_chat_en-x", metric="TER")
    spec, data = heatmap(at)
    stored = queries.unit_scores(mt_env, "ntrex128_chat_en-x")
    ter = stored[stored.metric == "TER"]
    assert sorted(data.value) == pytest.approx(sorted(ter.value))
    assert spec["encoding"]["color"]["scale"]["reverse"] is True  # lower TER is better
