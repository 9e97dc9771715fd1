"""`xbench` command line. It only parses flags and calls the same functions Python users call."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import XbenchError


class _Parser(argparse.ArgumentParser):
    """A subcommand's parser: defaults shown in its help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)


def _split(value: str) -> list[str]:
    return [v for v in (x.strip() for x in value.split(",")) if v]


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port (1-65535)")
    return int(value)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="DuckDB file (default: $XBENCH_DB or the user data dir)")


class _Help(argparse.HelpFormatter):
    """Every option's help ends with its default, where it has one worth saying (not None,
    False or an empty list) and the text does not say it already."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text or default is None or default is False or default == []
            or default == argparse.SUPPRESS or not action.option_strings
        ):  # fmt: skip
            return text
        shown = ",".join(default) if isinstance(default, list) else default
        return f"{text} (default: {str(shown).replace('%', '%%')})"


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="xbench",
        description="Multilingual LLM evaluation: per-language scores, stored in DuckDB.",
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version", version=f"xbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("run", help="run benchmarks and store runs, scores and samples")
    p.add_argument(
        "--model",
        default="smollm2-135m",
        help="smollm2-135m (default) | gemma3-270m | hf:<id or path>[,revision=..] | "
        "vllm:<id or path>[,tensor_parallel_size=N,..] | sglang:<..> | "
        "local:<base_url>,model=NAME | local-chat:<base_url>,model=NAME | "
        "openai-chat:<model> | anthropic-chat:<model> | lm-eval:<type>,<args> | "
        "fake[:accuracy=..] | predictions:<file.jsonl> (README: model table)",
    )
    p.add_argument(
        "--model-name", help="the name results are shown under (default: short name from --model)"
    )
    p.add_argument("--system-prompt", help="system message sent before every prompt")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    p.add_argument("--top-p", type=float, help="nucleus sampling (only with --temperature > 0)")
    p.add_argument("--seed", type=int, default=1234, help="generation seed sent to the engine")
    p.add_argument("--shard", help="I/N: run only the I-th of N slices of the units (0-based)")  # fmt: skip
    p.add_argument("--tasks", type=_split, default=["mgsm"],
                   help="comma-separated benchmarks, tasks or variants (see `xbench tasks`)")  # fmt: skip
    p.add_argument("--languages", type=_split, help="comma-separated languages (de or deu_Latn)")
    p.add_argument("--limit", type=int, help="first N items of each task-language unit")
    p.add_argument("--num-fewshot", type=int, default=0, help="few-shot exemplars in the prompt")
    p.add_argument("--batch-size", default="1", help="generation batch size (or 'auto')")
    p.add_argument("--max-gen-toks", type=int, help="override the task's generation length")
    p.add_argument("--apply-chat-template", action="store_true",
                   help="wrap prompts in the model's chat template")  # fmt: skip
    p.add_argument("--data-dir", help="local data copies (default: $XBENCH_DATA_DIR, else the hub)")
    p.add_argument("--plugin-path", action="append", default=[], help="folder of task plugins")
    p.add_argument("--task-arg", action="append", default=[], metavar="PLUGIN.OPTION=VALUE",
                   help="a plugin option, e.g. mt.pairs=deu_Latn-fra_Latn (repeatable)")  # fmt: skip
    p.add_argument(
        "--bootstrap-resamples", type=int, default=1000, help="resamples for the 95%% CIs (seeded)"
    )
    p.add_argument("--romanized", action="store_true",
                   help="also run each non-Latin-script variant with its input romanized (uroman): "
                        "the script barrier")  # fmt: skip
    p.add_argument("--workers", default="auto", metavar="N",
                   help="processes that score large units: a number, or auto = every core up "
                        "to 8 (default: auto; the numbers are the same either way)")  # fmt: skip
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--quiet", action="store_true", help="no progress display")
    shown.add_argument("--verbose", action="store_true",
                       help="a line per unit, and the libraries' own progress bars")  # fmt: skip
    _common(p)

    p = sub.add_parser("merge", help="combine shard stores into one store (idempotent)")
    p.add_argument("stores", nargs="+", type=Path, help="the stores written by the shards")
    p.add_argument("--into", required=True, type=Path, help="the store to merge into")

    p = sub.add_parser("models", help="list the model kinds (built-in and plugins)")
    p.add_argument("--plugin-path", action="append", default=[], help="folder of plugins")

    p = sub.add_parser("tasks", help="list the tasks: languages, description, offline data")
    p.add_argument("pattern", nargs="?",
                   help="only tasks whose name contains this (or matches it, with * and ?)")  # fmt: skip
    p.add_argument("--benchmark", help="only this benchmark's tasks")
    p.add_argument("--language", help="only tasks with this language (de, deu_Latn, German)")
    p.add_argument("--variants", action="store_true",
                   help="one line per task variant (task x language x prompt language ...)")  # fmt: skip
    p.add_argument("--data-dir", help="local data copies to check (default: $XBENCH_DATA_DIR)")
    p.add_argument("--no-data-check", action="store_true",
                   help="do not load one variant per task to see whether its data are offline")  # fmt: skip
    p.add_argument("--plugin-path", action="append", default=[], help="folder of task plugins")
    p.add_argument("--task-arg", action="append", default=[], metavar="PLUGIN.OPTION=VALUE",
                   help="a plugin option, e.g. mt.pairs=deu_Latn-fra_Latn (repeatable)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--db", help="accepted like every command's; listing tasks reads no store")

    p = sub.add_parser("results", help="per-language scores of a run (default: the latest)")
    p.add_argument("run_id", nargs="?")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    _common(p)

    p = sub.add_parser("report", help="parity, transfer and language fidelity of a run")
    p.add_argument("run_id", nargs="*", metavar="RUN",
                   help="a run id or model name (default: the latest run); with --html or "
                        "--markdown, any number of model names or runs (default: every model)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument("--html", type=Path, metavar="FILE",
                   help="write a self-contained HTML report (tables, heatmaps, charts; no network)")  # fmt: skip
    p.add_argument("--markdown", type=Path, metavar="FILE", help="write the report as Markdown")
    p.add_argument("--price-in", type=float, metavar="PRICE",
                   help="price per million prompt tokens: adds cost per language and per correct answer")  # fmt: skip
    p.add_argument(
        "--price-out",
        type=float,
        metavar="PRICE",
        help="price per million completion tokens (same currency as --price-in)",
    )
    _common(p)

    p = sub.add_parser("compare", help="per-language deltas and paired tests between two runs")
    p.add_argument(
        "run_a", help="a run id (a unique prefix or the short id will do) or a model name"
    )
    p.add_argument("run_b", help="the same for the other side")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level")
    p.add_argument("--resamples", type=int, default=1000, help="paired bootstrap resamples")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    _common(p)

    p = sub.add_parser("leaderboard", help="serve the Streamlit leaderboard on loopback")
    p.add_argument("--port", type=_port, default=8501, help="TCP port, 1-65535 (default 8501)")
    _common(p)

    p = sub.add_parser("runs", help="list runs, newest first")
    p.add_argument("--model", help="only this model name")
    p.add_argument("--status", choices=("completed", "failed", "running"))
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    _common(p)

    p = sub.add_parser("rm", help="remove runs with their scores and samples")
    p.add_argument("run_ids", nargs="+", help="run ids (a unique prefix or the short id will do)")
    _common(p)

    p = sub.add_parser("migrate", help="upgrade a database written by an older xbench")
    _common(p)

    p = sub.add_parser(
        "export", help="samples, scores or Every Eval Ever records of runs, into a file"
    )
    p.add_argument("run_ids", nargs="*", metavar="RUN",
                   help="run ids or model names (default: the latest run)")  # fmt: skip
    p.add_argument("--scores", action="store_true",
                   help="one row per model x task variant x metric, not per sample")  # fmt: skip
    p.add_argument("--latest", action="store_true",
                   help="with --scores: the leaderboard's view, each model's latest result")  # fmt: skip
    p.add_argument("--format", choices=("jsonl", "csv", "parquet", "eee"), default="jsonl",
                   help="eee: Every Eval Ever 0.3.0 aggregate records (JSON), one per run")  # fmt: skip
    p.add_argument("--instances", action="store_true",
                   help="with --format eee: the instance-level records of every scored sample too")  # fmt: skip
    p.add_argument("--organization", default="xbench",
                   help="with --format eee: who ran the evaluation (source_organization_name)")  # fmt: skip
    p.add_argument("--out", required=True, type=Path,
                   help="the file to write (with --format eee and several runs: a folder)")  # fmt: skip
    _common(p)

    p = sub.add_parser(
        "tokenizers", help="tokenizer tax: tokens per language on parallel text (no generation)"
    )
    p.add_argument("--model", required=True, help="a model spec, as for `xbench run`")
    p.add_argument("--tokenizer", help="the tokenizer to use instead (hub id or folder)")
    _parallel_text_options(p, limit=None)
    p.add_argument("--json", action="store_true", help="print JSON: one object per language")
    _common(p)

    p = sub.add_parser(
        "routing", help="MoE routing divergence to English per layer, on parallel text"
    )
    p.add_argument("--model", required=True, help="an hf: mixture-of-experts model")
    p.add_argument("--batch-size", type=int, default=8, help="sentences per forward pass")
    p.add_argument("--device", help="torch device (default: cuda when available, else cpu)")
    _parallel_text_options(p, limit=200)
    p.add_argument(
        "--json", action="store_true", help="print JSON: one object per language and layer"
    )
    _common(p)

    p = sub.add_parser(
        "typology", help="transfer ratio regressed on URIEL distances to English (lang2vec)"
    )
    p.add_argument("--model", required=True, help="a model name, as the leaderboard shows it")
    p.add_argument(
        "--tasks", type=_split, default=[], help="tasks to fit (default: every fittable task)"
    )
    p.add_argument("--distances", type=_split, default=["syntactic", "genetic", "geographic"],
                   help="regressors: syntactic, phonological, inventory, featural, genetic, geographic")  # fmt: skip
    p.add_argument(
        "--predict",
        type=_split,
        default=[],
        help="languages not evaluated to predict the transfer ratio for (e.g. yo,am)",
    )
    p.add_argument("--no-store", action="store_true", help="print only; store nothing")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    _common(p)

    p = sub.add_parser("import", help="Every Eval Ever aggregate records into the store")
    p.add_argument("files", nargs="+", type=Path, help="EEE aggregate record files (JSON)")
    _common(p)
    return parser


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[("" if r.get(c) is None else str(r[c])) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def _score_table(scores: Sequence[dict[str, Any]]) -> str:
    from .metrics import show

    rows = [
        {
            "task": s["task"], "language": s["language"], "prompt_lang": s["prompt_language"],
            "metric": s["metric"], "better": _better(s), "n": s["n"], "errors": s["n_errors"],
            "score": show(s["value"], s.get("metric_scale")),
            "95% CI": None if s["ci_low"] is None else
            f"[{show(s['ci_low'], s.get('metric_scale'))}, {show(s['ci_high'], s.get('metric_scale'))}]",
            "strict": show(s.get("value_strict"), s.get("metric_scale")),
            "in_language": show(s.get("fidelity")) if s.get("primary_metric", True) else None,
        }
        for s in scores
    ]  # fmt: skip
    cols = ["task", "language", "prompt_lang", "metric", "better", "n", "errors", "score", "95% CI", "strict", "in_language"]  # fmt: skip
    return (
        _table(rows, cols)
        + f"\n({SCALE_NOTE}; score: over answered items; strict: errors count as wrong; in_language: % of judged responses in the expected language)"
    )


SCALE_NOTE = "0-1 metrics in percent points, 0-100 metrics (chrF++, BLEU, TER) as they are"


def _better(row: dict[str, Any]) -> str:
    return "lower" if row.get("higher_is_better") is False else "higher"


def _parallel_text_options(p: argparse.ArgumentParser, *, limit: int | None) -> None:
    """The options of the commands that measure a model on n-way parallel text."""
    p.add_argument("--languages", required=True, type=_split,
                   help="comma-separated languages (de, deu_Latn, German); English is added")  # fmt: skip
    p.add_argument("--corpus", default="ntrex128",
                   help="n-way parallel text: ntrex128, flores_plus_dev, flores_plus_devtest")  # fmt: skip
    p.add_argument("--limit", type=int, default=limit,
                   help="only the first N sentences of the corpus (default: all)" if limit is None
                   else "only the first N sentences of the corpus")  # fmt: skip
    p.add_argument("--model-name", help="the name to store and show (default: from --model)")
    p.add_argument("--data-dir", help="local data copies (default: $XBENCH_DATA_DIR)")
    p.add_argument("--no-store", action="store_true", help="print only; store nothing")


def _cmd_run(a: argparse.Namespace) -> int:
    from .runner import run

    batch: int | str = int(a.batch_size) if a.batch_size.strip().isdigit() else a.batch_size
    result = run(
        workers=_workers(a.workers),
        model=a.model, tasks=a.tasks, languages=a.languages, limit=a.limit,
        num_fewshot=a.num_fewshot, batch_size=batch, max_gen_toks=a.max_gen_toks,
        apply_chat_template=a.apply_chat_template, db=a.db, data_dir=a.data_dir,
        plugin_paths=a.plugin_path, task_args=a.task_arg,
        bootstrap_resamples=a.bootstrap_resamples, model_name=a.model_name, system_prompt=a.system_prompt, temperature=a.temperature,
        top_p=a.top_p, seed=a.seed, shard=a.shard, romanized=a.romanized,
        verbosity="quiet" if a.quiet else "verbose" if a.verbose else "normal",
    )  # fmt: skip
    print(f"run {result.run_id}{' (resumed)' if result.resumed else ''} -> {result.db}")
    print(_score_table(result.scores))
    summary = _gap_lines(result.scores)
    if summary:
        print("\nPer task, best to worst language (primary metric):")
        print("\n".join(summary))
    db = f" --db {a.db}" if a.db else ""
    print(
        f"\nLook further:\n  xbench report {result.run_id.rsplit('-', 1)[-1]}{db}"
        "        parity, transfer, language fidelity of this run\n"
        f"  xbench leaderboard{db}          every run in the browser (http://127.0.0.1:8501)"
    )
    return 0


def _workers(value: str) -> int:
    from .workers import auto_workers

    if value.strip() == "auto":
        return auto_workers()
    if not value.strip().isdigit():
        raise XbenchError(f"--workers must be a whole number or auto, not {value!r}")
    return int(value)


def _gap_lines(scores: Sequence[dict[str, Any]]) -> list[str]:
    """`ntrex128_chat_x-en chrF++: fr 24.5 · de 22.0 · sw 10.6 · ja 5.7 (gap 18.8)`: each
    task's primary metric over its languages, best first by the metric's direction."""
    from . import languages
    from .metrics import show

    by_task: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in scores:
        if s.get("primary_metric", True) and s["value"] is not None:
            by_task.setdefault((s["task"], s["metric"]), []).append(s)
    lines = []
    for (task, metric), rows in by_task.items():
        if len(rows) < 2:
            continue
        lower = rows[0].get("higher_is_better") is False
        rows.sort(key=lambda r: r["value"], reverse=not lower)
        scale = rows[0].get("metric_scale")
        shown = " · ".join(f"{languages.short(r['language'])} {show(r['value'], scale)}"
                           for r in rows)  # fmt: skip
        gap = show(abs(rows[0]["value"] - rows[-1]["value"]), scale)
        lines.append(f"  {task} {metric}: {shown} (gap {gap})")
    return lines


def _cmd_merge(a: argparse.Namespace) -> int:
    from .merge import merge

    result = merge(a.stores, into=a.into)
    print(
        f"merged into {a.into}: {result.units_added} unit(s) added, "
        f"{result.units_same} already there, {len(result.conflicts)} conflict(s)"
    )
    for conflict in result.conflicts:
        print(f"conflict: {conflict}", file=sys.stderr)
    return 1 if result.conflicts else 0


def _cmd_models(a: argparse.Namespace) -> int:
    from .plugins import load_registry

    registry = load_registry(a.plugin_path)
    rows = [
        {"kind": k.name, "usage": k.usage, "from": registry.model_origin[k.name].split(" ")[0],
         "what": k.description}
        for k in registry.models.values()
    ]  # fmt: skip
    print(_table(rows, ["kind", "usage", "from", "what"]))
    return 0


def _cmd_tasks(a: argparse.Namespace) -> int:
    from .catalog import summaries

    found = summaries(
        a.pattern, benchmark=a.benchmark, language=a.language, data_dir=a.data_dir,
        check_data=not (a.no_data_check or a.variants), plugin_paths=a.plugin_path,
        task_args=a.task_arg,
    )  # fmt: skip
    if a.variants:
        return _print_variants(a, {t.task for t in found})
    if a.json:
        print(json.dumps([t.as_dict() for t in found], indent=1, ensure_ascii=False))
        return 0
    rows = [
        {"task": t.task, "benchmark": t.benchmark,
         "languages": _languages_cell(t.languages),
         "offline": _offline_cell(t),
         "description": t.description}
        for t in found
    ]  # fmt: skip
    print(_table(rows, ["task", "benchmark", "languages", "offline", "description"]))
    missing = sum(t.offline is False for t in found)  # at least one variant needs a download
    print(
        f"({len(found)} tasks, {sum(t.variants for t in found)} variants: `--variants` lists "
        "each; offline = its data load with no network, from --data-dir or the cache"
        + (f"; {missing} not offline: `--json` says why, the data cards say how" if missing else "")
        + ")"
    )
    return 0


def _offline_cell(task: Any) -> str:
    if task.offline_variants is None:
        return "?"
    if task.offline:
        return "yes"
    return f"{task.offline_variants}/{task.variants}" if task.offline_variants else "no"


def _languages_cell(codes: Sequence[str], width: int = 48) -> str:
    """`11: bn de en es fr ja ru sw te th zh`, cut with `+N` past `width` characters."""
    from . import languages

    short = [languages.short(c) for c in codes]
    cell = f"{len(codes)}: "
    for i, code in enumerate(short):
        rest = f" +{len(short) - i}"
        if len(cell) + len(code) + len(rest) > width:
            return cell.rstrip() + rest
        cell += code + " "
    return cell.rstrip()


def _print_variants(a: argparse.Namespace, task_names: set[str]) -> int:
    from dataclasses import asdict

    from .api import tasks

    rows = [
        {k: v for k, v in asdict(t).items() if k != "task"}
        for t in tasks(plugin_paths=a.plugin_path, task_args=a.task_arg)
        if t.task in task_names
    ]
    print(
        json.dumps(rows, indent=1)
        if a.json
        else _table(rows, list(rows[0]) if rows else ["variant"])
    )
    return 0


def _open_store(a: argparse.Namespace) -> Any:
    from . import settings
    from .store import Store

    return Store(settings.db_path(a.db), read_only=True)


def _cmd_results(a: argparse.Namespace) -> int:
    store = _open_store(a)
    run_id = store.resolve_run_id(a.run_id)
    run, scores = store.run(run_id), store.scores(run_id)
    if a.json:
        print(json.dumps({"run": run, "scores": scores}, indent=1, default=str, ensure_ascii=False))
        return 0
    print(f"run {run_id}  model {run['model']}  status {run['status']}"
          + (f"  error: {run['error']}" if run["error"] else ""))  # fmt: skip
    print(_score_table(scores) if scores else "(no task-language unit finished yet)")
    return 0


def _fmt(value: Any, digits: int = 3) -> Any:
    return round(value, digits) if isinstance(value, float) else value


def _section(title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str], empty: str) -> str:
    body = _table([{c: _fmt(r[c]) for c in columns} for r in rows], columns) if rows else empty
    return f"\n## {title}\n{body}"


PARITY_VALUES = ("mean", "worst", "best", "gap", "gap_to_english", "transfer_gap", "pm")


def _shown(row: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """The row with its metric values in the one display rule (ratios stay as they are)."""
    from .metrics import show

    return {**row, **{c: show(row.get(c), row.get("metric_scale")) for c in columns}}


def _cmd_report(a: argparse.Namespace) -> int:
    from .report import effect_means, report

    if a.html or a.markdown:
        return _shared_report(a)
    if len(a.run_id) > 1:
        raise XbenchError(
            "the text report is of one run; for several models use --html or --markdown"
        )
    rep = report(a.run_id[0] if a.run_id else None, db=a.db, price_in=a.price_in,
                 price_out=a.price_out)  # fmt: skip
    if a.json:
        print(json.dumps(rep.as_dict(), indent=1, default=str, ensure_ascii=False))
        return 0
    run = rep["run"]
    print(f"run {run['run_id']}  model {run['model']}  status {run['status']}")
    print(_section(
        f"Parity (over languages, per metric; {SCALE_NOTE}; worst and best follow the metric's "
        "direction, gaps are positive where languages do worse than English)",
        [_shown(r, PARITY_VALUES) | {"better": _better(r)} for r in rep["parity"]],
        ["task", "metric", "better", "n", "n_missing", "mean", "worst_language", "worst",
         "best_language", "best", "gap", "min_max_ratio", "cv", "gini", "gap_to_english",
         "transfer_gap", "pm"],
        "(no scores)",
    ))  # fmt: skip
    consistency = {(r["task"], r["language"]): r for r in rep["consistency"]}
    transfer = [
        {**r, **{k: consistency.get((r["task"], r["language"]), {}).get(k)
                 for k in ("n_aligned", "consistency", "agreement")}}
        for r in rep["transfer"]
    ]  # fmt: skip
    print(_section(
        "Transfer (relative = S_l / S_en; consistency = correct in both / in either, on aligned items)",
        [_shown(r, ("value", "english")) for r in transfer],
        ["task", "metric", "language", "value", "english", "relative", "n_aligned", "consistency",
         "agreement"],
        "(needs an English unit of the same task in this run)",
    ))  # fmt: skip
    print(_section(
        "Prompt-language effect (native instructions minus other instructions)",
        rep["prompt_language_effect"],
        ["family", "language", "other_prompt_language", "native", "other", "delta"],
        "(needs variants that differ only in prompt language, e.g. mgsm_native_cot + mgsm_en_cot)",
    ))  # fmt: skip
    for view, title in (
        ("mother_tongue_effect", "Mother-tongue effect (local in l minus translated to English)"),
        ("locality_effect", "Locality effect (local in l minus English-sourced in l)"),
        ("direction_asymmetry", "Direction asymmetry (en->X minus X->en)"),
    ):
        if rep[view]:
            cols = [c for c in rep[view][0] if c not in ("run_id", "model", "benchmark", "metric")]
            print(_section(title, rep[view], cols, ""))
            for group, mean in effect_means(rep[view]).items():
                print(
                    f"mean over non-English languages {'/'.join(filter(None, group))}: {mean:.3f}"
                    " (in the metric's own units)"
                )
    print(_section(
        "Language fidelity (share of judged responses in the expected language; line pass rate)",
        rep["fidelity"], ["task", "language", "n", "n_judged", "fidelity", "line_pass_rate"],
        "(no responses)",
    ))  # fmt: skip
    priced = a.price_in is not None or a.price_out is not None
    print(_section(
        "Tokens per language (sums over the samples counted; source: the engine's usage field, "
        "else the model's tokenizer" + ("; cost at the prices given, per million tokens)"
                                        if priced else "; --price-in/--price-out add cost)"),
        [{**r, **{k: f"{r[k]:.4g}" for k in ("cost", "cost_per_correct")
                   if r.get(k) is not None}} for r in rep["token_usage"]],
        ["task", "language", "n", "n_counted", "prompt_tokens", "completion_tokens",
         "mean_prompt_tokens", "mean_completion_tokens", "n_correct", "token_source",
         *(["cost", "cost_per_correct"] if priced else [])],
        "(no samples)",
    ))  # fmt: skip
    print(_section(
        "Tokenizer tax (tokens / English tokens for the same sentences; `xbench tokenizers`)",
        rep["tokenizer"],
        ["tokenizer", "corpus", "language", "segments", "tokens", "premium", "fertility",
         "fertility_unit", "bytes_per_token"],
        f"(not measured: xbench tokenizers --model {run['model_spec'] or run['model']} "
        "--languages ...)",
    ))  # fmt: skip
    print(_section(
        "MoE routing divergence to English (Jensen-Shannon, bits, per routed layer; `xbench routing`)",
        rep["routing"], ["corpus", "language", "layer", "divergence", "segments", "experts"],
        "(not measured: xbench routing --model hf:<a mixture-of-experts model> --languages ...)",
    ))  # fmt: skip
    from .metrics import show

    print(_section(
        "Script barrier (native-script input minus romanized input, uroman; paired 95% CI on "
        "the items answered in both; prompt tokens per item of both)",
        [_shown(r, ("native_script", "romanized", "delta")) | {
            "ci": "" if r["ci_low"] is None else
            f"[{show(r['ci_low'], r['metric_scale'], signed=True)}, "
            f"{show(r['ci_high'], r['metric_scale'], signed=True)}]"}
         for r in rep["script_barrier"]],
        ["task", "language", "metric", "native_script", "romanized", "delta", "n_paired", "ci",
         "native_script_prompt_tokens", "romanized_prompt_tokens"],
        "(needs a run with --romanized on non-Latin-script languages)",
    ))  # fmt: skip
    print(_section(
        "Transfer predicted from typology (ratio = b0 + Σ b_k · URIEL distance_k; `xbench typology`)",
        [{**f, "coefficients": ", ".join(f"{k} {v:+.3f}" for k, v in f["coefficients"].items())}
         for f in rep["typology"]],
        ["task", "metric", "distances", "n_languages", "intercept", "coefficients", "r2",
         "loo_mae", "loo_r2"],
        f"(not fitted: xbench typology --model {run['model']})",
    ))  # fmt: skip
    predicted = [r for r in rep["typology_languages"] if r["predicted"]]
    if predicted:
        print(_section(
            "Predicted transfer ratios (languages not evaluated: predictions, not scores)",
            predicted, ["task", "distances", "language", "fitted"], "",
        ))  # fmt: skip
    if rep["routing"]:
        print(_section(
            "Routing divergence vs score (Spearman's rho over languages, per layer)",
            rep["routing_correlation"],
            ["task", "metric", "corpus", "layer", "n_languages", "rho", "p_value"],
            "(needs three or more languages scored in this run and measured by xbench routing)",
        ))  # fmt: skip
    return 0


def _shared_report(a: argparse.Namespace) -> int:
    from . import share
    from .store import write_atomic

    store = _open_store(a)
    models = []
    for target in a.run_id:  # a model name as it is; a run id means its model
        try:
            models.append(store.run(store.resolve_run_id(target))["model"])
        except XbenchError:
            models.append(target)
    for path, render in ((a.html, share.render_html), (a.markdown, share.render_markdown)):
        if path is not None:
            text = render(store, list(dict.fromkeys(models)) or None, (a.price_in, a.price_out))
            write_atomic(path, text.encode("utf-8"))
            print(f"wrote {path} ({len(text.encode()) // 1024 + 1} KB)")
    return 0


def _cmd_compare(a: argparse.Namespace) -> int:
    from .compare import compare

    result = compare(a.run_a, a.run_b, db=a.db, alpha=a.alpha, resamples=a.resamples)
    if a.json:
        print(json.dumps(result.as_dict(), indent=1))
        return 0
    from .metrics import show

    print(f"A = {result['run_a']}   B = {result['run_b']}   (delta = B - A; {SCALE_NOTE})")
    cols = ["task", "language", "better", "n", "score_a", "score_b", "delta", "p_bootstrap",
            "test", "p_test", "winner"]  # fmt: skip
    rows = [
        {**{c: _fmt(u.get(c)) for c in cols}, "better": _better(u),
         "score_a": show(u["score_a"], u.get("metric_scale")),
         "score_b": show(u["score_b"], u.get("metric_scale")),
         "delta": show(u["delta"], u.get("metric_scale"), signed=True)}
        for u in result["units"]
    ]  # fmt: skip
    print(_table(rows, cols))
    print(
        f"significant wins (p_test < {result['alpha']}): A {result['wins_a']}, B {result['wins_b']}"
    )
    return 0


def _cmd_leaderboard(a: argparse.Namespace) -> int:
    import subprocess
    from importlib.resources import files

    from . import settings

    app = files("xbench_leaderboard") / "app.py"
    db = settings.db_path(a.db)
    print(f"xbench leaderboard on http://127.0.0.1:{a.port} (store {db}; Ctrl-C stops it)")
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", "127.0.0.1", "--server.port", str(a.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        "--", "--db", str(db),
    ]  # fmt: skip
    sys.stdout.flush()
    if os.name == "posix":
        # Streamlit takes over this process, so a SIGTERM to `xbench leaderboard` stops the
        # server itself instead of leaving it orphaned behind an exited parent.
        os.execv(sys.executable, command)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def _cmd_runs(a: argparse.Namespace) -> int:
    runs = _open_store(a).runs(model=a.model, status=a.status, limit=a.limit)
    if a.json:
        print(json.dumps(runs, indent=1, default=str, ensure_ascii=False))
        return 0
    rows = [
        {**r, "benchmarks": ",".join(r["benchmarks"] or []),
         "started": str(r["started_at"])[:19], "error": (r["error"] or "")[:60]}
        for r in runs
    ]  # fmt: skip
    cols = ["short_id", "model", "benchmarks", "languages", "units", "status", "started", "error"]
    print(_table(rows, cols) if rows else "(no runs)")
    return 0


def _cmd_rm(a: argparse.Namespace) -> int:
    from . import settings
    from .store import Store

    store = Store(settings.db_path(a.db))
    ids = [store.resolve_run_id(r) for r in a.run_ids]  # every id checked before any removal
    for run_id in ids:
        counts = store.remove_run(run_id)
        print(f"removed run {run_id}: {counts['scores']} scores, {counts['samples']} samples")
    return 0


def _cmd_migrate(a: argparse.Namespace) -> int:
    from . import settings
    from .store import Store

    store = Store(settings.db_path(a.db))  # opening for writing applies pending migrations
    print(f"{store.path}: schema version {store.migrations()[-1][0]}")
    return 0


def _cmd_export(a: argparse.Namespace) -> int:
    from . import settings
    from .store import Store

    if a.latest and (a.run_ids or not a.scores):
        raise XbenchError(
            "--latest goes with --scores and no runs: it exports the leaderboard's view"
        )
    if a.instances and a.format != "eee":
        raise XbenchError("--instances goes with --format eee")
    store = Store(settings.db_path(a.db), read_only=True)
    if a.latest:
        count = store.export_scores(None, a.format, a.out)
        print(f"wrote {count} scores (each model's latest result) to {a.out}")
        return 0
    ids = [store.resolve_run_id(r, model_names=True) for r in a.run_ids or [None]]
    if a.format == "eee":
        return _export_eee(a, store, ids)
    if a.scores:
        count = store.export_scores(ids, a.format, a.out)
        print(f"wrote {count} scores of {len(ids)} run(s) to {a.out}")
        return 0
    if len(ids) > 1:
        raise XbenchError("samples are exported one run at a time; pass one run, or --scores")
    count = store.export(ids[0], a.format, a.out)
    print(f"wrote {count} samples of run {ids[0]} to {a.out}")
    return 0


def _export_eee(a: argparse.Namespace, store: Any, ids: list[str]) -> int:
    from . import eee

    if a.scores:
        raise XbenchError("--format eee writes whole records; leave out --scores")
    if len(ids) > 1 and a.out.exists() and not a.out.is_dir():
        raise XbenchError(f"{len(ids)} runs make {len(ids)} records: --out must be a folder")
    for run_id in ids:
        out = a.out / f"{run_id}.json" if len(ids) > 1 or a.out.is_dir() else a.out
        results, rows = eee.export_run(
            store, run_id, out, instances=a.instances, organization=a.organization
        )
        extra = f" and {rows} instance records" if a.instances else ""
        print(
            f"wrote run {run_id} as an Every Eval Ever record ({results} results{extra}) to {out}"
        )
    return 0


def _cmd_tokenizers(a: argparse.Namespace) -> int:
    from . import languages
    from .analyses import tokenizers

    name, source, rows = tokenizers.run(
        a.model, a.languages, tokenizer=a.tokenizer, corpus=a.corpus, data_dir=a.data_dir,
        limit=a.limit, db=a.db, model_name=a.model_name, store=not a.no_store,
    )  # fmt: skip
    if a.json:
        print(json.dumps([{"model": name, "tokenizer": source, "corpus": a.corpus, **r.as_dict()}
                          for r in rows], indent=1, ensure_ascii=False))  # fmt: skip
        return 0
    print(f"{name}: tokenizer {source} on {a.corpus} ({rows[0].segments} segments per language)")
    table = [
        {"language": r.language, "name": languages.name(r.language), "tokens": r.tokens,
         "premium": f"{r.premium:.2f}" if r.premium is not None else None,
         "fertility": f"{r.fertility:.2f} / {r.fertility_unit}",
         "bytes/token": f"{r.bytes_per_token:.2f}"}
        for r in sorted(rows, key=lambda r: -(r.premium or 0))
    ]  # fmt: skip
    print(_table(table, ["language", "name", "tokens", "premium", "fertility", "bytes/token"]))
    print("(premium: tokens / English tokens for the same sentences, Petrov et al. 2023)")
    return 0


def _cmd_routing(a: argparse.Namespace) -> int:
    from dataclasses import asdict

    from . import languages
    from .analyses import routing

    name, rows = routing.run(
        a.model, a.languages, corpus=a.corpus, data_dir=a.data_dir, limit=a.limit,
        batch_size=a.batch_size, device=a.device, db=a.db, model_name=a.model_name,
        store=not a.no_store,
    )  # fmt: skip
    if a.json:
        print(json.dumps([{"model": name, **asdict(r)} for r in rows], indent=1))
        return 0
    layers = sorted({r.layer for r in rows})
    print(f"{name}: Jensen-Shannon divergence to English per routed layer ({a.corpus}, "
          f"{rows[0].segments} sentences, {rows[0].experts} experts; 0 = English's routing)")  # fmt: skip
    by = {(r.language, r.layer): r.divergence for r in rows}
    table = []
    for code in dict.fromkeys(r.language for r in rows):
        curve = [by[(code, layer)] for layer in layers]
        table.append({"language": languages.name(code), "mean": f"{sum(curve) / len(curve):.3f}",
                      **{f"L{layer}": f"{d:.3f}" for layer, d in zip(layers, curve, strict=True)}})  # fmt: skip
    print(_table(table, ["language", "mean", *(f"L{layer}" for layer in layers)]))
    return 0


def _cmd_typology(a: argparse.Namespace) -> int:
    from dataclasses import asdict

    from . import languages
    from .analyses import typology

    fits = typology.run(a.model, tasks=a.tasks, kinds=a.distances, predict=a.predict, db=a.db,
                        store=not a.no_store)  # fmt: skip
    if a.json:
        print(json.dumps([{"model": a.model, "task": t, "metric": m, **asdict(f)}
                          for t, m, f in fits], indent=1))  # fmt: skip
        return 0
    for task, metric, f in fits:
        slopes = ", ".join(f"{k} {v:+.3f}" for k, v in f.coefficients.items())
        r2 = "–" if f.r2 is None else f"{f.r2:.3f}"
        loo = "–" if f.loo_r2 is None else f"{f.loo_r2:.3f}"
        print(f"\n## {task} ({metric}): transfer ratio = {f.intercept:.3f} + {slopes}")
        print(f"{f.n_languages} languages; R² {r2}; leave-one-language-out MAE {f.loo_mae:.3f}, "
              f"R² {loo}")  # fmt: skip
        print(_table(
            [{"language": languages.name(r["language"]), "code": r["language"],
              "observed": "prediction" if r["predicted"] else f"{r['observed']:.3f}",
              "fitted": f"{r['fitted']:.3f}",
              "held out": "" if r["held_out"] is None else f"{r['held_out']:.3f}",
              **{k: f"{r['to_english'][k]:.3f}" for k in f.distances}} for r in f.languages],
            ["language", "code", "observed", "fitted", "held out", *f.distances],
        ))  # fmt: skip
    print(
        "\n(ratio = score / English score; distances: URIEL cosine distances to English, lang2vec)"
    )
    return 0


def _cmd_import(a: argparse.Namespace) -> int:
    from . import eee, settings
    from .store import Store

    for run_id, evaluation_id, count in eee.import_records(Store(settings.db_path(a.db)), a.files):
        said = f"{count} scores" if count else "already imported, nothing added"
        print(f"{evaluation_id} -> run {run_id} ({said})")
    return 0


COMMANDS = {
    "run": _cmd_run,
    "merge": _cmd_merge,
    "runs": _cmd_runs,
    "rm": _cmd_rm,
    "models": _cmd_models,
    "tasks": _cmd_tasks,
    "results": _cmd_results,
    "report": _cmd_report,
    "compare": _cmd_compare,
    "export": _cmd_export,
    "import": _cmd_import,
    "migrate": _cmd_migrate,
    "tokenizers": _cmd_tokenizers,
    "routing": _cmd_routing,
    "typology": _cmd_typology,
    "leaderboard": _cmd_leaderboard,
}


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # the runner marks the run failed ("interrupted") and keeps its units


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # inside the try: a closed pipe surfaces here, not at exit
        return code
    except XbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `xbench results --json | head`: the reader went away; say nothing more. Point stdout
        # at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # noqa: BLE001 - a user never sees a traceback
        if os.environ.get("XBENCH_DEBUG"):
            raise
        print(f"error: {_unexpected(exc, args)}", file=sys.stderr)
        return 1


def _unexpected(exc: BaseException, args: argparse.Namespace) -> str:
    from .errors import cause

    if type(exc).__module__.startswith(("duckdb", "_duckdb")):
        from . import settings

        db = settings.db_path(getattr(args, "db", None))
        return (
            f"the database {db} could not be read ({cause(exc)}); it may be damaged: restore it "
            "from a backup, or move it aside to start a new store"
        )
    return (
        f"{cause(exc)} (an xbench bug: please report it with the command you ran; "
        "XBENCH_DEBUG=1 shows the traceback)"
    )
