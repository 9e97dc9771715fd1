"""`xbench report`: parity, transfer and fidelity of one run, read from the store's views."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import settings
from .errors import XbenchError
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
    "token_usage": "benchmark, task, language",
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
    token_usage: Rows  # tokens per unit; with prices, cost and cost per correct answer
    tokenizer: Rows  # the model's tokenizer tax per language (`xbench tokenizers`), if measured
    routing: Rows  # the model's MoE routing divergence to English per layer (`xbench routing`)
    routing_correlation: Rows  # per task and layer: Spearman's rho of divergence and score
    typology: Rows  # the model's transfer-ratio fits on URIEL distances (`xbench typology`)
    typology_languages: Rows  # their languages: observed, fitted, held out, or predicted
    script_barrier: Rows  # native minus romanized input (`run --romanized`), with a paired CI


def report(
    run_id: str | None = None, *, db: str | Path | None = None,
    price_in: float | None = None, price_out: float | None = None,
) -> Report:  # fmt: skip
    """Every section of the report for one run (default: the latest; an id, unique prefix,
    short id, or a model name: its latest completed run). `price_in` / `price_out`: prices
    per million prompt / completion tokens, which add cost columns to `token_usage`."""
    store = Store(settings.db_path(db), read_only=True)
    run_id = store.resolve_run_id(run_id, model_names=True)
    out: dict[str, Any] = {"run": store.run(run_id)}
    with store.connect() as con:
        for view, order in SECTIONS.items():
            rel = con.execute(f"SELECT * FROM {view} WHERE run_id = ? ORDER BY {order}", [run_id])
            cols = [d[0] for d in rel.description]
            out[view] = [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]
    out["token_usage"] = priced(out["token_usage"], price_in, price_out)
    out["tokenizer"] = store.tokenizer_stats([out["run"]["model"]])
    out["routing"] = store.routing([out["run"]["model"]])
    out["typology"], out["typology_languages"] = store.typology([out["run"]["model"]])
    from .analyses.romanize import barrier

    out["script_barrier"] = barrier(store, run_id)
    out["routing_correlation"] = routing_correlation(out["routing"], out["transfer"], out["parity"])
    return Report(**out)


def routing_correlation(curve: Rows, transfer: Rows, parity: Rows) -> Rows:
    """Per task (primary metric) and routed layer, Spearman's rho between the languages'
    routing divergence to English and their scores in this run (`routing.correlate`)."""
    from .analyses.routing import correlate

    if not curve:
        return []
    primary = {(r["task"], r["metric"]) for r in parity if r.get("primary_metric")}
    scores: dict[tuple[str, str], dict[str, float]] = {}
    for row in transfer:
        if (row["task"], row["metric"]) in primary and row["value"] is not None:
            scores.setdefault((row["task"], row["metric"]), {})[row["language"]] = row["value"]
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in curve):
        rows = [r for r in curve if r["corpus"] == corpus]
        for (task, metric), values in sorted(scores.items()):
            out += [{"task": task, "metric": metric, "corpus": corpus, **r}
                    for r in correlate(rows, values)]  # fmt: skip
    return out


def priced(rows: Rows, price_in: float | None, price_out: float | None) -> Rows:
    """token_usage rows with `cost` (price_in × prompt + price_out × completion tokens, per
    million, over the counted samples) and `cost_per_correct` (cost / n_correct; None where
    nothing is correct or "correct" has no meaning). Without prices, the rows as they are."""
    if price_in is None and price_out is None:
        return rows
    for price in (price_in, price_out):
        if price is not None and not (price >= 0 and price < float("inf")):
            raise XbenchError(f"a price per million tokens must be 0 or more, not {price}")
    out = []
    for row in rows:
        cost = None
        if row["n_counted"]:
            cost = ((price_in or 0.0) * row["prompt_tokens"]
                    + (price_out or 0.0) * row["completion_tokens"]) / 1e6  # fmt: skip
        per_correct = cost / row["n_correct"] if cost is not None and row["n_correct"] else None
        out.append({**row, "cost": cost, "cost_per_correct": per_correct})
    return out


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
