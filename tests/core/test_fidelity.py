import json
import re
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from xbench import fidelity
from xbench.fidelity import FidelityResult, detect, same_language, summarize
from xbench.languages import SHORT_CODES

REPO = Path(__file__).resolve().parents[2]
CASES = json.loads((Path(__file__).parent / "data" / "fidelity_cases.json").read_text("utf-8"))


def _text(value: str | list[str]) -> str:
    return "\n".join(value) if isinstance(value, list) else value


@pytest.mark.parametrize("case", CASES["detect"], ids=lambda c: c["id"])
def test_detect(case):
    result = detect(case["text"])
    assert result.language == case["language"], result
    if case["language"] is None:
        assert not result.judged
        assert result.reason is not None and result.reason.startswith(case["reason"]), result
    else:
        assert result.judged and result.reason is None
        assert result.confidence is not None and result.confidence >= fidelity.MIN_CONFIDENCE


def test_detect_cases_cover_ten_languages_and_every_not_judged_reason():
    judged = {c["language"] for c in CASES["detect"] if c["language"]}
    assert len(judged) >= 10
    assert set(SHORT_CODES.values()) <= judged  # the 14 languages of the built-in tasks
    reasons = {c["reason"] for c in CASES["detect"] if c["language"] is None}
    assert reasons == {"too short", "empty", "mostly not letters", "identifier unsure"}


@pytest.mark.parametrize("case", CASES["fidelity"], ids=lambda c: c["id"])
def test_fidelity(case):
    result = fidelity.fidelity(_text(case["response"]), case["expected"])
    assert result == FidelityResult(
        expected_language=case.get("expected_stored", case["expected"]),
        detected_language=case["detected"],
        judged=case["judged"],
        in_expected=case["in_expected"],
        line_pass=case["line_pass"],
    )


def test_mixed_responses_are_in_the_expected_language_but_fail_the_line_check():
    mixed = [c for c in CASES["fidelity"] if c["in_expected"] and c["line_pass"] is False]
    assert len(mixed) >= 4


@pytest.mark.parametrize(
    "case", CASES["same_language"], ids=lambda c: f"{c['expected']}-{c['detected']}"
)
def test_same_language(case):
    expected, detected = case["expected"], case["detected"]
    assert same_language(expected, detected) is case["lenient"]
    assert same_language(expected, detected, strict=True) is case["strict"]
    if detected is not None:  # the relation does not depend on which side is expected
        assert same_language(detected, expected) is case["lenient"]
        assert same_language(detected, expected, strict=True) is case["strict"]


@pytest.mark.parametrize("code", CASES["bad_codes"])
def test_bad_codes_raise(code):
    with pytest.raises(ValueError):
        same_language(code, "deu_Latn")
    with pytest.raises(ValueError):
        fidelity.fidelity("Heute Morgen war es sehr kalt, deshalb blieb ich den ganzen Tag.", code)


def test_summarize_counts_and_rates():
    def r(judged, in_expected, line_pass, lang="deu_Latn"):
        return FidelityResult(lang, lang if judged else None, judged, in_expected, line_pass)

    results = [
        r(True, True, True),
        r(True, False, False),
        r(True, True, None),
        r(False, None, None),
        r(False, None, None, lang="tha_Thai"),
    ]
    summary = summarize(results)
    assert summary["deu_Latn"] == {
        "n": 4,
        "n_judged": 3,
        "share_in_expected": pytest.approx(2 / 3),
        "n_line_judged": 2,
        "line_pass_rate": 0.5,
    }
    assert summary["tha_Thai"] == {
        "n": 1,
        "n_judged": 0,
        "share_in_expected": None,
        "n_line_judged": 0,
        "line_pass_rate": None,
    }
    by_unit = summarize({"mgsm_native_cot.deu_Latn": results[:2], "mgsm_en_cot.deu_Latn": []})
    assert by_unit["mgsm_native_cot.deu_Latn"]["share_in_expected"] == 0.5
    assert by_unit["mgsm_en_cot.deu_Latn"] == {
        "n": 0,
        "n_judged": 0,
        "share_in_expected": None,
        "n_line_judged": 0,
        "line_pass_rate": None,
    }


def test_summarize_the_fidelity_cases():
    results = [fidelity.fidelity(_text(c["response"]), c["expected"]) for c in CASES["fidelity"]]
    german = summarize(results)["deu_Latn"]
    # 6 German tasks (one given as "de"); math_only is not judged; only_short_lines has no
    # judged line; german_with_an_english_line fails the line check.
    assert german == {
        "n": 6,
        "n_judged": 5,
        "share_in_expected": 1.0,
        "n_line_judged": 4,
        "line_pass_rate": 0.75,
    }


def test_the_identifier_labels_all_map_to_xbench_codes():
    labels = set(fidelity._identifier().labels) - {fidelity.NOT_LANGUAGE}
    assert labels == set(fidelity.LID_CODES)
    assert all(re.fullmatch(r"[a-z]{3}_[A-Z][a-z]{3}", c) for c in fidelity.LID_CODES.values())
    reachable = {fidelity.to_xbench_code(label) for label in fidelity.LID_CODES}
    assert set(SHORT_CODES.values()) <= reachable  # every built-in language can be detected


def test_script_classes_and_chinese_script():
    assert fidelity.script_class("Guten Morgen") == "shared"
    assert fidelity.script_class("Доброе утро") == "shared"
    assert fidelity.script_class("おはようございます") == "cjk"
    assert fidelity.script_class("早上好") == "cjk"
    assert fidelity.script_class("สวัสดีตอนเช้า") == "own"
    assert fidelity.script_class("") == "shared"  # nothing to go on: the strictest class
    assert fidelity.han_script("这是简体字写的句子") == "Hans"
    assert fidelity.han_script("這是繁體字寫的句子") == "Hant"
    assert fidelity.han_script("日本") == "Hans"  # no telling characters: xbench's default


def test_pinned_version_is_the_installed_one():
    pinned = fidelity.IDENTIFIER.split("==")[1]
    assert version("py3langid") == pinned
    assert f'"{fidelity.IDENTIFIER}"' in (REPO / "pyproject.toml").read_text("utf-8")


def test_import_is_cheap():
    code = "import sys, xbench.fidelity; assert 'py3langid' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_model_loads_once_and_never_touches_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the language identifier tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    fidelity._identifier.cache_clear()
    detect("Heute Morgen war es sehr kalt, deshalb bin ich zu Hause geblieben.")
    detect("Сегодня утром было очень холодно, поэтому я остался дома.")
    fidelity.fidelity("今天早上天气很冷，所以我待在家里看书。", "zho_Hans")
    info = fidelity._identifier.cache_info()
    assert (info.misses, info.currsize) == (1, 1)


@pytest.mark.slow
def test_length_bench_runs_on_the_real_data(shared_data):
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_lid_length.py"),
         "--data-dir", str(shared_data), "--per-language", "20"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    for cls in fidelity.MIN_LETTERS:
        assert f"MIN_LETTERS[{cls!r}]" in out
    assert "swh_Latn" in out and "zho_Hant" in out
