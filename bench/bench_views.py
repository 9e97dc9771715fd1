"""How fast are the store's metric views on a large synthetic store?

Builds synthetic stores of M models x 60 languages x 5 benchmarks (one run per model, one
task per benchmark, English included, ITEMS aligned samples per unit), for M in 20, 50, 100,
200, and times each view (median of 3 full reads) plus a one-benchmark read as a leaderboard
page would do it. Prints seconds per view and how it grows from 20 to 200 models.

    python bench/bench_views.py [--items 20] [--models 20,50,100,200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from xbench.store import Store

VIEWS = ["parity", "transfer", "consistency", "prompt_language_effect", "fidelity"]
LANGUAGES = ["eng_Latn"] + [f"l{i:02d}_Latn" for i in range(59)]
BENCHMARKS = [f"bench{i}" for i in range(5)]


def build(path: Path, models: int, items: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    Store(path)  # creates the schema (migrations)
    runs, scores, samples = [], [], []
    for m in range(models):
        run_id = f"run{m:04d}"
        runs.append((run_id, f"model{m:04d}", "{}", "h", "{}", "[]", "completed"))
        skill = rng.uniform(0.2, 0.9)
        for b in BENCHMARKS:
            for lang in LANGUAGES:
                p = skill if lang == "eng_Latn" else skill * rng.uniform(0.3, 1.0)
                item_scores = (rng.random(items) < p).astype(float)
                task_name = f"{b}_task.{lang}"
                scores.append((run_id, task_name, b, f"{b}_task", lang, lang, "original",
                               "1", "accuracy", float(item_scores.mean()), items, 0, True))  # fmt: skip
                samples.extend(
                    (run_id, task_name, b, f"{b}_task", lang, lang, "original", str(i), "p", "r",
                     str(int(s)), "1", float(s))
                    for i, s in enumerate(item_scores)
                )  # fmt: skip
    with duckdb.connect(str(path)) as con:
        con.executemany(
            "INSERT INTO runs (run_id, model, args, config_hash, versions, tasks, status, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, now())",
            runs,
        )
        con.execute("CREATE TEMP TABLE s (run_id VARCHAR, task_name VARCHAR, benchmark VARCHAR,"
                    " task VARCHAR, language VARCHAR, prompt_language VARCHAR, partition VARCHAR,"
                    " task_version VARCHAR, metric VARCHAR, value DOUBLE, n INTEGER,"
                    " n_errors INTEGER, comparable_answers BOOLEAN)")  # fmt: skip
        con.executemany("INSERT INTO s VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", scores)
        con.execute(
            "INSERT INTO units BY NAME SELECT * EXCLUDE (metric, value), now() AS created_at FROM s"
        )
        con.execute(
            "INSERT INTO scores BY NAME SELECT run_id, task_name, metric, value,"
            " true AS primary_metric, true AS higher_is_better, 1.0 AS metric_scale FROM s"
        )
        columns = ["run_id", "task_name", "benchmark", "task", "language", "prompt_language",
                   "partition", "item_key", "prompt", "response", "extracted", "gold", "score"]  # fmt: skip
        arrays = {c: [row[i] for row in samples] for i, c in enumerate(columns)}
        import pyarrow as pa

        con.register("new_samples", pa.table(arrays))
        con.execute("INSERT INTO samples BY NAME SELECT * FROM new_samples")


def timed(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        con.execute(sql, params or []).fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--models", default="20,50,100,200")
    args = parser.parse_args()
    sizes = [int(m) for m in args.models.split(",")]
    table: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for models in sizes:
            path = Path(tmp) / f"m{models}.duckdb"
            started = time.perf_counter()
            build(path, models, args.items)
            print(f"{models} models: built in {time.perf_counter() - started:.1f} s "
                  f"({models * 300} units, {models * 300 * args.items} samples)", flush=True)  # fmt: skip
            with duckdb.connect(str(path), read_only=True) as con:
                for view in VIEWS:
                    table.setdefault(f"{view} (all)", {})[models] = timed(
                        con, f"SELECT * FROM {view}"
                    )
                for view in ("parity", "transfer"):
                    table.setdefault(f"{view} (one benchmark)", {})[models] = timed(
                        con, f"SELECT * FROM {view} WHERE benchmark = ?", ["bench0"]
                    )
    print(f"\nseconds per view (median of 3), 60 languages x 5 benchmarks, {args.items} items/unit")
    print(
        f"{'view':32s}" + "".join(f"{m:>9d}" for m in sizes) + f"   {sizes[-1]}/{sizes[0]} growth"
    )
    for view, row in table.items():
        growth = row[sizes[-1]] / row[sizes[0]]
        print(f"{view:32s}" + "".join(f"{row[m]:9.3f}" for m in sizes) + f"   x{growth:.1f}")


if __name__ == "__main__":
    main()
