"""`xbench` command line. It only parses flags and calls the same functions Python users call."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import XbenchError


def _split(value: str) -> list[str]:
    return [v for v in (x.strip() for x in value.split(",")) if v]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="DuckDB file (default: $XBENCH_DB or the user data dir)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xbench",
        description="Multilingual LLM evaluation: per-language scores, stored in DuckDB.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run benchmarks and store runs, scores and samples")
    p.add_argument("--model", default="smollm2-135m",
                   help="smollm2-135m (default) | gemma3-270m | hf:<id or path>[,revision=..,dtype=..,"
                        "device=..,peft=..] | fake[:accuracy=..] | predictions:<file.jsonl>")  # fmt: skip
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
    _common(p)

    p = sub.add_parser("tasks", help="list every task variant")
    p.add_argument("--plugin-path", action="append", default=[], help="folder of task plugins")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--db", help="accepted like every command's; listing tasks reads no store")

    p = sub.add_parser("results", help="per-language scores of a run (default: the latest)")
    p.add_argument("run_id", nargs="?")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    _common(p)

    p = sub.add_parser("export", help="one row per scored sample")
    p.add_argument("run_id", nargs="?")
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    p.add_argument("--out", required=True, type=Path)
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
    def pct(x: float | None) -> str | None:
        return None if x is None else f"{100 * x:.1f}"

    rows = [
        {
            "task": s["task"], "language": s["language"], "prompt_lang": s["prompt_language"],
            "n": s["n"], "errors": s["n_errors"], "accuracy": pct(s["value"]),
            "95% CI": None if s["ci_low"] is None else f"[{pct(s['ci_low'])}, {pct(s['ci_high'])}]",
        }
        for s in scores
    ]  # fmt: skip
    cols = ["task", "language", "prompt_lang", "n", "errors", "accuracy", "95% CI"]
    return _table(rows, cols) + "\n(accuracy in %, over answered items; errors are not scored)"


def _cmd_run(a: argparse.Namespace) -> int:
    from .runner import run

    batch: int | str = int(a.batch_size) if a.batch_size.isdigit() else a.batch_size
    result = run(
        model=a.model, tasks=a.tasks, languages=a.languages, limit=a.limit,
        num_fewshot=a.num_fewshot, batch_size=batch, max_gen_toks=a.max_gen_toks,
        apply_chat_template=a.apply_chat_template, db=a.db, data_dir=a.data_dir,
        plugin_paths=a.plugin_path,
    )  # fmt: skip
    print(f"run {result.run_id}{' (resumed)' if result.resumed else ''} -> {result.db}")
    print(_score_table(result.scores))
    return 0


def _cmd_tasks(a: argparse.Namespace) -> int:
    from .plugins import load_registry

    specs = sorted(
        load_registry(a.plugin_path).specs.values(), key=lambda s: (s.benchmark, s.task, s.language)
    )
    rows = [
        {"variant": s.name, "benchmark": s.benchmark, "language": s.language,
         "prompt_language": s.prompt_language, "partition": s.partition, "version": s.version,
         "source": s.source}
        for s in specs
    ]  # fmt: skip
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


def _cmd_export(a: argparse.Namespace) -> int:
    store = _open_store(a)
    run_id = store.resolve_run_id(a.run_id)
    count = store.export(run_id, a.format, a.out)
    print(f"wrote {count} samples of run {run_id} to {a.out}")
    return 0


COMMANDS = {"run": _cmd_run, "tasks": _cmd_tasks, "results": _cmd_results, "export": _cmd_export}


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # the runner marks the run failed ("interrupted") and keeps its units


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        return COMMANDS[args.command](args)
    except XbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
