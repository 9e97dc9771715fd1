"""`xbench.run(...)`: the whole run, top to bottom. The CLI calls exactly this function."""

from __future__ import annotations

import hashlib
import json
import platform
import re
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, metrics, models, plugins, settings
from . import progress as progress_module
from .errors import RunFailed, XbenchError, cause
from .plugins import PluginError
from .progress import Progress, Stages
from .spec import Answered, DataError, Item, LoadContext, Scored, TaskSpec
from .store import SampleRow, Store, UnitScore
from .workers import SampleScorer, ScoringPool, score_sample

if TYPE_CHECKING:
    from .bridge import Generation

DEFAULT_MODEL = "smollm2-135m"
# Responses longer than this many characters are cut before they are scored and stored; the
# sample records its full length (`response_chars`). 256 Ki characters is far beyond any
# benchmark answer (a 32k-token reasoning trace is ~130k characters) and keeps a runaway
# generation (a 100 MB response) from costing minutes of scoring and a leaderboard tab.
MAX_RESPONSE_CHARS = 262_144
# Finished units are written together at most this often (and at the end, and on failure).
FLUSH_EVERY_S = 1.0


@dataclass(frozen=True)
class RunResult:
    run_id: str
    resumed: bool
    scores: list[dict[str, Any]]
    db: Path
    stages: dict[str, float] = field(default_factory=dict)  # seconds per pipeline stage


@settings.hub_environment_restored()
def run(
    model: str = DEFAULT_MODEL,
    tasks: Sequence[str] = ("mgsm",),
    *,
    languages: Sequence[str] | None = None,
    limit: int | None = None,
    num_fewshot: int = 0,
    batch_size: int | str = 1,
    max_gen_toks: int | None = None,
    apply_chat_template: bool = False,
    db: str | Path | None = None,
    data_dir: str | Path | None = None,
    plugin_paths: Sequence[str | Path] = (),
    task_args: Sequence[str] = (),
    bootstrap_resamples: int = metrics.DEFAULT_RESAMPLES,
    progress: bool = True,
    model_name: str | None = None,
    system_prompt: str | None = None,
    temperature: float = 0.0,
    top_p: float | None = None,
    seed: int = 1234,
    shard: str | None = None,
    verbosity: str = "normal",
    workers: int = 1,
    romanized: bool = False,
) -> RunResult:
    """Evaluate `model` on `tasks` and store the run, every task-language score and every
    sample. Rerunning the same arguments after a crash resumes the unfinished run.

    `model_name` is the name results are shown under (default: a short name derived from
    the spec); `shard="I/N"` runs only the I-th of N deterministic slices of the units;
    `romanized` adds each non-Latin-script variant's romanized twin (xbench.analyses.romanize);
    `workers` processes score large units (xbench.workers; the CLI uses every core, up to 8).
    Workers are started with `spawn`, so a script that calls `run(workers=N)` with N > 1 must
    do so under `if __name__ == "__main__":`."""
    # 1. Resolve everything that can be wrong before any model loads.
    if verbosity not in ("quiet", "normal", "verbose"):
        raise XbenchError(f"verbosity must be quiet, normal or verbose, not {verbosity!r}")
    check_arguments(
        limit=limit, num_fewshot=num_fewshot, batch_size=batch_size, max_gen_toks=max_gen_toks,
        bootstrap_resamples=bootstrap_resamples,
    )  # fmt: skip
    if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 256:
        raise XbenchError(f"--workers must be a whole number from 1 to 256, not {workers!r}")
    generation = _generation(
        temperature=temperature, top_p=top_p, seed=seed, system_prompt=system_prompt,
        apply_chat_template=apply_chat_template, max_gen_toks=max_gen_toks,
    )  # fmt: skip
    shard_of = parse_shard(shard)
    registry = plugins.load_registry(plugin_paths, task_args, cache_dir=settings.cache_dir())
    model_spec = registry.resolve_model(model)
    kind = registry.models[model_spec.kind]
    name = _model_name(model_name, kind.display_name(model_spec))
    every_unit = registry.select(tasks, languages)  # all shards' units, sorted
    selected = every_unit
    if shard_of is not None:
        index, count = shard_of
        selected = [s for i, s in enumerate(every_unit) if i % count == index]
        if not selected:
            raise XbenchError(
                f"shard {shard} has no units: the tasks give only {len(every_unit)}; "
                "use fewer shards"
            )
    specs = list(selected)
    # Coverage: a result on n languages is n of the languages its task has.
    coverage = Counter(s.task for s in registry.specs.values())
    origin = {s.name: registry.origin[s.name] for s in specs}
    twin_of: dict[str, str] = {}  # a romanized variant -> the variant it was made from
    if romanized:
        from .analyses.romanize import with_romanized

        specs, twin_of = with_romanized(specs)
        origin.update({r: origin[n] for r, n in twin_of.items()})
    if model_spec.kind == "predictions":  # every line checked before the run row exists
        assert model_spec.target is not None
        models.check_prediction_tasks(Path(model_spec.target), registry.tasks())
    for spec in specs:
        if num_fewshot > spec.max_fewshot:
            raise XbenchError(
                f"{spec.name} has {spec.max_fewshot} few-shot exemplars; --num-fewshot {num_fewshot} is too many"
            )
    db_path = settings.db_path(db)
    if db_path.exists():  # a newer, damaged or locked store says so before data loads
        Store(db_path)
    context = LoadContext(data_dir=settings.data_dir(data_dir), cache_dir=settings.cache_dir())
    settings.go_offline_unless(context.data_dir is None or kind.needs_hub(model_spec))
    contexts = {s.name: registry.load_context(twin_of.get(s.name, s.name), context) for s in specs}
    specs = [_guarded(s, origin[s.name], contexts[s.name]) for s in specs]
    stages = Stages()
    with stages("loading data"):
        items = {s.name: _load(s, contexts[s.name], limit, plugin=origin[s.name]) for s in specs}

    args = {
        "model": model, "model_name": name, "tasks": [s.name for s in specs], "limit": limit,
        "num_fewshot": num_fewshot, "max_gen_toks": max_gen_toks,
        "apply_chat_template": apply_chat_template,
        "data_dir": str(context.data_dir) if context.data_dir else None,
        "generation": asdict(generation), "task_args": sorted(task_args),
    }  # fmt: skip
    if romanized:  # only when set: the config hash of every run made before stays the same
        args["romanized"] = True
    versions = {s.name: s.version for s in specs}
    # Shards of one command share a merge key: `xbench merge` joins them into one run.
    all_versions = {s.name: s.version for s in every_unit}
    merge_key = _hash({**args, "tasks": sorted(all_versions), "versions": all_versions})
    config_hash = _hash({**args, "versions": versions, "shard": shard})
    store = Store(db_path)
    run_id, resumed = store.start_run(
        model=name,
        model_spec=model,
        merge_key=merge_key,
        args={
            **args,
            "shard": shard,
            "batch_size": batch_size,
            "plugin_paths": [str(p) for p in plugin_paths],
        },  # fmt: skip
        config_hash=config_hash,
        versions=_versions(),
        git_hash=_git_hash(),
        tasks=[_describe(s) for s in specs],
    )
    done = store.completed_units(run_id)
    todo = [s for s in specs if s.name not in done]

    # 2. Load the model once, then one lm-eval call per unit; finished units are written
    # together at most every FLUSH_EVERY_S (one short transaction), so a fast model is not
    # slowed by a connection per unit and a killed run loses at most that much finished work.
    shown = Progress(
        len(todo), sum(len(items[s.name]) for s in todo),
        mode="quiet" if not progress or verbosity == "quiet" else verbosity,
    )  # fmt: skip
    pending: list[tuple[list[UnitScore], list[SampleRow]]] = []
    last_flush = time.monotonic()
    pool = ScoringPool(workers)

    def flush() -> None:
        nonlocal last_flush
        if pending:
            with stages("store"):
                store.save_units(run_id, pending)
            pending.clear()
        last_flush = time.monotonic()

    try:
        if todo:
            from . import bridge

            progress_module.warnings_once()
            if verbosity != "verbose":
                progress_module.silence_library_bars()
            lm = models.build(
                model_spec, registry.models, batch_size=batch_size, generation=generation
            )
            shown.remote = lm
            identity = model_identity(model_spec, lm, generation, specs)
            cache = None
            if kind.cacheable:
                cache_file = settings.cache_dir() / "responses" / f"{cache_key(identity)}.db"
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                cache = str(cache_file)
            store.set_model_info(run_id, identity)
            for spec in todo:
                shown.start(f"{spec.task} · {spec.language}")
                started = time.perf_counter()
                generations = bridge.generate(
                    lm, spec, items[spec.name], num_fewshot=num_fewshot, settings=generation,
                    cache=cache, stages=stages,
                    quiet_bars=verbosity != "verbose",
                )  # fmt: skip
                units, rows = _score(
                    spec, items[spec.name], generations, time.perf_counter() - started,
                    resamples=bootstrap_resamples, plugin=origin[spec.name],
                    task_languages=coverage[spec.task], stages=stages, pool=pool,
                )  # fmt: skip
                pending.append((units, rows))
                if time.monotonic() - last_flush >= FLUSH_EVERY_S:
                    flush()
                shown.done(spec.name, len(rows))
            flush()
    except BaseException as exc:  # SystemExit too: a run is never left "running"
        if isinstance(exc, KeyboardInterrupt):
            why = "interrupted"
        else:  # cause() says "it called sys.exit(N)" for a plugin or library that tried to exit
            why = str(exc) if isinstance(exc, XbenchError) else cause(exc)
        try:
            flush()  # the units that did finish are kept
        except (Exception, KeyboardInterrupt):
            pending.clear()
        pool.close()
        shown.close()
        store.finish_run(run_id, "failed", why)
        if isinstance(exc, KeyboardInterrupt | XbenchError):
            raise
        raise RunFailed(
            f"run {run_id} failed: {why}; units finished before it are stored, rerun the same "
            "command to resume"
        ) from (None if isinstance(exc, SystemExit) else exc)
    pool.close()
    shown.close()
    store.finish_run(run_id, "completed")
    return RunResult(run_id, resumed, store.scores(run_id), store.path, dict(stages.seconds))


def _generation(**settings: Any) -> models.GenerationSettings:
    temperature, top_p, seed = settings["temperature"], settings["top_p"], settings["seed"]
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 10:
        raise XbenchError(
            f"--temperature must be 0 (greedy, the default) to 10, not {temperature!r}"
        )
    if top_p is not None and (not isinstance(top_p, int | float) or not 0 < top_p <= 1):
        raise XbenchError(f"--top-p must be above 0 and at most 1, not {top_p!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise XbenchError(f"--seed must be a whole number, not {seed!r}")
    prompt = settings["system_prompt"]
    if prompt is not None and not (isinstance(prompt, str) and prompt.strip()):
        raise XbenchError("--system-prompt must be non-empty text (leave it out for none)")
    return models.GenerationSettings(**settings)


def parse_shard(shard: str | None) -> tuple[int, int] | None:
    """`I/N` (0 <= I < N): this process runs the units whose index in the sorted unit list
    is I modulo N."""
    if shard is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(shard))
    if not match or not 0 <= int(match[1]) < int(match[2]):
        raise XbenchError(f"--shard must be I/N with 0 <= I < N (e.g. 0/4 ... 3/4), not {shard!r}")
    return int(match[1]), int(match[2])


def _model_name(given: str | None, default: str) -> str:
    if given is None:
        return default
    if not isinstance(given, str) or not given.strip() or len(given) > 200:
        raise XbenchError("--model-name must be 1 to 200 characters of text")
    return given.strip()


def model_identity(
    spec: models.ModelSpec, lm: Any, generation: models.GenerationSettings,
    units: Sequence[TaskSpec],
) -> dict[str, Any]:  # fmt: skip
    """What the model resolved to and the generation settings actually sent: stored with the
    run, and the response cache's key (never an API key: those live in headers only)."""
    from . import bridge

    tools = {bridge.tools_route(lm, s, generation) for s in units} - {None}
    return {
        **spec.info(),
        **{k: v for k, v in (getattr(lm, "xbench_identity", None) or {}).items() if v is not None},
        "lm_eval": bridge.version(),
        "generation": {
            **asdict(generation),
            "chat_template": generation.apply_chat_template or getattr(lm, "xbench_chat", False),
            "per_task": {
                s.task: {
                    k: v
                    for k, v in bridge.generation_kwargs(s, generation).items()
                    if k in ("until", "max_gen_toks")
                }
                for s in units
            },  # fmt: skip
            "tools_via": sorted(tools),
        },
    }


def cache_key(identity: dict[str, Any]) -> str:
    """The model's identity and the run-wide generation settings, minus what changes only how
    requests are sent (concurrency, retries, timeouts). Each request's own prompt, stop
    sequences and token limit are part of lm-eval's per-request key inside the cache."""
    kept = {k: v for k, v in identity.items() if k not in models.OPERATIONAL_OPTIONS}
    kept["generation"] = {
        k: v for k, v in identity["generation"].items() if k not in ("per_task", "tools_via")
    }
    return _hash(kept)


def check_arguments(
    *,
    limit: int | None,
    num_fewshot: int,
    batch_size: int | str,
    max_gen_toks: int | None,
    bootstrap_resamples: int,
) -> None:
    """Numbers that make no sense fail here, before anything runs (the CLI and the API)."""

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if limit is not None and (not whole(limit) or limit < 1):
        raise XbenchError(f"--limit must be a positive number of items, not {limit!r}")
    if not whole(num_fewshot) or num_fewshot < 0:
        raise XbenchError(f"--num-fewshot must be 0 or more, not {num_fewshot!r}")
    if max_gen_toks is not None and (not whole(max_gen_toks) or max_gen_toks < 1):
        raise XbenchError(
            f"--max-gen-toks must be a positive number of tokens, not {max_gen_toks!r}"
        )
    if not whole(bootstrap_resamples) or bootstrap_resamples < 1:
        raise XbenchError(
            f"--bootstrap-resamples must be 1 or more (1000 is the default), not {bootstrap_resamples!r}"
        )
    valid_batch = (whole(batch_size) and batch_size >= 1) or (
        isinstance(batch_size, str) and re.fullmatch(r"auto(:[1-9][0-9]*)?", batch_size)
    )
    if not valid_batch:
        raise XbenchError(
            f"--batch-size must be a positive number, 'auto' or 'auto:N', not {batch_size!r}"
        )


def _guarded(spec: TaskSpec, plugin: str, context: LoadContext) -> TaskSpec:
    """The spec with its `render` bound to the unit's context and checked: a prompt that is
    not text, or a render that raises, stops the run with an error naming the plugin (lm-eval
    would fail obscurely)."""

    render = spec.renderer(context)

    def checked_render(item: Item, num_fewshot: int) -> str:
        try:
            prompt = render(item, num_fewshot)
        except Exception as exc:
            raise PluginError(
                f"plugin {plugin}: render of {spec.name} failed on item {item.item_key!r}: "
                f"{cause(exc)}; fix the plugin"
            ) from None
        if not isinstance(prompt, str):
            raise PluginError(
                f"plugin {plugin}: render of {spec.name} returned {type(prompt).__name__} for "
                f"item {item.item_key!r}; it must return the prompt text, fix the plugin"
            )
        return prompt

    return replace(spec, render=checked_render)


def _load(spec: TaskSpec, context: LoadContext, limit: int | None, *, plugin: str) -> list[Any]:
    try:
        items = list(spec.load(context))
    except DataError as exc:
        raise XbenchError(f"{spec.name}: {exc}") from exc
    except (Exception, SystemExit) as exc:  # a plugin bug, or data it did not expect
        raise PluginError(
            f"plugin {plugin}: the loader of {spec.name} failed: {cause(exc)}; check --data-dir "
            "(see the data card) or fix the plugin"
        ) from None
    if not items:
        raise XbenchError(
            f"plugin {plugin}: the loader of {spec.name} returned no items; check --data-dir "
            "(see the data card) or fix the plugin"
        )
    if not all(isinstance(item, Item) for item in items):
        raise PluginError(
            f"plugin {plugin}: the loader of {spec.name} must return xbench.Item objects"
        )
    keys = [item.item_key for item in items]
    if len(set(keys)) != len(keys):
        raise XbenchError(f"{spec.name}: the loader returned duplicate item keys; fix the plugin")
    return items[:limit] if limit else items


def expected_output_language(spec: TaskSpec) -> str:
    """The language a response should be written in: the target of a translation, else the
    language of the instructions (Marchisio et al. 2024: the user's language)."""
    return spec.target_language or spec.prompt_language


def _score(
    spec: TaskSpec,
    items: Sequence[Item],
    generations: Sequence[Generation],
    duration: float,
    *,
    resamples: int,
    plugin: str = "?",
    task_languages: int | None = None,
    stages: Stages | None = None,
    pool: ScoringPool | None = None,
) -> tuple[list[UnitScore], list[SampleRow]]:
    from . import fidelity

    stages = stages or Stages()
    pool = pool or ScoringPool()
    by_key = {item.item_key: item for item in items}
    texts = {}  # item key -> (response as scored, its full length when cut)
    for gen in generations:
        if gen.error is None and isinstance(gen.response, str):
            response, full_length = gen.response, None
            if len(response) > MAX_RESPONSE_CHARS:
                response, full_length = response[:MAX_RESPONSE_CHARS], len(response)
            texts[gen.item_key] = (response, full_length)
    scorer = _scorer(spec, plugin)
    results = iter(pool.score(scorer, [(t[0], by_key[k]) for k, t in texts.items()], stages))
    rows, checks, scored_samples, for_corpus = [], [], [], []
    for gen in generations:
        item = by_key[gen.item_key]
        tokens = {"prompt_tokens": gen.prompt_tokens, "token_source": gen.token_source,
                  "completion_tokens": gen.completion_tokens}  # fmt: skip
        if gen.item_key not in texts:
            error = gen.error or f"the model returned no text ({type(gen.response).__name__})"
            rows.append(SampleRow(gen.item_key, gen.prompt, None, None, item.gold, None, error,
                                  **tokens))  # fmt: skip
            continue
        response, full_length = texts[gen.item_key]
        scored, check = next(results)
        if gen.note:  # how the response came back (cut at the token limit), then the scorer's
            scored = replace(scored, note="; ".join(filter(None, (gen.note, scored.note))))
        if scored.error is not None:  # unscorable: an error with its cause, never a wrong answer
            rows.append(SampleRow(gen.item_key, gen.prompt, response, scored.extracted,
                                  item.gold, None, scored.error, note=scored.note,
                                  response_chars=full_length, **tokens))  # fmt: skip
            continue
        assert check is not None  # every scorable response has its fidelity check
        scored_samples.append(scored)
        for_corpus.append(Answered(item, response, scored))
        checks.append(check)
        rows.append(
            SampleRow(
                gen.item_key, gen.prompt, response, scored.extracted, item.gold,
                scored.score, None, check.detected_language, check.in_expected, check.line_pass,
                json.dumps(dict(scored.metrics)) if scored.metrics else None,
                note=scored.note, response_chars=full_length, **tokens,
            )
        )  # fmt: skip
    answered = [r.score for r in rows if r.score is not None]
    strict = [0.0 if r.score is None else r.score for r in rows]  # errors count as wrong
    with stages("CIs"):
        value, low, high = metrics.mean_ci(answered, resamples=resamples)
        value_strict, low_strict, high_strict = metrics.mean_ci(strict, resamples=resamples)
    summary = fidelity.summarize({spec.name: checks})[spec.name]
    primary = spec.primary_metric or spec.metric
    unit = UnitScore(
        task_name=spec.name, benchmark=spec.benchmark, task=spec.task, language=spec.language,
        prompt_language=spec.prompt_language, partition=spec.partition,
        source_language=spec.source_language, target_language=spec.target_language,
        task_version=spec.version, metric=spec.metric, value=value, ci_low=low, ci_high=high,
        n=len(rows), n_errors=sum(r.error is not None for r in rows), duration_s=duration,
        value_strict=value_strict, ci_low_strict=low_strict, ci_high_strict=high_strict,
        origin_language=spec.origin_language, family=spec.family,
        comparable_answers=spec.comparable_answers, n_judged=summary["n_judged"],
        fidelity=summary["share_in_expected"], line_pass_rate=summary["line_pass_rate"],
        sensitive=spec.sensitive, primary_metric=primary == spec.metric,
        tools_via=generations[0].tools_via if generations else None,
        task_languages=task_languages, input_script=spec.input_script,
    )  # fmt: skip
    units = [unit]
    # Further per-sample metrics: mean over answered samples with a bootstrap CI.
    for name in sorted({name for s in scored_samples for name in s.metrics}):
        values = [s.metrics[name] for s in scored_samples if name in s.metrics]
        with stages("CIs"):
            mean, lo, hi = metrics.mean_ci(values, resamples=resamples)
        units.append(replace(unit, metric=name, value=mean, ci_low=lo, ci_high=hi,
                             value_strict=None, ci_low_strict=None, ci_high_strict=None,
                             primary_metric=primary == name))  # fmt: skip
    # Corpus metrics over the answered samples as scored above (never scored again), with
    # their signatures and CIs from --bootstrap-resamples.
    if spec.corpus_metrics is not None:
        try:
            with stages("corpus metrics"):
                corpus_scores = (
                    spec.corpus_metrics(for_corpus, resamples=resamples) if for_corpus else {}
                )
        except (Exception, SystemExit) as exc:
            raise PluginError(
                f"plugin {plugin}: the corpus metrics of {spec.name} failed: {cause(exc)}; "
                "fix the plugin (units finished before this one are stored)"
            ) from None
        for name, corpus in sorted(corpus_scores.items()):
            units.append(replace(unit, metric=name, value=corpus.value, ci_low=corpus.ci_low,
                                 ci_high=corpus.ci_high, value_strict=None, ci_low_strict=None,
                                 ci_high_strict=None, signature=corpus.signature,
                                 primary_metric=primary == name))  # fmt: skip
    units = [_declared(u, spec) for u in units]
    if not any(u.primary_metric for u in units):
        if scored_samples:  # there was something to compute it from: the plugin is at fault
            raise PluginError(
                f"plugin {plugin}: primary metric {primary!r} of {spec.name} was not computed; fix the plugin"
            )
        # Nothing answered: the primary metric has no value (never a made-up score).
        units.append(_declared(replace(unit, metric=primary, value=None, ci_low=None,
                                       ci_high=None, value_strict=None, ci_low_strict=None,
                                       ci_high_strict=None, primary_metric=True), spec))  # fmt: skip
    return units, rows


def _declared(unit: UnitScore, spec: TaskSpec) -> UnitScore:
    """The unit's score row with its metric's declared direction and scale."""
    info = spec.metric_info(unit.metric)
    return replace(unit, higher_is_better=info.higher_is_better, metric_scale=float(info.scale))


def _scorer(spec: TaskSpec, plugin: str) -> SampleScorer:
    return SampleScorer(spec.score, spec.name, plugin, expected_output_language(spec))


def score_safely(spec: TaskSpec, response: str, item: Item, *, plugin: str) -> Scored:
    """The plugin's score of one response, or that sample's error (workers.score_sample)."""
    return score_sample(_scorer(spec, plugin), response, item)


def _describe(spec: TaskSpec) -> dict[str, Any]:
    return {
        "name": spec.name, "benchmark": spec.benchmark, "task": spec.task,
        "language": spec.language, "prompt_language": spec.prompt_language,
        "partition": spec.partition, "version": spec.version, "source": spec.source,
        "sensitive": spec.sensitive,
    }  # fmt: skip


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _versions() -> dict[str, str | None]:
    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {
        "xbench": __version__, "lm_eval": version("lm_eval"),
        "transformers": version("transformers"), "torch": version("torch"),
        "python": platform.python_version(),
    }  # fmt: skip


def _git_hash() -> str | None:
    """The commit of the xbench checkout, when running from one."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None
