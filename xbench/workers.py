"""Scoring a unit's responses, in this process or spread over worker processes.

Scoring is the harness's own heaviest work once a fast engine answers (sacrebleu's chrF++,
BLEU and TER are pure Python, and so is the language identification of every response), and
every sample is independent, so a large unit is split into chunks that worker processes score
in parallel. The numbers are the same either way: a worker runs exactly `SampleScorer`, on
the same (response, item) pairs, and the chunks come back in order.

A unit is scored here when it is small (`PARALLEL_MIN_SAMPLES`: starting workers costs about
a second), when `workers` is 1, or when its scorer or items cannot travel to another process
(a plugin loaded from a file path, a lambda, unpicklable fields): never an error, only slower.
Workers are started with `spawn` (no fork of a process that has threads), once per run, and
ignore Ctrl-C: the run itself stops them and records the interruption. They need nothing from
the caller's script, so they are started without re-running it (`_without_main_script`): a
script that calls `xbench.run()` needs no `if __name__ == "__main__":` guard.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import cause
from .plugins import PluginError
from .spec import Item, Scored

if TYPE_CHECKING:
    from .fidelity import FidelityResult
    from .progress import Stages

PARALLEL_MIN_SAMPLES = 400  # below this a unit is scored in the run's own process
CHUNKS_PER_WORKER = 3  # a few chunks per worker even out uneven chunks
MAX_AUTO_WORKERS = 8


def auto_workers() -> int:
    """The CPU cores this process may use, at most MAX_AUTO_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_AUTO_WORKERS))


@dataclass(frozen=True)
class SampleScorer:
    """One unit's per-sample scoring: the task's scorer on each response, then the language
    fidelity of each response it could score. Plain data and a module-level scorer, so it can
    be sent to a worker process."""

    score: Callable[[str, Item], Scored]
    task_name: str
    plugin: str
    expected_language: str

    def __call__(
        self, pairs: Sequence[tuple[str, Item]]
    ) -> tuple[list[tuple[Scored, FidelityResult | None]], float, float]:
        """(scored, fidelity) per pair, and the seconds spent scoring and on fidelity."""
        from . import fidelity

        clock = time.perf_counter
        scoring_s = fidelity_s = 0.0
        out: list[tuple[Scored, FidelityResult | None]] = []
        for response, item in pairs:
            started = clock()
            scored = score_sample(self, response, item)
            scoring_s += clock() - started
            check = None
            if scored.error is None:
                started = clock()
                check = fidelity.fidelity(response, self.expected_language)
                fidelity_s += clock() - started
            out.append((scored, check))
        return out, scoring_s, fidelity_s


def score_sample(scorer: SampleScorer, response: str, item: Item) -> Scored:
    """The plugin's score of one response. A scorer that raises, or returns something other
    than a Scored with a finite score, makes that sample an error with the cause; the run goes
    on. A scorer that tries to exit the process stops the run with a PluginError instead."""
    try:
        scored = scorer.score(response, item)
    except SystemExit as exc:
        raise PluginError(
            f"plugin {scorer.plugin}: the scorer of {scorer.task_name} failed: {cause(exc)}; a "
            "scorer must return a Scored, fix the plugin"
        ) from None
    except Exception as exc:  # noqa: BLE001 - every scorer failure becomes that sample's error
        return Scored(extracted=None, score=0.0, error=f"scorer failed: {cause(exc)}")
    if not isinstance(scored, Scored):
        return Scored(
            extracted=None, score=0.0,
            error=f"scorer failed: returned {type(scored).__name__}, not a Scored",
        )  # fmt: skip
    if scored.error is None and not _finite(scored.score):
        return Scored(
            extracted=scored.extracted, score=0.0,
            error=f"scorer failed: score {scored.score!r} is not a finite number",
        )  # fmt: skip
    return scored


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Unavailable(Exception):
    """The chunk could not be unpacked in the worker (its scorer's module is not importable
    there): the unit is scored in the run's process instead."""


def _score_payload(payload: bytes) -> tuple[list[tuple[Scored, Any]], float, float]:
    """Worker side: unpack a chunk and score it."""
    try:
        scorer, pairs = pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "score it at home"
        raise _Unavailable(cause(exc)) from None
    return scorer(pairs)


@contextlib.contextmanager
def _without_main_script() -> Iterator[None]:
    """While worker processes start: `spawn` re-imports the caller's main module in each
    worker (so that functions defined there can be called), which runs an unguarded script's
    `xbench.run()` again. Scoring needs only xbench and the plugins' modules, so the main
    module hides its file and spec meanwhile."""
    main = sys.modules.get("__main__")
    hidden = {key: getattr(main, key) for key in ("__file__", "__spec__") if hasattr(main, key)}
    try:
        for key in hidden:
            setattr(main, key, None)
        yield
    finally:
        for key, value in hidden.items():
            setattr(main, key, value)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ScoringPool:
    """The run's scoring: units of PARALLEL_MIN_SAMPLES or more answered samples go to
    `workers` processes (started at the first such unit, stopped by `close`)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._at_home: set[str] = set()  # tasks whose scorer cannot travel

    def score(
        self, scorer: SampleScorer, pairs: Sequence[tuple[str, Item]], stages: Stages
    ) -> list[tuple[Scored, FidelityResult | None]]:
        if self.workers > 1 and len(pairs) >= PARALLEL_MIN_SAMPLES:
            if scorer.task_name not in self._at_home:
                scored = self._in_workers(scorer, pairs, stages)
                if scored is not None:
                    return scored
                self._at_home.add(scorer.task_name)
        out, scoring_s, fidelity_s = scorer(pairs)
        stages.seconds["scoring"] += scoring_s
        stages.seconds["fidelity"] += fidelity_s
        return out

    def _in_workers(
        self, scorer: SampleScorer, pairs: Sequence[tuple[str, Item]], stages: Stages
    ) -> list[tuple[Scored, FidelityResult | None]] | None:
        size = max(1, math.ceil(len(pairs) / (self.workers * CHUNKS_PER_WORKER)))
        try:
            payloads = [
                pickle.dumps((scorer, list(pairs[i : i + size])), pickle.HIGHEST_PROTOCOL)
                for i in range(0, len(pairs), size)
            ]
        except Exception:  # noqa: BLE001 - a lambda, a local class, a file handle in fields
            return None
        started = time.perf_counter()
        try:
            with _without_main_script():  # workers start as the chunks are submitted
                results = self._pool().map(_score_payload, payloads)
            chunks = list(results)
        except _Unavailable:
            return None
        except BrokenProcessPool as exc:
            self._executor = None
            raise RuntimeError(f"a scoring worker process died ({cause(exc)})") from None
        stages.seconds[f"scoring and fidelity ({self.workers} processes)"] += (
            time.perf_counter() - started
        )
        return [pair for chunk, _, _ in chunks for pair in chunk]

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            import multiprocessing

            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_interrupts,
            )  # fmt: skip
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
