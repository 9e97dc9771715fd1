"""The Python API next to `xbench.run`: the same reads the CLI does, as typed records.

xbench.runs(model="qwen2.5-7b")       -> list[RunRecord], newest first
xbench.results("534a0a")              -> list[ScoreRecord] of one run (default: the latest)
xbench.tasks(benchmark="mgsm")        -> list[TaskRecord]
xbench.export("534a0a", "out.jsonl")  -> number of samples written
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import settings
from .store import UnitScore


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    short_id: str
    model: str  # the name results are shown under
    status: str  # completed | failed | running
    started_at: Any
    duration_s: float | None
    error: str | None
    benchmarks: tuple[str, ...]
    languages: int
    units: int


@dataclass(frozen=True)
class TaskRecord:
    variant: str
    benchmark: str
    task: str
    language: str
    prompt_language: str
    partition: str
    version: str
    source: str


def _store(db: str | Path | None) -> Any:
    from .store import Store

    return Store(settings.db_path(db), read_only=True)


def runs(
    *, model: str | None = None, status: str | None = None, limit: int = 50,
    db: str | Path | None = None,
) -> list[RunRecord]:  # fmt: skip
    return [
        RunRecord(**{**r, "benchmarks": tuple(r["benchmarks"] or ())})
        for r in _store(db).runs(model=model, status=status, limit=limit)
    ]


def results(run_id: str | None = None, *, db: str | Path | None = None) -> list[UnitScore]:
    """A run's scores, one record per task-language unit and metric (with the metric's
    direction and scale). `run_id` may be a unique prefix, the short id, or a model name (its
    latest completed run)."""
    store = _store(db)
    return [
        UnitScore(**row) for row in store.scores(store.resolve_run_id(run_id, model_names=True))
    ]


def tasks(
    *, benchmark: str | None = None, plugin_paths: Sequence[str | Path] = (),
    task_args: Sequence[str] = (),
) -> list[TaskRecord]:  # fmt: skip
    from .plugins import load_registry

    specs = sorted(
        load_registry(plugin_paths, task_args).specs.values(),
        key=lambda s: (s.benchmark, s.task, s.language),
    )
    return [
        TaskRecord(
            s.name,
            s.benchmark,
            s.task,
            s.language,
            s.prompt_language,
            s.partition,
            s.version,
            s.source,
        )  # fmt: skip
        for s in specs
        if benchmark in (None, s.benchmark)
    ]


def export(
    run_id: str | None, out: str | Path, fmt: str = "jsonl", *, db: str | Path | None = None
) -> int:
    """One row per scored sample of a run into `out` (jsonl, csv or parquet)."""
    store = _store(db)
    return store.export(store.resolve_run_id(run_id, model_names=True), fmt, Path(out))
