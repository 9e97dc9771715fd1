"""Function-calling plugin: registration, loaders (TUCAN, BFCL en/ar), prompts (golden),
parsing (cases as data + property-based), scoring, a fake-model run and a small real-model run.

Golden prompts and scoring cases use only items we wrote ourselves; the real TUCAN and BFCL data
stay in ../shared/data and are read at test time through the `shared_data` fixture.
Regenerate the golden prompts with `XBENCH_UPDATE_GOLDEN=1 python -m pytest tests/tasks`, then
read the diff before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xbench
from tests.helpers import assert_golden
from xbench.spec import DataError, Item, LoadContext, TaskSpec
from xbench_tasks.function_calling import build_specs, data, register_tasks
from xbench_tasks.function_calling.parsing import CALLS, MALFORMED, NO_CALL, parse_calls
from xbench_tasks.function_calling.scoring import OUTCOMES, normalize_text, values_match

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "function_calling"
CASES = json.loads(
    (HERE / "data" / "function_calling_scoring_cases.json").read_text(encoding="utf-8")
)
SPECS = {s.name: s for s in build_specs()}
CATEGORIES = tuple(data.BFCL_CATEGORIES)


def spec(name: str) -> TaskSpec:
    return SPECS[name]


def item(expected, *, functions=None, question="?", messages=None) -> Item:
    """An item; by default its functions' schemas have exactly the expected parameters."""
    if functions is None:
        schemas: dict[str, set[str]] = {"f": set()}
        for call in expected.get("calls", ()):
            schemas.setdefault(call["name"], set()).update(call["arguments"])
        functions = [
            {"name": name, "parameters": {"type": "object", "properties": {p: {} for p in params}}}
            for name, params in schemas.items()
        ]
    fields = {"functions": functions, "expected": expected, "messages": messages or []}
    return Item(item_key="0", question=question, gold="", fields=MappingProxyType(fields))


# --- registration ---------------------------------------------------------------------------


def test_registers_unique_variants():
    specs: list[TaskSpec] = []
    register_tasks(specs.append)
    names = [s.name for s in specs]
    assert len(names) == len(set(names)) == 2 + 11 + 6 * 2
    assert {s.task for s in specs if s.language == "eng_Latn"} == {f"bfcl_{c}" for c in CATEGORIES}
    assert {s.language for s in specs} == {"bul_Cyrl", "eng_Latn", "arb_Arab"}


def test_registry_has_the_benchmark_once():
    from xbench import plugins

    registry = plugins.load_registry()
    chosen = registry.select(["function_calling"])
    assert sorted(s.name for s in chosen) == sorted(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_variant_fields(name):
    s = SPECS[name]
    assert s.benchmark == "function_calling" and s.version == "2" and s.max_fewshot == 0
    assert "tools: in prompt" in s.description and "tools: in prompt" in s.source
    assert s.metric == "accuracy" and s.corpus_metrics is not None
    if s.language == "arb_Arab":
        assert s.partition == "machine_translated" and s.origin_language == "eng_Latn"
    else:
        assert s.partition == "original" and s.origin_language is None
    english_prompt = s.task.endswith("_en_prompt") or s.language == "eng_Latn"
    assert (s.prompt_language == "eng_Latn") == english_prompt
    assert s.family == (
        "tucan" if s.task.startswith("tucan") else s.task.removesuffix("_en_prompt")
    )


# --- scoring cases (data) -------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['rules']}" for i, c in enumerate(CASES)])
def test_scoring_case(case):
    s = spec("tucan.bul_Cyrl" if case["rules"] == "tucan" else "bfcl_simple.eng_Latn")
    expected = {**case["expected"], "allowed_values": case["rules"] == "bfcl"}
    scored = s.score(case["response"], item(expected, functions=case.get("functions")))
    extracted = json.loads(scored.extracted)
    assert extracted["outcome"] == case["outcome"], case["note"]
    assert scored.score == (1.0 if case["outcome"] == "correct" else 0.0)


def test_cases_cover_every_outcome():
    assert {c["outcome"] for c in CASES} == set(OUTCOMES)


def test_per_sample_metrics():
    s = spec("bfcl_simple.eng_Latn")
    call = {"kind": "call", "calls": [{"name": "f", "arguments": {"x": [1]}}], "allowed_values": 1}
    assert dict(s.score("f(x=2)", item(call)).metrics) == {
        "parse_rate": 1.0,
        "function_name_accuracy": 1.0,
        "args_exact_match": 0.0,
    }
    assert dict(s.score("g(x=1)", item(call)).metrics) == {
        "parse_rate": 1.0,
        "function_name_accuracy": 0.0,
    }
    none = {"kind": "no_call", "calls": [], "allowed_values": True}
    assert dict(s.score("no", item(none)).metrics) == {
        "parse_rate": 1.0,
        "correct_no_call_rate": 1.0,
    }
    assert spec("tucan.bul_Cyrl").score("```tool_call\n{", item(none)).metrics["parse_rate"] == 0.0


def test_call_precision_and_recall():
    s = spec("bfcl_parallel.eng_Latn")
    two = {
        "kind": "call",
        "calls": [
            {"name": "f", "arguments": {"x": [1]}},
            {"name": "f", "arguments": {"x": [2]}},
        ],
        "allowed_values": True,
    }
    pairs = [
        (item(two), "[f(x=1), f(x=3), f(x=9)]"),  # 3 made, 2 expected, 1 right
        (item(two), "[f(x=2), f(x=1)]"),  # 2 made, 2 expected, 2 right
    ]
    scores = s.corpus_metrics(s.answered(pairs), resamples=1000)
    assert scores["call_precision"].value == pytest.approx(3 / 5)
    assert scores["call_recall"].value == pytest.approx(3 / 4)
    assert "bootstrap" in scores["call_precision"].signature
    irrelevant = [(item({"kind": "no_call", "calls": []}), "text")]
    assert (
        s.corpus_metrics(s.answered(irrelevant), resamples=1000) == {}
    )  # nothing made, nothing expected


def test_value_normalisation_keeps_every_script():
    for text in ("القاهرة", "Пловдив", "東京", "ъ", "...", "-"):
        assert normalize_text(text, bfcl=True)
        assert normalize_text(text)
    assert normalize_text("ＳＯＦＩＡ") == normalize_text("София", cyrillic=True) == "sofia"
    assert values_match("Стара Загора", "stara zagora", cyrillic=True)
    assert not values_match("القاهرة", "دبي", bfcl=True)
    assert values_match(20, "20.0") and not values_match(True, 1)


# --- parser robustness (property-based) ------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
_call_json = st.builds(
    lambda name, args: json.dumps({"name": name, "arguments": args}, ensure_ascii=False),
    st.text(min_size=1, max_size=12),
    st.dictionaries(st.text(max_size=8), _json_values, max_size=4),
)


def _nested(depth: int, opener: str, closer: str, core: str) -> str:
    return opener * depth + core + closer * depth


_outputs = st.one_of(
    st.text(max_size=300),
    _call_json.map(lambda c: f"```tool_call\n{c}\n```"),
    _call_json.flatmap(lambda c: st.integers(0, len(c)).map(lambda n: f"```tool_call\n{c[:n]}")),
    _call_json.flatmap(lambda c: st.integers(0, len(c)).map(lambda n: c[:n])),
    st.integers(1, 50_000).map(lambda d: _nested(d, "[", "]", "1")),
    st.integers(1, 50_000).map(lambda d: _nested(d, '{"a":', "}", "1")),
    st.integers(1, 50_000).map(lambda d: "f(x=" + _nested(d, "(", ")", "1") + ")"),
    st.integers(1, 50_000).map(lambda d: "```tool_call\n" + _nested(d, "[", "]", "{}") + "\n```"),
    st.integers(1, 200_000).map(lambda n: "f(x=" + "9" * n + ")"),
    st.integers(1, 200_000).map(lambda n: "```tool_call" * (n % 50 + 1) + "x" * n),
    st.text(alphabet="{}[]()\"':,=` \n\\fx1", max_size=400),
)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(_outputs)
def test_parser_never_crashes_and_classifies_everything(output):
    parsed = parse_calls(output)
    assert parsed.kind in (CALLS, NO_CALL, MALFORMED)
    assert (parsed.kind == CALLS) == bool(parsed.calls)
    for s in (spec("tucan.bul_Cyrl"), spec("bfcl_parallel.eng_Latn")):
        for expected in (
            {"kind": "call", "calls": [{"name": "f", "arguments": {"x": [1]}}]},
            {"kind": "no_call", "calls": []},
        ):
            if s.task == "tucan" and expected["calls"]:
                expected = {**expected, "calls": [{"name": "f", "arguments": {"x": 1}}]}
            extracted = json.loads(s.score(output, item(expected)).extracted)
            assert extracted["outcome"] in OUTCOMES


def test_nothing_is_executed(tmp_path):
    marker = tmp_path / "pwned"
    response = f"f(x=open({str(marker)!r}, 'w').write('x'))"
    assert parse_calls(response).kind == MALFORMED
    assert not marker.exists()


# --- golden prompts (self-written items) ----------------------------------------------------

_WEATHER = [
    {
        "name": "get_forecast",
        "description": "Forecast for a town",
        "parameters": {
            "type": "object",
            "properties": {"town": {"type": "string", "description": "Town name"}},
            "required": ["town"],
        },
    }
]
GOLDEN_ITEMS = {
    "tucan.bul_Cyrl": item(
        {"kind": "call", "calls": [{"name": "get_forecast", "arguments": {"town": "Ямбол"}}]},
        functions=_WEATHER,
        question="Ще вали ли утре в Ямбол?",
    ),
    "tucan_en_prompt.bul_Cyrl": item(
        {"kind": "no_call", "calls": []}, functions=[], question="Как се прави чай?"
    ),
    "bfcl_parallel.eng_Latn": item(
        {"kind": "call", "calls": [], "allowed_values": True},
        functions=_WEATHER,
        question="Forecast for Oxford and for Leeds, please.",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Forecast for Oxford and for Leeds, please."},
        ],
    ),
    "bfcl_simple.arb_Arab": item(
        {"kind": "call", "calls": [], "allowed_values": True},
        functions=_WEATHER,
        question="ما حالة الطقس غدًا في الرباط؟",
    ),
    "bfcl_simple_en_prompt.arb_Arab": item(
        {"kind": "call", "calls": [], "allowed_values": True},
        functions=_WEATHER,
        question="ما حالة الطقس غدًا في الرباط؟",
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_ITEMS))
def test_golden_prompt(name):
    prompt = spec(name).render(GOLDEN_ITEMS[name], 0)
    path = GOLDEN / f"{name}.txt"
    assert_golden(path, prompt)


def test_render_rejects_few_shot():
    with pytest.raises(ValueError, match="no few-shot"):
        spec("tucan.bul_Cyrl").render(GOLDEN_ITEMS["tucan.bul_Cyrl"], 1)


# --- real data ----------------------------------------------------------------------------


def test_tucan_sample_loads(shared_data):
    s = spec("tucan.bul_Cyrl")
    items = s.load(LoadContext(data_dir=shared_data))
    assert [i.item_key for i in items] == [str(n) for n in range(10)]
    kinds = [i.fields["expected"]["kind"] for i in items]
    assert kinds.count("call") == 5 and kinds.count("no_call") == 5
    assert sum(not i.fields["functions"] for i in items) == 2
    for i in items:
        assert s.score(s.reference_response(i), i).score == 1.0
        assert "```tool_call" in s.render(i, 0) or not i.fields["functions"]


@pytest.mark.parametrize("category", data.BFCL_AR_CATEGORIES)
def test_bfcl_english_and_arabic_align(shared_data, category):
    ctx = LoadContext(data_dir=shared_data)
    english = spec(f"bfcl_{category}.eng_Latn").load(ctx)
    arabic = spec(f"bfcl_{category}.arb_Arab").load(ctx)
    assert [i.item_key for i in english] == [i.item_key for i in arabic]
    assert sum(any("\u0600" <= c <= "\u06ff" for c in i.question) for i in arabic) > 0.9 * len(
        arabic
    )


@pytest.mark.parametrize("category", CATEGORIES)
def test_bfcl_reference_answers_score(shared_data, category):
    s = spec(f"bfcl_{category}.eng_Latn")
    items = s.load(LoadContext(data_dir=shared_data))
    wrong = [i.item_key for i in items if s.score(s.reference_response(i), i).score != 1.0]
    # Two upstream ground truths require a parameter that is not in the schema (data card).
    unanswerable = ["live_multiple_862-181-3", "live_multiple_964-207-0"]
    assert wrong == (unanswerable if category == "live_multiple" else [])


def test_arabic_fork_answer_fixes(shared_data, tmp_path):
    ctx = LoadContext(data_dir=shared_data)
    arabic = {i.item_key: i for i in spec("bfcl_simple.arb_Arab").load(ctx)}
    (call,) = arabic["simple_python_363"].fields["expected"]["calls"]
    assert call["name"] == "restaurant_search.find_closest"
    parallel = {i.item_key: i for i in spec("bfcl_parallel.arb_Arab").load(ctx)}
    english = {i.item_key: i for i in spec("bfcl_parallel.eng_Latn").load(ctx)}
    assert parallel["parallel_155"].gold == english["parallel_155"].gold
    # Without the upstream files at hand, the rename alone still repairs simple_python_363.
    (tmp_path / "bfcl_ar").symlink_to(shared_data / "bfcl_ar")
    alone = {i.item_key: i for i in spec("bfcl_simple.arb_Arab").load(LoadContext(tmp_path))}
    assert alone["simple_python_363"].fields["expected"]["calls"][0]["name"] == call["name"]


def test_tucan_hub_row_with_json_strings():
    """Hub rows may carry functions / expected_behavior as JSON strings (self-written row)."""
    row = {
        "user_message": "Ще вали ли утре в Ямбол?",
        "functions": json.dumps(_WEATHER),
        "expected_behavior": json.dumps(
            {
                "should_call_function": True,
                "expected_function": "get_forecast",
                "expected_parameters": {"town": "Ямбол"},
            }
        ),
        "scenario_type": "function_call_required",
    }
    got = data.tucan_item(row, "7", "hub row 7")
    assert got.fields["functions"] == _WEATHER and got.fields["expected"]["kind"] == "call"
    s = spec("tucan.bul_Cyrl")
    assert s.score('{"name": "get_forecast", "arguments": {"town": "Yambol"}}', got).score == 1.0
    with pytest.raises(DataError, match="hub row 8"):
        data.tucan_item({**row, "expected_behavior": "{}"}, "8", "hub row 8")


def test_missing_data_names_the_path_and_the_card(tmp_path):
    with pytest.raises(DataError) as error:
        spec("bfcl_simple.arb_Arab").load(LoadContext(data_dir=tmp_path))
    assert str(tmp_path / "bfcl_ar" / "BFCL_v4_simple_python.json") in str(error.value)
    assert "data_cards/bfcl.md" in str(error.value)
    with pytest.raises(DataError, match="data_cards/tucan.md"):
        spec("tucan.bul_Cyrl").load(LoadContext(data_dir=tmp_path))


def test_corrupt_line_names_file_and_line(tmp_path):
    folder = tmp_path / "bfcl"
    (folder / "possible_answer").mkdir(parents=True)
    row = {"id": "irrelevance_0", "question": [[{"role": "user", "content": "Hi"}]], "function": []}
    path = folder / "BFCL_v4_irrelevance.json"
    path.write_text(json.dumps(row) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(DataError, match="invalid JSON") as error:
        spec("bfcl_irrelevance.eng_Latn").load(LoadContext(data_dir=tmp_path))
    assert f"{path}:2" in str(error.value)


# --- runs ---------------------------------------------------------------------------------


def test_fake_run_and_report(shared_data, tmp_path):
    db = tmp_path / "x.duckdb"
    result = xbench.run(
        model="fake:accuracy=0.7",
        tasks=["bfcl_simple", "bfcl_simple_en_prompt", "tucan", "tucan_en_prompt"],
        data_dir=shared_data,
        limit=3,
        db=db,
        progress=False,
    )
    report = xbench.report(result.run_id, db=db)
    transfer = [r for r in report["transfer"] if r["benchmark"] == "function_calling"]
    assert {r["language"] for r in transfer} >= {"arb_Arab"}
    effects = [r for r in report["prompt_language_effect"] if r["benchmark"] == "function_calling"]
    assert {(r["family"], r["language"]) for r in effects} == {
        ("bfcl_simple", "arb_Arab"),
        ("tucan", "bul_Cyrl"),
    }
    assert any(r["benchmark"] == "function_calling" for r in report["consistency"])


@pytest.mark.slow
@pytest.mark.real_model
def test_smollm2_run(shared_data, tmp_path):
    db = tmp_path / "x.duckdb"
    result = xbench.run(
        model="smollm2-135m",
        tasks=["bfcl_simple"],
        languages=["en", "ar"],
        limit=2,
        max_gen_toks=48,
        data_dir=shared_data,
        db=db,
        progress=False,
    )
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT task_name, response, extracted FROM samples WHERE run_id = ?", [result.run_id]
        ).fetchall()
    assert len(rows) == 4
    assert all(response for _, response, _ in rows)
    assert all(json.loads(extracted)["outcome"] in OUTCOMES for _, _, extracted in rows)
