"""The script barrier: romanized twins of non-Latin-script variants (`xbench run --romanized`),
the `script_barrier` view with its paired CI, and the report."""

from __future__ import annotations

import re

import duckdb
import pytest

import xbench
from xbench import cli
from xbench.analyses.romanize import barrier, can_romanize, romanize, romanized
from xbench.errors import XbenchError
from xbench.plugins import load_registry
from xbench.stats import paired_bootstrap
from xbench.store import Store

NON_LATIN = re.compile(r"[\u0400-\u04ff\u0e00-\u0e7f\u4e00-\u9fff]")  # Cyrillic, Thai, Han


def test_uroman_keeps_latin_digits_and_lines():
    assert romanize("Question: ฉันชอบ 16 ไข่\nAnswer:", "tha_Thai") == (
        "Question: chanchop 16 khai\nAnswer:"
    )
    assert romanize("Вопрос: Сколько?", "rus_Cyrl") == "Vopros: Skolko?"


def test_which_variants_get_a_romanized_twin():
    specs = load_registry().specs
    assert can_romanize(specs["mgsm_direct.tha_Thai"])
    assert not can_romanize(specs["mgsm_direct.deu_Latn"])  # already Latin
    assert can_romanize(specs["ntrex128_chat_x-en.rus_Cyrl"])  # the input is Russian
    assert not can_romanize(specs["ntrex128_chat_en-x.rus_Cyrl"])  # the input is English
    assert not can_romanize(specs["tucan.bul_Cyrl"])  # tool schemas: not romanizable
    twin = romanized(specs["mgsm_direct.tha_Thai"])
    assert twin.name == "mgsm_direct.tha_Thai@script=Latn" and twin.input_script == "Latn"
    assert twin.language == "tha_Thai" and twin.score is specs["mgsm_direct.tha_Thai"].score
    assert twin.version.endswith("+uroman-1.3.1.1")


@pytest.fixture(scope="module")
def barrier_run(tmp_path_factory, shared_data):
    db = tmp_path_factory.mktemp("barrier") / "x.duckdb"
    result = xbench.run(model="fake:accuracy=0.5", tasks=["mgsm_direct"],
                        languages=["en", "de", "th", "ru"], limit=20, romanized=True,
                        data_dir=shared_data, db=db, progress=False)  # fmt: skip
    return db, result


def test_a_romanized_run_stores_twins_with_latin_prompts(barrier_run):
    db, result = barrier_run
    names = sorted(s["task_name"] for s in result.scores)
    assert names == ["mgsm_direct.deu_Latn", "mgsm_direct.eng_Latn", "mgsm_direct.rus_Cyrl",
                     "mgsm_direct.rus_Cyrl@script=Latn", "mgsm_direct.tha_Thai",
                     "mgsm_direct.tha_Thai@script=Latn"]  # fmt: skip
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT n.prompt, r.prompt, n.gold, r.gold FROM samples n JOIN samples r"
            " USING (run_id, item_key) WHERE n.task_name = 'mgsm_direct.tha_Thai'"
            " AND r.task_name = 'mgsm_direct.tha_Thai@script=Latn'"
        ).fetchall()
        scripts = dict(con.execute(
            "SELECT task_name, input_script FROM units WHERE language = 'tha_Thai'").fetchall())  # fmt: skip
    assert len(rows) == 20
    for native, roman, gold, gold_roman in rows:
        assert NON_LATIN.search(native) and not NON_LATIN.search(roman)
        assert gold == gold_roman  # the same answers, scored the same way
    assert scripts == {"mgsm_direct.tha_Thai": None, "mgsm_direct.tha_Thai@script=Latn": "Latn"}
    # no mean over languages mixes scripts: the romanized units are a task of their own in views
    parity = {r["task"]: r["n"] for r in xbench.report(result.run_id, db=db)["parity"]}
    assert parity == {"mgsm_direct": 4, "mgsm_direct [romanized]": 2}


def test_script_barrier_delta_and_its_paired_ci(barrier_run):
    db, result = barrier_run
    rows = {r["language"]: r for r in barrier(Store(db), result.run_id, resamples=200)}
    assert set(rows) == {"tha_Thai", "rus_Cyrl"}
    with duckdb.connect(str(db), read_only=True) as con:
        for code in rows:
            native, roman = (
                [s for (s,) in con.execute(
                    "SELECT score FROM samples WHERE task_name = ? ORDER BY item_key", [name]
                ).fetchall()]
                for name in (f"mgsm_direct.{code}", f"mgsm_direct.{code}@script=Latn")
            )  # fmt: skip
            row = rows[code]
            assert row["delta"] == pytest.approx(sum(native) / 20 - sum(roman) / 20)
            test = paired_bootstrap(roman, native, resamples=200, seed=0)
            assert (row["ci_low"], row["ci_high"]) == pytest.approx((test.ci_low, test.ci_high))
            assert row["n_paired"] == 20 and row["item_delta"] == pytest.approx(row["delta"])
            # Thai in Latin letters needs fewer tokens? counted only with a tokenizer: NULL here
            assert row["native_script_prompt_tokens"] is None


def test_report_and_errors(barrier_run, capsys, tmp_path, shared_data):
    db, result = barrier_run
    assert cli.main(["report", result.run_id, "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "Script barrier" in text and "tha_Thai" in text.split("Script barrier")[1]
    assert xbench.report(result.run_id, db=db)["script_barrier"][0]["ci_low"] is not None
    md = tmp_path / "r.md"
    assert cli.main(["report", "--markdown", str(md), "--db", str(db)]) == 0
    section = md.read_text().split("## Script barrier")[1]
    assert "| Thai |" in section and "| Russian |" in section
    with pytest.raises(XbenchError, match="--romanized found no selected variant"):
        xbench.run(model="fake", tasks=["mgsm_direct"], languages=["de"], limit=2,
                   romanized=True, data_dir=shared_data, db=tmp_path / "y.duckdb",
                   progress=False)  # fmt: skip
