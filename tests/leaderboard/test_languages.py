"""The Languages page: a models x languages heatmap for one task, scores or relative to English,
CI and n in the tooltip, links to each unit's samples, and its choices in the URL."""

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.leaderboard import pages
from xbench import languages as xlangs
from xbench_leaderboard import queries

LOW, HIGH = "fake:accuracy=0.3", "fake:accuracy=0.8"


def open_page(**params: str) -> AppTest:
    return pages.open_page("languages", "Languages", **params)


def heatmap(at: AppTest):
    """The heatmap's cell layer (Vega-Lite), its number layer, and the chart's data."""
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    cells, *text = spec["layer"]
    data = pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_pandas()
    return cells, (text[0] if text else None), data


def test_heatmap_colors_each_model_and_language_by_its_score(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_native_cot")
    spec, text, data = heatmap(at)
    assert spec["mark"]["type"] == "rect"
    # the one display rule: a 0-1 accuracy in percent points, on its full 0-100 scale
    assert spec["encoding"]["color"]["field"] == "shown"
    assert spec["encoding"]["color"]["scale"]["domain"] == [0, 100]
    assert "higher is better" in spec["encoding"]["color"]["title"]
    assert text["encoding"]["text"]["field"] == "shown"  # the number in each cell
    assert data.shown.tolist() == pytest.approx((data.value * 100).tolist())
    assert [t["field"] for t in spec["encoding"]["tooltip"]][2:6] == ["value", "ci_low", "ci_high", "n"]  # fmt: skip
    stored = queries.unit_scores(app_env, "mgsm_native_cot")
    assert len(data) == len(stored) == 8  # 2 fakes x 4 languages; SmolLM2 ran mgsm_direct only
    got = data.set_index(["model", "language"]).sort_index()
    want = stored.set_index(["model", "language"]).sort_index()
    for column in ["value", "ci_low", "ci_high", "n", "relative"]:
        assert got[column].tolist() == pytest.approx(want[column].tolist())
    assert got.loc[(HIGH, "deu_Latn"), "label"] == "German (deu_Latn · Indo-European, Latin)"
    assert got.loc[(HIGH, "deu_Latn"), "name"] == "German"  # names on the axis, code on hover
    assert spec["encoding"]["y"]["sort"] == [HIGH, LOW]  # best mean first
    # languages best first by mean over the models (the default sort)
    by_mean = data.groupby("name").value.mean()
    assert spec["encoding"]["x"]["sort"] == sorted(by_mean.index, key=lambda n: (-by_mean[n], n))


def test_languages_sorted_by_family_are_labelled_with_it(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_native_cot", sort="family")
    spec, _, data = heatmap(at)
    order = spec["encoding"]["x"]["sort"]
    assert all(" · " in name for name in order)  # "Indo-European · German"
    families = [name.partition(" · ")[0] for name in order]
    assert families == sorted(families)


def test_relative_to_english_switch_lives_in_the_url(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_native_cot")
    assert not at.toggle(key="w_relative").value and "relative" not in at.query_params
    at.toggle(key="w_relative").set_value(True).run()
    assert at.query_params["relative"] == "1"
    spec, text, data = heatmap(at)
    assert spec["encoding"]["color"]["field"] == "relative"
    assert spec["encoding"]["color"]["scale"]["domain"] == [0, 2]  # fixed, 1 = English
    assert spec["encoding"]["color"]["scale"]["domainMid"] == 1
    assert text["encoding"]["text"]["field"] == "relative"
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
        links = pages.links(at)
        for u in queries.unit_scores(app_env, "mgsm_native_cot", model).itertuples():
            # the run that scored the unit, not the model's latest run (that one ran capitals);
            # a same-tab drill-down
            want = {
                "model": model,
                "run": u.run_id,
                "unit": u.task_name,
                "show": "all",
                "page": "1",
            }
            assert (f"{xlangs.name(u.language)} {u.value:.3f}", "samples", want) in links


def test_task_and_model_choices_round_trip(app_env):
    at = open_page()
    assert dict(at.query_params)["benchmark"] == "capitals"  # the first benchmark by default
    at.selectbox(key="w_benchmark").select("mgsm").run()
    at.selectbox(key="w_task").select("mgsm_en_cot").run()
    at.multiselect(key="w_models").set_value([HIGH]).run()
    assert {k: at.query_params[k] for k in ("benchmark", "task", "models")} == {
        "benchmark": "mgsm", "task": "mgsm_en_cot", "models": HIGH,
    }  # fmt: skip
    _, _, data = heatmap(at)
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
    spec, _, data = heatmap(at)
    assert set(data.metric) == {"chrF++"}
    assert spec["encoding"]["color"]["title"] == "chrF++, 0–100 (higher is better)"
    assert data.shown.tolist() == pytest.approx(data.value.tolist())  # a 0-100 metric as it is
    at = open_page(benchmark="mt", task="ntrex128_chat_en-x", metric="TER")
    spec, _, data = heatmap(at)
    stored = queries.unit_scores(mt_env, "ntrex128_chat_en-x")
    ter = stored[stored.metric == "TER"]
    assert sorted(data.value) == pytest.approx(sorted(ter.value))
    assert spec["encoding"]["color"]["scale"]["reverse"] is True  # lower TER is better


def test_the_heatmap_downloads_as_svg_and_png(app_env):
    at = open_page(benchmark="mgsm", task="mgsm_native_cot")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["SVG", "PNG"]
    from xbench_leaderboard import common
    from xbench_leaderboard.views.languages import heatmap as draw

    scores = queries.unit_scores(app_env, "mgsm_native_cot").assign(label="")
    scores = scores[scores.metric == "accuracy"]
    svg = common.chart_file(draw(scores, relative=False), "svg").decode()
    assert svg.startswith("<svg") and "German" in svg and "Swahili" in svg
    # the numbers in the cells, as on the page
    value = scores[(scores.model == HIGH) & (scores.language == "deu_Latn")].value.iloc[0]
    assert f"{value * 100:.1f}" in svg
    assert common.chart_file(draw(scores, relative=True), "png").startswith(b"\x89PNG")
