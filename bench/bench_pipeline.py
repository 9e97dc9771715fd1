"""xbench's own pipeline, with an instant model: is the harness ever the bottleneck?

    python bench/bench_pipeline.py --data-dir ../shared/data                # both workloads
    python bench/bench_pipeline.py --data-dir ../shared/data --only mgsm

Workloads (the `fake` model answers instantly, so all time is xbench's and lm-eval's):
  mgsm   all of MGSM: 3 modes x 11 languages x 250 items = 8,250 samples
  ntrex  NTREX-128 en->X (chat prompts) into 20 languages x 1,997 segments = 39,940 samples,
         corpus chrF++ / BLEU / TER with 1,000-resample CIs included
Each runs in a fresh process with its libraries imported first (start-up excluded), and again
at half the items to show how peak memory grows. Prints samples/s, the per-stage split,
peak RSS, and the start-up of `xbench run` (a one-sample run, wall clock).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from xbench.workers import auto_workers  # noqa: E402

# 20 of the 38 NTREX-128 targets in the shared snapshot, across scripts and families.
NTREX_LANGUAGES = [
    "de", "fr", "es", "it", "pt", "ru", "zh-Hans", "ja", "ko", "ar", "hi", "bn", "sw", "tr",
    "vi", "th", "pl", "fi", "uk", "he",
]  # fmt: skip
WORKLOADS = {
    "mgsm": {"tasks": ["mgsm"], "languages": None, "limit": None},
    "ntrex": {"tasks": ["ntrex128_chat_en-x"], "languages": NTREX_LANGUAGES, "limit": None},
}

CHILD = r"""
import json, os, resource, sys, time
os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
import xbench, lm_eval.evaluator, sacrebleu  # start-up, excluded from the timing
from xbench import bridge  # noqa: F401
spec = json.loads(sys.argv[1])
started = time.perf_counter()
result = xbench.run(model="fake", progress=False, **spec)
seconds = time.perf_counter() - started
samples = sum(s["n"] for s in result.scores if s["primary_metric"])
print(json.dumps({"samples": samples, "seconds": seconds, "stages": getattr(result, "stages", {}),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def measure(workload: dict, data_dir: str, limit: int | None, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="xbench-bench-") as tmp:
        spec = {**workload, "limit": limit, "data_dir": data_dir, "db": f"{tmp}/x.duckdb",
                "workers": workers}  # fmt: skip
        env = {**os.environ, "XBENCH_CACHE_DIR": f"{tmp}/cache"}
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(spec)], capture_output=True, text=True,
            env=env, cwd=REPO, check=False,
        )  # fmt: skip
    if out.returncode != 0:
        sys.exit(f"the {workload['tasks']} run failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def startup(data_dir: str) -> float:
    with tempfile.TemporaryDirectory(prefix="xbench-bench-") as tmp:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "xbench", "run", "--model", "fake", "--tasks",
             "mgsm_direct.eng_Latn", "--limit", "1", "--data-dir", data_dir, "--db",
             f"{tmp}/x.duckdb", "--quiet"],
            capture_output=True, check=True, cwd=REPO,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"},
        )  # fmt: skip
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--only", choices=sorted(WORKLOADS))
    parser.add_argument("--workers", default=f"1,{auto_workers()}",
                        help="scoring processes to measure, comma-separated (default: 1 and "
                             "every core up to 8)")  # fmt: skip
    a = parser.parse_args()
    counts = [int(n) for n in a.workers.split(",")]
    data_dir = str(Path(a.data_dir).resolve())
    print(f"start-up of `xbench run` (1 sample, wall clock): {startup(data_dir):.2f} s")
    for name, workload in WORKLOADS.items():
        if a.only and name != a.only:
            continue
        half_limit = (workload["limit"] or (250 if name == "mgsm" else 1997)) // 2
        half = measure(workload, data_dir, half_limit, counts[0])
        for workers in counts:
            full = measure(workload, data_dir, workload["limit"], workers)
            rate = full["samples"] / full["seconds"]
            print(f"\n{name}, {workers} scoring process{'es' if workers > 1 else ''}: "
                  f"{full['samples']:,} samples in {full['seconds']:.2f} s = {rate:,.0f} samples/s")  # fmt: skip
            total = sum(full["stages"].values())
            for stage, seconds in sorted(full["stages"].items(), key=lambda kv: -kv[1]):
                print(f"  {stage:<40} {seconds:6.2f} s  {100 * seconds / full['seconds']:5.1f}%")
            other = full["seconds"] - total
            print(f"  {'other (runner, model set-up)':<40} {other:6.2f} s  "
                  f"{100 * other / full['seconds']:5.1f}%")  # fmt: skip
            workers_rss = f", workers {full['worker_rss_mb']:.0f} MB each" if workers > 1 else ""
            print(f"  peak RSS: {full['peak_rss_mb']:.0f} MB at {full['samples']:,} samples"
                  f"{workers_rss}")  # fmt: skip
            if workers == counts[0]:
                print(f"  peak RSS at {half['samples']:,} samples: {half['peak_rss_mb']:.0f} MB "
                      f"(x{full['peak_rss_mb'] / half['peak_rss_mb']:.2f} for "
                      f"x{full['samples'] / half['samples']:.2f} samples)")  # fmt: skip


if __name__ == "__main__":
    main()
