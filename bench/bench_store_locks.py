"""How long a writer waits for the store while reader processes open it in a tight loop.

    python bench/bench_store_locks.py [--readers 8] [--writes 10]

Fills a small store with the fake model (self-written plugin, no data needed), starts N reader
processes that open the store read-only and query it as fast as they can (as a leaderboard
under load, or scripts polling `xbench results`), then times W writer transactions (what a run
does per finished unit). Without a writer-first protocol the writer starves: a run failed after
63 s with 8 readers. Prints the median and maximum time per write.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PLUGIN = """
from xbench import Item, Scored, TaskSpec

def register_tasks(register):
    register(TaskSpec(
        benchmark="toy", task="toy", language="eng_Latn", prompt_language="eng_Latn",
        partition="original", version="1", source="inline",
        load=lambda ctx: [Item(str(i), f"Say {i}", str(i)) for i in range(20)],
        render=lambda item, k: item.question,
        score=lambda r, item: Scored(r.strip(), float(r.strip() == item.gold)),
        reference_response=lambda item: item.gold,
    ))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=10)
    args = parser.parse_args()

    import xbench
    from xbench.store import Store

    folder = Path(tempfile.mkdtemp(prefix="xbench-locks-"))
    (folder / "plugins").mkdir()
    (folder / "plugins" / "toy.py").write_text(PLUGIN, encoding="utf-8")
    db = folder / "x.duckdb"
    xbench.run(
        model="fake", tasks=["toy"], plugin_paths=[folder / "plugins"], db=db, progress=False
    )
    reader = textwrap.dedent(f"""
        import time
        from xbench.store import Store
        end = time.monotonic() + 120
        while time.monotonic() < end:
            with Store({str(db)!r}, read_only=True).connect() as con:
                con.execute("SELECT count(*) FROM samples").fetchall()
    """)
    readers = [subprocess.Popen([sys.executable, "-c", reader]) for _ in range(args.readers)]
    try:
        time.sleep(3)  # all readers looping
        seconds = []
        for _ in range(args.writes):
            started = time.monotonic()
            with Store(db).transaction() as con:
                con.execute("UPDATE runs SET error = NULL")
            seconds.append(time.monotonic() - started)
    finally:
        for proc in readers:
            proc.kill()
            proc.wait()
    print(
        f"{args.writes} writes among {args.readers} looping reader processes: "
        f"median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s per write"
    )


if __name__ == "__main__":
    main()
