"""One progress display per run: readable on a terminal and in a log, silent with --quiet,
and never lm-eval's or the model libraries' own bars."""

from __future__ import annotations

import io
import subprocess
import sys

from tests.helpers import REPO
from xbench.progress import Progress, Stages


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_line_redrawn_with_units_rate_and_eta():
    screen = Terminal()
    shown = Progress(2, 20, stream=screen)
    shown.start("mgsm_direct · deu_Latn")
    shown.done("mgsm_direct.deu_Latn", 10)
    shown.start("mgsm_direct · eng_Latn")
    shown.done("mgsm_direct.eng_Latn", 10)
    shown.close()
    text = screen.getvalue()
    assert text.count("\n") == 1 and text.startswith("\r")  # redrawn in place, one line
    assert "xbench  2/2 units" in text and "samples/s" in text and "in 0:00:00" in text


def test_a_log_gets_plain_lines_and_says_where_a_stopped_run_got_to():
    log = io.StringIO()
    shown = Progress(3, 30, stream=log)
    shown.start("capitals · deu_Latn")
    shown.done("capitals.deu_Latn", 10)
    shown.close()  # stopped after one unit
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert len(lines) == 1  # within LOG_EVERY_S: no line per unit, one where it stopped
    assert lines[0].startswith("xbench  1/3 units  capitals · deu_Latn") and "ETA" in lines[0]
    failed_at_once = io.StringIO()
    shown = Progress(3, 30, stream=failed_at_once)
    shown.start("capitals · deu_Latn")
    shown.close()
    assert failed_at_once.getvalue() == ""  # its error is the one line a user sees


def test_quiet_shows_nothing_and_verbose_a_line_per_unit():
    quiet, verbose = io.StringIO(), io.StringIO()
    for stream, mode in ((quiet, "quiet"), (verbose, "verbose")):
        shown = Progress(1, 5, stream=stream, mode=mode)
        shown.start("t · eng_Latn")
        shown.done("t.eng_Latn", 5)
        shown.close()
    assert quiet.getvalue() == ""
    assert "xbench: t.eng_Latn done (5 samples)" in verbose.getvalue()


def test_served_models_show_requests_in_flight_and_retries():
    class Served:
        def xbench_request_stats(self):
            return 7, 2

    screen = Terminal()
    shown = Progress(1, 5, stream=screen, remote=Served())
    shown.start("t · eng_Latn")
    shown.close()
    assert "7 requests in flight, 2 retries" in screen.getvalue()


def test_stages_add_up_per_name():
    import time

    stages = Stages()
    for _ in range(2):
        with stages("store"):
            time.sleep(0.01)
    assert set(stages.seconds) == {"store"} and stages.seconds["store"] >= 0.02


def _run(tmp_path, *flags):
    return subprocess.run(
        [sys.executable, "-m", "xbench", "run", "--model", "fake", "--tasks", "capitals",
         "--plugin-path", str(REPO / "tests" / "plugins" / "xbench-capitals"),
         "--db", str(tmp_path / "x.duckdb"), *flags],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip


def test_a_run_in_a_log_shows_only_xbench_progress_lines(tmp_path):
    out = _run(tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert lines and all(line.startswith("xbench  ") for line in lines), out.stderr
    assert "it/s" not in out.stderr and "\r" not in out.stderr  # no lm-eval / tqdm bars
    assert lines[-1].startswith("xbench  3/3 units")
    assert _run(tmp_path / "q", "--quiet").stderr == ""
