"""Scoring tool calls: TUCAN's six outcomes, BFCL's AST rules, and the derived metrics.

Outcomes, checked in this order (TUCAN, s-emanuilov/Tucan-Eval):
  malformed             a call was attempted but cannot be read
  no_call_when_expected a call was expected, none was made
  wrong_function        the called function(s) differ from the expected one(s)
  wrong_parameters      right function(s), arguments do not match
  unexpected_call       no call was expected, one was made
  correct

Two rule sets pick the outcome ("tucan" and "bfcl"):
  - tucan: only the first call counts (as Tucan-Eval reads only the first block; a broken
    later block is never read, so it cannot make the response malformed); its name must
    equal the expected one and its parameter keys must equal the expected keys, each value
    comparing leniently (`values_match`).
  - bfcl: the upstream AST checker (bfcl_eval/eval_checker/ast_eval/ast_checker.py): the calls
    must pair one-to-one with the ground-truth calls in any order (so their number must be the
    same; a count or name mismatch is wrong_function); each argument must be a parameter of the
    function's schema AND of the ground truth, and among the allowed values; required parameters must be present; a ground-truth parameter
    may be left out only when "" is among its allowed values. Irrelevance: correct when no
    call can be decoded, so, as upstream, an unreadable attempt counts as no call there.
    Relevance ("any_call"): correct when any call is made.

Value comparison (both rule sets) is Unicode-aware and never reduces letters of any script to
nothing: NFKC, case folding, surrounding quotes and trailing .!?,:; stripped, whitespace
collapsed; for benchmarks written in Cyrillic (TUCAN) a Cyrillic value also matches its
romanisation under Bulgaria's official system, Tucan-Eval's own table, BGN/PCGN 1952 and ISO 9
(`ROMANISATIONS`: "София" == "Sofia" == "Sofiya" == "Sofiâ"); numbers and numeric strings compare as numbers
("20" == 20 == 20.0), "true"/"false" as booleans. BFCL additionally removes the characters its
`standardize_string` removes (spaces and ,./-_*^) and maps ' to ".
"""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from xbench.spec import Answered, CorpusScore, Item, Scored

from .parsing import CALLS, MALFORMED, Call, Parsed, parse_calls

MALFORMED_OUT = "malformed"
NO_CALL_WHEN_EXPECTED = "no_call_when_expected"
WRONG_FUNCTION = "wrong_function"
WRONG_PARAMETERS = "wrong_parameters"
UNEXPECTED_CALL = "unexpected_call"
CORRECT = "correct"
OUTCOMES = (
    MALFORMED_OUT,
    NO_CALL_WHEN_EXPECTED,
    WRONG_FUNCTION,
    WRONG_PARAMETERS,
    UNEXPECTED_CALL,
    CORRECT,
)

# What an item expects (Item.fields["expected"]["kind"]).
EXPECT_CALL, EXPECT_NO_CALL, EXPECT_ANY_CALL = "call", "no_call", "any_call"

# Romanisations of Cyrillic values, lower case. A value written in Cyrillic also matches its
# romanisation under each of these established systems (whole-value, one system at a time):
#   official  Bulgaria's Streamlined System (Transliteration Act 2009; BGN/PCGN 2013):
#             щ -> sht, ъ -> a, ь -> y, word-final ия -> ia ("София" -> "Sofia")
#   tucan     Tucan-Eval's own table (its SOURCE.md summary): щ -> shch, ъ and ь dropped, no
#             word-final rule ("София" -> "Sofiya", "Германия" -> "Germaniya")
#   bgn       BGN/PCGN 1952 for Bulgarian: х -> kh, щ -> sht, ъ -> ŭ, ь -> ' ("Sofiya")
#   iso9      ISO 9:1995, with its diacritics: ж -> ž, ц -> c, ч -> č, ш -> š, щ -> ŝ, ю -> û,
#             я -> â, й -> j, ъ -> ʺ, ь -> ʹ ("Sofiâ")
# Russian-only letters (ё, ы, э) follow the common scheme in all four. Only benchmarks whose
# content is written in Cyrillic fold Cyrillic to Latin (TUCAN, Bulgarian); elsewhere a Cyrillic
# look-alike ("ДевелоперсХуб" for "DevelopersHub") stays a different value.
_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya",
    "ё": "yo", "ы": "y", "э": "e", "ѝ": "i",
}  # fmt: skip
ROMANISATIONS: dict[str, dict[str, str]] = {
    "official": _COMMON,
    "tucan": {**_COMMON, "щ": "shch", "ъ": "", "ь": ""},
    "bgn": {**_COMMON, "х": "kh", "ъ": "ŭ", "ь": "'"},
    "iso9": {
        **_COMMON, "ж": "ž", "й": "j", "х": "h", "ц": "c", "ч": "č", "ш": "š", "щ": "ŝ",
        "ъ": "ʺ", "ь": "ʹ", "ю": "û", "я": "â", "ё": "ë", "э": "è", "ѝ": "ì",
    },
}  # fmt: skip
_TABLES = {name: str.maketrans(table) for name, table in ROMANISATIONS.items()}
# Bulgaria's official rule: a word-final "ия" is "ia" (София -> Sofia, България -> Bulgaria).
_FINAL_IA = re.compile(r"ия\b")
_HAS_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_QUOTES = "\"'`«»“”„‘’"
_TRAILING = ".!?,:;"
_BFCL_REMOVED = str.maketrans("", "", " ,./-_*^")


def _base_form(value: str) -> str:
    """NFKC, case folding, collapsed whitespace, surrounding quotes and trailing .!?,:; off."""
    base = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    return base.strip(_QUOTES + " ").rstrip(_TRAILING).strip(_QUOTES + " ") or base


def romanisations(text: str) -> set[str]:
    """`text` (already case-folded) under every system of ROMANISATIONS; {} without Cyrillic."""
    if not _HAS_CYRILLIC.search(text):
        return set()
    out = set()
    for name, table in _TABLES.items():
        source = _FINAL_IA.sub("ia", text) if name == "official" else text
        out.add(source.translate(table) or text)  # "ъ" alone is not nothing
    return out


def text_forms(value: str, *, bfcl: bool = False, cyrillic: bool = False) -> set[str]:
    """The comparison forms of a string value; two values match when their forms meet.
    Letters of every script survive; `cyrillic` adds the romanisations of Cyrillic text."""
    base = _base_form(value)
    forms = {base} | (romanisations(base) if cyrillic else set())
    if bfcl:
        # BFCL's standardize_string; never reduce a value to nothing ("..." or "-" stay).
        forms = {form.replace("'", '"').translate(_BFCL_REMOVED) or form for form in forms}
    return forms


def normalize_text(value: str, *, bfcl: bool = False, cyrillic: bool = False) -> str:
    """One canonical comparison form (the official romanisation when `cyrillic`), for display
    and tests; matching uses every form of `text_forms`."""
    base = _base_form(value)
    if cyrillic and _HAS_CYRILLIC.search(base):
        base = _FINAL_IA.sub("ia", base).translate(_TABLES["official"]) or base
    if bfcl:
        base = base.replace("'", '"').translate(_BFCL_REMOVED) or base
    return base


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return Decimal(str(value))
    if isinstance(value, str) and len(value) <= 64:
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    return None


def values_match(
    expected: Any, actual: Any, *, bfcl: bool = False, cyrillic: bool = False, depth: int = 0
) -> bool:
    """Lenient equality of one expected value and one model value (see the module doc)."""
    deeper = {"bfcl": bfcl, "cyrillic": cyrillic, "depth": depth + 1}
    if depth > 32:  # deeper than any real argument: not a match
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return _boolean(expected) is not None and _boolean(expected) == _boolean(actual)
    if expected is None or actual is None:
        return expected is None and actual in (None, "None", "null")
    if isinstance(expected, list | tuple):
        return (
            isinstance(actual, list | tuple)
            and len(expected) == len(actual)
            and all(values_match(e, a, **deeper) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        if bfcl:
            return _bfcl_arguments_match(expected, actual, required=(), **deeper)
        return set(map(str, expected)) == set(map(str, actual)) and all(
            values_match(expected[k], actual.get(k), **deeper) for k in expected
        )
    expected_number, actual_number = _number(expected), _number(actual)
    if expected_number is not None and actual_number is not None:
        return expected_number == actual_number
    if isinstance(expected, str) and isinstance(actual, str):
        forms = functools.partial(text_forms, bfcl=bfcl, cyrillic=cyrillic)
        return not forms(expected).isdisjoint(forms(actual))
    return False


def _bfcl_arguments_match(
    allowed: Mapping[str, Sequence[Any]],
    actual: Mapping[str, Any],
    *,
    required: Sequence[str],
    schema: Collection[str] | None = None,
    bfcl: bool = True,
    cyrillic: bool = False,
    depth: int = 0,
) -> bool:
    """BFCL: every argument a parameter of the function's schema (`schema`, its property
    names; None for nested values) and of the ground truth, and among its allowed values;
    omitted ones must allow "".

    Two ground-truth quirks are read charitably (the upstream checker fails every answer on
    them): a schema-required parameter whose allowed values include "" may be omitted (the
    ground truth says so, e.g. simple_python_200), and an empty list of allowed values means the
    empty list (live_simple_112-68-0). Nested dicts may hold bare values instead of lists of
    allowed values (live_multiple_121-46-0); a bare value is the one allowed value."""
    if any(name not in allowed or (schema is not None and name not in schema) for name in actual):
        return False  # upstream: "Unexpected parameter"
    for name in required:
        if name not in actual and "" not in _options(allowed.get(name, [])):
            return False
    for name, options in allowed.items():
        options = _options(options)
        if name not in actual:
            if "" not in options:
                return False
            continue
        if not any(
            values_match(option, actual[name], bfcl=True, cyrillic=cyrillic, depth=depth + 1)
            for option in options
            if not (option == "" and actual[name] != "")
        ):
            return False
    return True


def _options(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    return value if value else [[]]


# --- outcomes -----------------------------------------------------------------------------


def outcome_tucan(
    parsed_kind: str, calls: Sequence[Call], expected: Mapping[str, Any], *, cyrillic: bool = True
) -> str:
    if parsed_kind == MALFORMED:
        return MALFORMED_OUT
    if expected["kind"] == EXPECT_NO_CALL:
        return UNEXPECTED_CALL if calls else CORRECT
    if not calls:
        return NO_CALL_WHEN_EXPECTED
    if expected["kind"] == EXPECT_ANY_CALL:
        return CORRECT
    (want,) = expected["calls"]
    got = calls[0]  # Tucan-Eval reads the first call block only
    if got.name != want["name"]:
        return WRONG_FUNCTION
    if not values_match(want["arguments"], got.arguments, cyrillic=cyrillic):
        return WRONG_PARAMETERS
    return CORRECT


def outcome_bfcl(
    parsed_kind: str,
    calls: Sequence[Call],
    expected: Mapping[str, Any],
    required: Mapping[str, Sequence[str]],
    schemas: Mapping[str, Collection[str]] | None = None,
    *,
    cyrillic: bool = False,
) -> tuple[str, int]:
    """The outcome and the number of calls that pair with a ground-truth call. `schemas`: the
    parameter names of each offered function (None: not checked)."""
    if expected["kind"] == EXPECT_NO_CALL:
        # Upstream irrelevance: correct when no call can be decoded (malformed included).
        return (UNEXPECTED_CALL if parsed_kind == CALLS else CORRECT), 0
    if parsed_kind == MALFORMED:
        return MALFORMED_OUT, 0
    if not calls:
        return NO_CALL_WHEN_EXPECTED, 0
    if expected["kind"] == EXPECT_ANY_CALL:
        return CORRECT, 1
    truth = expected["calls"]  # [{"name": ..., "arguments": {param: [allowed...]}}]
    matches = _pairing(calls, truth, required, schemas, cyrillic=cyrillic)
    if sorted(c.name for c in calls) != sorted(t["name"] for t in truth):
        return WRONG_FUNCTION, matches
    return (CORRECT if matches == len(truth) == len(calls) else WRONG_PARAMETERS), matches


def _pairing(
    calls: Sequence[Call],
    truth: Sequence[Mapping[str, Any]],
    required: Mapping[str, Sequence[str]],
    schemas: Mapping[str, Collection[str]] | None,
    *,
    cyrillic: bool,
) -> int:
    """The largest number of calls that pair one-to-one with ground-truth calls they satisfy
    (bipartite matching by augmenting paths; at most MAX_CALLS x len(truth) checks)."""
    ok = [
        [
            j
            for j, t in enumerate(truth)
            if c.name == t["name"]
            and _bfcl_arguments_match(
                t["arguments"],
                c.arguments,
                required=required.get(c.name, ()),
                schema=None if schemas is None else schemas.get(c.name),
                cyrillic=cyrillic,
            )  # fmt: skip
        ]
        for c in calls
    ]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in ok[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    return sum(augment(i, set()) for i in range(len(calls)))


# --- the scorer ---------------------------------------------------------------------------


def score_response(response: str, item: Item, *, rules: str, cyrillic: bool = False) -> Scored:
    """Scored(extracted=<compact JSON: outcome + calls>, score=1.0 only for "correct").

    Per-sample metrics (each averaged over the samples that have it):
      parse_rate              1 unless the response is malformed (every sample)
      function_name_accuracy  right function name(s), on items that expect a specific call
      args_exact_match        right arguments, on items whose function name(s) were right
      correct_no_call_rate    no call made, on items that expect none
    `cyrillic`: Cyrillic values also match their romanisations (benchmarks written in Cyrillic).
    """
    parsed = _parse(response, rules)
    expected = item.fields["expected"]
    calls = parsed.calls
    matched = None
    if rules == "tucan":
        outcome = outcome_tucan(parsed.kind, calls, expected, cyrillic=cyrillic)
    else:
        outcome, matched = outcome_bfcl(
            parsed.kind, calls, expected, _required(item), _schemas(item), cyrillic=cyrillic
        )
    metrics = {"parse_rate": 0.0 if parsed.kind == MALFORMED else 1.0}
    if expected["kind"] == EXPECT_NO_CALL:
        metrics["correct_no_call_rate"] = 1.0 if outcome == CORRECT else 0.0
    elif expected["kind"] == EXPECT_CALL:
        name_ok = outcome in (WRONG_PARAMETERS, CORRECT)
        metrics["function_name_accuracy"] = 1.0 if name_ok else 0.0
        if name_ok:
            metrics["args_exact_match"] = 1.0 if outcome == CORRECT else 0.0
    extracted = json.dumps(
        {"outcome": outcome, "calls": [c.to_json() for c in calls]},
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    counts = _call_counts(parsed, expected, outcome, matched, rules=rules, cyrillic=cyrillic)
    return Scored(
        extracted=extracted,
        score=1.0 if outcome == CORRECT else 0.0,
        metrics=metrics,
        details={"calls": counts},  # (made, expected, matched) for call precision and recall
    )


def _parse(response: str, rules: str) -> Parsed:
    """TUCAN reads the first call block only, so a broken later block does not count there."""
    return parse_calls(response, first_block_only=rules == "tucan")


def _schemas(item: Item) -> dict[str, frozenset[str]]:
    """The parameter names of every function offered to the model, by function name (a call of
    a function that was not offered has no schema to check; its name is wrong anyway)."""
    out: dict[str, frozenset[str]] = {}
    for function in item.fields.get("functions", ()):
        properties = (function.get("parameters") or {}).get("properties") or {}
        out[function.get("name", "")] = frozenset(map(str, properties))
    return out


def _required(item: Item) -> dict[str, Sequence[str]]:
    out: dict[str, Sequence[str]] = {}
    for function in item.fields.get("functions", ()):
        parameters = function.get("parameters") or {}
        out[function.get("name", "")] = tuple(parameters.get("required") or ())
    return out


# --- corpus metrics: call precision and recall -----------------------------------------------

RESAMPLES = 1000


def call_counts(
    response: str, item: Item, *, rules: str, cyrillic: bool = False
) -> tuple[int, int, int]:
    """(calls made, calls expected, calls made that pair with an expected call) for one item,
    as `score_response` records it in `Scored.details["calls"]`."""
    return score_response(response, item, rules=rules, cyrillic=cyrillic).details["calls"]


def _call_counts(
    parsed: Parsed, expected: Mapping[str, Any], outcome: str, matched: int | None, *,
    rules: str, cyrillic: bool,
) -> tuple[int, int, int]:  # fmt: skip
    """The counts from what scoring already read. TUCAN counts its first call only; "any
    call" items expect one call, satisfied by any."""
    calls = parsed.calls if parsed.kind == CALLS else ()
    if rules == "tucan":
        calls = calls[:1]
    wanted = {EXPECT_NO_CALL: 0, EXPECT_ANY_CALL: 1}.get(expected["kind"])
    if wanted is None:
        wanted = len(expected["calls"])
    if not calls or wanted == 0:
        return len(calls), wanted, 0
    if expected["kind"] == EXPECT_ANY_CALL:
        return len(calls), 1, 1
    if rules == "tucan":
        if len(calls) == len(parsed.calls):  # the call the outcome was judged on
            return len(calls), wanted, int(outcome == CORRECT)
        good = outcome_tucan(parsed.kind, calls, expected, cyrillic=cyrillic) == CORRECT
        return len(calls), wanted, int(good)
    assert matched is not None  # BFCL's outcome pairs the calls
    return len(calls), wanted, matched


def corpus_metrics(
    answered: Sequence[Answered], *, rules: str, cyrillic: bool = False,
    resamples: int = RESAMPLES,
) -> dict[str, CorpusScore]:  # fmt: skip
    """Micro-averaged call precision (matched / made) and recall (matched / expected) over the
    unit, with a percentile bootstrap CI over items (`xbench.stats.bootstrap_interval`, seed 0)."""
    import numpy as np

    from xbench.stats import bootstrap_interval

    counts = np.asarray([a.scored.details["calls"] for a in answered], dtype=float).reshape(-1, 3)
    out = {}
    for name, column in (("call_precision", 0), ("call_recall", 1)):
        matched, denominator = counts[:, 2], counts[:, column]
        if denominator.sum() == 0:
            continue  # e.g. recall on irrelevance: nothing was expected
        value = float(matched.sum() / denominator.sum())

        def ratio(idx: Any, matched: Any = matched, denominator: Any = denominator) -> Any:
            below = denominator[idx].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(below > 0, matched[idx].sum(axis=1) / below, np.nan)

        ci = bootstrap_interval(ratio, len(counts), resamples=resamples, seed=0)
        signature = f"{name}|micro|rules:{rules}|bootstrap:{resamples},seed:0"
        out[name] = CorpusScore(
            value=value, signature=signature, ci_low=ci and ci[0], ci_high=ci and ci[1]
        )
    return out
