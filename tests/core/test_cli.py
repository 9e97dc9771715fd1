"""The CLI as a user meets it: subprocesses, exit codes, one-line errors."""

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

import xbench
from tests.helpers import CAPITALS, xbench_cli

PLUGIN = ["--plugin-path", str(CAPITALS)]


# What listing tasks must not import: the model stack, and what the built-in plugins need only
# while loading data or scoring (every plugin's register_tasks runs in `xbench tasks`).
HEAVY = ("torch", "transformers", "lm_eval", "datasets", "sacrebleu", "pyarrow", "jinja2",
         "cryptography", "openpyxl", "streamlit")  # fmt: skip


def test_help_and_tasks_import_no_heavy_libraries():
    code = (
        f"import sys\nHEAVY = {HEAVY!r}\n"
        "from xbench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "main(['tasks', '--variants'])\n"
        "heavy = [m for m in HEAVY if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "mgsm_en_cot.zho_Hans" in out.stdout


def test_tasks_lists_language_fields_and_sources():
    out = xbench_cli("tasks", "--variants", "--json", *PLUGIN)
    rows = {r["variant"]: r for r in json.loads(out.stdout)}
    assert rows["mgsm_en_cot.deu_Latn"]["prompt_language"] == "eng_Latn"
    assert rows["capitals.spa_Latn"]["partition"] == "human_translated"
    assert set(rows["capitals.spa_Latn"]) == {
        "variant", "benchmark", "language", "prompt_language", "partition", "version", "source",
    }  # fmt: skip


def test_tasks_lists_one_line_per_task_with_languages_and_offline_data(shared_data):
    out = xbench_cli("tasks", "mgsm", "--data-dir", str(shared_data))
    lines = out.stdout.splitlines()
    assert out.returncode == 0 and len(lines) == 5  # header, 3 tasks, footer
    assert lines[1].split()[:4] == ["mgsm_direct", "mgsm", "11:", "bn"]
    assert "sw te th zh  yes" in lines[1]
    assert lines[-1].startswith("(3 tasks, 33 variants")
    rows = json.loads(xbench_cli("tasks", "ntrex128_chat_en", "--json", "--data-dir",
                                 str(shared_data)).stdout)  # fmt: skip
    [ntrex] = rows
    # The shared snapshot has 38 of the 121 NTREX-128 targets: the others say why not.
    assert (ntrex["variants"], ntrex["offline"], ntrex["offline_variants"]) == (121, False, 38)
    assert "ntrex128" in ntrex["data_note"]


def test_tasks_filters_by_language_benchmark_and_pattern():
    by_language = json.loads(xbench_cli("tasks", "--language", "Swahili", "--json",
                                        "--no-data-check").stdout)  # fmt: skip
    assert {t["benchmark"] for t in by_language} == {"mgsm", "mt"}
    assert all(t["offline"] is None for t in by_language)
    assert [t["task"] for t in json.loads(xbench_cli("tasks", "--benchmark", "mgsm", "*cot",
                                                     "--json", "--no-data-check").stdout)] == [
        "mgsm_en_cot", "mgsm_native_cot"]  # fmt: skip
    for args, message in (
        (["mgsm_drect"], "error: no task matches 'mgsm_drect'; did you mean mgsm_direct"),
        (["--benchmark", "mgms"], "error: unknown benchmark 'mgms'; did you mean mgsm?"),
        (["--language", "klingonish"], "error: no task has Klingon (tlh_Latn)"),
        (["--language", "zzzzzz"], "error: unknown language 'zzzzzz'"),
    ):
        out = xbench_cli("tasks", *args, "--no-data-check")
        assert out.returncode == 2 and out.stderr.startswith(message), out.stderr
        assert len(out.stderr.strip().splitlines()) == 1


def test_version_and_defaults_in_help():
    version = xbench_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"xbench {xbench.__version__}"
    run_help = " ".join(xbench_cli("run", "--help").stdout.split())
    for default in ("(default: 1234)", "(default: mgsm)", "(default: 1000)", "(default: 0)",
                    "(default: auto;"):  # fmt: skip
        assert default in run_help
    assert "(default: None)" not in run_help and "(default: False)" not in run_help


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--model", "gpt-17"], "error: unknown model 'gpt-17'; model kinds:"),
        (["run", "--model", "smolm2-135m"], "error: unknown model 'smolm2-135m'; did you mean smollm2-135m?"),
        (["run", "--model", "fake", "--tasks", "nope"], "error: unknown task 'nope'"),
        (["run", "--model", "fake", "--tasks", "mgsm", "--languages", "xx"], "error: the chosen tasks have no language xx"),
        (["run", "--model", "fake", "--tasks", "mgsm_direct", "--languages", "en",
          "--data-dir", "/nonexistent"], "/nonexistent/mgsm/mgsm_en.tsv"),
        (["results", "nope"], "error: unknown run 'nope'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(tmp_path, args, message):
    db = tmp_path / "x.duckdb"
    if args[0] == "results":
        xbench_cli("run", "--model", "fake", "--tasks", "capitals", *PLUGIN, "--db", str(db))
    out = xbench_cli(*args, "--db", str(db))
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_run_results_export_round_trip(tmp_path):
    db = str(tmp_path / "x.duckdb")
    out = xbench_cli(
        "run", "--model", "fake:accuracy=1", "--tasks", "capitals", *PLUGIN, "--db", db
    )
    assert out.returncode == 0, out.stderr
    assert "capitals  spa_Latn" in out.stdout and "100.0" in out.stdout
    # It ends with the two commands to look further, and the first one works as printed.
    report_line, board_line = out.stdout.strip().splitlines()[-2:]
    assert board_line.split()[:3] == ["xbench", "leaderboard", "--db"]
    report = xbench_cli(*report_line.split()[1:5])
    assert report.returncode == 0 and "## Parity" in report.stdout, report.stderr
    results = json.loads(xbench_cli("results", "--json", "--db", db).stdout)
    assert results["run"]["status"] == "completed"
    assert {s["language"]: s["value"] for s in results["scores"]} == {
        "deu_Latn": 1.0, "eng_Latn": 1.0, "spa_Latn": 1.0,
    }  # fmt: skip
    csv = tmp_path / "s.csv"
    assert xbench_cli("export", "--format", "csv", "--out", str(csv), "--db", db).returncode == 0
    assert duckdb.sql(f"SELECT count(*) FROM '{csv}'").fetchall() == [(9,)]


def test_xbench_db_environment_variable(tmp_path):
    db = tmp_path / "env.duckdb"
    out = xbench_cli(
        "run", "--model", "fake", "--tasks", "capitals", *PLUGIN, env={"XBENCH_DB": str(db)}
    )
    assert out.returncode == 0 and db.exists()


def _scores(db):
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("SELECT count(*) FROM scores").fetchone()[0]
    except (duckdb.IOException, duckdb.CatalogException):
        return 0  # the writer holds the file right now, or the schema is not there yet


@pytest.mark.slow
def test_killed_run_keeps_committed_units_and_rerun_finishes_without_duplicates(tmp_path):
    db = tmp_path / "x.duckdb"
    cmd = [sys.executable, "-m", "xbench", "run", "--model", "fake:sleep=0.4", "--tasks",
           "capitals", *PLUGIN, "--db", str(db)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while _scores(db) < 1 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = _scores(db)
    assert 1 <= committed < 3, "the kill must land mid-run"
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "(resumed)" in out.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT run_id) FROM runs").fetchone() == (1, 1)
        assert con.execute("SELECT count(*) FROM scores").fetchone() == (3,)
        assert con.execute("SELECT count(*) FROM samples").fetchone() == (9,)
        assert con.execute("SELECT status FROM runs").fetchone() == ("completed",)


def test_sigterm_marks_the_run_failed(tmp_path):
    db = tmp_path / "x.duckdb"
    cmd = [sys.executable, "-m", "xbench", "run", "--model", "fake:sleep=0.4", "--tasks",
           "capitals", *PLUGIN, "--db", str(db)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while _scores(db) < 1 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "rerun the same command to resume" in err
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT status, error FROM runs").fetchone() == ("failed", "interrupted")


def test_runs_short_ids_rm_and_compare_by_model_name(tmp_path):
    db = str(tmp_path / "x.duckdb")
    for accuracy in ("0.2", "0.9"):
        out = xbench_cli("run", "--model", f"fake:accuracy={accuracy}", "--model-name",
                         f"model-{accuracy}", "--tasks", "capitals", *PLUGIN, "--db", db)  # fmt: skip
        assert out.returncode == 0, out.stderr
    listed = json.loads(xbench_cli("runs", "--json", "--db", db).stdout)
    assert [r["model"] for r in listed] == ["model-0.9", "model-0.2"]  # newest first
    assert listed[0]["units"] == 3 and listed[0]["benchmarks"] == ["capitals"]
    assert listed[0]["languages"] == 3 and listed[0]["status"] == "completed"
    short = listed[1]["short_id"]
    table = xbench_cli("runs", "--db", db).stdout
    assert short in table and "model-0.2" in table
    # A short id, a unique prefix of it, or a model name all name a run.
    out = xbench_cli("results", short[:4], "--db", db)
    assert out.returncode == 0 and "model model-0.2" in out.stdout
    out = xbench_cli("compare", "model-0.2", "model-0.9", "--json", "--db", db)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["run_a"] == listed[1]["run_id"]
    out = xbench_cli("results", "2026", "--db", db)  # both runs start with it
    assert out.returncode == 2 and "ambiguous" in out.stderr
    out = xbench_cli("rm", short, "--db", db)
    assert out.returncode == 0 and "removed run" in out.stdout and "3 scores" in out.stdout
    assert [r["model"] for r in json.loads(xbench_cli("runs", "--json", "--db", db).stdout)] == [
        "model-0.9"
    ]
    out = xbench_cli("rm", "nope", "--db", db)
    assert out.returncode == 2 and "unknown run 'nope'" in out.stderr


def test_python_run_leaves_the_callers_hub_environment(tmp_path, monkeypatch):
    import huggingface_hub.constants as hub

    from xbench import settings

    for var in settings.HUB_OFFLINE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
    during = {}
    offline = settings.go_offline_unless

    def spy(needs_hub):
        offline(needs_hub)
        during.update(
            {v: os.environ.get(v) for v in settings.HUB_OFFLINE_VARS}, hub=hub.HF_HUB_OFFLINE
        )

    monkeypatch.setattr(settings, "go_offline_unless", spy)
    # A local data dir and an instant model: the run itself is offline...
    xbench.run(model="fake", tasks=["capitals"], plugin_paths=[CAPITALS], data_dir=tmp_path,
               db=tmp_path / "x.duckdb", progress=False)  # fmt: skip
    assert during == {**dict.fromkeys(settings.HUB_OFFLINE_VARS, "1"), "hub": True}
    # ...and the caller's process is not, afterwards.
    assert not any(var in os.environ for var in settings.HUB_OFFLINE_VARS)
    assert hub.HF_HUB_OFFLINE is False


def test_python_api_matches_the_cli(tmp_path):
    db = tmp_path / "x.duckdb"
    run = xbench.run(model="fake:accuracy=1", model_name="perfect", tasks=["capitals"],
                     plugin_paths=[CAPITALS], db=db, progress=False)  # fmt: skip
    [record] = xbench.runs(db=db)
    assert (record.run_id, record.model, record.units, record.benchmarks) == (
        run.run_id, "perfect", 3, ("capitals",)
    )  # fmt: skip
    scores = xbench.results("perfect", db=db)  # a model name: its latest completed run
    assert {(s.language, s.value, s.higher_is_better, s.metric_scale) for s in scores} == {
        ("deu_Latn", 1.0, True, 1.0), ("eng_Latn", 1.0, True, 1.0), ("spa_Latn", 1.0, True, 1.0)
    }  # fmt: skip
    assert [t.variant for t in xbench.tasks(benchmark="capitals", plugin_paths=[CAPITALS])] == [
        "capitals.deu_Latn", "capitals.eng_Latn", "capitals.spa_Latn"
    ]  # fmt: skip
    assert xbench.export(record.short_id, tmp_path / "s.jsonl", db=db) == 9
    xbench.run(model="fake:accuracy=0", model_name="wrong", tasks=["capitals"],
               plugin_paths=[CAPITALS], db=db, progress=False)  # fmt: skip
    comparison = xbench.compare("wrong", "perfect", db=db)  # typed, by model names
    assert (comparison.wins_a, len(comparison.units)) == (0, 3)
    assert {u.language: (u.score_a, u.score_b) for u in comparison.units}["deu_Latn"] == (0.0, 1.0)
    assert comparison["wins_b"] == comparison.wins_b  # reads like the CLI's JSON too
    rep = xbench.report("perfect", db=db)
    assert rep.run["model"] == "perfect" and [r["mean"] for r in rep.parity] == [1.0]
