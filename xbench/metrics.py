"""Per task-language statistics computed from scored samples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0


def mean_ci(
    scores: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> tuple[float | None, float | None, float | None]:
    """Mean with a percentile-bootstrap confidence interval: (mean, low, high).

    Seeded, so the same samples always give the same interval. No samples -> (None, None, None);
    one sample -> its value with a degenerate interval."""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return None, None, None
    mean = float(values.mean())
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, values.size, size=(resamples, values.size))
    means = values[idx].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return mean, float(low), float(high)
