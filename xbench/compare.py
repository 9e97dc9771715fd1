"""`xbench compare RUN_A RUN_B`: per task-language deltas with paired significance tests.

Only items scored in both runs are compared (aligned on task variant and item_key). Each unit
gets the paired bootstrap p-value (as sacrebleu's paired bootstrap resampling computes it) and a
paired test suited to the scores: the exact McNemar test for 0/1 accuracy, a sign-flip
permutation test otherwise. A unit counts as a significant win when the paired test's p-value is
below `alpha`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import settings, stats
from .errors import XbenchError
from .records import Record
from .store import Store


@dataclass(frozen=True)
class UnitComparison(Record):
    """One task-language unit compared across the two runs."""

    task_name: str
    benchmark: str
    task: str
    language: str
    n: int  # items scored in both runs
    score_a: float
    score_b: float
    delta: float  # b - a
    p_bootstrap: float
    test: str  # "mcnemar" | "sign_flip"
    p_test: float
    winner: str | None  # "a" | "b" | None (not significant); by the metric's direction
    higher_is_better: bool = True
    metric_scale: float = 1.0


def _aligned(store: Store, run_a: str, run_b: str) -> dict[str, dict[str, Any]]:
    with store.connect() as con:
        rows = con.execute(
            "SELECT a.task_name, a.benchmark, a.task, a.language, a.item_key, a.score, b.score"
            " FROM samples a JOIN samples b ON b.task_name = a.task_name AND b.item_key = a.item_key"
            " WHERE a.run_id = ? AND b.run_id = ? AND a.score IS NOT NULL AND b.score IS NOT NULL"
            " ORDER BY a.task_name, TRY_CAST(a.item_key AS BIGINT), a.item_key",
            [run_a, run_b],
        ).fetchall()
        # The direction of the per-sample metric (the unit row that has a strict value).
        declared = {
            name: (higher, scale)
            for name, higher, scale in con.execute(
                "SELECT task_name, bool_and(coalesce(higher_is_better, true)),"
                " max(coalesce(metric_scale, 1.0)) FROM scores"
                " WHERE run_id = ? AND value_strict IS NOT NULL GROUP BY task_name",
                [run_a],
            ).fetchall()
        }
    units: dict[str, dict[str, Any]] = {}
    for task_name, benchmark, task, language, _key, score_a, score_b in rows:
        unit = units.setdefault(
            task_name,
            {
                "benchmark": benchmark,
                "task": task,
                "language": language,
                "a": [],
                "b": [],
                "higher_is_better": declared.get(task_name, (True, 1.0))[0],
                "metric_scale": declared.get(task_name, (True, 1.0))[1],
            },  # fmt: skip
        )
        unit["a"].append(score_a)
        unit["b"].append(score_b)
    return units


def compare(
    run_a: str,
    run_b: str,
    *,
    db: str | Path | None = None,
    alpha: float = 0.05,
    resamples: int = 1000,
    seed: int = 0,
) -> Comparison:
    """Compare two stored runs unit by unit (runs by id, unique prefix or short id, or model
    names: their latest completed runs)."""
    store = Store(settings.db_path(db), read_only=True)
    # Runs by id (or a unique prefix / short id), or model names: their latest completed runs.
    run_a = store.resolve_run_id(run_a, model_names=True)
    run_b = store.resolve_run_id(run_b, model_names=True)
    units = _aligned(store, run_a, run_b)
    if not units:
        raise XbenchError(
            f"runs {run_a} and {run_b} share no scored items; compare runs of the same tasks"
        )
    results = []
    for task_name, unit in sorted(units.items()):
        a, b = unit["a"], unit["b"]
        boot = stats.paired_bootstrap(a, b, resamples=resamples, seed=seed)
        if set(a) | set(b) <= {0.0, 1.0}:
            test, p_test = "mcnemar", stats.mcnemar(a, b).p_value
        else:
            test, p_test = "sign_flip", stats.sign_flip(a, b, seed=seed)
        winner = None
        if p_test < alpha and boot.delta != 0:  # the better side, by the metric's direction
            winner = "b" if (boot.delta > 0) == unit["higher_is_better"] else "a"
        results.append(
            UnitComparison(
                task_name=task_name,
                benchmark=unit["benchmark"],
                task=unit["task"],
                language=unit["language"],
                n=len(a),
                score_a=sum(a) / len(a),
                score_b=sum(b) / len(b),
                delta=boot.delta,
                p_bootstrap=boot.p_value,
                test=test,
                p_test=p_test,
                winner=winner,
                higher_is_better=unit["higher_is_better"],
                metric_scale=unit["metric_scale"],
            )  # fmt: skip
        )
    return Comparison(
        run_a=run_a, run_b=run_b, alpha=alpha, units=results,
        wins_a=sum(r.winner == "a" for r in results), wins_b=sum(r.winner == "b" for r in results),
    )  # fmt: skip


@dataclass(frozen=True)
class Comparison(Record):
    """`xbench.compare`: every unit both runs scored, and the significant wins each way."""

    run_a: str
    run_b: str
    alpha: float
    units: list[UnitComparison]
    wins_a: int
    wins_b: int
