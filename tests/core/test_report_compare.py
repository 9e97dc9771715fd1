"""`xbench report` and `xbench compare` on real runs with the fake backend."""

import json

import pytest

import xbench
from tests.helpers import CAPITALS, xbench_cli


@pytest.fixture(scope="module")
def mgsm_store(tmp_path_factory, shared_data):
    """Two runs over MGSM native and English CoT in 3 languages, 30 items: a weak and a strong
    fake model (the strong one is right wherever the weak one is, by construction)."""
    db = tmp_path_factory.mktemp("store") / "x.duckdb"
    runs = [
        xbench.run(
            model=f"fake:accuracy={acc}",
            tasks=["mgsm_native_cot", "mgsm_en_cot"],
            languages=["en", "de", "zh"],
            limit=30,
            data_dir=shared_data,
            db=db,
            progress=False,
        ).run_id  # fmt: skip
        for acc in (0.2, 0.9)
    ]
    return db, runs


def test_report_has_every_section(mgsm_store):
    db, (weak, _) = mgsm_store
    rep = xbench.report(weak, db=db)
    parity = {r["task"]: r for r in rep["parity"]}
    assert set(parity) == {"mgsm_native_cot", "mgsm_en_cot"}
    assert parity["mgsm_native_cot"]["n"] == 3 and parity["mgsm_native_cot"]["english"] is not None
    assert {(r["task"], r["language"]) for r in rep["transfer"]} == {
        (t, lang) for t in ("mgsm_native_cot", "mgsm_en_cot") for lang in ("deu_Latn", "zho_Hans")
    }
    assert all(r["n_aligned"] == 30 for r in rep["consistency"])
    # the weak fake rarely gives an answer, so few items have answers in both languages
    strong = xbench.report(mgsm_store[1][1], db=db)["consistency"]
    assert all(r["agreement"] is not None and r["agreement"] > 0.5 for r in strong)
    effects = {(r["language"], r["other_prompt_language"]) for r in rep["prompt_language_effect"]}
    assert effects == {("deu_Latn", "eng_Latn"), ("zho_Hans", "eng_Latn")}
    assert len(rep["fidelity"]) == 6


def test_strict_and_answered_rates_are_both_stored(mgsm_store):
    db, (weak, _) = mgsm_store
    [unit] = [
        s for s in xbench.report(weak, db=db)["run"]["tasks"] if s["name"] == "mgsm_en_cot.deu_Latn"
    ]
    assert unit["version"] == "2"
    from xbench.store import Store

    for score in Store(db, read_only=True).scores(weak):
        assert score["n_errors"] == 0 and score["value_strict"] == pytest.approx(score["value"])


def test_compare_finds_the_stronger_model(mgsm_store):
    db, (weak, strong) = mgsm_store
    result = xbench.compare(weak, strong, db=db)
    assert len(result["units"]) == 6
    assert all(u["test"] == "mcnemar" and u["n"] == 30 for u in result["units"])
    assert all(u["delta"] > 0 for u in result["units"])
    assert result["wins_b"] >= 5 and result["wins_a"] == 0
    assert xbench.compare(weak, weak, db=db)["wins_a"] == 0  # a run against itself: no wins


def test_report_and_compare_cli(mgsm_store):
    db, (weak, strong) = mgsm_store
    out = xbench_cli("report", weak, "--db", str(db))
    assert out.returncode == 0, out.stderr
    for heading in (
        "## Parity",
        "## Transfer",
        "## Prompt-language effect",
        "## Language fidelity",
    ):
        assert heading in out.stdout
    out = xbench_cli("compare", weak, strong, "--db", str(db), "--json")
    assert json.loads(out.stdout)["wins_b"] >= 5
    out = xbench_cli("compare", weak, strong, "--db", str(db))
    assert "significant wins (p_test < 0.05): A 0, B" in out.stdout


def test_errors_are_counted_strictly(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text(
        json.dumps({"task": "capitals", "language": "en", "item_key": "fr", "response": "Paris"})
    )
    [score] = xbench.run(
        model=f"predictions:{path}", tasks=["capitals"], languages=["en"], db=tmp_path / "x.duckdb",
        plugin_paths=[CAPITALS], progress=False,
    ).scores  # fmt: skip
    assert (score["value"], score["value_strict"], score["n_errors"]) == (
        1.0,
        pytest.approx(1 / 3),
        2,
    )


def test_compare_runs_with_nothing_in_common(tmp_path, shared_data):
    db = tmp_path / "x.duckdb"
    a = xbench.run(
        model="fake",
        tasks=["capitals"],
        languages=["en"],
        db=db,
        plugin_paths=[CAPITALS],
        progress=False,
    )
    b = xbench.run(
        model="fake",
        tasks=["mgsm_direct"],
        languages=["en"],
        limit=2,
        data_dir=shared_data,
        db=db,
        progress=False,
    )
    with pytest.raises(xbench.errors.XbenchError, match="share no scored items"):
        xbench.compare(a.run_id, b.run_id, db=db)


WER_PLUGIN = """
from xbench import Item, Metric, Scored, TaskSpec


def register_tasks(register):
    register(TaskSpec(
        benchmark="wer", task="wer", language="eng_Latn", prompt_language="eng_Latn",
        partition="original", version="1", source="test",
        load=lambda ctx: [Item(str(i), f"Say {i}", str(i)) for i in range(40)],
        render=lambda item, k: item.question,
        score=lambda response, item: Scored(response, 0.0 if response == item.gold else 1.0),
        reference_response=lambda item: item.gold, metric="wer",
        metrics=(Metric("wer", higher_is_better=False),),
    ))
"""


def test_compare_and_report_follow_a_lower_is_better_metric(tmp_path):
    """An error rate: the run with FEWER errors wins, and report says "lower"."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "wer.py").write_text(WER_PLUGIN)
    db = tmp_path / "x.duckdb"
    common = dict(tasks=["wer"], plugin_paths=[tmp_path / "plugins"], db=db, progress=False)
    good = xbench.run(model="fake:accuracy=0.95", **common)
    bad = xbench.run(model="fake:accuracy=0.05", **common)
    result = xbench.compare(good.run_id, bad.run_id, db=db)
    [unit] = result["units"]
    assert unit["delta"] > 0 and unit["higher_is_better"] is False
    assert unit["winner"] == "a" and (result["wins_a"], result["wins_b"]) == (1, 0)
    [row] = xbench.report(good.run_id, db=db)["parity"]
    assert row["higher_is_better"] is False
    out = xbench_cli("compare", good.run_id, bad.run_id, "--db", str(db))
    assert out.returncode == 0 and " lower " in out.stdout
