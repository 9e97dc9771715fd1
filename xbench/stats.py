"""Statistics over scores: bootstrap intervals, paired significance tests, cross-lingual parity.

Pure functions on plain numbers (numpy only). Everything random takes a `seed` and draws from
`numpy.random.default_rng(seed)`, so the same inputs and seed always give the same result.

Per-item functions take the per-item scores of one or two systems as 1-D sequences of finite
floats; paired functions need both systems scored on the SAME items in the SAME order. Bad input
(no items, different lengths, NaN, a 0/1 test given graded scores) raises ValueError.

Per-language functions take one model's score per language code as a mapping; None stands for a
language that has no score (every item errored). Such a language is left out of the statistics and
counted, never read as 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
ENGLISH = "eng_Latn"

# Per-item scores: a list, tuple or 1-D numpy array of numbers (bools count as 0/1).
Scores: TypeAlias = Sequence[float] | np.ndarray

# Resampling draws at most this many indices (or signs) at a time, so 10,000 resamples of 100,000
# items never build one 8 GB index matrix. Chunking does not change results: numpy's Generator
# gives the same stream whether a matrix is drawn at once or row block by row block
# (tests/core/test_stats.py checks this).
_CHUNK_ELEMENTS = 1 << 22


# ---------------------------------------------------------------------------- results


class CI(NamedTuple):
    """A mean with a confidence interval; unpacks as (mean, low, high)."""

    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class PairedResult:
    """Paired bootstrap comparison of system a with system b on the same n items."""

    delta: float  # mean(b) - mean(a)
    p_value: float  # sacrebleu's paired-bootstrap p-value, see paired_bootstrap()
    ci_low: float  # percentile-bootstrap interval of delta
    ci_high: float
    n: int


@dataclass(frozen=True)
class McNemarResult:
    """Exact McNemar test of two 0/1-scored systems on the same items."""

    b01: int  # items a got wrong (0) and b got right (1)
    b10: int  # items a got right (1) and b got wrong (0)
    p_value: float  # exact two-sided binomial p-value


@dataclass(frozen=True)
class Parity:
    """How evenly one model scores across languages. Statistics are None where undefined."""

    n: int  # languages with a score
    n_missing: int  # languages whose value is None (all items errored); not in the statistics
    mean: float | None = None
    worst_language: str | None = None  # ties: the alphabetically first language code
    worst: float | None = None
    best_language: str | None = None  # ties: the alphabetically first language code
    best: float | None = None
    gap: float | None = None  # best - worst
    min_max_ratio: float | None = None  # worst / best; None if best == 0
    cv: float | None = None  # population std / mean; None if mean == 0
    gini: float | None = None  # sum_i sum_j |x_i - x_j| / (2 n^2 mean); None if mean == 0
    english: float | None = None  # the English score, None if English has no score
    gap_to_english: float | None = None  # english - worst
    pm: float | None = None  # MultiLoKo's "±": 2 * sample std / sqrt(n); None if n < 2


@dataclass(frozen=True)
class Transfer:
    """How other languages score relative to English."""

    english: float | None  # the English score, None if English has no score
    relative: dict[str, float | None]  # language -> S_l / S_en, every language but English
    mean_others: float | None  # mean of the other languages' scores (None-valued ones left out)
    transfer_gap: float | None  # english - mean_others


class Consistency(NamedTuple):
    """Items solved in both languages out of items solved in at least one; unpacks as a tuple."""

    both: int
    either: int
    ratio: float | None  # both / either; None if either == 0


class Agreement(NamedTuple):
    """Items with the same extracted answer in both languages; unpacks as a tuple."""

    agree: int
    n: int  # aligned items where both answers are non-empty
    ratio: float | None  # agree / n; None if n == 0


# ---------------------------------------------------------------------------- bootstrap CI


def bootstrap_ci(
    scores: Scores,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> CI:
    """Mean with a percentile-bootstrap confidence interval: (mean, low, high).

    Draws `resamples` resamples of the items with replacement, takes each resample's mean, and
    returns the (1 - level) / 2 and (1 + level) / 2 quantiles of those means (numpy's default
    linear interpolation, as scipy.stats.bootstrap(method="percentile") does). One item gives its
    value with a zero-width interval. No items raise ValueError: there is no mean to report
    (`xbench.metrics.mean_ci` turns that into (None, None, None) for the runner).
    """
    values = _scores(scores, "scores")
    _check_resampling(resamples, level)
    means = bootstrap_estimates(
        lambda idx: values[idx].mean(axis=1), values.size, resamples=resamples, seed=seed
    )
    low, high = _percentile_interval(means, level)
    return CI(float(values.mean()), low, high)


def bootstrap_estimates(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    """A statistic of n items on `resamples` bootstrap resamples: the one resampling helper
    every CI in xbench and its plugins uses (means, macro-F1, micro precision, corpus BLEU).

    `statistic` receives an (r, n) integer array of item indices drawn with replacement, one
    resample per row, and returns its r estimates (NaN where undefined). Rows are drawn with
    `numpy.random.default_rng(seed).integers` block by block (the same stream as one draw, and
    as sacrebleu's `choice` with the same seed)."""
    if n < 1:
        raise ValueError("bootstrap needs at least one item")
    _check_resampling(resamples, 0.95)
    rng = np.random.default_rng(seed)
    estimates = np.empty(resamples)
    rows = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, resamples, rows):
        stop = min(start + rows, resamples)
        estimates[start:stop] = statistic(rng.integers(0, n, size=(stop - start, n)))
    return estimates


def bootstrap_interval(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """The percentile-bootstrap interval of `statistic` (see `bootstrap_estimates`); resamples
    where it is undefined (NaN) are left out. None for fewer than 2 items or when no resample
    defines it: no interval is made up."""
    if n < 2:
        return None
    estimates = bootstrap_estimates(statistic, n, resamples=resamples, seed=seed)
    estimates = estimates[np.isfinite(estimates)]
    if estimates.size == 0:
        return None
    return _percentile_interval(estimates, level)


def _percentile_interval(estimates: np.ndarray, level: float) -> tuple[float, float]:
    alpha = (1 - level) / 2
    low, high = np.quantile(estimates, [alpha, 1 - alpha])
    return float(low), float(high)


# ---------------------------------------------------------------------------- paired tests


def paired_bootstrap(
    a: Scores,
    b: Scores,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> PairedResult:
    """Paired bootstrap resampling test of system b against baseline a on the same items.

    delta = mean(b) - mean(a). Each of `resamples` resamples draws n item indices with replacement
    (the same indices for both systems: that is what makes it paired) and computes the resampled
    delta*_r. The p-value is the one sacrebleu 2.x computes in
    `sacrebleu.significance._paired_bs_test` / `_compute_p_value` (which replicates Moses'
    bootstrap-hypothesis-difference-significance.pl): a two-sided, null-centred test on absolute
    differences,

        s_r = |delta*_r| - mean_r(|delta*_r|)        (shift the bootstrap distribution to 0)
        p   = (#{r : s_r > |delta|} + 1) / (resamples + 1)

    i.e. strictly greater, with +1 smoothing so p is never 0. With the same seed and resamples,
    this gives sacrebleu's p-value for a metric that is a mean of per-item scores (checked in
    tests/core/test_stats.py), up to float rounding at exact ties: sacrebleu averages each system
    separately in float32, here the per-item differences are averaged in float64.

    One deliberate difference: when every per-item difference is 0 (identical systems on these
    items) p = 1.0. sacrebleu returns 1 / (resamples + 1) there: its strict ">" makes an observed
    difference of exactly 0 "significant" against a null distribution that is all 0s.

    Like any bootstrap it needs enough items: with one item, or all per-item differences equal
    and non-zero, every resample reproduces the observed delta and p = 1 / (resamples + 1).

    ci_low/ci_high: the percentile-bootstrap interval (at `level`) of delta from the same
    resamples (sacrebleu instead reports an interval for the system's score).
    """
    x, y = _paired_scores(a, b)
    _check_resampling(resamples, level)
    diffs = y - x
    delta = float(y.mean() - x.mean())
    deltas = bootstrap_estimates(
        lambda idx: diffs[idx].mean(axis=1), diffs.size, resamples=resamples, seed=seed
    )
    low, high = _percentile_interval(deltas, level)
    if not diffs.any():
        p_value = 1.0
    else:
        abs_deltas = np.abs(deltas)
        centred = abs_deltas - abs_deltas.mean()
        count = int(np.count_nonzero(centred > abs(delta)))
        p_value = (count + 1) / (resamples + 1)
    return PairedResult(delta=delta, p_value=p_value, ci_low=low, ci_high=high, n=int(x.size))


def mcnemar(a: Scores, b: Scores) -> McNemarResult:
    """Exact McNemar test for two systems' 0/1 scores on the same items.

    Only discordant items count: b01 (a wrong, b right) and b10 (a right, b wrong). Under the null
    hypothesis that both systems are equally accurate, b01 ~ Binomial(b01 + b10, 1/2); the
    two-sided p-value is min(1, 2 * P(X <= min(b01, b10))), computed exactly with integers. For a
    fair coin this equals scipy.stats.binomtest(b01, b01 + b10).pvalue, and sign_flip's exact
    p-value on the same scores. No discordant items: p = 1.
    """
    x, y = _paired_scores(a, b)
    for name, values in (("a", x), ("b", y)):
        if not np.isin(values, (0.0, 1.0)).all():
            raise ValueError(
                f"mcnemar needs 0/1 scores, but {name} has other values; "
                "use sign_flip or paired_bootstrap for graded scores"
            )
    b01 = int(np.count_nonzero((x == 0) & (y == 1)))
    b10 = int(np.count_nonzero((x == 1) & (y == 0)))
    return McNemarResult(b01=b01, b10=b10, p_value=_binomial_two_sided(min(b01, b10), b01 + b10))


def _binomial_two_sided(k: int, n: int) -> float:
    """min(1, 2 * P(X <= k)) for X ~ Binomial(n, 1/2), k <= n / 2, in exact integer arithmetic."""
    if n == 0:
        return 1.0
    tail, term = 0, 1  # term = C(n, i)
    for i in range(k + 1):
        tail += term
        term = term * (n - i) // (i + 1)
    return min(1.0, 2 * tail / 2**n)  # int / int is correctly rounded, even for huge n


def sign_flip(
    a: Scores,
    b: Scores,
    *,
    resamples: int = 10000,
    seed: int = DEFAULT_SEED,
) -> float:
    """Two-sided paired permutation (sign-flip) test of mean(b) == mean(a); returns the p-value.

    Under the null hypothesis each per-item difference d_i = b_i - a_i is as likely to have the
    opposite sign (swapping a system's two answers on an item). The statistic is T = sum_i d_i and
    the p-value the share of sign patterns s with |sum_i s_i d_i| >= |T| (values within
    1e-9 * sum_i |d_i| of |T| count as ties, so float rounding cannot decide a tie).

    Items with d_i = 0 do not change T and are dropped; with m items left:
    - 2^m <= resamples: exact, over all 2^m sign patterns: p = count / 2^m;
    - otherwise Monte Carlo with `resamples` random patterns and +1 smoothing (the observed
      pattern counts as one of them): p = (count + 1) / (resamples + 1).
    No non-zero difference (identical systems): p = 1. In exact mode this equals
    scipy.stats.permutation_test(..., permutation_type="samples") on the mean difference; on 0/1
    scores it equals the exact McNemar p-value.
    """
    x, y = _paired_scores(a, b)
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    diffs = (y - x)[y != x]
    m = diffs.size
    if m == 0:
        return 1.0
    threshold = abs(float(diffs.sum())) - 1e-9 * float(np.abs(diffs).sum())
    rows = max(1, _CHUNK_ELEMENTS // m)
    count = 0
    if (1 << m) <= resamples:  # exact: pattern k flips item i where bit i of k is 1
        for start in range(0, 1 << m, rows):
            ks = np.arange(start, min(start + rows, 1 << m))
            flips = ks[:, None] >> np.arange(m) & 1
            count += int(np.count_nonzero(np.abs((1 - 2 * flips) @ diffs) >= threshold))
        return count / (1 << m)
    rng = np.random.default_rng(seed)
    for start in range(0, resamples, rows):
        flips = rng.integers(0, 2, size=(min(rows, resamples - start), m))
        count += int(np.count_nonzero(np.abs((1 - 2 * flips) @ diffs) >= threshold))
    return (count + 1) / (resamples + 1)


# ---------------------------------------------------------------------------- across languages


def parity(values: Mapping[str, float | None], english: str = ENGLISH) -> Parity:
    """Parity statistics over one model's score per language.

    Languages whose value is None are left out and counted in n_missing. English counts as one of
    the languages. With no scored language every statistic is None. Scores must be finite and
    non-negative (ratios, cv and gini assume it). `gini` checks mean == 0 first, so one language
    scoring 0 gives None, one scoring above 0 gives 0.
    """
    scored = _language_scores(values)
    n_missing = len(values) - len(scored)
    if not scored:
        return Parity(n=0, n_missing=n_missing)
    languages = sorted(scored)
    x = np.array([scored[lang] for lang in languages])
    n = x.size
    mean = float(x.mean())
    worst_language = min(languages, key=scored.__getitem__)  # min/max keep the first of ties
    best_language = max(languages, key=scored.__getitem__)
    worst, best = scored[worst_language], scored[best_language]
    abs_diffs = float(np.abs(x[:, None] - x[None, :]).sum())  # over ordered pairs (i, j)
    en = scored.get(english)
    return Parity(
        n=n,
        n_missing=n_missing,
        mean=mean,
        worst_language=worst_language,
        worst=worst,
        best_language=best_language,
        best=best,
        gap=best - worst,
        min_max_ratio=None if best == 0 else worst / best,
        cv=None if mean == 0 else float(x.std()) / mean,
        gini=None if mean == 0 else abs_diffs / (2 * n * n * mean),
        english=en,
        gap_to_english=None if en is None else en - worst,
        pm=None if n < 2 else 2 * float(x.std(ddof=1)) / math.sqrt(n),
    )


def transfer(values: Mapping[str, float | None], english: str = ENGLISH) -> Transfer:
    """Each language's score relative to English, and English's lead over the others' mean.

    relative[l] = S_l / S_en for every language l other than English (None if English has no
    score or scores 0, or l has no score); transfer_gap = S_en - mean of the other languages'
    scores (None-valued ones left out), None without an English score or without other scores.
    """
    scored = _language_scores(values)
    en = scored.get(english)
    others = sorted(lang for lang in values if lang != english)
    relative: dict[str, float | None] = {}
    for lang in others:
        value = scored.get(lang)
        relative[lang] = None if value is None or en is None or en == 0 else value / en
    other_scores = [scored[lang] for lang in others if lang in scored]
    mean_others = float(np.mean(other_scores)) if other_scores else None
    gap = None if en is None or mean_others is None else en - mean_others
    return Transfer(english=en, relative=relative, mean_others=mean_others, transfer_gap=gap)


def consistency(
    en: Mapping[str, float | None],
    other: Mapping[str, float | None],
    *,
    threshold: float = 0.5,
) -> Consistency:
    """Cross-lingual consistency of correctness over aligned items (same item key in both).

    Only keys present in both mappings with a non-None score in both count. An item is correct
    when its score >= threshold (0.5): for 0/1 accuracy that is score == 1; a graded score counts
    as correct from 0.5 up. both = items correct in both languages, either = items correct in at
    least one; ratio = both / either, None if either == 0.
    """
    both = either = 0
    for key in en.keys() & other.keys():
        s_en, s_other = en[key], other[key]
        if s_en is None or s_other is None:
            continue
        for value in (s_en, s_other):
            if not math.isfinite(value):
                raise ValueError(f"score of item {key!r} is not a finite number: {value!r}")
        ok_en, ok_other = s_en >= threshold, s_other >= threshold
        both += ok_en and ok_other
        either += ok_en or ok_other
    return Consistency(both, either, both / either if either else None)


def agreement(
    en_answers: Mapping[str, str | None], other_answers: Mapping[str, str | None]
) -> Agreement:
    """How often the extracted answers are identical across two languages, right or wrong.

    Over keys present in both mappings where both answers are non-empty (not None, not "").
    Answers are compared with exact string equality: normalising them is the extractor's job.
    """
    agree = n = 0
    for key in en_answers.keys() & other_answers.keys():
        x, y = en_answers[key], other_answers[key]
        if x and y:
            n += 1
            agree += x == y
    return Agreement(agree, n, agree / n if n else None)


# ---------------------------------------------------------------------------- validation


def _scores(values: Scores, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be a flat sequence of per-item scores, got shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty: no item scores to compute statistics on")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite scores")
    return array


def _paired_scores(a: Scores, b: Scores) -> tuple[np.ndarray, np.ndarray]:
    x, y = _scores(a, "a"), _scores(b, "b")
    if x.size != y.size:
        raise ValueError(
            f"paired tests need both systems scored on the same aligned items, "
            f"but a has {x.size} scores and b has {y.size}"
        )
    return x, y


def _check_resampling(resamples: int, level: float) -> None:
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")


def _language_scores(values: Mapping[str, float | None]) -> dict[str, float]:
    scored = {}
    for lang, value in values.items():
        if value is None:
            continue
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"score of {lang} must be a finite number >= 0, got {value!r}")
        scored[lang] = float(value)
    return scored
