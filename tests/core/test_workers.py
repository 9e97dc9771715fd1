"""Scoring in worker processes (xbench.workers): the same scores as in the run's process, a
scorer that cannot travel is scored at home, a scorer that exits stops the run with a plugin
error, and a script without a `__main__` guard is not run again by the workers. The store
snapshot test runs every built-in task family through 2 workers as well."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import xbench
from xbench import workers
from xbench.errors import XbenchError
from xbench.plugins import PluginError
from xbench.progress import Stages
from xbench.spec import Item, Scored

REPO = Path(__file__).resolve().parents[2]
ITEMS = [Item(str(i), f"question {i}", "Die Antwort ist " + "ja " * i) for i in range(40)]
PAIRS = [(item.gold if i % 3 else "I am not sure.", item) for i, item in enumerate(ITEMS)]


def length_score(response: str, item: Item) -> Scored:
    """A module-level scorer: importable in a worker."""
    return Scored(response, len(response) / 100, details={"words": len(response.split())})


def exiting_score(response: str, item: Item) -> Scored:
    raise SystemExit(3)


def _scorer(score) -> workers.SampleScorer:
    return workers.SampleScorer(score, "demo.deu_Latn", "demo", "deu_Latn")


@pytest.fixture
def pool(monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_MIN_SAMPLES", 10)
    pool = workers.ScoringPool(2)
    yield pool
    pool.close()


def test_workers_score_exactly_as_this_process(pool):
    at_home, _, _ = _scorer(length_score)(PAIRS)
    stages = Stages()
    assert pool.score(_scorer(length_score), PAIRS, stages) == at_home
    assert set(stages.seconds) == {"scoring and fidelity (2 processes)"}
    assert at_home[4][0].details["words"] == 7 and at_home[4][1].expected_language == "deu_Latn"
    few = Stages()  # below PARALLEL_MIN_SAMPLES: scored here
    assert pool.score(_scorer(length_score), PAIRS[:5], few) == at_home[:5]
    assert set(few.seconds) == {"scoring", "fidelity"}


def test_a_scorer_that_cannot_travel_is_scored_here(pool):
    def local(response: str, item: Item) -> Scored:  # a closure: cannot be pickled
        return length_score(response, item)

    stages = Stages()
    assert pool.score(_scorer(local), PAIRS, stages) == _scorer(length_score)(PAIRS)[0]
    assert "scoring" in stages.seconds and pool._executor is None  # no worker was started


def test_a_scorer_that_exits_in_a_worker_stops_the_run(pool):
    with pytest.raises(PluginError, match=r"plugin demo: the scorer of demo.deu_Latn failed"):
        pool.score(_scorer(exiting_score), PAIRS, Stages())


PLUGIN = """
from xbench import Item, Scored, TaskSpec

def score(response, item):  # module-level, but the module exists only in the run's process
    return Scored(response, float(len(response) % 2))

def register_tasks(register):
    register(TaskSpec(
        benchmark="odd", task="odd", language="deu_Latn", prompt_language="deu_Latn",
        partition="original", version="1", source="inline",
        load=lambda ctx: [Item(str(i), "q", "x" * i) for i in range(30)],
        render=lambda item, k: "Say " + item.gold, score=score,
    ))
"""


def test_a_path_plugin_is_scored_here_with_the_same_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_MIN_SAMPLES", 10)
    (tmp_path / "odd.py").write_text(PLUGIN)
    runs = [
        xbench.run(model="fake:accuracy=0.5", tasks=["odd"], plugin_paths=[tmp_path],
                   db=tmp_path / f"{n}.duckdb", progress=False, workers=n)
        for n in (1, 2)
    ]  # fmt: skip
    one, two = ([(s["metric"], s["value"], s["n"]) for s in r.scores] for r in runs)
    assert one == two and one[0][2] == 30
    assert "scoring" in runs[1].stages  # the worker could not import the plugin: scored here


SCRIPT = """
import json, sys
import xbench, xbench.workers
xbench.workers.PARALLEL_MIN_SAMPLES = 2
result = xbench.run(model="fake", tasks=["mgsm_direct.eng_Latn", "mgsm_direct.deu_Latn"],
                    limit=6, data_dir=sys.argv[1], db=sys.argv[2], progress=False, workers=2)
print(json.dumps(sorted(result.stages)))
"""


def test_a_script_without_a_main_guard_is_not_run_again_by_the_workers(tmp_path, shared_data):
    (tmp_path / "run.py").write_text(SCRIPT)  # no `if __name__ == "__main__":`
    db = tmp_path / "x.duckdb"
    out = subprocess.run(
        [sys.executable, str(tmp_path / "run.py"), str(shared_data), str(db)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
        env={"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PATH": "/usr/bin:/bin",
             "HOME": str(tmp_path), "XBENCH_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert len(out.stdout.splitlines()) == 1  # printed once: the script ran once
    assert "scoring and fidelity (2 processes)" in json.loads(out.stdout)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2"])
def test_bad_worker_counts_are_refused(value, tmp_path):
    with pytest.raises(XbenchError, match="--workers must be a whole number from 1 to 256"):
        xbench.run(model="fake", tasks=["mgsm_direct.eng_Latn"], db=tmp_path / "x.duckdb",
                   progress=False, workers=value)  # fmt: skip


def test_cli_workers_flag(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "xbench", "run", "--model", "fake", "--tasks",
         "mgsm_direct.eng_Latn", "--workers", "many", "--db", str(tmp_path / "x.duckdb")],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode != 0
    assert out.stderr.strip() == "error: --workers must be a whole number or auto, not 'many'"
    assert 1 <= workers.auto_workers() <= workers.MAX_AUTO_WORKERS
