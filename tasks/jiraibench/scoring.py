"""JiraiBench: reading the three labels out of a response, and macro-F1 over a unit.

Parsing (tolerant of format, strict about meaning):
  - the response is NFKC-normalised first (full-width digits and colons become ASCII);
  - a label line is "<category name> : <value>" (":" or "="), optionally after a bullet, a
    number ("1.") or markdown emphasis, with an optional "(...)" after the name; the category
    name may be written in any of the three instruction languages or as OD / ED / SH, whatever
    the prompt language was;
  - the value must hold exactly one digit and that digit must be 0, 1 or 2 ("1 (first person)"
    is read as 1; an echoed "<0, 1 or 2>" or "1 or 2" is no label);
  - several labels on one line are split at a "," / ";" / "|" right before a category name;
  - the first label line of a category counts (a base model that goes on writing further
    examples is not read past its own answer).
A response without a label for every category cannot be scored: it becomes `Scored.error`
(stored as an error, never as a wrong answer), with the labels it did hold as `extracted`.

Per sample, `score` is the share of the three categories labelled correctly. The benchmark's
metric is macro-F1 per category over the unit, as in the paper, and their mean `macro_f1`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from xbench.spec import Answered, CorpusScore, Item, Scored

from .prompts import CATEGORIES, PROMPT_LANGUAGES

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0

# Names the parser accepts per category, in every instruction language (after NFKC).
NAMES: dict[str, tuple[str, ...]] = {
    "overdose": (
        *(w.names["overdose"] for w in PROMPT_LANGUAGES.values()),
        "drug overdose", "od", "過量服藥", "过量服药", "藥物過量", "過剰服薬", "薬物過剰摂取",
    ),
    "eating_disorder": (
        *(w.names["eating_disorder"] for w in PROMPT_LANGUAGES.values()),
        "eating_disorder", "ed", "進食障礙",
    ),
    "self_harm": (
        *(w.names["self_harm"] for w in PROMPT_LANGUAGES.values()),
        "self harm", "self_harm", "sh", "自残", "自殘", "自傷行為", "自伤行为",
    ),
}  # fmt: skip

_NAME_TO_CATEGORY = {
    unicodedata.normalize("NFKC", name).casefold(): category
    for category, names in NAMES.items()
    for name in names
}
_NAME_ALTERNATIVES = "|".join(
    re.escape(name) for name in sorted(_NAME_TO_CATEGORY, key=len, reverse=True)
)
# Linear time: the text's runs of spaces and tabs are first collapsed to one space (so no two
# space runs can compete for the same characters), and every repetition is possessive (`*+`:
# once taken, never given back). A response of 100,000 spaces parses in milliseconds.
_MARKUP = r"[*_`\"']*+"
_LINE = re.compile(
    rf"^[ >#\-•·]*+(?:\d++[.)] ?)?{_MARKUP}(?P<name>{_NAME_ALTERNATIVES}){_MARKUP}"
    rf" ?(?:\([^)\n]*+\))? ?{_MARKUP} ?[:=](?P<value>[^\n]*+)$",
    re.IGNORECASE | re.MULTILINE,
)
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_DIGIT = re.compile(r"\d")
# "overdose: 1, eating disorder: 0; self-harm: 2" on one line: a separator right before another
# category name and its colon starts a new label line ("<0, 1 or 2>" is not split).
_INLINE_SEPARATOR = re.compile(
    rf" ?[,;|] ?(?={_MARKUP}(?:{_NAME_ALTERNATIVES}){_MARKUP} ?[:=(])", re.IGNORECASE
)


def parse_labels(response: str) -> dict[str, int]:
    """The labels found in `response`, by category; a category without a valid line is absent."""
    labels: dict[str, int] = {}
    text = _HORIZONTAL_SPACE.sub(" ", unicodedata.normalize("NFKC", response))
    text = _INLINE_SEPARATOR.sub("\n", text)
    for match in _LINE.finditer(text):
        category = _NAME_TO_CATEGORY[match["name"].casefold()]
        digits = _DIGIT.findall(match["value"])
        if category in labels or len(digits) != 1 or digits[0] not in "012":
            continue
        labels[category] = int(digits[0])
    return labels


def format_gold(labels: Mapping[str, int]) -> str:
    """The labels as one string: "overdose=1 eating_disorder=0 self_harm=2" (gold and extracted)."""
    return " ".join(
        f"{category}={labels[category]}" for category in CATEGORIES if category in labels
    )


def score_response(response: str, item: Item) -> Scored:
    gold: Mapping[str, int] = item.fields["labels"]
    labels = parse_labels(response)
    missing = [category for category in CATEGORIES if category not in labels]
    if missing:
        return Scored(
            extracted=format_gold(labels),
            score=0.0,
            error=(
                f"no label for {', '.join(missing)}: expected one line per category"
                " '<name>: <0, 1 or 2>'"
            ),
        )
    correct = [labels[category] == gold[category] for category in CATEGORIES]
    return Scored(
        extracted=format_gold(labels),
        score=sum(correct) / len(CATEGORIES),
        metrics={"exact_match": float(all(correct))},
        details={"labels": labels},  # for the corpus macro-F1, so no response is read twice
    )


# --- corpus metrics ---------------------------------------------------------------------------


def macro_f1(gold: Sequence[int], predicted: Sequence[int]) -> float:
    """Mean F1 over the labels that occur in gold or prediction (scikit-learn's
    `f1_score(average="macro")` with its default labels; an F1 of 0/0 counts as 0)."""
    scores = []
    for label in sorted(set(gold) | set(predicted)):
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def _bootstrap_macro_f1(gold: Sequence[int], predicted: Sequence[int], indices: object) -> object:
    """Macro-F1 of every resample (rows of `indices`), vectorised with numpy."""
    import numpy as np

    g = np.asarray(gold)[indices]
    p = np.asarray(predicted)[indices]
    total = np.zeros(g.shape[0])
    present = np.zeros(g.shape[0])
    for label in (0, 1, 2):
        tp = ((g == label) & (p == label)).sum(axis=1)
        fp = ((g != label) & (p == label)).sum(axis=1)
        fn = ((g == label) & (p != label)).sum(axis=1)
        denominator = 2 * tp + fp + fn
        occurs = denominator > 0
        total += np.where(occurs, 2 * tp / np.maximum(denominator, 1), 0.0)
        present += occurs
    return total / np.maximum(present, 1)


def corpus_metrics(
    answered: Sequence[Answered], *, resamples: int = BOOTSTRAP_RESAMPLES
) -> dict[str, CorpusScore]:
    """`macro_f1_<category>` for each category and their mean `macro_f1`, over the answered
    samples (each holds all three labels, as `score_response` read them), with percentile
    bootstrap 95% intervals (items resampled; `xbench.stats.bootstrap_interval`)."""
    import numpy as np

    from xbench.stats import bootstrap_interval

    rows = [(a.item.fields["labels"], a.scored.details["labels"]) for a in answered]
    if not rows:
        return {}
    signature = (
        f"macro-F1 over labels in gold or prediction|n={len(rows)}|"
        f"bootstrap={resamples}|seed={BOOTSTRAP_SEED}|percentile 95%"
    )
    gold = {c: np.asarray([g[c] for g, _ in rows]) for c in CATEGORIES}
    predicted = {c: np.asarray([p[c] for _, p in rows]) for c in CATEGORIES}

    def per_category(category: str) -> Any:
        return lambda idx: _bootstrap_macro_f1(gold[category], predicted[category], idx)

    def overall(idx: Any) -> Any:
        return np.mean([per_category(c)(idx) for c in CATEGORIES], axis=0)

    result: dict[str, CorpusScore] = {}
    for category in CATEGORIES:
        ci = bootstrap_interval(
            per_category(category), len(rows), resamples=resamples, seed=BOOTSTRAP_SEED
        )
        result[f"macro_f1_{category}"] = CorpusScore(
            macro_f1(list(gold[category]), list(predicted[category])), signature,
            *(ci or (None, None)),
        )  # fmt: skip
    ci = bootstrap_interval(overall, len(rows), resamples=resamples, seed=BOOTSTRAP_SEED)
    value = sum(result[f"macro_f1_{c}"].value for c in CATEGORIES) / len(CATEGORIES)
    result["macro_f1"] = CorpusScore(value, signature, *(ci or (None, None)))
    return result
