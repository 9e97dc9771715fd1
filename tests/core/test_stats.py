"""xbench.stats: hand-worked metric cases (data files), and the resampling tests checked against
scipy, sacrebleu and hand arithmetic.

tests/core/data/{parity,transfer,consistency}_cases.json are lists of cases: inputs, "expected"
(JSON null = None, floats compared with pytest.approx(abs=1e-9)) and "work", the hand arithmetic
behind the expected values. English is eng_Latn. tests/core/test_views.py runs the parity cases
against the store's parity view too, so a case there must make sense for a stored run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from xbench import metrics, stats

DATA = Path(__file__).parent / "data"


def _cases(name: str) -> list[dict[str, Any]]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _assert_matches(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(got) == set(expected), "a case must list every field of the result"
    for field, want in expected.items():
        value = got[field]
        if want is None or isinstance(want, str):
            assert value == want, field
        elif isinstance(want, dict):
            _assert_matches(value, want)
        else:
            assert value is not None, field
            assert value == pytest.approx(want, abs=1e-9), field


# ---------------------------------------------------------------------------- data-file cases


@pytest.mark.parametrize("case", _cases("parity_cases.json"), ids=lambda c: c["name"])
def test_parity_cases(case: dict[str, Any]) -> None:
    _assert_matches(asdict(stats.parity(case["values"])), case["expected"])


@pytest.mark.parametrize("case", _cases("transfer_cases.json"), ids=lambda c: c["name"])
def test_transfer_cases(case: dict[str, Any]) -> None:
    _assert_matches(asdict(stats.transfer(case["values"])), case["expected"])


@pytest.mark.parametrize("case", _cases("consistency_cases.json"), ids=lambda c: c["name"])
def test_consistency_and_agreement_cases(case: dict[str, Any]) -> None:
    functions: dict[str, Callable[..., Any]] = {
        "consistency": stats.consistency,
        "agreement": stats.agreement,
    }
    function = functions[case["kind"]]
    _assert_matches(function(case["en"], case["other"])._asdict(), case["expected"])


def test_cases_files_cover_the_required_situations() -> None:
    names = {c["name"] for c in _cases("parity_cases.json")}
    for required in ("normal_four_languages", "ties_pick_alphabetically_first",
                     "single_language_without_english", "missing_english_run_and_a_zero",
                     "all_error_language_is_excluded", "all_zeros_mean_zero", "equal_scores"):  # fmt: skip
        assert required in names
    assert all(c["work"] for f in ("parity_cases.json", "transfer_cases.json",
                                   "consistency_cases.json") for c in _cases(f))  # fmt: skip


def test_parity_without_languages_and_with_another_english_code() -> None:
    # (Not in the data file: a stored run has no such parity row.)
    assert stats.parity({}) == stats.Parity(n=0, n_missing=0)
    # english="eng": "eng_Latn" is just another language. Values 0.9 (eng), 0.3, 0.6: mean 0.6,
    # worst eng_Latn, best eng, english 0.9, gap_to_english 0.9 - 0.3 = 0.6, ratio 0.3 / 0.9.
    result = stats.parity({"eng": 0.9, "eng_Latn": 0.3, "fra": 0.6}, english="eng")
    assert (result.worst_language, result.best_language) == ("eng_Latn", "eng")
    assert (result.mean, result.english, result.gap_to_english) == pytest.approx((0.6, 0.9, 0.6))
    assert result.min_max_ratio == pytest.approx(1 / 3)
    assert stats.transfer({"eng": 0.8, "fra": 0.4}, english="eng").relative == {"fra": 0.5}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.1])
def test_language_scores_must_be_finite_and_non_negative(bad: float) -> None:
    with pytest.raises(ValueError, match="fra_Latn"):
        stats.parity({"eng_Latn": 0.5, "fra_Latn": bad})
    with pytest.raises(ValueError, match="fra_Latn"):
        stats.transfer({"eng_Latn": 0.5, "fra_Latn": bad})


# ---------------------------------------------------------------------------- bootstrap_ci


def test_bootstrap_ci_is_unchanged_from_the_old_mean_ci() -> None:
    # Values the pre-stats.py metrics.mean_ci produced: CIs stored by earlier runs stay reproducible.
    assert metrics.mean_ci([0, 1, 1, 0, 1, 0.5, 0.25, 1, 1, 0]) == (0.575, 0.275, 0.85)
    assert stats.bootstrap_ci([0, 1, 1, 0, 1, 0.5, 0.25, 1, 1, 0]) == (0.575, 0.275, 0.85)
    assert metrics.mean_ci([0.3, 0.9, 0.1], resamples=500, seed=7, level=0.9) == pytest.approx(
        (0.43333333333333335, 0.16666666666666666, 0.7000000000000001), abs=1e-15
    )


def test_mean_ci_keeps_none_for_no_samples_but_bootstrap_ci_raises() -> None:
    assert metrics.mean_ci([]) == (None, None, None)
    with pytest.raises(ValueError, match="empty"):
        stats.bootstrap_ci([])


def test_bootstrap_ci_seeded() -> None:
    scores = np.random.default_rng(1).random(50)
    assert stats.bootstrap_ci(scores, seed=3) == stats.bootstrap_ci(scores, seed=3)
    assert stats.bootstrap_ci(scores, seed=3) != stats.bootstrap_ci(scores, seed=4)


def test_bootstrap_ci_single_and_identical_items() -> None:
    assert stats.bootstrap_ci([0.7]) == (0.7, 0.7, 0.7)
    assert stats.bootstrap_ci([1, 1, 1]) == (1.0, 1.0, 1.0)


def test_bootstrap_ci_agrees_with_scipy_percentile_bootstrap() -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    scores = np.random.default_rng(11).random(200)  # continuous, so quantiles are not lumpy
    resamples, level = 20_000, 0.95
    mean, low, high = stats.bootstrap_ci(scores, resamples=resamples, seed=0, level=level)
    ref = scipy_stats.bootstrap(
        (scores,), np.mean, n_resamples=resamples, method="percentile",
        confidence_level=level, rng=np.random.default_rng(12345),
    ).confidence_interval  # fmt: skip
    # Both ends are Monte Carlo estimates of the same quantile of the bootstrap distribution of
    # the mean, approximately normal with sd s = std/sqrt(n). A q-quantile estimated from B draws
    # has standard error sqrt(q(1-q)/B) / density(quantile) = sqrt(q(1-q)/B) / (phi(z)/s); the
    # difference of two independent estimates has sqrt(2) times that. Allow 5 of those (~0.0027
    # here), far below the interval's half-width (~0.04).
    q = (1 - level) / 2
    z = 1.959963984540054
    s = scores.std() / math.sqrt(scores.size)
    se = math.sqrt(q * (1 - q) / resamples) * s / (math.exp(-z * z / 2) / math.sqrt(2 * math.pi))
    tolerance = 5 * math.sqrt(2) * se
    assert mean == pytest.approx(scores.mean(), abs=1e-12)
    assert low == pytest.approx(ref.low, abs=tolerance)
    assert high == pytest.approx(ref.high, abs=tolerance)


def test_resampling_in_blocks_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    scores = np.random.default_rng(2).random(37)
    other = np.random.default_rng(3).random(37)
    before = (
        stats.bootstrap_ci(scores),
        stats.paired_bootstrap(scores, other),
        stats.sign_flip(scores, other, resamples=3000),
        stats.sign_flip(scores[:11], other[:11]),  # exact mode
    )
    monkeypatch.setattr(stats, "_CHUNK_ELEMENTS", 100)  # a few rows (or patterns) per block
    after = (
        stats.bootstrap_ci(scores),
        stats.paired_bootstrap(scores, other),
        stats.sign_flip(scores, other, resamples=3000),
        stats.sign_flip(scores[:11], other[:11]),
    )
    assert after == before


# ---------------------------------------------------------------------------- paired bootstrap


def test_paired_bootstrap_by_hand() -> None:
    # default_rng(0).integers(0, 2, size=(5, 2)) draws these index pairs (pinned here, so a numpy
    # change of stream shows up as this line failing, not as a wrong hand computation):
    draws = [[1, 1], [1, 0], [0, 0], [0, 0], [0, 1]]
    assert np.random.default_rng(0).integers(0, 2, size=(5, 2)).tolist() == draws

    # a = [0, 1], b = [1, 1]: d = b - a = [1, 0]; delta = 1 - 0.5 = 0.5.
    # Resampled deltas (mean of d at the drawn indices): [0, 0.5, 1, 1, 0.5]; |.| the same, with
    # mean 3/5 = 0.6. Centred: [-0.6, -0.1, 0.4, 0.4, -0.1]; none > |delta| = 0.5, so
    # p = (0 + 1) / (5 + 1) = 1/6. CI: sorted [0, 0.5, 0.5, 1, 1]; the 0.025 quantile sits at
    # position 0.025 * 4 = 0.1 -> 0 + 0.1 * (0.5 - 0) = 0.05; the 0.975 quantile at 3.9 -> 1.
    result = stats.paired_bootstrap([0, 1], [1, 1], resamples=5, seed=0)
    assert result.delta == 0.5 and result.n == 2
    assert result.p_value == pytest.approx(1 / 6)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.05, 1.0))

    # a = [0, 1], b = [1, 0]: d = [1, -1]; delta = 0.5 - 0.5 = 0.
    # Resampled deltas: [-1, 0, 1, 1, 0]; |.| = [1, 0, 1, 1, 0] with mean 0.6; centred
    # [0.4, -0.6, 0.4, 0.4, -0.6]; 3 are > |delta| = 0, so p = (3 + 1) / 6 = 2/3 (sacrebleu's
    # null-centred test does not give 1 for a zero observed difference unless the systems are
    # identical). CI: sorted [-1, 0, 0, 1, 1] -> -1 + 0.1 * (0 - -1) = -0.9 and 1.
    result = stats.paired_bootstrap([0, 1], [1, 0], resamples=5, seed=0)
    assert result.delta == 0.0
    assert result.p_value == pytest.approx(2 / 3)
    assert (result.ci_low, result.ci_high) == pytest.approx((-0.9, 1.0))


def _sacrebleu_paired_bs(
    a: Sequence[float], b: Sequence[float], resamples: int, seed: int
) -> float:
    """sacrebleu's own paired bootstrap p-value, for a metric that is the mean of item scores."""
    significance = pytest.importorskip("sacrebleu.significance")

    class MeanOfScores:  # the three methods _paired_bs_test calls on a sacrebleu Metric
        def _extract_corpus_statistics(
            self, hyps: Sequence[float], refs: object
        ) -> list[list[float]]:
            return [[float(h), 1.0] for h in hyps]

        def _aggregate_and_compute(self, stats_: Any) -> SimpleNamespace:
            total = np.sum(np.asarray(stats_, dtype=float), axis=0)
            return SimpleNamespace(score=float(total[0] / total[1]))

        def _compute_score_from_stats(self, total: np.ndarray) -> SimpleNamespace:
            return SimpleNamespace(score=float(total[0] / total[1]))

    metric = MeanOfScores()
    bl_stats = metric._extract_corpus_statistics(a, None)
    baseline = {"m": (bl_stats, significance.Result(metric._aggregate_and_compute(bl_stats).score))}
    _, results = significance._paired_bs_test(
        baseline, "b", b, None, {"m": metric}, n_samples=resamples, seed=seed
    )
    return float(results["m"].p_value)


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_paired_bootstrap_p_value_is_sacrebleus(seed: int) -> None:
    # 16 items with scores in quarters: every mean is exact in float32 and float64 alike, so the
    # two implementations see the same numbers and must count the same resamples.
    rng = np.random.default_rng(seed + 100)
    for a, b in [
        (rng.integers(0, 2, 16), rng.integers(0, 2, 16)),
        (rng.integers(0, 5, 16) / 4, rng.integers(0, 5, 16) / 4),
        (np.zeros(16), np.r_[np.ones(3), np.zeros(13)]),
    ]:
        ours = stats.paired_bootstrap(a.tolist(), b.tolist(), resamples=1000, seed=seed)
        assert ours.p_value == _sacrebleu_paired_bs(a.tolist(), b.tolist(), 1000, seed)


def test_paired_bootstrap_identical_systems_deviates_from_sacrebleu() -> None:
    a = [1, 0, 1, 1, 0, 1, 0, 0]
    result = stats.paired_bootstrap(a, a)
    assert (result.delta, result.p_value, result.ci_low, result.ci_high) == (0, 1.0, 0, 0)
    # sacrebleu counts 0 > 0 as false for every resample and reports 1 / (1000 + 1).
    assert _sacrebleu_paired_bs(a, a, 1000, 0) == pytest.approx(1 / 1001)


def test_paired_bootstrap_seeded() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 2, 60), rng.integers(0, 2, 60)
    assert stats.paired_bootstrap(a, b, seed=1) == stats.paired_bootstrap(a, b, seed=1)
    assert stats.paired_bootstrap(a, b, seed=1) != stats.paired_bootstrap(a, b, seed=2)


def test_paired_bootstrap_single_item() -> None:
    # Every resample reproduces the observed delta: the documented degenerate bootstrap case.
    result = stats.paired_bootstrap([0], [1], resamples=100)
    assert (result.delta, result.ci_low, result.ci_high, result.n) == (1, 1, 1, 1)
    assert result.p_value == pytest.approx(1 / 101)
    assert stats.paired_bootstrap([1], [1]).p_value == 1.0


def test_paired_bootstrap_finds_a_clear_difference() -> None:
    a = np.r_[np.ones(50), np.zeros(150)]
    b = np.r_[np.ones(150), np.zeros(50)]
    result = stats.paired_bootstrap(a, b)
    assert result.delta == pytest.approx(0.5)
    assert result.p_value == pytest.approx(1 / 1001)
    assert result.ci_low < 0.5 < result.ci_high


# ---------------------------------------------------------------------------- McNemar


def test_mcnemar_by_hand() -> None:
    # b01 (a wrong, b right): items 2, 3, 5 -> 3; b10 (a right, b wrong): item 0 -> 1.
    # X ~ Binomial(4, 1/2): P(X <= 1) = (1 + 4) / 16 = 5/16, two-sided p = 10/16 = 0.625.
    result = stats.mcnemar([1, 1, 0, 0, 1, 0], [0, 1, 1, 1, 1, 1])
    assert (result.b01, result.b10) == (3, 1)
    assert result.p_value == pytest.approx(0.625)


@pytest.mark.parametrize(
    ("b01", "b10", "same"),
    [(0, 1, 5), (3, 1, 0), (2, 2, 7), (10, 0, 3), (7, 19, 40), (130, 170, 9)],
)
def test_mcnemar_agrees_with_scipy_binomtest(b01: int, b10: int, same: int) -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    a = [0] * b01 + [1] * b10 + [1] * same
    b = [1] * b01 + [0] * b10 + [1] * same
    result = stats.mcnemar(a, b)
    assert (result.b01, result.b10) == (b01, b10)
    expected = scipy_stats.binomtest(b01, b01 + b10, 0.5).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-9)


def test_mcnemar_identical_systems_and_single_item() -> None:
    assert stats.mcnemar([1, 0, 1], [1, 0, 1]) == stats.McNemarResult(0, 0, 1.0)
    assert stats.mcnemar([0], [1]) == stats.McNemarResult(1, 0, 1.0)


def test_mcnemar_rejects_graded_scores() -> None:
    with pytest.raises(ValueError, match="0/1 scores"):
        stats.mcnemar([0, 0.5], [1, 1])


# ---------------------------------------------------------------------------- sign flip


def _scipy_sign_flip(a: np.ndarray, b: np.ndarray, resamples: float, seed: int = 0) -> float:
    scipy_stats = pytest.importorskip("scipy.stats")
    result = scipy_stats.permutation_test(
        (a, b), lambda x, y, axis: np.mean(y - x, axis=axis), permutation_type="samples",
        vectorized=True, n_resamples=resamples, alternative="two-sided",
        rng=np.random.default_rng(seed),
    )  # fmt: skip
    return float(result.pvalue)


@pytest.mark.parametrize("seed", range(6))
def test_sign_flip_exact_matches_scipy_permutation_test(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 13))  # 2^12 <= 10,000 resamples: both sides enumerate exactly
    graded = (rng.random(n).round(2), rng.random(n).round(2))
    binary = (rng.integers(0, 2, n).astype(float), rng.integers(0, 2, n).astype(float))
    for a, b in (graded, binary):
        assert stats.sign_flip(a, b) == pytest.approx(_scipy_sign_flip(a, b, np.inf), rel=1e-12)


def test_sign_flip_by_hand_and_equals_exact_mcnemar_on_binary_scores() -> None:
    # Differences b - a = [-1, 0, 1, 1, 0, 1]; the non-zero ones are [-1, 1, 1, 1], T = 2. Of the
    # 2^4 = 16 sign patterns, |sum| = 4 for 2, = 2 for 8, = 0 for 6: p = (2 + 8) / 16 = 0.625.
    a, b = [1, 1, 0, 0, 1, 0], [0, 1, 1, 1, 1, 1]
    assert stats.sign_flip(a, b) == pytest.approx(0.625)
    assert stats.sign_flip(a, b) == pytest.approx(stats.mcnemar(a, b).p_value)


def test_sign_flip_monte_carlo_close_to_scipy_and_to_the_exact_value() -> None:
    # 14 items only b gets right, 6 only a gets right, 60 where they agree: m = 20 non-zero
    # differences and 2^20 > 20,000 resamples, so both sides sample at random.
    order = np.random.default_rng(8).permutation(80)
    a = np.r_[np.zeros(14), np.ones(6), np.ones(30), np.zeros(30)][order]
    b = np.r_[np.ones(14), np.zeros(6), np.ones(30), np.zeros(30)][order]
    resamples = 20_000
    ours = stats.sign_flip(a, b, resamples=resamples)
    # On 0/1 scores the exact sign-flip p-value is the exact McNemar p-value. Each Monte Carlo
    # estimate has standard error sqrt(p(1-p)/B) <= 0.0036; allow 5 (ours vs exact) and
    # 5 * sqrt(2) (ours vs scipy's independent estimate) of those.
    exact = stats.mcnemar(a, b).p_value
    se = math.sqrt(exact * (1 - exact) / resamples)
    assert 0.01 < exact < 0.5
    assert ours == pytest.approx(exact, abs=5 * se)
    assert ours == pytest.approx(_scipy_sign_flip(a, b, resamples), abs=5 * math.sqrt(2) * se)


def test_sign_flip_seeded() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.random(40), rng.random(40)
    assert stats.sign_flip(a, b, resamples=500, seed=1) == stats.sign_flip(
        a, b, resamples=500, seed=1
    )
    assert stats.sign_flip(a, b, resamples=500, seed=1) != stats.sign_flip(
        a, b, resamples=500, seed=2
    )


def test_sign_flip_edge_cases() -> None:
    assert stats.sign_flip([0.2, 0.7, 1.0], [0.2, 0.7, 1.0]) == 1.0  # identical systems
    assert stats.sign_flip([0.3], [0.9]) == 1.0  # one item: both sign patterns are as extreme
    assert stats.sign_flip([0, 1], [1, 0]) == 1.0  # observed difference 0
    # Monte Carlo p-values are never 0: the observed pattern counts as one resample.
    assert stats.sign_flip(np.zeros(30), np.ones(30), resamples=100) == pytest.approx(1 / 101)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda a, b: stats.paired_bootstrap(a, b),
        lambda a, b: stats.mcnemar(a, b),
        lambda a, b: stats.sign_flip(a, b),
    ],
    ids=["paired_bootstrap", "mcnemar", "sign_flip"],
)
def test_paired_functions_reject_bad_input(call: Any) -> None:
    with pytest.raises(ValueError, match="empty"):
        call([], [])
    with pytest.raises(ValueError, match="a has 3 scores and b has 2"):
        call([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="NaN"):
        call([1, float("nan")], [1, 0])
    with pytest.raises(ValueError, match="flat sequence"):
        call([[1, 0]], [[1, 0]])


def test_resampling_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="resamples"):
        stats.bootstrap_ci([1, 0], resamples=0)
    with pytest.raises(ValueError, match="level"):
        stats.bootstrap_ci([1, 0], level=95)
    with pytest.raises(ValueError, match="resamples"):
        stats.paired_bootstrap([1, 0], [0, 1], resamples=0)
    with pytest.raises(ValueError, match="resamples"):
        stats.sign_flip([1, 0], [0, 1], resamples=0)


def test_consistency_rejects_nan() -> None:
    with pytest.raises(ValueError, match="q1"):
        stats.consistency({"q1": float("nan")}, {"q1": 1.0})


def test_one_bootstrap_helper_gives_every_interval():
    """bootstrap_ci is bootstrap_interval of the mean; the helper draws sacrebleu's stream
    (default_rng(seed).choice), and refuses to make up an interval from one item."""
    import numpy as np

    from xbench import stats

    values = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    mean, low, high = stats.bootstrap_ci(values, resamples=500, seed=3)
    assert (low, high) == stats.bootstrap_interval(
        lambda idx: values[idx].mean(axis=1), values.size, resamples=500, seed=3
    )
    drawn = []
    stats.bootstrap_estimates(
        lambda idx: drawn.append(idx) or idx[:, 0], 7, resamples=4, seed=12345
    )
    assert (drawn[0] == np.random.default_rng(12345).choice(7, size=(4, 7), replace=True)).all()
    assert stats.bootstrap_interval(lambda idx: idx[:, 0] * 1.0, 1, resamples=10) is None
    undefined = stats.bootstrap_interval(lambda idx: np.full(len(idx), np.nan), 5, resamples=10)
    assert undefined is None
