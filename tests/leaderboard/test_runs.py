"""The Runs page: every run's metadata, and a failed run's real cause shown prominently."""

import json
import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import xbench
from tests.leaderboard import pages
from xbench.errors import RunFailed
from xbench_leaderboard import queries


def open_page(**params: str) -> AppTest:
    return pages.open_page("runs", "Runs", **params)


def test_table_lists_every_run_of_the_filled_store(app_env):
    stored = queries.runs(app_env)
    at = open_page()
    table = at.dataframe[0].value
    assert sorted(table.run_id) == sorted(stored.run_id)
    assert set(table.model) == {"fake:accuracy=0.3", "fake:accuracy=0.8", "smollm2-135m"}
    assert set(table.status) == {"completed"} and table.error.isna().all()
    # What each run covers, and with which settings.
    smol = table.set_index("model").loc["smollm2-135m"]
    assert (smol.benchmarks, smol.languages, smol.coverage) == ("mgsm", 2, "2/2")
    assert smol.settings == "limit 2, 0-shot, max 8 tokens"
    # Without a run in the URL the latest is shown, and written to the URL.
    assert at.query_params["run"] == stored.run_id[0]
    assert at.success[0].value.startswith("**Completed**") and not at.error


def test_a_run_from_the_url_shows_its_metadata_and_timings(app_env):
    run = queries.runs(app_env).query("model == 'smollm2-135m'").iloc[0]
    at = open_page(run=run.run_id)
    assert at.header[0].value == f"smollm2-135m · {run.run_id}"

    # Arguments and model identity as readable rows, nested keys joined with dots.
    args = at.dataframe[1].value.set_index("setting").value
    assert args["limit"] == "2" and args["max_gen_toks"] == "8"
    assert args["generation.temperature"] == "0.0"
    assert args["tasks"] == "mgsm_direct.deu_Latn, mgsm_direct.eng_Latn"
    model = at.dataframe[2].value.set_index("setting").value
    assert model["kind"] == json.loads(run.model_info)["kind"] == "smollm2-135m"
    assert not at.json  # no raw JSON trees
    versions = at.dataframe[3].value.version.to_dict()
    assert versions == json.loads(run.versions)
    assert {"xbench", "lm_eval", "transformers", "torch", "python"} <= set(versions)
    assert f"`{run.git_hash}`" in at.markdown[0].value

    variants = at.dataframe[4].value
    assert list(variants.name) == ["mgsm_direct.deu_Latn", "mgsm_direct.eng_Latn"]
    assert variants.source.str.contains("mgsm").all() and set(variants.version) == {"2"}

    timings = at.dataframe[5].value
    units = queries.units(app_env, run.run_id)
    assert list(timings.duration_s) == list(units.duration_s)
    assert timings.samples[0] == f"/samples?run={run.run_id}&unit=mgsm_direct.deu_Latn"

    # Choosing another run writes it to the URL.
    other = queries.runs(app_env).query("model == 'fake:accuracy=0.3'").run_id.iloc[0]
    at.selectbox(key="w_run").select(other).run()
    assert at.query_params["run"] == other
    assert at.header[0].value == f"fake:accuracy=0.3 · {other}"


@pytest.fixture()
def failed_db(filled_db, tmp_path, shared_data, monkeypatch):
    """The filled store plus a run whose model crashes on its third request."""
    db = tmp_path / "x.duckdb"
    shutil.copy(filled_db, db)
    with pytest.raises(RunFailed):
        xbench.run(
            model="fake:fail_after=2", tasks=["mgsm_native_cot"], languages=["en", "de"],
            limit=2, db=db, data_dir=shared_data, progress=False,
        )  # fmt: skip
    monkeypatch.setenv("XBENCH_DB", str(db))
    st.cache_data.clear()
    return db


def test_a_failed_run_shows_its_cause(failed_db):
    failed = queries.runs(failed_db).query("status == 'failed'").iloc[0]
    at = open_page(run=failed.run_id)
    assert at.dataframe[0].value.set_index("run_id").status[failed.run_id] == "failed"
    assert at.error[0].value.startswith("**Failed**")
    assert "fake model failure after 2 requests" in at.error[0].value
    # The unit finished before the crash is kept and timed; the other is not there.
    assert list(at.dataframe[5].value.task_name) == ["mgsm_native_cot.deu_Latn"]


def test_a_failed_run_is_listed_but_never_ranked(failed_db):
    failed = queries.runs(failed_db).query("status == 'failed'").iloc[0]
    assert queries.units(failed_db, failed.run_id).shape[0] >= 1  # its finished units are kept
    assert failed.model not in set(queries.overview(failed_db).model)
    assert failed.model not in set(queries.parity(failed_db, "mgsm_native_cot").model)
