"""The contract between xbench and every task plugin, built-in or third-party.

A plugin registers `TaskSpec`s; each spec is one *task variant*: one task in one content
language (and one prompt language, partition, direction). Everything here is plain, frozen
data plus three small callables, so a plugin needs nothing from xbench but this module.
"""

from __future__ import annotations

import copyreg
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

PARTITIONS = ("original", "human_translated", "machine_translated")


def _read_only(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


# Items and scores travel to scoring worker processes (xbench.workers): their read-only
# mappings pickle as the dict they show.
copyreg.pickle(MappingProxyType, lambda proxy: (_read_only, (dict(proxy),)))


@dataclass(frozen=True)
class Item:
    """One evaluation item, as loaded from the data source.

    `item_key` lines up the *same* item across languages (MGSM row i in every language), so
    transfer and consistency metrics can join on it.
    """

    item_key: str
    question: str
    gold: str
    fields: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Scored:
    """What a task's scorer makes of one response."""

    extracted: str | None  # the answer the scorer read out of the response ("" / None: none found)
    score: float  # the task's primary per-sample metric (`TaskSpec.metric`), usually 0.0 .. 1.0
    # Further per-sample metrics, e.g. {"f1": 0.67} next to exact match. Each becomes its own
    # per task-language score (mean with a bootstrap CI), under its name.
    metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    # Set when the response cannot be scored at all (e.g. no parsable label): the sample is
    # stored as an error with this cause, counted in n_errors, and never scored as wrong.
    error: str | None = None
    # How the scorer read the response, when it did more than take it as it is (e.g. a chat
    # preamble it stripped: 'stripped preamble "Here is the translation:"'). Stored with the sample.
    note: str | None = None
    # What the scorer read that the task's corpus metrics need (parsed calls, labels), so no
    # response is parsed twice. Handed to `corpus_metrics` with the sample; never stored.
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Answered:
    """One scored sample of a unit, as `TaskSpec.corpus_metrics` receives it: the item, the
    response, and what `TaskSpec.score` made of it (computed once, by the runner)."""

    item: Item
    response: str
    scored: Scored


SCOPES = ("sample", "corpus")
# The data axes a variant can be told apart by besides task and language (TaskSpec.axes), and
# their short names in a variant name.
AXES = {
    "prompt_language": "prompt", "partition": "partition", "origin_language": "origin",
    "source_language": "from", "target_language": "to", "input_script": "script",
}  # fmt: skip


@dataclass(frozen=True)
class Metric:
    """What a metric's number means: the same everywhere it is shown, stored with its scores.

    `scale` is the metric's full range: 1.0 for a share (accuracy 0.53), 100.0 for a 0-100
    score (chrF++ 53.2, never rescaled); `higher_is_better` orders languages and models (TER:
    lower is better, so its worst language is its highest TER)."""

    name: str
    higher_is_better: bool = True
    scale: float = 1.0
    scope: str = "sample"  # "sample": mean over samples with a bootstrap CI; "corpus": whole unit
    description: str = ""


@dataclass(frozen=True)
class CorpusScore:
    """A metric computed over a whole unit at once (corpus BLEU, chrF++, TER)."""

    value: float
    signature: str | None = None  # how it was computed, e.g. sacrebleu's metric signature
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class LoadContext:
    """What a loader may use. `data_dir` is `--data-dir` / `XBENCH_DATA_DIR`, laid out as the
    data cards describe; None means "load the public source (hub / release file)". `cache_dir`
    is where downloads may be kept (`--cache-dir` / `XBENCH_CACHE_DIR`); `options` are the
    plugin's own `--task-arg` options (see PluginContext)."""

    data_dir: Path | None = None
    cache_dir: Path | None = None
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass
class PluginContext:
    """What `register_tasks(register, context)` may use (a one-argument `register_tasks`
    gets none): the plugin's options, given as `--task-arg <plugin>.<name>=<value>` (e.g.
    `mt.pairs=deu_Latn-fra_Latn`; `<plugin>` is the entry-point name, or the file or folder
    name of a `--plugin-path` plugin), and xbench's cache folder. An option given that the
    plugin never asks for with `option()` is an error naming the options it has."""

    plugin: str
    options: Mapping[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None
    asked: set[str] = field(default_factory=set)

    def option(self, name: str, default: str | None = None) -> str | None:
        self.asked.add(name)
        return self.options.get(name, default)


class DataError(Exception):
    """Raised by loaders for missing or corrupt data; the message must say what to do."""


@dataclass(frozen=True)
class TaskSpec:
    """One task variant. Fields are data, never parsed out of the name."""

    benchmark: str  # "mgsm"
    task: str  # "mgsm_native_cot": the task within the benchmark, language-independent
    language: str  # content language, ISO 639-3 + ISO 15924 script: "deu_Latn"
    prompt_language: str  # language of the instructions: "eng_Latn" for English CoT
    partition: str  # one of PARTITIONS: how the content was made
    version: str  # bump whenever prompts, parsing or data handling change
    source: str  # where the data comes from (hub id and/or local layout), for `xbench tasks`
    load: Callable[[LoadContext], Sequence[Item]]
    # (item, num_fewshot) -> the full prompt; a render with a third argument named `context`
    # also gets the unit's LoadContext (data dir, cache dir, options), e.g. for exemplars.
    render: Callable[..., str]
    score: Callable[[str, Item], Scored]  # (response, item) -> Scored
    until: tuple[str, ...] = ()  # stop sequences for generation
    max_gen_toks: int = 256
    max_fewshot: int = 0  # how many few-shot exemplars `render` can provide
    source_language: str | None = None  # MT only: the side translated from
    target_language: str | None = None  # MT only: the side translated into
    # The language the content was first written in, when it is a translation (MGSM's German
    # problems: eng_Latn; MultiLoKo's Italian questions put into English: ita_Latn). None: the
    # content is original in `language`. Mother-tongue and locality effects pair on it.
    origin_language: str | None = None
    # Variants of one family differ only in data fields (prompt language, partition, origin,
    # direction), so effects compare within a family: mgsm_native_cot and mgsm_en_cot are the
    # family "mgsm_cot". None: the family is the task itself.
    family: str | None = None
    # Extracted answers mean the same in every language (MGSM numbers), so answer agreement
    # across languages is meaningful.
    comparable_answers: bool = False
    metric: str = "accuracy"  # the name of `Scored.score`
    # The metric the leaderboard and the parity/transfer views lead with: `metric` by default,
    # or one of `Scored.metrics` / `corpus_metrics` (MT: corpus chrF++).
    primary_metric: str | None = None
    # Corpus-level metrics over the unit's answered samples, by name; stored as further
    # per task-language scores with their signatures. Called as
    # `corpus_metrics(answered, resamples=N)`: N is `--bootstrap-resamples`, for CIs drawn with
    # `xbench.stats.bootstrap_estimates` / `bootstrap_interval`. None: the task has none.
    corpus_metrics: Callable[..., Mapping[str, CorpusScore]] | None = None
    # Tool (function) schemas of an item, for function-calling tasks. With --apply-chat-template
    # and a chat template that takes tools, they ALSO travel through the template; which way
    # was used is stored with the unit (`tools_via`: "chat_template" or "prompt").
    tools: Callable[[Item], Sequence[Mapping[str, Any]]] | None = None
    # How each metric is read (direction, scale, scope). A metric not declared here is a
    # per-sample share where higher is better (Metric(name)).
    metrics: tuple[Metric, ...] = ()
    # The data axes that tell this task's variants apart besides the language, named in
    # AXES ("prompt_language", "partition", ...). A plugin lists them instead of encoding them
    # in the task name: task "cot" in German with English and German instructions is two
    # variants, `cot.deu_Latn@prompt=eng_Latn` and `cot.deu_Latn@prompt=deu_Latn`.
    axes: tuple[str, ...] = ()
    sensitive: bool = False  # hide texts by default in the leaderboard
    # The script the prompt's content is written in when it is not the language's own: "Latn"
    # for a romanized variant (`xbench run --romanized`). None: the language's own script.
    input_script: str | None = None
    # `--romanized` may add a romanized twin of this variant (its prompt through uroman; the
    # scorer and gold answers unchanged). Tasks whose answers quote the input verbatim, or
    # whose input is code or tool schemas, leave it False.
    romanizable: bool = False
    # What a perfect model would answer for an item. Optional; the `fake` model uses it, and
    # tests check that `score(reference_response(item), item)` is 1.0.
    reference_response: Callable[[Item], str] | None = None
    description: str = ""

    def metric_info(self, name: str) -> Metric:
        """The declaration of metric `name` (the default declaration when there is none)."""
        for metric in self.metrics:
            if metric.name == name:
                return metric
        return Metric(name)

    def renderer(self, context: LoadContext | None = None) -> Callable[[Item, int], str]:
        """`render` as (item, num_fewshot) -> prompt, given `context` when it takes one
        (decided here once, not once per prompt)."""
        if takes_context(self.render, 3):
            return functools.partial(_render_with, self.render, context or LoadContext())
        return self.render

    def prompt(self, item: Item, num_fewshot: int, context: LoadContext | None = None) -> str:
        """The prompt for `item`, with the context when `render` takes one."""
        return self.renderer(context)(item, num_fewshot)

    def answered(self, pairs: Iterable[tuple[Item, str]]) -> list[Answered]:
        """(item, response) pairs scored with this task's scorer, unscorable ones left out:
        what the runner hands to `corpus_metrics` (for a plugin's own tests)."""
        out = [Answered(item, response, self.score(response, item)) for item, response in pairs]
        return [a for a in out if a.scored.error is None]

    @property
    def name(self) -> str:
        """The variant's unique name, built from its axes: `<task>.<language>`, e.g.
        `mgsm_native_cot.deu_Latn`, then `@<axis>=<value>` for each of `axes`."""
        qualifiers = "".join(f"@{AXES[axis]}={getattr(self, axis)}" for axis in self.axes)
        return f"{self.task}.{self.language}{qualifiers}"


def _render_with(render: Callable[..., str], context: LoadContext, item: Item, k: int) -> str:
    return render(item, k, context)


def takes_context(function: Callable[..., Any], position: int) -> bool:
    """Whether a plugin's hook takes the optional context argument as its `position`-th
    argument: a parameter named `context`, or that many required positional parameters (a
    parameter with a default, `answer_word=...`, is the plugin's own)."""
    import inspect

    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.name == "context" for p in positional):
        return True
    required = [p for p in positional if p.default is p.empty]
    return len(required) >= position or any(p.kind == p.VAR_POSITIONAL for p in parameters)
