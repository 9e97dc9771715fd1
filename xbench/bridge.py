"""The lm-eval bridge: the only module that imports lm_eval.

A `TaskSpec` goes in as an inline lm-eval task config (no YAML, and the task manager does not
index lm-eval's built-in tasks); prompts are rendered by the spec, so lm-eval sees zero-shot
documents whose text is the finished prompt. lm-eval runs generation, batching, chat
templates and its response cache; xbench scores the logged samples with the spec's scorer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import datasets  # noqa: E402
import lm_eval  # noqa: E402
from lm_eval.api.model import LM, CachingLM  # noqa: E402
from lm_eval.evaluator import evaluate  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

from .models import MissingResponse  # noqa: E402
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
    tools_via: str | None = None  # "chat_template" | "prompt" | None (the task has no tools)


def version() -> str:
    return lm_eval.__version__


def hf_lm(
    pretrained: str, *, batch_size: int | str = 1, device: str | None = None, **kwargs: Any
) -> LM:
    """lm-eval's HF backend (transformers), on GPU when there is one."""
    import torch
    from lm_eval.models.huggingface import HFLM

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    return HFLM(pretrained=pretrained, batch_size=batch_size, device=device, **kwargs)


def responder_lm(respond: Callable[[dict[str, Any], str], str], *, name: str) -> LM:
    """Wrap a plain `respond(doc, prompt) -> str` function as an lm-eval generative LM.

    A responder that raises `MissingResponse` for an item gets that item recorded as an
    error (never as an empty, wrong answer); any other exception fails the run."""

    class ResponderLM(LM):
        def __init__(self) -> None:
            super().__init__()
            self.sample_errors: dict[tuple[str, str], str] = {}

        def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
            out = []
            for request in requests:
                doc, prompt = request.doc, request.args[0]
                try:
                    out.append(respond(doc, prompt))
                except MissingResponse as exc:
                    self.sample_errors[(doc["task_name"], doc["item_key"])] = str(exc)
                    out.append("")
            return out

        def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
            raise NotImplementedError(f"{name} only generates text")

        def loglikelihood_rolling(
            self, requests: list[Any], disable_tqdm: bool = False
        ) -> list[Any]:
            raise NotImplementedError(f"{name} only generates text")

        @property
        def tokenizer_name(self) -> str:
            return name

        def apply_chat_template(
            self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
        ) -> str:
            """A plain, visible template, so `--apply-chat-template` runs with test backends."""
            turns = "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in chat_history)
            return turns + ("<|assistant|>\n" if add_generation_prompt else "")

    return ResponderLM()


def template_takes_tools(tokenizer: Any) -> bool:
    """Does the tokenizer's chat template render a `tools` argument?"""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates
        template = " ".join(template.values())
    return isinstance(template, str) and "tools" in template


def with_template_tools(tokenizer: Any, prompt: str, tools: Sequence[Mapping[str, Any]]) -> str:
    """The user prompt wrapped in the chat template, with the tools passed to it."""
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], tools=list(tools), tokenize=False,
        add_generation_prompt=True,
    )  # fmt: skip


def _docs(
    spec: TaskSpec, items: Sequence[Item], num_fewshot: int, template_tokenizer: Any = None
) -> list[dict[str, Any]]:
    """lm-eval documents. With `template_tokenizer`, prompts are already chat-templated with
    the item's tools (lm-eval's own templating takes no tools)."""
    reference = spec.reference_response

    def prompt(item: Item) -> str:
        text = spec.render(item, num_fewshot)
        if template_tokenizer is not None and spec.tools is not None:
            return with_template_tools(template_tokenizer, text, spec.tools(item))
        return text

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


def _config(
    spec: TaskSpec,
    items: Sequence[Item],
    num_fewshot: int,
    max_gen_toks: int | None,
    template_tokenizer: Any = None,
) -> dict[str, Any]:
    docs = _docs(spec, items, num_fewshot, template_tokenizer)
    return {
        "task": spec.name,
        "custom_dataset": lambda **_: {"test": datasets.Dataset.from_list(docs)},
        "test_split": "test",
        "output_type": "generate_until",
        "doc_to_text": lambda doc: doc["prompt"],
        "doc_to_target": lambda doc: doc["gold"],
        "target_delimiter": "",
        "num_fewshot": 0,  # few-shot exemplars are part of the rendered prompt
        "generation_kwargs": {
            "until": list(spec.until),
            "max_gen_toks": max_gen_toks or spec.max_gen_toks,
            "do_sample": False,
            "temperature": 0.0,
        },
        # xbench scores each response once, in the runner, where a failing scorer becomes
        # that sample's error. lm-eval wants one metric per task: "a response came back".
        "process_results": lambda doc, results: {METRIC: 1.0},
        "metric_list": [{"metric": METRIC, "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": spec.version},
    }


def generate(
    lm: LM,
    spec: TaskSpec,
    items: Sequence[Item],
    *,
    num_fewshot: int = 0,
    max_gen_toks: int | None = None,
    apply_chat_template: bool = False,
    cache: str | None = None,
) -> list[Generation]:
    """Run one task variant through lm-eval and return its responses.

    `cache` turns on lm-eval's response cache (a sqlite file per model): rerunning the same
    model and requests after a crash reads the answers back instead of generating them."""
    # lm-eval's `evaluate` is `simple_evaluate` minus model construction and the environment
    # report (pip list, nvidia-smi, git: seconds per call), which xbench records once per run
    # instead of once per task-language unit.
    tools_via = None
    template_tokenizer = None
    if spec.tools is not None:
        tokenizer = getattr(lm, "tokenizer", None)
        if apply_chat_template and template_takes_tools(tokenizer):
            tools_via, template_tokenizer = "chat_template", tokenizer
            apply_chat_template = False  # the prompts arrive templated, tools included
        else:
            tools_via = "prompt"
    templated = apply_chat_template or template_tokenizer is not None
    if cache is not None:
        lm = CachingLM(lm, cache)
    results = evaluate(
        lm=lm,
        task_dict=TaskManager(include_defaults=False).load(
            [_config(spec, items, num_fewshot, max_gen_toks, template_tokenizer)]
        ),
        apply_chat_template=apply_chat_template,
        fewshot_as_multiturn=False,  # few-shot exemplars are rendered into one prompt
        bootstrap_iters=0,  # xbench computes its own CIs from the stored samples
        log_samples=True,
        verbosity="ERROR",
    )
    assert results is not None
    inner = lm.lm if isinstance(lm, CachingLM) else lm
    sample_errors: dict[tuple[str, str], str] = getattr(inner, "sample_errors", {})
    generations = []
    for sample in results["samples"][spec.name]:
        doc = sample["doc"]
        error = sample_errors.pop((spec.name, doc["item_key"]), None)
        generations.append(
            Generation(
                item_key=doc["item_key"],
                prompt=sample["arguments"][0][0] if templated else doc["prompt"],
                response=None if error else sample["resps"][0][0],
                error=error,
                tools_via=tools_via,
            )
        )
    return generations
