"""Every built-in scorer survives any response: 0 exceptions over >= 100,000 generated responses
per run, and linear time on the inputs that used to be pathological.

Responses are assembled from pieces that matter to the parsers (answer markers of every
language, numbers in every digit system, tool_call blocks, JSON and Python call syntax, label
lines, chat preambles) and pieces that break naive code (huge digit runs, deep nesting, control
characters, lone surrogates, long whitespace runs, mixed scripts). The generator is seeded, so
a failure names a reproducible response.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from types import MappingProxyType

import pytest

from xbench.runner import MAX_RESPONSE_CHARS, score_safely
from xbench.spec import Item, Scored, TaskSpec
from xbench_tasks.function_calling import build_specs as fc_specs
from xbench_tasks.jiraibench import scoring as jirai_scoring
from xbench_tasks.jiraibench.prompts import CATEGORIES
from xbench_tasks.mgsm import build_specs as mgsm_specs
from xbench_tasks.mgsm.prompts import LANGUAGES as MGSM_WORDS
from xbench_tasks.mt import build_specs as mt_specs
from xbench_tasks.multiloko import build_specs as multiloko_specs
from xbench_tasks.multiloko.prompts import LANGUAGES as MULTILOKO_LANGUAGES

RESPONSES_PER_RUN = 100_000
SEED = 20261201

MARKERS = [
    *(w.answer_word for w in MGSM_WORDS.values()),
    *(p for w in MGSM_WORDS.values() for p in w.answer_phrases),
    *(lang.answer_phrase for lang in MULTILOKO_LANGUAGES.values()),
    "overdose:", "eating disorder =", "self-harm (SH):", "過量服藥：", "自傷行為:",
    "Here is the translation:", "Sure! Here's the German translation:", "**Translation:**",
]  # fmt: skip
ATOMS = [
    "18", "-5", "2,125", "1.234.567,5", "12 345", "٣٤", "১২", "๑๒", "１８", "3.14", "−7", "1e309",
    "0x" + "f" * 40, "nan", "inf", "None", "null", "true", ":", "：", "\n", "\r\n", "\t", "**", "__",
    "```tool_call\n", "```", "```json\n", '{"name": "f", "arguments": {"x": 1}}', "[", "]", "{", "}",
    '"', "'", "(", ")", "f(x=1)", "a.b(c=[1, 2])", "f(x=1", "София", "Sofiya", "ДевелоперсХуб",
    "القاهرة", "東京", "ภาษา", "हिन्दी", "\u200c", "\u200b", "\x00", "\x1b[31m", "\ud800", "\udfff",
    "👍🏽", "e\u0301", "ﬁ", " ", "  ", "\u3000", "\u00a0", "1 or 2", "<0, 1 or 2>", "です", " answer is ",
]  # fmt: skip


def _huge(rng: random.Random) -> str:
    kind = rng.randrange(7)
    size = rng.choice((1_000, 5_000, 20_000))
    if kind == 0:
        return "9" * size  # beyond int()'s 4,300 digits
    if kind == 1:
        return "[" * size + "]" * size
    if kind == 2:
        return '{"a": ' * (size // 10) + "1" + "}" * (size // 10)
    if kind == 3:
        return " " * size + "x"
    if kind == 4:
        return "f(x=0x" + "f" * size + ")"
    if kind == 5:
        return "```tool_call\n" * (size // 20)
    return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(size // 10))


def responses(rng: random.Random, n: int):
    for i in range(n):
        if i % 500 == 0:
            yield _huge(rng)
            continue
        parts = [
            rng.choice(MARKERS) if rng.random() < 0.3 else rng.choice(ATOMS)
            for _ in range(rng.randrange(0, 12))
        ]
        yield "".join(parts) if rng.random() < 0.5 else " ".join(parts)


def _items() -> list[tuple[TaskSpec, Item]]:
    """(spec, item) pairs over every built-in scorer, in several languages and variants."""
    specs = {
        s.name: s for build in (mgsm_specs, multiloko_specs, fc_specs, mt_specs) for s in build()
    }
    call = {"name": "get_weather", "arguments": {"city": "София", "days": 3}}
    bfcl_call = {
        "name": "f",
        "arguments": {"x": [1], "unit": ["", "cm"], "city": ["Cairo", "القاهرة"]},
    }
    functions = [
        {"name": "get_weather", "parameters": {"properties": {"city": {}, "days": {}}}},
        {"name": "f", "parameters": {"properties": {"x": {}, "unit": {}, "city": {}}, "required": ["x"]}},
    ]  # fmt: skip

    def fc(expected):
        return MappingProxyType({"functions": functions, "expected": expected, "messages": []})

    pairs = []
    for name in specs:
        spec = specs[name]
        if spec.benchmark == "mgsm" and spec.task in ("mgsm_native_cot", "mgsm_direct"):
            pairs.append((spec, Item("0", "q", "18")))
        elif spec.benchmark == "multiloko" and spec.task in (
            "multiloko_local",
            "multiloko_local_norm2",
        ):
            pairs.append((spec, Item("0", "q", "Erik Cowie", MappingProxyType({"targets": ("Erik Cowie", "E. Cowie"), "output_type": "name"}))))  # fmt: skip
        elif name in ("tucan.bul_Cyrl", "tucan_en_prompt.bul_Cyrl"):
            pairs.append((spec, Item("0", "q", "", fc({"kind": "call", "calls": [call]}))))
            pairs.append((spec, Item("1", "q", "", fc({"kind": "no_call"}))))
        elif spec.benchmark == "function_calling" and spec.task in (
            "bfcl_simple",
            "bfcl_parallel",
            "bfcl_irrelevance",
        ):
            expected = {"kind": "no_call"} if "irrelevance" in spec.task else {"kind": "call", "calls": [bfcl_call], "allowed_values": True}  # fmt: skip
            pairs.append((spec, Item("0", "q", "", fc(expected))))
        elif spec.family in ("ntrex128_chat", "ntrex128_base") and spec.language in (
            "deu_Latn",
            "jpn_Jpan",
            "tha_Thai",
            "arb_Arab",
        ):
            pairs.append((spec, Item("0", "q", "Das Haus ist rot." if spec.target_language == "deu_Latn" else "The house is red.")))  # fmt: skip
    return pairs


def _jiraibench() -> Callable[[str], Scored]:
    item = Item("0", "q", "", MappingProxyType({"labels": dict.fromkeys(CATEGORIES, 1)}))
    return lambda response: jirai_scoring.score_response(response, item)


def test_no_scorer_raises_on_generated_responses():
    pairs = _items()
    assert {s.benchmark for s, _ in pairs} == {"mgsm", "multiloko", "function_calling", "mt"}
    jirai = _jiraibench()
    rng = random.Random(SEED)
    failures: list[str] = []
    count = 0
    for i, response in enumerate(responses(rng, RESPONSES_PER_RUN)):
        response = response[:MAX_RESPONSE_CHARS]
        spec, item = pairs[i % len(pairs)]
        for score in (lambda r, spec=spec, item=item: spec.score(r, item), jirai):
            count += 1
            try:
                scored = score(response)
            except Exception as exc:  # noqa: BLE001 - the test is that there are none
                failures.append(
                    f"{spec.name if score is not jirai else 'jiraibench'}: {type(exc).__name__}: {exc} on {response[:80]!r}"
                )
                continue
            assert isinstance(scored, Scored)
            assert scored.error is not None or 0.0 <= scored.score <= 100.0
    assert count >= RESPONSES_PER_RUN
    assert failures == [], f"{len(failures)} exceptions, first: {failures[:3]}"


def test_a_raising_scorer_is_that_samples_error_with_its_cause():
    spec = mgsm_specs()[0]

    def broken(response: str, item: Item) -> Scored:
        raise ValueError(f"cannot read {response}")

    scored = score_safely(_replace(spec, broken), "x" * 10_000, Item("0", "q", "1"), plugin="p")
    assert scored.error is not None and scored.error.startswith(
        "scorer failed: ValueError: cannot read xxx"
    )
    assert len(scored.error) <= len("scorer failed: ") + 300  # a cause is one short line
    nan = score_safely(
        _replace(spec, lambda r, i: Scored("1", float("nan"))), "1", Item("0", "q", "1"), plugin="p"
    )
    assert nan.error == "scorer failed: score nan is not a finite number"
    wrong_type = score_safely(
        _replace(spec, lambda r, i: 1.0), "1", Item("0", "q", "1"), plugin="p"
    )
    assert wrong_type.error == "scorer failed: returned float, not a Scored"


def _replace(spec: TaskSpec, score) -> TaskSpec:
    import dataclasses

    return dataclasses.replace(spec, score=score)


# --- linear time on the formerly pathological inputs ----------------------------------------


def _seconds(function: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


PATHOLOGICAL = {
    "jiraibench spaces": lambda n: "overdose" + " " * n + "x",
    "jiraibench markup": lambda n: "overdose" + "*" * n + " x",
    "jiraibench separators": lambda n: ", overdose" * (n // 10),
    "jiraibench bullets": lambda n: "- " * (n // 2) + "overdose",
    "mgsm digits": lambda n: "The answer is " + "9" * n,
    "mgsm separators": lambda n: "1" + ",1" * (n // 2),
    "mgsm dots": lambda n: "1" + "." * n,
    "multiloko markers": lambda n: "The answer is" * (n // 13),
    "mt preamble words": lambda n: "Here is " + "the " * (n // 4) + "x",
    "fc braces": lambda n: "{" * n,
    "fc blocks": lambda n: "```tool_call\n" * (n // 13),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_scorers_are_linear_in_the_response(name):
    """8x the input may cost at most 24x the time (linear: ~8x; quadratic: ~64x). Sizes are
    large enough (12k -> 96k characters) that fixed costs do not dominate."""
    make = PATHOLOGICAL[name]
    benchmark = name.split()[0]
    score = {
        "jiraibench": _jiraibench(),
        "mgsm": lambda r: mgsm_specs()[3].score(r, Item("0", "q", "18")),
        "multiloko": lambda r: _items_of("multiloko")(r),
        "mt": lambda r: _items_of("mt")(r),
        "fc": lambda r: _items_of("function_calling")(r),
    }[benchmark]
    small, large = make(12_000), make(96_000)
    ratio = _seconds(lambda: score(large)) / max(_seconds(lambda: score(small)), 1e-4)
    assert ratio < 24, f"{name}: 8x the input took {ratio:.1f}x the time"


def _items_of(benchmark: str) -> Callable[[str], Scored]:
    spec, item = next((s, i) for s, i in _items() if s.benchmark == benchmark)
    return lambda response: spec.score(response, item)


def test_generated_responses_include_the_hard_cases():
    sample = list(responses(random.Random(SEED), 20_000))
    assert any(len(r) >= 5_000 for r in sample)
    assert any("\ud800" in r for r in sample) and any("\x00" in r for r in sample)
    assert any("```tool_call" in r for r in sample) and any("9" * 4301 in r for r in sample)
