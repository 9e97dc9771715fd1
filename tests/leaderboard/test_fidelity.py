"""The Fidelity page: share of judged answers in the expected language per model x language.

The fake model's answers are too short to judge, so the filled store shows the "not judged"
state; a second store scored from a predictions file with long answers (one in the wrong
language) shows real shares."""

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import xbench
from tests.helpers import CAPITALS
from tests.leaderboard import pages
from xbench_leaderboard import queries

LONG = {  # (language, item_key) -> response; 41+ letters in Latin script are judged
    ("deu_Latn", "fr"): "Die Hauptstadt von Frankreich ist Paris, eine sehr schöne und alte Stadt.",
    (
        "deu_Latn",
        "jp",
    ): "The capital of Japan is Tokyo, a very large and busy city in Asia.",  # English
    ("deu_Latn", "ke"): "Nairobi",  # too short: not judged
    ("eng_Latn", "fr"): "The capital of France is Paris, a beautiful old city on the Seine.",
    ("eng_Latn", "jp"): "The capital of Japan is Tokyo, a very large and busy city in Asia.",
    ("eng_Latn", "ke"): "Nairobi",
}


def open_page(**params: str) -> AppTest:
    return pages.open_page("fidelity", "Fidelity", **params)


@pytest.fixture(scope="module")
def judged_db(tmp_path_factory):
    """A store filled by a real `xbench run` of a predictions file with long answers."""
    tmp = tmp_path_factory.mktemp("fidelity")
    predictions = tmp / "long.jsonl"
    predictions.write_text(
        "".join(
            json.dumps({"task": "capitals", "language": lang, "item_key": key, "response": text})
            + "\n"
            for (lang, key), text in LONG.items()
        )
    )
    db = tmp / "x.duckdb"
    xbench.run(
        model=f"predictions:{predictions}", tasks=["capitals"], languages=["en", "de"],
        plugin_paths=[CAPITALS], db=db, progress=False,
    )  # fmt: skip
    return db


def test_caption_explains_judged_and_short_answers_show_not_judged(app_env):
    at = open_page(task="capitals")
    assert at.caption[0].value.startswith("Judged = responses long enough")
    assert "not judged" in at.caption[0].value and "xbench/fidelity.py" in at.caption[0].value
    assert "No response to `capitals` was long enough" in at.info[0].value
    assert "xbench run --model smollm2-135m --tasks mgsm_native_cot" in at.info[0].value
    table = at.dataframe[0].value
    stored = queries.fidelity(app_env, "capitals")
    assert len(table) == len(stored) == 6
    assert set(table.model) == {"fake:accuracy=0.3", "fake:accuracy=0.8"}
    assert (table.n_judged == 0).all() and table.fidelity.isna().all()
    link = r"^/samples\?run=[^&]+&unit=capitals\.[a-z]{3}_[A-Z][a-z]{3}$"
    assert table.samples.str.match(link).all()
    per_model = at.dataframe[1].value.set_index("model")
    assert per_model.n["smollm2-135m"] == 4  # 2 languages x 2 items


def test_judged_shares_per_model_and_language(judged_db, monkeypatch):
    monkeypatch.setenv("XBENCH_DB", str(judged_db))
    st.cache_data.clear()
    at = open_page()
    assert not at.info  # there are judged responses
    table = at.dataframe[0].value.set_index("language")
    assert table.n_judged.to_dict() == {"deu_Latn": 2, "eng_Latn": 2}
    assert table.fidelity.to_dict() == {"deu_Latn": 0.5, "eng_Latn": 1.0}
    assert table.line_pass_rate.to_dict() == {"deu_Latn": 0.5, "eng_Latn": 1.0}
    stored = queries.fidelity(judged_db).set_index("language")
    assert table.fidelity.to_dict() == stored.fidelity.to_dict()
    per_model = at.dataframe[1].value.iloc[0]
    assert (per_model.n, per_model.n_judged, per_model.fidelity) == (6, 4, 0.75)


def test_filters_round_trip_through_the_url(app_env):
    at = open_page(task="mgsm_en_cot", models="fake:accuracy=0.3")
    assert at.selectbox(key="w_task").value == "mgsm_en_cot"
    table = at.dataframe[0].value
    assert set(table.model) == {"fake:accuracy=0.3"}
    assert set(table.language) == {"deu_Latn", "eng_Latn", "swh_Latn", "zho_Hans"}
    assert set(table.prompt_language) == {"eng_Latn"}  # English CoT prompts in every language

    at.selectbox(key="w_task").select("mgsm_direct").run()
    at.multiselect(key="w_models").unselect("fake:accuracy=0.3").run()
    assert not at.exception
    assert at.query_params["task"] == "mgsm_direct" and "models" not in at.query_params
    assert set(at.dataframe[0].value.model) == {"smollm2-135m"}
