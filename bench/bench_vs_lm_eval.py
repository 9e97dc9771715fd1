"""xbench vs plain lm-eval on the same MGSM prompts and the same model.

Each measurement is a fresh subprocess (model load included), alternating the two sides so
drift hits both equally. Plain lm-eval gets the exact prompts xbench renders, as inline task
configs in ONE simple_evaluate call; xbench runs `xbench.run(...)` with a fresh store and a
fresh response cache (so nothing is answered from an earlier repetition).

    python bench/bench_vs_lm_eval.py --data-dir ../shared/data [--languages en,de] [--limit 4]
        [--max-gen-toks 64] [--reps 3] [--model smollm2-135m]

Prints the median wall time and peak RSS of each side and the ratios xbench / lm-eval
(target: wall-time ratio <= 1.05).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASK = "mgsm_native_cot"


def _specs_and_items(args: argparse.Namespace):
    from xbench.plugins import load_registry
    from xbench.spec import LoadContext

    specs = load_registry().select([TASK], args.languages.split(","))
    ctx = LoadContext(Path(args.data_dir))
    return [(spec, list(spec.load(ctx))[: args.limit]) for spec in specs]


def side_lm_eval(args: argparse.Namespace) -> None:
    """Plain lm-eval: HF backend on the same converted weights, same prompts, one call."""
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    import datasets
    import lm_eval
    from lm_eval.tasks import TaskManager

    from xbench.models import GGUF_MODELS

    configs = []
    for spec, items in _specs_and_items(args):
        docs = [{"prompt": spec.render(item, 0), "gold": item.gold} for item in items]
        configs.append(
            {
                "task": spec.name,
                "custom_dataset": lambda docs=docs, **_: {"test": datasets.Dataset.from_list(docs)},
                "test_split": "test",
                "output_type": "generate_until",
                "doc_to_text": lambda doc: doc["prompt"],
                "doc_to_target": lambda doc: doc["gold"],
                "generation_kwargs": {
                    "until": list(spec.until),
                    "max_gen_toks": args.max_gen_toks,
                    "do_sample": False,
                    "temperature": 0.0,
                },
                "metric_list": [
                    {"metric": "exact_match", "aggregation": "mean", "higher_is_better": True}
                ],
            }
        )
    path = GGUF_MODELS[args.model].converted()
    lm_eval.simple_evaluate(
        model="hf",
        model_args={"pretrained": str(path), "device": "cpu", "dtype": "float32"},
        tasks=configs,
        task_manager=TaskManager(include_defaults=False),
        apply_chat_template=True,
        bootstrap_iters=0,
        log_samples=True,
        batch_size=1,
    )


def side_xbench(args: argparse.Namespace) -> None:
    import xbench
    from xbench.models import GGUF_MODELS

    converted = GGUF_MODELS[args.model].converted()
    with tempfile.TemporaryDirectory() as tmp:
        # A fresh cache dir, so lm-eval's response cache starts empty, with the converted
        # weights linked in (converting is a one-time cost, not part of a run).
        (Path(tmp) / "models").mkdir()
        (Path(tmp) / "models" / converted.name).symlink_to(converted)
        os.environ["XBENCH_CACHE_DIR"] = tmp
        xbench.run(
            model=args.model, tasks=[TASK], languages=args.languages.split(","), limit=args.limit,
            max_gen_toks=args.max_gen_toks, apply_chat_template=True, data_dir=args.data_dir,
            db=Path(tmp) / "bench.duckdb", progress=False,
        )  # fmt: skip


def measure(side: str, argv: list[str]) -> tuple[float, float]:
    """Run one side in a fresh process; return (wall seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--side", side, *argv], capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"{side} failed:\n{out.stderr[-3000:]}")
    return wall, json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mib"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default=os.environ.get("XBENCH_DATA_DIR", "../shared/data"))
    parser.add_argument("--languages", default="en,de")
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--max-gen-toks", type=int, default=64)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--side", choices=("lm_eval", "xbench"))
    args = parser.parse_args()

    if args.side:
        {"lm_eval": side_lm_eval, "xbench": side_xbench}[args.side](args)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"peak_rss_mib": peak}))
        return

    argv = [f"--data-dir={args.data_dir}", f"--languages={args.languages}", f"--limit={args.limit}",
            f"--max-gen-toks={args.max_gen_toks}", f"--model={args.model}"]  # fmt: skip
    from xbench.models import GGUF_MODELS

    GGUF_MODELS[args.model].converted()  # convert once, outside the timings
    results: dict[str, list[tuple[float, float]]] = {"lm_eval": [], "xbench": []}
    for rep in range(args.reps):
        for side in ("lm_eval", "xbench") if rep % 2 == 0 else ("xbench", "lm_eval"):
            results[side].append(measure(side, argv))
            wall, rss = results[side][-1]
            print(
                f"rep {rep + 1} {side:8s} wall {wall:7.2f} s  peak RSS {rss:7.1f} MiB", flush=True
            )
    med = {
        side: (statistics.median(w for w, _ in r), statistics.median(m for _, m in r))
        for side, r in results.items()
    }
    print(f"\n{args.model}, {TASK}, languages {args.languages}, {args.limit} items each, "
          f"max_gen_toks {args.max_gen_toks}, {args.reps} reps (medians)")  # fmt: skip
    for side, (wall, rss) in med.items():
        print(f"  {side:8s} wall {wall:7.2f} s   peak RSS {rss:7.1f} MiB")
    print(f"  ratio xbench / lm-eval: wall {med['xbench'][0] / med['lm_eval'][0]:.3f} (target <= 1.05), "
          f"peak memory {med['xbench'][1] / med['lm_eval'][1]:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
