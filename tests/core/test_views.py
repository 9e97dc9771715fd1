"""The store's metric views on synthetic stored units and samples, with hand-worked values."""

import json
from pathlib import Path

import pytest

from xbench.store import SampleRow, Store, UnitScore

DATA = Path(__file__).parent / "data"


def _unit(task, language, value, **kw):
    fields = dict(
        task_name=f"{task}.{language}{kw.pop('suffix', '')}", benchmark=kw.pop("benchmark", "b"),
        task=task, language=language, prompt_language=kw.pop("prompt_language", language),
        partition=kw.pop("partition", "original"), source_language=None, target_language=None,
        task_version="1", metric="accuracy", value=value, ci_low=None, ci_high=None, n=10,
        n_errors=0, duration_s=0.0,
    )  # fmt: skip
    fields.update(kw)
    return UnitScore(**fields)


def _store(tmp_path, units, samples=None):
    store = Store(tmp_path / "x.duckdb")
    run_id, _ = store.start_run(
        model="m", args={}, config_hash="h", versions={}, git_hash=None, tasks=[]
    )
    samples = samples or {}
    for unit in units:
        store.save_unit(run_id, [unit], samples.get(unit.task_name, []))
    return store, run_id


def _view(store, view, run_id):
    with store.connect() as con:
        rel = con.execute(f"SELECT * FROM {view} WHERE run_id = ?", [run_id])
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]


def _approx(actual, expected):
    for key, value in expected.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value), key
        else:
            assert actual[key] == value, key


PARITY_CASES = json.loads((DATA / "parity_cases.json").read_text())


@pytest.mark.parametrize("case", PARITY_CASES, ids=[c["name"] for c in PARITY_CASES])
def test_parity_view_matches_hand_worked_cases(tmp_path, case):
    units = [_unit("t", lang, value) for lang, value in case["values"].items()]
    store, run_id = _store(tmp_path, units)
    [row] = _view(store, "parity", run_id)
    _approx(row, case["expected"])


def test_transfer_view_is_relative_to_english_of_the_same_task(tmp_path):
    units = [_unit("t", "eng_Latn", 0.8), _unit("t", "deu_Latn", 0.6), _unit("t", "swh_Latn", None),
             _unit("u", "deu_Latn", 0.5)]  # fmt: skip
    store, run_id = _store(tmp_path, units)
    rows = {(r["task"], r["language"]): r for r in _view(store, "transfer", run_id)}
    assert rows[("t", "deu_Latn")]["relative"] == pytest.approx(0.75)
    assert rows[("t", "swh_Latn")]["relative"] is None  # no answered item
    assert rows[("u", "deu_Latn")]["relative"] is None  # task u has no English unit
    assert ("t", "eng_Latn") not in rows


def _samples(scores, extracted=None):
    extracted = extracted or [None] * len(scores)
    return [
        SampleRow(str(i), "p", "r", x, "g", s, None if s is not None else "no response")
        for i, (s, x) in enumerate(zip(scores, extracted, strict=True))
    ]


def test_consistency_and_agreement_on_aligned_items(tmp_path):
    # item:      0    1    2    3    4 (error in de)
    en = [1.0, 1.0, 0.0, 0.0, 1.0]
    de = [1.0, 0.0, 1.0, 0.0, None]
    # aligned & answered in both: items 0-3. both correct: {0} = 1; either: {0, 1, 2} = 3.
    # answers: en 5,7,1,2 / de 5,8,1,"" -> comparable where both non-empty: 0,1,2 -> agree 0,2.
    units = [_unit("t", "eng_Latn", 0.6, comparable_answers=True),
             _unit("t", "deu_Latn", 0.5, comparable_answers=True)]  # fmt: skip
    samples = {
        "t.eng_Latn": _samples(en, ["5", "7", "1", "2", "9"]),
        "t.deu_Latn": _samples(de, ["5", "8", "1", "", None]),
    }
    store, run_id = _store(tmp_path, units, samples)
    [row] = _view(store, "consistency", run_id)
    _approx(row, {"language": "deu_Latn", "n_aligned": 4, "both_correct": 1, "either_correct": 3,
                  "consistency": 1 / 3, "agreement": 2 / 3})  # fmt: skip


def test_agreement_is_null_when_answers_are_not_comparable(tmp_path):
    units = [_unit("t", "eng_Latn", 1.0), _unit("t", "deu_Latn", 1.0)]
    samples = {"t.eng_Latn": _samples([1.0], ["a"]), "t.deu_Latn": _samples([1.0], ["a"])}
    store, run_id = _store(tmp_path, units, samples)
    [row] = _view(store, "consistency", run_id)
    assert row["consistency"] == 1.0 and row["agreement"] is None


def test_prompt_language_effect_pairs_native_with_other_instructions(tmp_path):
    kw = {"family": "f", "origin_language": "eng_Latn", "partition": "human_translated"}
    units = [
        _unit("native", "deu_Latn", 0.5, **kw),
        _unit("en_instr", "deu_Latn", 0.3, prompt_language="eng_Latn", **kw),
        _unit("zh_instr", "deu_Latn", 0.6, prompt_language="zho_Hans", **kw),
        _unit("native", "eng_Latn", 0.9, family="f"),
        _unit("en_instr", "eng_Latn", 0.8, family="f", prompt_language="eng_Latn"),
        _unit("other_family", "deu_Latn", 0.1, prompt_language="eng_Latn"),
    ]
    store, run_id = _store(tmp_path, units)
    rows = {
        r["other_prompt_language"]: r["delta"]
        for r in _view(store, "prompt_language_effect", run_id)
    }
    assert rows == {"eng_Latn": pytest.approx(0.2), "zho_Hans": pytest.approx(-0.1)}


def test_multiloko_effect_hooks_from_partitions_and_origins(tmp_path):
    """Synthetic MultiLoKo-shaped units: local questions in ita, the same translated to English
    (human and machine), and English-sourced questions translated into ita."""
    kw = {"benchmark": "multiloko", "family": "multiloko"}
    units = [
        _unit("local", "ita_Latn", 0.40, **kw),
        _unit("local_to_en", "eng_Latn", 0.50, origin_language="ita_Latn",
              partition="human_translated", suffix=".from_ita", **kw),
        _unit("local_to_en_mt", "eng_Latn", 0.45, origin_language="ita_Latn",
              partition="machine_translated", suffix=".from_ita", **kw),
        _unit("local", "eng_Latn", 0.70, **kw),
        _unit("en_to_local", "ita_Latn", 0.55, origin_language="eng_Latn",
              partition="human_translated", **kw),
    ]  # fmt: skip
    store, run_id = _store(tmp_path, units)
    mother = {
        r["translated_partition"]: r["delta"] for r in _view(store, "mother_tongue_effect", run_id)
    }
    assert mother == {
        "human_translated": pytest.approx(-0.10),
        "machine_translated": pytest.approx(-0.05),
    }
    [locality] = _view(store, "locality_effect", run_id)
    assert (locality["language"], locality["delta"]) == ("ita_Latn", pytest.approx(-0.15))


def test_direction_asymmetry_from_source_and_target(tmp_path):
    kw = {"benchmark": "mt", "family": "ntrex"}
    units = [
        _unit("ntrex", "deu_Latn", 0.55, source_language="eng_Latn", target_language="deu_Latn",
              suffix=".en-de", **kw),
        _unit("ntrex", "eng_Latn", 0.60, source_language="deu_Latn", target_language="eng_Latn",
              suffix=".de-en", **kw),
    ]  # fmt: skip
    store, run_id = _store(tmp_path, units)
    [row] = _view(store, "direction_asymmetry", run_id)
    assert (row["language"], row["delta"]) == ("deu_Latn", pytest.approx(-0.05))


def _cases(name):
    cases = json.loads((DATA / name).read_text())
    return pytest.mark.parametrize("case", cases, ids=[c["name"] for c in cases])


@_cases("transfer_cases.json")
def test_transfer_views_match_hand_worked_cases(tmp_path, case):
    units = [_unit("t", lang, value) for lang, value in case["values"].items()]
    store, run_id = _store(tmp_path, units)
    expected = case["expected"]
    relative = {r["language"]: r["relative"] for r in _view(store, "transfer", run_id)}
    assert relative == pytest.approx(expected["relative"])
    [parity] = _view(store, "parity", run_id)
    assert parity["transfer_gap"] == pytest.approx(expected["transfer_gap"])
    assert parity["english"] == pytest.approx(expected["english"])


@_cases("consistency_cases.json")
def test_consistency_view_matches_hand_worked_cases(tmp_path, case):
    """Consistency cases map item -> score (None: an error); agreement cases map item ->
    extracted answer (all items correct)."""
    agreement = case["kind"] == "agreement"

    def rows(values):
        if agreement:
            return [SampleRow(k, "p", "r", v, "g", 1.0, None) for k, v in values.items()]
        return [SampleRow(k, "p", "r", None, "g", v, None if v is not None else "error")
                for k, v in values.items()]  # fmt: skip

    units = [_unit("t", "eng_Latn", 0.5, comparable_answers=True),
             _unit("t", "deu_Latn", 0.5, comparable_answers=True)]  # fmt: skip
    samples = {"t.eng_Latn": rows(case["en"]), "t.deu_Latn": rows(case["other"])}
    store, run_id = _store(tmp_path, units, samples)
    found = _view(store, "consistency", run_id)
    expected = case["expected"]
    if not found:  # no aligned, answered item at all: the view has no row
        assert expected["ratio"] is None
        return
    [row] = found
    if agreement:
        assert (row["n_same_answer"], row["n_answered_both"]) == (expected["agree"], expected["n"])
        assert row["agreement"] == pytest.approx(expected["ratio"])
    else:
        assert (row["both_correct"], row["either_correct"]) == (
            expected["both"],
            expected["either"],
        )
        assert row["consistency"] == pytest.approx(expected["ratio"])


def test_sql_parity_agrees_with_python_parity_on_random_vectors(tmp_path):
    """Two independent implementations of the same definitions: the view (SQL, what the
    leaderboard reads) and xbench.stats.parity (for vectors in memory)."""
    import numpy as np

    from xbench import stats

    rng = np.random.default_rng(7)
    for trial in range(20):
        langs = ["eng_Latn", *(f"l{i:02d}_Latn" for i in range(rng.integers(1, 12)))]
        values = {
            lang: (None if rng.random() < 0.1 else float(rng.integers(0, 6)) / 5) for lang in langs
        }
        store, run_id = _store(tmp_path / str(trial), [_unit("t", k, v) for k, v in values.items()])
        [row] = _view(store, "parity", run_id)
        expected = stats.parity(values)
        for field in ("n", "n_missing", "mean", "worst_language", "worst", "best_language", "best",
                      "gap", "min_max_ratio", "cv", "gini", "english", "gap_to_english", "pm"):  # fmt: skip
            want = getattr(expected, field)
            assert row[field] == (pytest.approx(want) if isinstance(want, float) else want), field


def test_parity_follows_a_lower_is_better_metric(tmp_path):
    """TER: the worst language is the one with the HIGHEST TER; gaps to English are positive
    when the other languages do worse (hand-worked: en 40, de 50, sw 80)."""
    values = {"eng_Latn": 40.0, "deu_Latn": 50.0, "swh_Latn": 80.0}
    units = [
        _unit("mt", lang, v, metric="TER", higher_is_better=False, metric_scale=100.0)
        for lang, v in values.items()
    ]
    store, run_id = _store(tmp_path, units)
    [row] = _view(store, "parity", run_id)
    _approx(row, {
        "worst_language": "swh_Latn", "worst": 80.0, "best_language": "eng_Latn", "best": 40.0,
        "gap": 40.0, "gap_to_english": 40.0, "transfer_gap": 25.0, "english": 40.0,
        "min_max_ratio": 0.5, "higher_is_better": False, "metric_scale": 100.0,
    })  # fmt: skip
    # The same numbers as a higher-is-better metric: every ranking flips.
    flipped = [
        _unit("mt", lang, v, metric="chrF++", metric_scale=100.0) for lang, v in values.items()
    ]
    store, run_id = _store(tmp_path / "b", flipped)
    [row] = _view(store, "parity", run_id)
    _approx(row, {"worst_language": "eng_Latn", "best_language": "swh_Latn",
                  "gap_to_english": 0.0, "transfer_gap": -25.0, "higher_is_better": True})  # fmt: skip


def _run(store, args, units, status="completed", samples=None):
    run_id, _ = store.start_run(
        model="m", args=args, config_hash=json.dumps(args) + status, versions={},
        git_hash=None, tasks=[],
    )  # fmt: skip
    for unit in units:
        store.save_unit(run_id, [unit], (samples or {}).get(unit.language, []))
    store.finish_run(run_id, status)
    return run_id


def _latest(store):
    with store.connect() as con:
        rel = con.execute("SELECT * FROM model_parity")
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]


def test_a_models_latest_result_never_mixes_settings_and_skips_failed_runs(tmp_path):
    """Hand-worked: run 1 (limit 10) scores de/en/sw 0.2/0.8/0.5; run 2, same settings, redoes
    de (0.4): the latest result is de 0.4 (run 2), en 0.8, sw 0.5 (run 1), 3 of 4 languages.
    A later failed run is never ranked. A later run with another limit replaces the whole row
    (1 language) instead of mixing its scores with the limit-10 ones."""
    store = Store(tmp_path / "x.duckdb")
    ten = {"limit": 10, "num_fewshot": 0}
    cover = {"task_languages": 4}
    first = _run(store, ten, [_unit("t", lang, v, **cover) for lang, v in
                              (("deu_Latn", 0.2), ("eng_Latn", 0.8), ("swh_Latn", 0.5))])  # fmt: skip
    second = _run(store, ten, [_unit("t", "deu_Latn", 0.4, **cover)])
    _run(store, ten, [_unit("t", "deu_Latn", 0.0, **cover)], status="failed")
    [row] = _latest(store)
    _approx(row, {"n": 3, "task_languages": 4, "n_runs": 2, "run_id": None,
                  "worst_language": "deu_Latn", "worst": 0.4, "mean": (0.4 + 0.8 + 0.5) / 3,
                  "settings": "limit 10, 0-shot"})  # fmt: skip
    with store.connect() as con:
        used = dict(con.execute("SELECT language, run_id FROM latest_units").fetchall())
    assert used == {"deu_Latn": second, "eng_Latn": first, "swh_Latn": first}
    # Other settings, later: the row is that run's alone.
    third = _run(store, {"limit": 1, "num_fewshot": 0}, [_unit("t", "deu_Latn", 1.0, **cover)])
    [row] = _latest(store)
    _approx(row, {"n": 1, "run_id": third, "mean": 1.0, "settings": "limit 1, 0-shot",
                  "english": None})  # fmt: skip


def test_settings_that_make_results_comparable(tmp_path):
    store = Store(tmp_path / "x.duckdb")
    args = {
        "limit": None, "num_fewshot": 5, "apply_chat_template": True, "max_gen_toks": 64,
        "generation": {"temperature": 0.7, "seed": 3, "top_p": 0.9, "system_prompt": "Be brief."},
    }  # fmt: skip
    run_id = _run(store, args, [_unit("t", "eng_Latn", 1.0)])
    greedy = _run(store, {**args, "generation": {"temperature": 0, "seed": 3}},
                  [_unit("t", "eng_Latn", 1.0)])  # fmt: skip
    with store.connect() as con:
        settings = dict(con.execute("SELECT run_id, settings FROM run_settings").fetchall())
    assert settings[run_id].startswith(
        "all items, 5-shot, chat template, max 64 tokens, temperature 0.7 seed 3, top-p 0.9,"
        " system prompt "
    )
    # Greedy decoding does not depend on the seed, so the seed is not part of the settings.
    assert settings[greedy] == "all items, 5-shot, chat template, max 64 tokens"


def test_model_consistency_pairs_latest_units_across_runs(tmp_path):
    """English from run 1, German redone in run 2 with the same settings: consistency still
    pairs them on aligned items (hand-worked: item 1 right in both, item 2 right in en only:
    1 / 2)."""

    def rows(scores):
        return [SampleRow(str(i), "p", "r", "x", "x", s, None) for i, s in enumerate(scores, 1)]

    store = Store(tmp_path / "x.duckdb")
    args = {"limit": 2}
    _run(store, args, [_unit("t", "eng_Latn", 1.0), _unit("t", "deu_Latn", 0.0)],
         samples={"eng_Latn": rows([1.0, 1.0]), "deu_Latn": rows([0.0, 0.0])})  # fmt: skip
    _run(store, args, [_unit("t", "deu_Latn", 0.5)], samples={"deu_Latn": rows([1.0, 0.0])})
    with store.connect() as con:
        row = con.execute(
            "SELECT language, n_aligned, both_correct, either_correct, consistency"
            " FROM model_consistency"
        ).fetchall()
    assert row == [("deu_Latn", 2, 1, 2, 0.5)]
