"""The lm-eval bridge: the only module that imports lm_eval.

A `TaskSpec` goes in as an inline lm-eval task config (no YAML, and the task manager does not
index lm-eval's built-in tasks); prompts are rendered by the spec, so lm-eval sees zero-shot
documents whose text is the finished prompt. lm-eval runs generation, batching, chat
templates and its response cache; xbench scores the logged samples with the spec's scorer.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import lm_eval  # noqa: E402
from lm_eval.api.model import (  # noqa: E402
    LM,
    CachingLM,
    hash_args,  # noqa: E402
)
from lm_eval.evaluator import evaluate  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

from .models import GenerationSettings as Settings  # noqa: E402
from .models import is_failure, read_response, read_usage, tool_envelope  # noqa: E402
from .progress import Stages, silence_library_bars  # noqa: E402
from .spec import Item, TaskSpec  # noqa: E402

logging.getLogger("lm_eval").setLevel(logging.ERROR)
METRIC = "generated"  # the one (unused) metric lm-eval computes per task


@dataclass(frozen=True)
class Generation:
    """One generated response for one item, as lm-eval logged it."""

    item_key: str
    prompt: str
    response: str | None
    error: str | None
    tools_via: str | None = None  # "native" | "chat_template" | "prompt" | None (no tools)
    note: str | None = None  # how the response came back, e.g. cut at the token limit
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    token_source: str | None = None  # "usage" (the engine's count) | "tokenizer" | None


def token_counter(lm: Any) -> Any:
    """The model's own tokenizer as a text -> token count function, or None: in-process
    engines (transformers, vLLM) have one; a chat endpoint's prompt is JSON messages that its
    server templates, so only its `usage` field counts there."""
    tokenizer = getattr(lm, "tokenizer", None)
    if getattr(lm, "xbench_chat", False) or not callable(getattr(tokenizer, "encode", None)):
        return None

    def count(text: str) -> int | None:
        try:
            return len(tokenizer.encode(text, add_special_tokens=False))
        except Exception:  # noqa: BLE001 - a text the tokenizer refuses is not counted
            return None

    return count


def version() -> str:
    return lm_eval.__version__


class ResponseCache(CachingLM):
    """lm-eval's response cache (sqlite, keyed by the request: prompt and generation
    settings) that never keeps a failed request: a rerun sends exactly the requests that have
    no stored answer."""

    def __getattr__(self, attr: str) -> Any:
        function = super().__getattr__(attr)
        if attr != "generate_until":
            return function

        def generate_until(requests: list[Any]) -> list[Any]:
            keys = [hash_args(attr, request.args) for request in requests]
            for key in keys:  # a failure cached by lm-eval's partial hook before a kill
                if is_failure(self.dbdict.get(key)):
                    del self.dbdict[key]
            out = function(requests)
            for key, response in zip(keys, out, strict=True):
                if is_failure(response):
                    self.dbdict.pop(key, None)
            self.dbdict.commit()
            return out

        return generate_until


def template_takes_tools(tokenizer: Any) -> bool:
    """Does the tokenizer's chat template render a `tools` argument?"""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates
        template = " ".join(template.values())
    return isinstance(template, str) and "tools" in template


def _docs(
    spec: TaskSpec,
    items: Sequence[Item],
    num_fewshot: int,
    tools_via: str | None,
    tokenizer: Any = None,
    system_prompt: str | None = None,
) -> list[dict[str, Any]]:
    """lm-eval documents. With tools sent through the chat template or natively, the prompt
    is finished here with the item's tools (lm-eval's own templating takes no tools): the
    templated text, or the JSON envelope {"messages", "tools"} for a chat endpoint."""
    reference = spec.reference_response

    def prompt(item: Item) -> str:
        text = spec.render(item, num_fewshot)
        if spec.tools is None or tools_via == "prompt":
            return text
        messages = [{"role": "user", "content": text}]
        if system_prompt:
            messages.insert(0, {"role": "system", "content": system_prompt})
        if tools_via == "native":
            return tool_envelope(messages, spec.tools(item))
        return tokenizer.apply_chat_template(
            messages, tools=list(spec.tools(item)), tokenize=False, add_generation_prompt=True
        )

    return [
        {
            "task_name": spec.name,
            "task": spec.task,
            "language": spec.language,
            "item_key": item.item_key,
            "prompt": prompt(item),
            "gold": item.gold,
            "reference": reference(item) if reference else None,
        }
        for item in items
    ]


class _Docs(list):  # type: ignore[type-arg]
    """A unit's documents as lm-eval reads them: a plain list (a `datasets.Dataset` costs tens
    of microseconds per row in format conversion, and lm-eval reads each row three times),
    with the one Dataset attribute lm-eval's ConfigurableTask asks for, `features`."""

    @property
    def features(self) -> dict[str, None]:
        return dict.fromkeys(self[0] if self else ())


def _config(
    spec: TaskSpec, items: Sequence[Item], num_fewshot: int, settings: Settings, docs: list[Any]
) -> dict[str, Any]:
    return {
        "task": spec.name,
        "custom_dataset": lambda **_: {"test": _Docs(docs)},
        "test_split": "test",
        "output_type": "generate_until",
        "doc_to_text": lambda doc: doc["prompt"],
        "doc_to_target": lambda doc: doc["gold"],
        "target_delimiter": "",
        "num_fewshot": 0,  # few-shot exemplars are part of the rendered prompt
        "generation_kwargs": generation_kwargs(spec, settings),
        # xbench scores each response once, in the runner, where a failing scorer becomes
        # that sample's error. lm-eval wants one metric per task: "a response came back".
        "process_results": lambda doc, results: {METRIC: 1.0},
        "metric_list": [{"metric": METRIC, "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": spec.version},
    }


def generation_kwargs(spec: TaskSpec, settings: Settings) -> dict[str, Any]:
    """What every request of the unit is sent with (stored with the run's identity)."""
    return {
        "until": list(spec.until),
        "max_gen_toks": settings.max_gen_toks or spec.max_gen_toks,
        **settings.kwargs(),
    }


def tools_route(lm: Any, spec: TaskSpec, settings: Settings) -> str | None:
    """How a unit's tools reach the model: natively in the request (a chat endpoint that
    takes `tools`), through the model's chat template, or in the prompt text."""
    if spec.tools is None:
        return None
    if getattr(lm, "xbench_native_tools", False):
        return "native"
    chat = settings.apply_chat_template or getattr(lm, "xbench_chat", False)
    if chat and template_takes_tools(getattr(lm, "tokenizer", None)):
        return "chat_template"
    return "prompt"


def generate(
    lm: LM,
    spec: TaskSpec,
    items: Sequence[Item],
    *,
    num_fewshot: int = 0,
    settings: Settings | None = None,
    cache: str | None = None,
    stages: Stages | None = None,
    quiet_bars: bool = True,
) -> list[Generation]:
    """Run one task variant through lm-eval and return its responses.

    `cache` turns on the response cache (a sqlite file per model identity): rerunning the
    same model and requests after a crash reads the answers back instead of generating them."""
    # lm-eval's `evaluate` is `simple_evaluate` minus model construction and the environment
    # report (pip list, nvidia-smi, git: seconds per call), which xbench records once per run
    # instead of once per task-language unit.
    settings = settings or Settings()
    tools_via = tools_route(lm, spec, settings)
    # A chat endpoint takes messages, so its prompts always go through lm-eval's chat
    # templating; prompts finished here (tools) are not templated again.
    apply_chat_template = settings.apply_chat_template or getattr(lm, "xbench_chat", False)
    finished_here = tools_via in ("native", "chat_template")
    stages = stages or Stages()
    with stages("prompting"):
        docs = _docs(spec, items, num_fewshot, tools_via, getattr(lm, "tokenizer", None),
                     settings.system_prompt)  # fmt: skip
    templated = apply_chat_template and not finished_here
    count = token_counter(lm)
    if cache is not None:
        lm = ResponseCache(lm, cache)
    if quiet_bars:  # lm-eval loads some modules on first use: silence those too
        silence_library_bars()
    with stages("lm-eval (generation included)"):
        results = _evaluate(lm, spec, items, num_fewshot, settings, docs, templated, finished_here)
    generations = []
    for sample in results["samples"][spec.name]:
        doc = sample["doc"]
        returned = sample["resps"][0][0]
        usage, _ = read_usage(returned)
        response, error, note = read_response(returned)
        prompt = _sent_text(sample["arguments"][0][0])  # what was sent, templated or not
        source = "usage" if usage else None
        if usage is None and count is not None and response is not None:
            usage = (count(prompt), count(response))
            source = "tokenizer" if None not in usage else None
        generations.append(
            Generation(
                item_key=doc["item_key"], prompt=prompt, response=response, error=error,
                tools_via=tools_via, note=note,
                prompt_tokens=usage[0] if source else None,
                completion_tokens=usage[1] if source else None, token_source=source,
            )
        )  # fmt: skip
    return generations


def _sent_text(sent: Any) -> str:
    """The prompt text lm-eval logged for a request: a string, a chat request's JSON
    messages (`JsonChatStr.prompt`), or either inside the 1-tuple some backends log."""
    while isinstance(sent, tuple | list) and len(sent) == 1:
        sent = sent[0]
    sent = getattr(sent, "prompt", sent)
    return sent if isinstance(sent, str) else json.dumps(sent, ensure_ascii=False, default=str)


def _evaluate(
    lm: Any, spec: TaskSpec, items: Sequence[Item], num_fewshot: int, settings: Settings,
    docs: list[Any], templated: bool, finished_here: bool,
) -> dict[str, Any]:  # fmt: skip
    results = evaluate(
        lm=lm,
        task_dict=TaskManager(include_defaults=False).load(
            [_config(spec, items, num_fewshot, settings, docs)]
        ),
        apply_chat_template=templated,
        system_instruction=None if finished_here else settings.system_prompt,
        fewshot_as_multiturn=False,  # few-shot exemplars are rendered into one prompt
        bootstrap_iters=0,  # xbench computes its own CIs from the stored samples
        log_samples=True,
        verbosity="ERROR",
    )
    assert results is not None
    return results
