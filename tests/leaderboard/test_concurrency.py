"""The leaderboard and `xbench run` share one store, as real processes, in both orders:
the run completes with every unit stored, and the leaderboard keeps serving pages throughout.

DuckDB lets one process write a file at a time; both sides open short connections and wait
out a conflicting lock, so neither may fail nor block the other for long."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import CAPITALS, REPO
from tests.leaderboard import server
from xbench.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The default page is served at the root (test_browser checks every url path on its own).
PAGES = {"": "Overview", **{path: t for path, t in server.PAGES.items() if path != "overview"}}
RUN_TIMEOUT_S = 240  # the run itself: 9 requests of the slow fake model plus imports
CAPITALS_UNITS = 3  # capitals in eng_Latn, deu_Latn, spa_Latn: 3 items each


@pytest.fixture(scope="module")
def browser():
    server.require_browser()
    with server.chromium() as browser:
        yield browser


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture()
def store(filled_db, tmp_path) -> Path:
    """A copy of the filled store, so these writes never change what other tests read."""
    db = tmp_path / "x.duckdb"
    shutil.copy(filled_db, db)
    wal = filled_db.with_name(filled_db.name + ".wal")
    if wal.exists():
        shutil.copy(wal, db.with_name(db.name + ".wal"))
    return db


class Run:
    """`python -m xbench run` of the capitals plugin with a slow fake model, as a subprocess."""

    def __init__(self, db: Path, sleep: float, log: Path) -> None:
        self.model = f"fake:sleep={sleep}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "xbench", "run", "--model", self.model, "--tasks", "capitals",
                 "--plugin-path", str(CAPITALS), "--db", str(db)],
                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
            )  # fmt: skip
        self.deadline = time.monotonic() + RUN_TIMEOUT_S

    def running(self) -> bool:
        assert time.monotonic() < self.deadline, f"run still going after {RUN_TIMEOUT_S} s"
        return self.process.poll() is None

    def wait(self) -> int:
        try:
            return self.process.wait(max(1.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pytest.fail(f"xbench run did not finish in {RUN_TIMEOUT_S} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass
            self.process.wait(10)


@pytest.fixture()
def start_run(tmp_path):
    runs: list[Run] = []

    def start(db: Path, sleep: float) -> Run:
        runs.append(Run(db, sleep, tmp_path / f"run-{len(runs)}.log"))
        return runs[-1]

    yield start
    for run in runs:
        run.kill()


def stored(db: Path, model: str) -> tuple[str, int, int]:
    """(status, units, samples) of the model's run in the store."""
    with Store(db, read_only=True).connect() as con:
        return con.execute(
            "SELECT r.status,"
            " (SELECT count(*) FROM scores s WHERE s.run_id = r.run_id),"
            " (SELECT count(*) FROM samples s WHERE s.run_id = r.run_id)"
            " FROM runs r WHERE r.model = ?",
            [model],
        ).fetchone()


def run_status(db: Path, model: str) -> str | None:
    with Store(db, read_only=True).connect() as con:
        row = con.execute("SELECT status FROM runs WHERE model = ?", [model]).fetchone()
    return row[0] if row else None


def load_all(page, url: str) -> None:
    for path, title in PAGES.items():
        server.load(page, f"{url}/{path}", title)


def check_run_succeeded(run: Run, db: Path) -> None:
    code = run.wait()
    assert code == 0, run.output()
    assert stored(db, run.model) == ("completed", CAPITALS_UNITS, 3 * CAPITALS_UNITS), run.output()


def wait_for_model_on_runs_page(page, url: str, model: str, timeout_s: float = 60) -> None:
    """The leaderboard caches queries for a few seconds; the new run shows up after that."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        server.load(page, f"{url}/runs", "Runs")
        if model in page.locator('[data-testid="stMain"]').inner_text():
            return
        time.sleep(1)
    pytest.fail(f"{model} not on the Runs page after {timeout_s} s")


def test_run_while_leaderboard_is_open(store, page, start_run):
    with server.serve(store) as lb:
        server.load(page, f"{lb.url}/runs", "Runs")  # the app has queried the store
        run = start_run(store, sleep=0.5)
        loads_during_run = 0
        while run.running():
            for path, title in PAGES.items():
                server.load(page, f"{lb.url}/{path}", title)
                loads_during_run += run.process.poll() is None
                if not run.running():
                    break
        check_run_succeeded(run, store)
        assert loads_during_run >= 2, "the run ended before the leaderboard reloaded a page"
        load_all(page, lb.url)  # and after
        wait_for_model_on_runs_page(page, lb.url, run.model)
        assert lb.process.poll() is None, lb.output()


def test_leaderboard_starts_while_a_run_writes(store, page, start_run):
    run = start_run(store, sleep=2.0)
    deadline = time.monotonic() + 120
    while run_status(store, run.model) != "running":  # the run has opened the store
        assert run.running(), run.output()
        assert time.monotonic() < deadline, f"the run never started:\n{run.output()}"
        time.sleep(0.2)
    with server.serve(store) as lb:
        server.load(page, lb.url, "Overview")
        assert run.process.poll() is None, "the run ended before the leaderboard served a page"
        load_all(page, lb.url)
        check_run_succeeded(run, store)
        load_all(page, lb.url)
        wait_for_model_on_runs_page(page, lb.url, run.model)
        assert lb.process.poll() is None, lb.output()
