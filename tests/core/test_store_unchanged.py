"""Speed work never changes a stored number: a fixed run's whole store, value by value,
against a snapshot taken before the pipeline was made faster.

The snapshot (data/store_snapshot.json) holds every column of every unit, score and sample
row, keys and numbers as they are and each text as its SHA-256 (no dataset text is
committed). Run ids, timestamps and durations differ by nature and are left out.
Regenerate only for a deliberate change of results: `XBENCH_UPDATE_SNAPSHOT=1 pytest
tests/core/test_store_unchanged.py`, and say why in the commit."""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import duckdb
import pytest

import xbench
import xbench.workers

SNAPSHOT = Path(__file__).parent / "data" / "store_snapshot.json"
# Every task family with its own scoring path: per-sample metrics, corpus metrics with CIs
# (MT, function calling), few-shot prompts, tool schemas (JiraiBench data is not public).
TASKS = ["mgsm", "ntrex128_chat_en-x", "ntrex128_base_x-en", "tucan", "bfcl_simple",
         "bfcl_irrelevance", "multiloko_local.eng_Latn", "multiloko_local.ita_Latn"]  # fmt: skip
LANGUAGES = ["en", "de", "it", "ja", "sw", "bg", "ar", "zh"]
VOLATILE = {"run_id", "created_at", "duration_s", "started_at"}
TEXTS = {"prompt", "response", "extracted", "gold"}  # dataset text: stored as hashes only


def _value(column, value):
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 12)
    if column in TEXTS and isinstance(value, str):
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:16]
    return value


def dump(db: Path) -> dict[str, list[list]]:
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table, key in (("units", "task_name"), ("scores", "task_name, metric"),
                           ("samples", "task_name, item_key")):  # fmt: skip
            rel = con.execute(f"SELECT * FROM {table} ORDER BY {key}")
            columns = [d[0] for d in rel.description]
            keep = [i for i, c in enumerate(columns) if c not in VOLATILE]
            out[table] = [[columns[i] for i in keep]] + [
                [_value(columns[i], row[i]) for i in keep] for row in rel.fetchall()
            ]
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_stores_exactly_the_snapshot(tmp_path, shared_data, monkeypatch, workers):
    """Scored in this process, and with every unit scored by 2 worker processes."""
    monkeypatch.setattr(xbench.workers, "PARALLEL_MIN_SAMPLES", 1)
    db = tmp_path / "x.duckdb"
    xbench.run(model="fake:accuracy=0.6", tasks=TASKS, languages=LANGUAGES, limit=4,
               num_fewshot=0, data_dir=shared_data, db=db, progress=False,
               bootstrap_resamples=200, workers=workers)  # fmt: skip
    got = dump(db)
    if os.environ.get("XBENCH_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(got, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        pytest.skip("snapshot written")
    want = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert set(got) == set(want)
    for table in want:
        assert got[table][0] == want[table][0], f"{table}: columns changed"
        assert len(got[table]) == len(want[table]), f"{table}: row count changed"
        columns = want[table][0]
        for mine, theirs in zip(got[table][1:], want[table][1:], strict=True):
            for column, a, b in zip(columns, mine, theirs, strict=True):
                same = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) if (
                    isinstance(a, float) and isinstance(b, float)) else a == b  # fmt: skip
                assert same, f"{table} {theirs[:2]} {column}: {a!r} != {b!r}"
