"""The one public way to add tasks and model kinds.

A plugin is a module with a function `register_tasks(register)` that calls `register(spec)`
for every `xbench.TaskSpec` it offers, and/or `register_models(register)` that calls
`register(kind)` for every `xbench.ModelKind`. xbench finds plugins in two places:

- installed packages, through the entry-point group `xbench`
  (`[project.entry-points.xbench] mytask = "my_package.my_module"`);
- a folder given with `--plugin-path DIR`: every `*.py` file and every package in it.

The built-in benchmarks in `tasks/` and the built-in model kinds (`xbench.models.builtin`) are
registered through the same entry-point group.
Names are checked here, before any model loads.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType, ModuleType

from . import languages
from .errors import XbenchError, cause
from .models import ModelKind, ModelSpec
from .models import resolve as resolve_model
from .spec import (
    AXES,
    PARTITIONS,
    SCOPES,
    DataError,
    LoadContext,
    Metric,
    PluginContext,
    TaskSpec,
    takes_context,
)  # fmt: skip

ENTRY_POINT_GROUP = "xbench"


class PluginError(XbenchError):
    """A plugin failed to import, or registered something invalid."""


@dataclass
class Registry:
    """Every task variant the loaded plugins registered, by variant name."""

    specs: dict[str, TaskSpec] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # variant name -> plugin that gave it
    models: dict[str, ModelKind] = field(default_factory=dict)  # model kinds by name
    model_origin: dict[str, str] = field(default_factory=dict)
    # Each variant's plugin options (--task-arg), handed to its loader in LoadContext.options.
    options: dict[str, Mapping[str, str]] = field(default_factory=dict)

    def load_context(self, variant: str, base: LoadContext) -> LoadContext:
        return replace(base, options=self.options.get(variant, {}))

    def register_model_from(self, plugin: str) -> Callable[[ModelKind], None]:
        def register(kind: ModelKind) -> None:
            _check_new(kind, ModelKind, "model kind", self.model_origin, plugin)
            if not kind.name or ":" in kind.name or "," in kind.name or not callable(kind.build):
                raise PluginError(
                    f"plugin {plugin}: model kind {kind.name!r} needs a name without ':' or ',' "
                    "and a build function"
                )
            self.models[kind.name] = kind
            self.model_origin[kind.name] = plugin

        return register

    def resolve_model(self, spec: str, *, check: bool = True) -> ModelSpec:
        """`--model` parsed against every registered kind (built-in and plugins); `check=False`
        skips the kind's checks (API keys, packages) for commands that load no model."""
        kind = self.models.get(spec.strip().partition(":")[0]) or self.models.get(spec.strip())
        try:
            return resolve_model(spec, self.models, check=check)
        except XbenchError:
            raise
        except (Exception, SystemExit) as exc:  # a plugin's check crashed
            plugin = self.model_origin.get(kind.name, "?") if kind else "?"
            raise PluginError(
                f"plugin {plugin}: checking model {spec!r} failed: {cause(exc)}; fix the plugin"
            ) from None

    def register_from(self, plugin: str) -> Callable[[TaskSpec], None]:
        def register(spec: TaskSpec) -> None:
            self._check(spec, plugin)
            self.specs[spec.name] = spec
            self.origin[spec.name] = plugin

        return register

    def _check(self, spec: TaskSpec, plugin: str) -> None:
        if isinstance(spec, TaskSpec):  # its name is built from its axes: check them first
            unknown = [axis for axis in spec.axes if axis not in AXES]
            if unknown:
                raise PluginError(
                    f"plugin {plugin}: task {spec.task!r} names unknown axes {unknown}; "
                    f"axes are {', '.join(AXES)}"
                )
        _check_new(spec, TaskSpec, "task", self.origin, plugin)
        if spec.partition not in PARTITIONS:
            raise PluginError(
                f"plugin {plugin}: task {spec.name!r} has partition {spec.partition!r}; "
                f"use one of {', '.join(PARTITIONS)}"
            )
        for metric in spec.metrics:
            if (
                not isinstance(metric, Metric)
                or metric.scope not in SCOPES
                or not (isinstance(metric.scale, int | float) and metric.scale > 0)
            ):
                raise PluginError(
                    f"plugin {plugin}: task {spec.name!r} declares {metric!r}; a metric is "
                    "xbench.Metric(name, higher_is_better, scale > 0, scope 'sample' or 'corpus')"
                )
        for name in ("language", "prompt_language", "origin_language", "source_language",
                     "target_language"):  # fmt: skip
            code = getattr(spec, name)
            if code is not None and languages.parse(code) != code:
                better = languages.parse(code) or languages.by_name(code)
                hint = f"use {better!r}" if better else "use ISO 639-3 + script, e.g. 'deu_Latn'"
                raise PluginError(
                    f"plugin {plugin}: task {spec.task!r} has {name} {code!r}, which is not a "
                    f"language code of the form xxx_Scrp; {hint}"
                )
        for name in ("benchmark", "task", "language", "prompt_language", "version"):
            if not getattr(spec, name):
                raise PluginError(f"plugin {plugin}: task {spec.name!r} has an empty {name}")

    # --- selection ----------------------------------------------------------------------

    def benchmarks(self) -> list[str]:
        return sorted({s.benchmark for s in self.specs.values()})

    def tasks(self) -> list[str]:
        return sorted({s.task for s in self.specs.values()})

    def select(self, names: Sequence[str], langs: Sequence[str] | None = None) -> list[TaskSpec]:
        """Names may be benchmarks (`mgsm`), tasks (`mgsm_direct`) or variants
        (`mgsm_direct.deu_Latn`). Unknown names or languages raise, listing what exists."""
        if not [name for name in names if name.strip()]:
            raise XbenchError(
                "no task given; pass --tasks with a benchmark, task or variant "
                f"(benchmarks: {', '.join(self.benchmarks()) or 'none'}; see `xbench tasks`)"
            )
        chosen: dict[str, TaskSpec] = {}
        for raw in names:
            if not raw.strip():
                continue
            name = raw.strip().casefold()
            hits = [
                s for s in self.specs.values()
                if name in (s.benchmark.casefold(), s.task.casefold(), s.name.casefold())
            ]  # fmt: skip
            if not hits:
                close = languages.suggest(
                    raw.strip(), [*self.benchmarks(), *self.tasks(), *self.specs]
                )
                hint = f"did you mean {' or '.join(close)}? " if close else ""
                raise XbenchError(
                    f"unknown task {raw.strip()!r}; {hint}benchmarks: "
                    f"{', '.join(self.benchmarks()) or 'none'} (`xbench tasks` lists the tasks)"
                )
            chosen.update((s.name, s) for s in hits)
        if langs:
            available = sorted({s.language for s in chosen.values()})
            wanted = [_pick_language(code, available) for code in langs]
            unknown = [code for code, long in zip(langs, wanted, strict=True) if long is None]
            if unknown:
                shown = [
                    f"{code} ({languages.parse(code)})" if languages.parse(code) not in (None, code)
                    else code for code in unknown
                ]  # fmt: skip
                raise XbenchError(
                    f"the chosen tasks have no language {', '.join(shown)}"
                    f"{_language_hint(unknown, available)}; available: {', '.join(available)}"
                )
            chosen = {k: s for k, s in chosen.items() if s.language in wanted}
        return sorted(chosen.values(), key=lambda s: (s.benchmark, s.task, s.language))


def _pick_language(code: str, available: Sequence[str]) -> str | None:
    """The available language `code` means: any usual code form or an English name; a code
    without a script matches the one script the tasks have (`sr` -> `srp_Latn` when only that
    exists)."""
    long = languages.parse(code) or languages.by_name(code)
    if long is None:
        return None
    if long in available:
        return long
    same = [a for a in available if a.partition("_")[0] == long.partition("_")[0]]
    explicit_script = "-" in code or "_" in code
    return same[0] if len(same) == 1 and not explicit_script else None


def _language_hint(unknown: Sequence[str], available: Sequence[str]) -> str:
    """Did-you-mean for what is not a language code at all (a typo of a code or a name); a
    real code the tasks lack needs none."""
    names = {n: a for a in available for n in (languages.name(a), languages.autonym(a))}
    typos = [code for code in unknown if languages.parse(code) is None]
    close = {hit for code in typos for hit in languages.suggest(code, [*available, *names])}
    return (
        f" (did you mean {', '.join(sorted({names.get(c, c) for c in close}))}?)" if close else ""
    )


def _check_new(thing: object, cls: type, what: str, known: dict[str, str], plugin: str) -> None:
    """`thing` is a `cls` whose name no plugin registered before."""
    if not isinstance(thing, cls):
        raise PluginError(
            f"plugin {plugin} registered {thing!r}, which is not an xbench.{cls.__name__}"
        )
    name = thing.name  # type: ignore[attr-defined]
    if name in known:
        hint = (
            " (variants that differ in prompt language, partition, origin or direction name "
            "that axis in TaskSpec(axes=...))"
            if isinstance(thing, TaskSpec)
            else ""
        )
        raise PluginError(
            f"{what} {name!r} is registered twice (by {known[name]} and {plugin}); rename one "
            f"of them{hint}"
        )


def parse_task_args(values: Iterable[str]) -> dict[str, dict[str, str]]:
    """["mt.pairs=deu_Latn-fra_Latn"] -> {"mt": {"pairs": "deu_Latn-fra_Latn"}}."""
    out: dict[str, dict[str, str]] = {}
    for raw in values:
        key, sep, value = raw.partition("=")
        plugin, dot, name = key.strip().partition(".")
        if not sep or not dot or not plugin or not name:
            raise XbenchError(
                f"--task-arg {raw!r} must look like <plugin>.<option>=<value>, "
                "e.g. mt.pairs=deu_Latn-fra_Latn"
            )
        if name in out.setdefault(plugin, {}):
            raise XbenchError(f"--task-arg {plugin}.{name} is given twice; give it once")
        out[plugin][name] = value.strip()
    return out


def _call_register(
    module: ModuleType, plugin: str, registry: Registry, context: PluginContext | None = None
) -> None:
    hooks = [
        (name, hook, register)
        for name, register in (
            ("register_tasks", registry.register_from(plugin)),
            ("register_models", registry.register_model_from(plugin)),
        )
        if callable(hook := getattr(module, name, None))
    ]
    if not hooks:
        raise PluginError(
            f"plugin {plugin} has no function register_tasks(register) or "
            "register_models(register); add one that calls register(TaskSpec(...)) or "
            "register(ModelKind(...))"
        )
    context = context or PluginContext(plugin)
    for name, hook, register in hooks:
        before = set(registry.specs)
        try:
            if takes_context(hook, 2):
                hook(register, context)
            else:
                hook(register)
        except XbenchError:
            raise
        except DataError as exc:  # e.g. a bad --task-arg value: its message says what to do
            raise XbenchError(f"plugin {plugin.split(' ')[0]}: {exc}") from None
        except (
            Exception,
            SystemExit,
        ) as exc:  # sys.exit() in a plugin must not end xbench silently
            raise PluginError(
                f"plugin {plugin} failed in {name}: {cause(exc)}; fix or remove the plugin"
            ) from None
        options = MappingProxyType(dict(context.options))  # one read-only copy per plugin
        for variant in set(registry.specs) - before:
            registry.options[variant] = options


def _import_file(path: Path) -> ModuleType:
    """Import a plugin file or package folder under a private module name."""
    target = path / "__init__.py" if path.is_dir() else path
    name = f"xbench_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(
        name, target, submodule_search_locations=[str(path)] if path.is_dir() else None
    )
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot import plugin {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _plugin_files(folder: Path) -> Iterable[Path]:
    if not folder.is_dir():
        raise XbenchError(
            f"plugin path {folder} is not a folder; pass a folder of plugin .py files"
        )
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            yield path


def load_registry(
    plugin_paths: Sequence[str | Path] = (),
    task_args: Iterable[str] = (),
    *,
    cache_dir: Path | None = None,
) -> Registry:
    """Load every installed plugin, then those in `plugin_paths`, each with its own
    `task_args` options (`mt.pairs=...`). Import errors surface with their real cause (never
    as a later "task not found"); an option no plugin takes is an error."""
    wanted = parse_task_args(task_args)
    registry = Registry()
    contexts: dict[str, PluginContext] = {}

    def context(namespace: str, plugin: str) -> PluginContext:
        contexts[namespace] = PluginContext(plugin, wanted.get(namespace, {}), cache_dir)
        return contexts[namespace]

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        plugin = f"{ep.name} ({ep.value})"
        try:
            module = ep.load()
        except (Exception, SystemExit) as exc:
            raise PluginError(
                f"plugin {plugin} failed to import: {cause(exc)}; fix or uninstall it"
            ) from None
        _call_register(module, plugin, registry, context(ep.name, plugin))
    for folder in plugin_paths:
        for path in _plugin_files(Path(folder)):
            try:
                module = _import_file(path)
            except XbenchError:
                raise
            except (Exception, SystemExit) as exc:
                raise PluginError(f"plugin {path} failed to import: {cause(exc)}") from None
            _call_register(module, str(path), registry, context(path.stem, str(path)))
    _check_task_args(wanted, contexts)
    return registry


def _check_task_args(wanted: dict[str, dict[str, str]], contexts: dict[str, PluginContext]) -> None:
    for namespace, options in wanted.items():
        if namespace not in contexts:
            raise XbenchError(
                f"--task-arg {namespace}.{next(iter(options))}: no plugin is named {namespace!r}; "
                f"plugins: {', '.join(sorted(contexts))}"
            )
        ctx = contexts[namespace]
        unknown = sorted(set(options) - ctx.asked)
        if unknown:
            has = ", ".join(sorted(ctx.asked)) or "none"
            raise XbenchError(
                f"--task-arg {namespace}.{unknown[0]}: plugin {namespace} has no option "
                f"{unknown[0]!r}; its options: {has}"
            )
