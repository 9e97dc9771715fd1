"""The Compare page: two models' runs unit by unit with xbench.compare's deltas and tests."""

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import xbench
from tests.leaderboard import pages
from xbench_leaderboard import queries

A, B = "fake:accuracy=0.3", "fake:accuracy=0.8"


def open_page(**params: str) -> AppTest:
    return pages.open_page("compare", "Compare", **params)


def mgsm_run(db, model: str) -> str:
    runs = queries.runs(db)
    mine = runs[(runs.model == model) & runs.tasks.str.contains('"mgsm_native_cot"')]
    return mine.run_id.iloc[0]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_latest_runs_compared_unit_by_unit(app_env):
    at = open_page()
    run_a, run_b = queries.latest_run(app_env, A), queries.latest_run(app_env, B)
    assert dict(at.query_params) == {"a": A, "ra": run_a, "b": B, "rb": run_b}
    expected = xbench.compare(run_a, run_b, db=app_env)
    table = at.dataframe[0].value
    assert list(table.columns[:10]) == [
        "task", "language", "n", "score_a", "score_b", "delta", "p_bootstrap", "test", "p_test",
        "winner",
    ]  # fmt: skip
    assert len(table) == len(expected["units"]) == 5  # capitals x 3 + moodcheck x 2
    for row, unit in zip(table.to_dict("records"), expected["units"], strict=True):
        assert (row["task"], row["language"], row["n"]) == (
            unit["task"],
            unit["language"],
            unit["n"],
        )
        assert (row["score_a"], row["score_b"], row["delta"]) == pytest.approx(
            (unit["score_a"], unit["score_b"], unit["delta"])
        )
        assert row["p_test"] == pytest.approx(unit["p_test"]) and row["test"] == "mcnemar"
        assert row["samples A"] == f"/samples?run={run_a}&unit={unit['task_name']}"
        assert row["samples B"] == f"/samples?run={run_b}&unit={unit['task_name']}"
    shown = metrics(at)
    assert shown[f"Significant wins for A ({A})"] == str(expected["wins_a"])
    assert shown[f"Significant wins for B ({B})"] == str(expected["wins_b"])
    assert shown["Units compared"] == "5"
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["x"]["field"] == "delta"
    bars = pa.ipc.open_stream(at.get("vega_lite_chart")[0].proto.datasets[0].data.data)
    assert sorted(bars.read_pandas().delta) == pytest.approx(sorted(table.delta))


def test_runs_chosen_in_the_url_compare_mgsm(app_env):
    run_a, run_b = mgsm_run(app_env, A), mgsm_run(app_env, B)
    at = open_page(a=A, ra=run_a, b=B, rb=run_b)
    assert at.selectbox(key="w_ra").value == run_a and at.selectbox(key="w_rb").value == run_b
    expected = xbench.compare(run_a, run_b, db=app_env)
    table = at.dataframe[0].value
    assert len(table) == 8  # mgsm_native_cot + mgsm_en_cot x en, de, sw, zh
    assert set(table.task) == {"mgsm_native_cot", "mgsm_en_cot"}
    assert (table.n == 12).all()
    assert expected["wins_b"] > 0  # 0.8 vs 0.3 accuracy: some units are significant
    assert metrics(at)[f"Significant wins for B ({B})"] == str(expected["wins_b"])
    wins = {f"A: {A}": expected["wins_a"], f"B: {B}": expected["wins_b"]}
    assert {w: int((table.winner == w).sum()) for w in wins} == wins
    assert (table.winner == "—").sum() == 8 - sum(wins.values())


def test_no_shared_items_is_a_friendly_message(app_env):
    at = open_page(a=A, b="smollm2-135m")
    assert not at.dataframe and not at.error
    message = at.info[0].value
    assert message.startswith("Nothing to compare:") and "share no scored items" in message
    assert "xbench run --model smollm2-135m --tasks mgsm_native_cot" in message


def test_model_choice_round_trips_through_the_url(app_env):
    at = open_page(a="smollm2-135m", b=B)
    assert at.selectbox(key="w_a").value == "smollm2-135m"
    at.selectbox(key="w_a").select(A).run()
    assert not at.exception
    # another model: its latest run replaces the old model's run in the URL
    assert at.query_params["a"] == A and at.query_params["ra"] == queries.latest_run(app_env, A)
    assert len(at.dataframe[0].value) == 5
    at.selectbox(key="w_rb").select(mgsm_run(app_env, B)).run()
    assert at.query_params["rb"] == mgsm_run(app_env, B)
    assert "share no scored items" in at.info[0].value  # capitals vs MGSM
