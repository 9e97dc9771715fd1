"""Per task-language statistics computed from scored samples.

The statistics themselves live in xbench.stats; this module keeps the runner's entry point.
"""

from __future__ import annotations

from collections.abc import Sequence

from .stats import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_ci

__all__ = ["DEFAULT_RESAMPLES", "DEFAULT_SEED", "mean_ci", "show"]


def show(value: float | None, scale: float | None = 1.0, *, signed: bool = False) -> str | None:
    """The one display rule for a metric value in every command: a 0-1 share in percent
    points (0.532 -> "53.2"), a 0-100 score as it is (chrF++ 53.2 -> "53.2"), never rescaled."""
    if value is None:
        return None
    shown = value * 100 if (scale or 1.0) <= 1.0 else value
    return f"{shown:+.1f}" if signed else f"{shown:.1f}"


def mean_ci(
    scores: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> tuple[float | None, float | None, float | None]:
    """xbench.stats.bootstrap_ci, except that no samples give (None, None, None).

    A unit whose every item errored has no score (never 0), so the runner stores NULLs for it.
    Seeded: the same samples always give the same interval, the same as before the move."""
    if len(scores) == 0:
        return None, None, None
    mean, low, high = bootstrap_ci(scores, resamples=resamples, seed=seed, level=level)
    return mean, low, high
