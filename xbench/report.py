"""`xbench report`: parity, transfer and fidelity of one run, read from the store's views."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import settings
from .records import Record
from .store import Store

# view -> ORDER BY; every view has a run_id column.
SECTIONS = {
    "parity": "benchmark, task, metric",
    "transfer": "benchmark, task, metric, language",
    "consistency": "benchmark, task, language",
    "prompt_language_effect": "benchmark, family, language, other_prompt_language",
    "mother_tongue_effect": "benchmark, family, language, translated_partition",
    "locality_effect": "benchmark, family, language, translated_partition",
    "direction_asymmetry": "benchmark, family, language",
    "fidelity": "benchmark, task, language",
}


Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Report(Record):
    """`xbench.report`: one run's row and each section's rows (the views of the same name;
    every row names its metric, with the metric's direction and scale where it has one)."""

    run: dict[str, Any]
    parity: Rows
    transfer: Rows
    consistency: Rows
    prompt_language_effect: Rows
    mother_tongue_effect: Rows
    locality_effect: Rows
    direction_asymmetry: Rows
    fidelity: Rows


def report(run_id: str | None = None, *, db: str | Path | None = None) -> Report:
    """Every section of the report for one run (default: the latest; an id, unique prefix,
    short id, or a model name: its latest completed run)."""
    store = Store(settings.db_path(db), read_only=True)
    run_id = store.resolve_run_id(run_id, model_names=True)
    out: dict[str, Any] = {"run": store.run(run_id)}
    with store.connect() as con:
        for view, order in SECTIONS.items():
            rel = con.execute(f"SELECT * FROM {view} WHERE run_id = ? ORDER BY {order}", [run_id])
            cols = [d[0] for d in rel.description]
            out[view] = [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]
    return Report(**out)


def effect_means(rows: list[dict[str, Any]], key: str = "delta") -> dict[tuple[str, ...], float]:
    """Average an effect over the non-English languages, per (benchmark, family, partition,
    metric): never an average across metrics."""
    groups: dict[tuple[str, ...], list[float]] = {}
    for row in rows:
        if row.get(key) is None:
            continue
        group = (row["benchmark"], row["family"], row.get("translated_partition") or "",
                 row.get("metric") or "")  # fmt: skip
        groups.setdefault(group, []).append(row[key])
    return {group: sum(values) / len(values) for group, values in groups.items()}
