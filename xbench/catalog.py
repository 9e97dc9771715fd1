"""What can be run: one summary per task (its languages, description, and whether its data
are available offline), for `xbench tasks` and `xbench.task_summaries()`.

"Available offline" is checked, not guessed: every variant of the task is loaded with the
network closed (`_network_closed`: the Hugging Face libraries in offline mode and every socket
connection refused), from `--data-dir` and xbench's cache (~3 s for all built-in variants). A
variant whose loader succeeds can run on a machine without internet; the first that fails says
why (`data_note`).
"""

from __future__ import annotations

import contextlib
import fnmatch
import socket
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import languages, settings
from .errors import XbenchError, cause
from .records import Record
from .spec import LoadContext, TaskSpec


@dataclass(frozen=True)
class TaskSummary(Record):
    """One task: its benchmark, languages (xbench codes), number of variants, description,
    and which variants' data load with no network (`offline`: all of them; None: not
    checked)."""

    task: str
    benchmark: str
    languages: tuple[str, ...]
    variants: int
    description: str
    offline: bool | None = None
    offline_variants: int | None = None
    data_note: str | None = None  # why the first variant that did not load offline failed


def summaries(
    pattern: str | None = None,
    *,
    benchmark: str | None = None,
    language: str | None = None,
    data_dir: str | Path | None = None,
    check_data: bool = True,
    plugin_paths: Sequence[str | Path] = (),
    task_args: Sequence[str] = (),
) -> list[TaskSummary]:
    """The tasks whose task, benchmark or variant name matches `pattern` (a substring, or a
    shell pattern with * and ?; case-insensitive), of `benchmark`, with `language`. Nothing
    matching is an error with a did-you-mean."""
    from .plugins import load_registry

    registry = load_registry(plugin_paths, task_args, cache_dir=settings.cache_dir())
    specs = sorted(registry.specs.values(), key=lambda s: (s.benchmark, s.task, s.language))
    if benchmark is not None:
        if benchmark not in registry.benchmarks():
            close = languages.suggest(benchmark, registry.benchmarks())
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise XbenchError(
                f"unknown benchmark {benchmark!r}; {hint}benchmarks: "
                f"{', '.join(registry.benchmarks())}"
            )
        specs = [s for s in specs if s.benchmark == benchmark]
    if pattern:
        specs = [s for s in specs if _matches(pattern, s)]
        if not specs:
            names = [*registry.benchmarks(), *registry.tasks()]
            close = languages.suggest(pattern, names)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise XbenchError(f"no task matches {pattern!r}{hint} (`xbench tasks` lists them all)")
    if language is not None:
        code = languages.parse(language) or languages.by_name(language)
        if code is None:
            raise XbenchError(
                f"unknown language {language!r}; use a code such as de, deu or deu_Latn, or an "
                "English name"
            )
        tasks_with = {s.task for s in specs if _same_language(s.language, code)}
        specs = [s for s in specs if s.task in tasks_with]
        if not specs:
            raise XbenchError(f"no task has {languages.name(code)} ({code})")
    by_task: dict[str, list[TaskSpec]] = {}
    for spec in specs:
        by_task.setdefault(spec.task, []).append(spec)
    context = LoadContext(data_dir=settings.data_dir(data_dir), cache_dir=settings.cache_dir())
    out = []
    for task, variants in by_task.items():
        offline_count, note = None, None
        if check_data:
            checks = [_loads_offline(spec, registry, context) for spec in variants]
            offline_count = sum(ok for ok, _ in checks)
            note = next((why for ok, why in checks if not ok), None)
        out.append(
            TaskSummary(
                task=task, benchmark=variants[0].benchmark,
                languages=tuple(sorted({s.language for s in variants}, key=languages.short)),
                variants=len(variants),
                description=_first_sentence(variants[0].description),
                offline=None if offline_count is None else offline_count == len(variants),
                offline_variants=offline_count, data_note=note,
            )
        )  # fmt: skip
    return out


def _matches(pattern: str, spec: TaskSpec) -> bool:
    wanted = pattern.casefold()
    names = (spec.task.casefold(), spec.benchmark.casefold(), spec.name.casefold())
    if any(ch in wanted for ch in "*?["):
        return any(fnmatch.fnmatchcase(name, wanted) for name in names)
    return any(wanted in name for name in names)


def _same_language(code: str, wanted: str) -> bool:
    if code == wanted:
        return True
    # A code without a script (`srp`) matches its scripts; `zho_Hans` only itself.
    return "_" not in wanted and code.partition("_")[0] == wanted.partition("_")[0]


def _first_sentence(text: str, width: int = 90) -> str:
    head = text.split(". ")[0].strip()
    return head if len(head) <= width else head[: width - 1].rstrip() + "…"


def _loads_offline(spec: TaskSpec, registry: Any, context: LoadContext) -> tuple[bool, str | None]:
    tried: list[str] = []
    with _network_closed(tried), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a loader's data warnings belong to runs, not to a listing
        try:
            items = list(spec.load(registry.load_context(spec.name, context)))
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure: not offline
            why = "needs a download" if tried else cause(exc)
            return False, why.splitlines()[0][:200] if why else "failed"
    return (True, None) if items else (False, "the loader returned no items")


class _NetworkClosed(OSError):
    pass


@contextlib.contextmanager
def _network_closed(tried: list[str]) -> Iterator[None]:
    """The Hugging Face libraries offline and every outgoing connection refused, meanwhile;
    `tried` collects the addresses something tried to reach."""
    original = socket.socket.connect

    def refuse(sock: socket.socket, address: Any) -> None:
        if sock.family == socket.AF_UNIX:
            return original(sock, address)
        tried.append(str(address))
        raise _NetworkClosed(f"no network while checking offline data ({address})")

    with settings.hub_environment_restored():
        settings.go_offline_unless(False)
        socket.socket.connect = refuse  # type: ignore[method-assign]
        try:
            yield
        finally:
            socket.socket.connect = original  # type: ignore[method-assign]
