"""Integration tests: real lm-eval, the registered `fake` backend, a real DuckDB file."""

import json

import duckdb
import pytest

import xbench
from tests.helpers import CAPITALS
from xbench.errors import RunFailed, XbenchError
from xbench.store import Store


def _run(tmp_path, model="fake:accuracy=0.5", **kw):
    kw.setdefault("tasks", ["capitals"])
    return xbench.run(
        model=model, db=tmp_path / "x.duckdb", plugin_paths=[CAPITALS], progress=False, **kw
    )


def _count(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_run_stores_run_scores_and_every_sample(tmp_path):
    result = _run(tmp_path)
    assert [s["language"] for s in result.scores] == ["deu_Latn", "eng_Latn", "spa_Latn"]
    db = tmp_path / "x.duckdb"
    assert _count(db, "SELECT count(*) FROM samples") == 9
    run = Store(db, read_only=True).run(result.run_id)
    assert run["status"] == "completed" and run["versions"]["lm_eval"] == "0.4.13"
    assert run["args"]["tasks"] == ["capitals.deu_Latn", "capitals.eng_Latn", "capitals.spa_Latn"]
    assert {t["version"] for t in run["tasks"]} == {"1"}
    # the stored unit score is the mean of its stored sample scores
    for s in result.scores:
        mean = _count(db, f"SELECT avg(score) FROM samples WHERE task_name = '{s['task_name']}'")
        assert s["value"] == pytest.approx(mean)
        assert s["ci_low"] <= s["value"] <= s["ci_high"]


def test_a_perfect_model_scores_one(tmp_path):
    result = _run(tmp_path, model="fake:accuracy=1")
    assert {s["value"] for s in result.scores} == {1.0}


def test_languages_and_limit_select_units_and_items(tmp_path):
    result = _run(tmp_path, languages=["de", "es"], limit=2)
    assert [(s["language"], s["n"]) for s in result.scores] == [("deu_Latn", 2), ("spa_Latn", 2)]


def test_model_crash_marks_run_failed_and_keeps_committed_units(tmp_path):
    with pytest.raises(RunFailed, match="fake model failure after 4 requests"):
        _run(tmp_path, model="fake:fail_after=4")
    db = tmp_path / "x.duckdb"
    assert _count(db, "SELECT status FROM runs") == "failed"
    assert "fake model failure" in _count(db, "SELECT error FROM runs")
    # the first unit (3 requests) was committed before the 5th request crashed
    assert _count(db, "SELECT count(*) FROM scores") == 1
    assert _count(db, "SELECT count(*) FROM samples") == 3


def test_rerun_after_failures_finishes_the_rest_without_duplicates(tmp_path):
    """`fail_after=4` crashes every process that makes more than 4 requests; each rerun of the
    same command resumes the same run and gets one unit further, until it completes."""
    db = tmp_path / "x.duckdb"
    done = []
    for _ in range(3):
        try:
            result = _run(tmp_path, model="fake:fail_after=4")
            break
        except RunFailed:
            done.append(_count(db, "SELECT count(*) FROM scores"))
    assert done == [1, 2]
    assert result.resumed
    assert _count(db, "SELECT count(*) FROM runs") == 1
    assert _count(db, "SELECT status FROM runs") == "completed"
    assert _count(db, "SELECT count(*) FROM samples") == 9
    assert _count(db, "SELECT count(*) FROM scores") == 3


def test_predictions_missing_items_are_errors_not_wrong_answers(tmp_path):
    path = tmp_path / "preds.jsonl"
    rows = [
        {"task": "capitals", "language": "en", "item_key": "fr", "response": "Paris"},
        {"task": "capitals", "language": "en", "item_key": "jp", "response": "Kyoto"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = _run(tmp_path, model=f"predictions:{path}", languages=["en"])
    [score] = result.scores
    assert (score["n"], score["n_errors"], score["value"]) == (3, 1, 0.5)
    db = tmp_path / "x.duckdb"
    assert _count(db, "SELECT error FROM samples WHERE item_key = 'ke'").startswith("no response")
    assert _count(db, "SELECT score IS NULL FROM samples WHERE item_key = 'ke'")


def test_all_items_missing_gives_no_score(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text("")
    [score] = _run(tmp_path, model=f"predictions:{path}", languages=["en"]).scores
    assert score["value"] is None and score["n_errors"] == 3


def test_bad_input_fails_before_the_store_is_touched(tmp_path):
    db = tmp_path / "x.duckdb"
    with pytest.raises(XbenchError, match="unknown task"):
        _run(tmp_path, tasks=["nope"])
    with pytest.raises(XbenchError, match="unknown model"):
        _run(tmp_path, model="gpt-17")
    with pytest.raises(XbenchError, match="the chosen tasks have no language"):
        _run(tmp_path, languages=["xx"])
    assert not db.exists()


def test_mgsm_on_real_data_with_fake(tmp_path, shared_data):
    result = xbench.run(
        model="fake:accuracy=1", tasks=["mgsm_native_cot"], languages=["en", "ja"], limit=3,
        data_dir=shared_data, db=tmp_path / "x.duckdb", progress=False,
    )  # fmt: skip
    assert [(s["language"], s["n"], s["value"]) for s in result.scores] == [
        ("eng_Latn", 3, 1.0), ("jpn_Jpan", 3, 1.0),
    ]  # fmt: skip
    db = tmp_path / "x.duckdb"
    assert _count(db, "SELECT count(DISTINCT item_key) FROM samples") == 3  # aligned keys


def test_missing_data_dir_names_the_path_and_data_card(tmp_path):
    with pytest.raises(XbenchError, match=r"mgsm_en\.tsv.*data_cards/mgsm\.md"):
        xbench.run(model="fake", tasks=["mgsm_direct"], languages=["en"], data_dir=tmp_path,
                   db=tmp_path / "x.duckdb", progress=False)  # fmt: skip
