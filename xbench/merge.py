"""`xbench merge STORE... --into DB`: combine the stores that shards (or machines) wrote.

The shards of one command (`xbench run ... --shard I/N`) share a merge key; in the merged store
they become one run holding every shard's units, so N merged shards equal one unsharded run,
unit for unit. A unit already in the target with the same scores and samples is skipped
(merging twice adds nothing); one with different results is reported as a conflict and left
out, never mixed in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import XbenchError
from .store import Store

# What makes two copies of a unit "the same result".
_SCORE_COLUMNS = "metric, value, ci_low, ci_high, n, n_errors, value_strict, signature"
_SAMPLE_COLUMNS = "item_key, response, extracted, score, error"
_STATUS_RANK = {"completed": 0, "running": 1, "failed": 2}


@dataclass
class MergeResult:
    units_added: int = 0
    units_same: int = 0
    conflicts: list[str] = field(default_factory=list)


def merge(stores: Sequence[str | Path], *, into: str | Path) -> MergeResult:
    target_path = Path(into)
    sources = [Path(s) for s in stores]
    for source in sources:
        if source.resolve() == target_path.resolve():
            raise XbenchError(f"{source} is the store merged into; pass other stores to merge")
        Store(source, read_only=True)  # missing, damaged or newer-schema stores say so here
    target = Store(target_path)
    result = MergeResult()
    for source in sources:
        with target.connect() as con:
            path = str(source.resolve()).replace("'", "''")
            con.execute(f"ATTACH '{path}' AS src (READ_ONLY)")
            try:
                con.begin()
                try:
                    _merge_one(con, source, result)
                except BaseException:
                    con.rollback()
                    raise
                con.commit()
            finally:
                con.execute("DETACH src")
    return result


def _merge_one(con: Any, source: Path, result: MergeResult) -> None:
    runs = con.execute(
        "SELECT run_id, merge_key FROM src.runs ORDER BY started_at, run_id"
    ).fetchall()
    for run_id, merge_key in runs:
        into = _target_run(con, run_id, merge_key)
        if into is None:
            con.execute(
                "INSERT INTO runs BY NAME SELECT * FROM src.runs WHERE run_id = ?", [run_id]
            )
            into = run_id
        added_before = result.units_added
        units = con.execute(
            "SELECT task_name FROM src.units WHERE run_id = ? ORDER BY 1", [run_id]
        ).fetchall()
        for (task_name,) in units:
            have = _unit(con, "main", into, task_name)
            if have is None:
                for table in ("units", "scores", "samples"):
                    con.execute(
                        f"INSERT INTO {table} BY NAME SELECT * REPLACE (? AS run_id)"
                        f" FROM src.{table} WHERE run_id = ? AND task_name = ?",
                        [into, run_id, task_name],
                    )
                result.units_added += 1
            elif have == _unit(con, "src", run_id, task_name):
                result.units_same += 1
            else:
                model = con.execute("SELECT model FROM runs WHERE run_id = ?", [into]).fetchone()[0]
                result.conflicts.append(
                    f"{task_name} of model {model}: run {run_id} in {source} has other results "
                    f"than run {into} already merged; kept {into}, left {run_id}'s out (rerun "
                    "that unit or merge the store you trust)"
                )
        if result.units_added > added_before and into != run_id:
            _combine_run_rows(con, run_id, into)


def _target_run(con: Any, run_id: str, merge_key: str | None) -> str | None:
    row = con.execute("SELECT run_id FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if row is None and merge_key is not None:
        row = con.execute(
            "SELECT run_id FROM runs WHERE merge_key = ? ORDER BY started_at LIMIT 1", [merge_key]
        ).fetchone()
    return row[0] if row else None


def _unit(con: Any, db: str, run_id: str, task_name: str) -> tuple[Any, ...] | None:
    scores = con.execute(
        f"SELECT {_SCORE_COLUMNS} FROM {db}.scores JOIN {db}.units USING (run_id, task_name)"
        " WHERE run_id = ? AND task_name = ?"
        " ORDER BY metric", [run_id, task_name],
    ).fetchall()  # fmt: skip
    if not scores:
        return None
    samples = con.execute(
        f"SELECT {_SAMPLE_COLUMNS} FROM {db}.samples WHERE run_id = ? AND task_name = ?"
        " ORDER BY item_key", [run_id, task_name],
    ).fetchall()  # fmt: skip
    return tuple(scores), tuple(samples)


def _combine_run_rows(con: Any, source_run: str, into: str) -> None:
    """One merged run for a command's shards: every shard named in `args.shard`, the union
    of tasks, the earliest start, the latest finish, and the worst status (a shard that
    failed leaves the merged run failed, with its cause)."""
    src = _run_row(con, "src", source_run)
    dst = _run_row(con, "main", into)
    shards = sorted(set(_shards(dst["args"]) + _shards(src["args"])))
    args = json.loads(dst["args"])
    args["shard"] = ",".join(shards) if shards else None
    args["tasks"] = sorted(
        set(args.get("tasks", [])) | set(json.loads(src["args"]).get("tasks", []))
    )
    tasks = json.loads(dst["tasks"])
    names = {t.get("name") for t in tasks}
    tasks += [t for t in json.loads(src["tasks"]) if t.get("name") not in names]
    worst = max((dst, src), key=lambda r: _STATUS_RANK.get(r["status"], 2))
    con.execute(
        "UPDATE runs SET args = ?, tasks = ?, status = ?, error = ?,"
        " started_at = least(started_at, ?), finished_at = greatest(finished_at, ?),"
        " duration_s = coalesce(duration_s, 0) + coalesce(?, 0) WHERE run_id = ?",
        [json.dumps(args), json.dumps(tasks), worst["status"], worst["error"],
         src["started_at"], src["finished_at"], src["duration_s"], into],
    )  # fmt: skip


def _run_row(con: Any, db: str, run_id: str) -> dict[str, Any]:
    cursor = con.execute(
        f"SELECT args, tasks, status, error, started_at, finished_at, duration_s"
        f" FROM {db}.runs WHERE run_id = ?", [run_id],
    )  # fmt: skip
    columns = [d[0] for d in cursor.description]
    return dict(zip(columns, cursor.fetchone(), strict=True))


def _shards(args_json: str) -> list[str]:
    shard = json.loads(args_json).get("shard")
    return [s for s in str(shard).split(",") if s] if shard else []
