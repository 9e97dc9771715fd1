"""How long does each leaderboard page take to render on a large store?

Builds synthetic stores of M models x 60 languages x 5 benchmarks with bench_views.build (real
language codes, so family and script filters mean something), then renders each entry of PAGES
with Streamlit's AppTest, the page's render() on the server side, which is what a browser waits
for before it can draw. Cold: the 5 s query cache cleared first (a page opened after the cache
expired); warm: the same page rendered again within the cache's lifetime (a widget change).
Prints the median seconds of --reps renders per page and size.

    python bench/bench_leaderboard.py [--models 20,200] [--items 20] [--reps 3]

Pages append their entries to PAGES: (label, module in xbench_leaderboard.views, URL query).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import bench_views  # bench/ is on sys.path when this file runs as a script
import streamlit as st
from streamlit.testing.v1 import AppTest

from xbench import languages

TASK = {"benchmark": "bench0", "task": "bench0_task"}  # a benchmark and task of the store

PAGES: list[tuple[str, str, dict[str, str]]] = [
    ("overview", "overview", {}),
    ("overview (one family)", "overview", {"families": "Indo-European"}),
    ("languages", "languages", TASK),
    ("languages (relative to English)", "languages", {**TASK, "relative": "1"}),
    ("parity", "parity", {**TASK, "model": "model0000"}),
    ("transfer", "transfer", TASK),
    ("fidelity", "fidelity", TASK),
    ("compare", "compare", {"a": "model0000", "b": "model0001"}),
    ("samples", "samples", {"run": "run0001", "unit": "bench0_task.eng_Latn"}),
    ("samples (search)", "samples", {"run": "run0001", "unit": "bench0_task.eng_Latn", "q": "p"}),
    ("runs", "runs", {"run": "run0001"}),
]

# 60 real languages (English first): families and scripts from xbench.languages.
SCRIPTS = {
    "Cyrl": "rus ukr bul", "Arab": "arb ara fas pes urd", "Hebr": "heb", "Ethi": "amh",
    "Hans": "zho cmn yue", "Jpan": "jpn", "Kore": "kor", "Deva": "hin", "Beng": "ben",
    "Telu": "tel", "Taml": "tam", "Knda": "kan", "Mlym": "mal", "Thai": "tha", "Laoo": "lao",
    "Grek": "ell", "Geor": "kat", "Armn": "hye", "Khmr": "khm", "Mymr": "mya",
}  # fmt: skip
SCRIPT_OF = {code: tag for tag, codes in SCRIPTS.items() for code in codes.split()}
LANGUAGES = ["eng_Latn"] + [
    f"{code}_{SCRIPT_OF.get(code, 'Latn')}" for code in sorted(languages.FAMILIES) if code != "eng"
][:59]


def _page(module: str) -> None:  # AppTest runs this function's source as the app script
    import importlib

    importlib.import_module(f"xbench_leaderboard.views.{module}").render()


def render_seconds(module: str, query: dict[str, str], reps: int) -> tuple[float, float]:
    """Median seconds of a cold and of a warm render."""
    cold, warm = [], []
    for _ in range(reps):
        st.cache_data.clear()
        for times in (cold, warm):
            at = AppTest.from_function(_page, args=(module,), default_timeout=600)
            at.query_params.update(query)
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
            if at.exception:
                raise RuntimeError(f"{module} {query}: {at.exception[0].message}")
    return statistics.median(cold), statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="20,200")
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(m) for m in args.models.split(",")]
    bench_views.LANGUAGES = LANGUAGES  # build() reads the module's language list
    results: dict[str, dict[int, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for models in sizes:
            path = Path(tmp) / f"m{models}.duckdb"
            started = time.perf_counter()
            bench_views.build(path, models, args.items)
            print(f"{models} models: built in {time.perf_counter() - started:.1f} s", flush=True)
            os.environ["XBENCH_DB"] = str(path)
            for label, module, query in PAGES:
                results.setdefault(label, {})[models] = render_seconds(module, query, args.reps)
                print(f"  {label}: {results[label][models][0]:.2f} s", flush=True)
    print(
        f"\nseconds per page render (median of {args.reps}), {len(LANGUAGES)} languages x "
        f"{len(bench_views.BENCHMARKS)} benchmarks; cold = query cache cleared, warm = cached"
    )
    header = "".join(f"{f'cold {m}':>10s}" for m in sizes) + "".join(
        f"{f'warm {m}':>10s}" for m in sizes
    )
    print(f"{'page':34s}{header}")
    for label, row in results.items():
        cells = [row[m][0] for m in sizes] + [row[m][1] for m in sizes]
        print(f"{label:34s}" + "".join(f"{s:10.2f}" for s in cells))


if __name__ == "__main__":
    main()
