"""`--shard I/N` and `xbench merge`: N shards merged equal one unsharded run, unit for unit;
merging twice adds nothing; a conflicting duplicate is reported, never mixed in."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import xbench
from tests.helpers import xbench_cli
from xbench.errors import XbenchError
from xbench.merge import merge

CAPITALS = str(Path(__file__).resolve().parents[1] / "plugins" / "xbench-capitals")


def _run(db: Path, model: str = "fake:accuracy=0.5", **kwargs):
    return xbench.run(model=model, tasks=["capitals", "mgsm_direct"], languages=["en", "de", "es"],
                      limit=3, plugin_paths=[CAPITALS], db=db, progress=False, **kwargs)  # fmt: skip


def _units(db: Path) -> dict[str, list[tuple]]:
    """Every unit's scores and samples, by variant name (run ids left out)."""
    with duckdb.connect(str(db), read_only=True) as con:
        out: dict[str, list[tuple]] = {}
        for (name,) in con.execute("SELECT DISTINCT task_name FROM scores").fetchall():
            scores = con.execute(
                "SELECT metric, value, ci_low, ci_high, n, n_errors FROM unit_scores"
                " WHERE task_name = ? ORDER BY metric", [name],
            ).fetchall()  # fmt: skip
            samples = con.execute(
                "SELECT item_key, prompt, response, score, error FROM samples"
                " WHERE task_name = ? ORDER BY item_key", [name],
            ).fetchall()  # fmt: skip
            out[name] = [*scores, *samples]
    return out


def test_shards_merged_equal_one_unsharded_run(tmp_path, shared_data):
    whole = tmp_path / "whole.duckdb"
    _run(whole, data_dir=shared_data)
    shards = [tmp_path / f"shard{i}.duckdb" for i in range(3)]
    seen: list[str] = []
    for i, db in enumerate(shards):
        result = _run(db, data_dir=shared_data, shard=f"{i}/3")
        seen += [s["task_name"] for s in result.scores if s["primary_metric"]]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 6  # disjoint, complete
    merged = tmp_path / "merged.duckdb"
    result = merge(shards, into=merged)
    assert (result.units_added, result.units_same, result.conflicts) == (6, 0, [])
    assert _units(merged) == _units(whole)
    with duckdb.connect(str(merged), read_only=True) as con:
        runs = con.execute("SELECT status, args->>'shard', model FROM runs").fetchall()
    assert runs == [("completed", "0/3,1/3,2/3", "fake:accuracy=0.5")]  # one run, as unsharded
    # Merging again adds nothing.
    again = merge(shards, into=merged)
    assert (again.units_added, again.units_same, again.conflicts) == (0, 6, [])
    assert _units(merged) == _units(whole)


def test_a_conflicting_duplicate_is_reported_not_mixed(tmp_path, shared_data):
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    _run(first, data_dir=shared_data, shard="0/2")
    _run(second, data_dir=shared_data, shard="0/2")
    merged = tmp_path / "m.duckdb"
    merge([first], into=merged)
    before = _units(merged)
    # The same shard, run elsewhere with other answers: the stored responses differ.
    with duckdb.connect(str(second)) as con:
        con.execute("UPDATE samples SET response = 'other', score = 0")
    result = merge([second], into=merged)
    assert result.units_added == 0 and len(result.conflicts) == 3
    assert "has other results than run" in result.conflicts[0]
    assert _units(merged) == before  # nothing mixed in
    out = xbench_cli("merge", str(second), "--into", str(merged))
    assert out.returncode == 1 and out.stderr.count("conflict:") == 3


@pytest.mark.parametrize("shard", ["3/3", "1", "-1/2", "a/b", "0/0"])
def test_bad_shards_fail_with_one_line(shard, tmp_path):
    with pytest.raises(XbenchError, match="--shard must be I/N"):
        xbench.run(model="fake", tasks=["capitals"], plugin_paths=[CAPITALS], db=tmp_path / "x",
                   shard=shard, progress=False)  # fmt: skip


def test_merge_refuses_missing_stores_and_itself(tmp_path):
    with pytest.raises(XbenchError, match="no xbench database"):
        merge([tmp_path / "none.duckdb"], into=tmp_path / "m.duckdb")
    db = tmp_path / "a.duckdb"
    xbench.run(model="fake", tasks=["capitals"], plugin_paths=[CAPITALS], db=db, progress=False)
    with pytest.raises(XbenchError, match="is the store merged into"):
        merge([db], into=db)
