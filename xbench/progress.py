"""One progress display for a whole run, and where the run's time goes.

On a terminal: one line, redrawn in place, e.g.

    xbench  12/33 units  mgsm_native_cot · deu_Latn  2,950 samples/s  ETA 0:00:03

Not on a terminal (CI, a log file): a plain line per `LOG_EVERY_S` seconds at most, and one at
the end, instead of bar fragments. `quiet` shows nothing; `verbose` adds a line per unit.
lm-eval's and the model libraries' own bars are switched off while xbench shows its own
(`silence_library_bars`), and a library warning repeated per unit is shown once.
"""

from __future__ import annotations

import functools
import logging
import math
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

LOG_EVERY_S = 30.0  # plain-log interval when the output is not a terminal
REDRAW_EVERY_S = 0.2  # terminal redraw interval


class Stages:
    """Seconds spent per stage of the pipeline (prompting, lm-eval, scoring, fidelity, CIs,
    store), summed over the run; `bench/bench_pipeline.py` prints the split."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Units done of the total, the current unit, samples/s and an ETA; for served models
    also requests in flight and retries (`remote` reads them from the model)."""

    def __init__(
        self, total_units: int, total_samples: int, *, mode: str = "normal",
        stream: TextIO | None = None, remote: Any = None,
    ) -> None:  # fmt: skip
        self.stream = stream or sys.stderr
        self.mode = mode  # "quiet" | "normal" | "verbose"
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total_units, self.total_samples = total_units, total_samples
        self.units = self.samples = 0
        self.current = ""
        self.remote = remote
        self.started = time.monotonic()
        # On a terminal the line shows at once; in a log, the first line comes when a unit is
        # done or LOG_EVERY_S have passed (a run that fails at once prints only its error).
        self.last_shown = -math.inf if self.tty else time.monotonic()
        self.width = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self, unit: str) -> None:
        if not self.units and not self.current:  # the rate counts from the first unit on
            self.started = time.monotonic()
            if self.mode != "quiet" and callable(
                getattr(self.remote, "xbench_request_stats", None)
            ):
                self._ticker = threading.Thread(target=self._tick, daemon=True)
                self._ticker.start()  # requests in flight change within a unit
        self.current = unit
        self._show()

    def _tick(self) -> None:
        every = REDRAW_EVERY_S if self.tty else LOG_EVERY_S
        while not self._stopped.wait(every):
            self._show()

    def done(self, unit: str, samples: int) -> None:
        self.units += 1
        self.samples += samples
        if self.mode == "verbose":
            with self._lock:  # the ticker thread draws too
                self._line(f"xbench: {unit} done ({samples} samples)")
        self._show(force=self.units == self.total_units)

    def close(self) -> None:
        self._stopped.set()
        if self._ticker is not None:
            self._ticker.join(timeout=1)
        if self.mode == "quiet":
            return
        if self.tty and self.width:
            self.stream.write("\n")
        elif not self.tty and 0 < self.units < self.total_units:
            self._line(self.text())  # where a stopped run got to
        self.stream.flush()

    def text(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.samples / elapsed if elapsed > 0 else 0.0
        parts = [f"xbench  {self.units}/{self.total_units} units"]
        if self.current and self.units < self.total_units:
            parts.append(self.current)
        if self.samples:
            parts.append(f"{rate:,.0f} samples/s")
        left = self.total_samples - self.samples
        if self.samples and left > 0 and rate > 0:
            parts.append(f"ETA {_clock(left / rate)}")
        elif self.units == self.total_units:
            parts.append(f"in {_clock(elapsed)}")
        stats = getattr(self.remote, "xbench_request_stats", None)
        if callable(stats):
            in_flight, retries = stats()
            parts.append(f"{in_flight} requests in flight, {retries} retries")
        return "  ".join(parts)

    def _show(self, force: bool = False) -> None:
        if self.mode == "quiet":
            return
        with self._lock:
            self._draw(force)

    def _draw(self, force: bool) -> None:
        now = time.monotonic()
        every = REDRAW_EVERY_S if self.tty else LOG_EVERY_S
        if not force and now - self.last_shown < every:
            return
        self.last_shown = now
        text = self.text()
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
            self.stream.flush()
        else:
            self._line(text)

    def _line(self, text: str) -> None:
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.width = 0
        self.stream.write(text + "\n")
        self.stream.flush()


class _Once(logging.Filter):
    """Lets each distinct message through once (lm-eval warns the same thing per unit)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.getMessage())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


_ONCE = _Once()
LIBRARY_LOGGERS = ("lm_eval", "transformers", "datasets", "huggingface_hub", "vllm", "urllib3")


def warnings_once() -> None:
    """Library warnings are shown once per run, not once per unit."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _ONCE not in logger.filters:
            logger.addFilter(_ONCE)


def silence_library_bars() -> None:
    """No nested bars from lm-eval ("Checking cached requests", "Running generate_until
    requests", unlabelled 1/1 bars) or the model libraries ("Loading weights"): xbench's one
    display covers the run. Safe to call again as lm-eval loads more of its modules."""
    tqdm = sys.modules.get("tqdm")  # lm-eval's dependency: nothing to silence without it
    if tqdm is not None:
        for module in list(sys.modules.values()):
            if not (getattr(module, "__name__", "") or "").startswith("lm_eval"):
                continue
            for attribute in ("tqdm", "tqdm_asyncio"):  # tqdm_asyncio.gather: API requests
                bar = getattr(module, attribute, None)
                if isinstance(bar, type) and issubclass(bar, tqdm.tqdm):
                    setattr(module, attribute, _silent_bar_class(bar))
    for library, switch in (
        ("transformers.utils.logging", "disable_progress_bar"),
        ("datasets.utils.logging", "disable_progress_bar"),
        ("huggingface_hub.utils", "disable_progress_bars"),
    ):
        module = sys.modules.get(library)
        if module is not None and callable(getattr(module, switch, None)):
            getattr(module, switch)()


@functools.cache
def _silent_bar_class(bar: type) -> type:
    """`bar` (a tqdm class) that never draws; a silent class is its own silent version."""
    if getattr(bar, "xbench_silent", False):
        return bar

    class SilentBar(bar):  # type: ignore[misc, valid-type]
        xbench_silent = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return SilentBar
