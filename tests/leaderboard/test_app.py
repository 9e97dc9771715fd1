from streamlit.testing.v1 import AppTest

import xbench
from tests.helpers import CAPITALS, REPO

APP = str(REPO / "leaderboard" / "app.py")


def test_empty_store_explains_how_to_fill_it(tmp_path, monkeypatch):
    monkeypatch.setenv("XBENCH_DB", str(tmp_path / "missing.duckdb"))
    at = AppTest.from_file(APP).run(timeout=30)
    assert not at.exception
    assert "xbench run" in at.info[0].value


def test_shows_runs_and_per_language_scores(tmp_path, monkeypatch):
    db = tmp_path / "x.duckdb"
    result = xbench.run(
        model="fake:accuracy=1", tasks=["capitals"], db=db, plugin_paths=[CAPITALS], progress=False
    )
    monkeypatch.setenv("XBENCH_DB", str(db))
    at = AppTest.from_file(APP).run(timeout=30)
    assert not at.exception
    assert at.selectbox[0].value == result.run_id
    scores = at.dataframe[1].value
    assert list(scores["language"]) == ["deu_Latn", "eng_Latn", "spa_Latn"]
    assert list(scores["accuracy"]) == [1.0, 1.0, 1.0]
