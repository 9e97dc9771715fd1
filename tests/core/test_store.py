import json

import duckdb
import pytest

from xbench.errors import XbenchError
from xbench.store import EXPORT_FIELDS, MIGRATIONS, SampleRow, Store, UnitScore


def _unit(name="t.eng_Latn", value=0.5, n=2, n_errors=0):
    return UnitScore(
        task_name=name, benchmark="b", task="t", language=name.split(".")[1],
        prompt_language="eng_Latn", partition="original", source_language=None,
        target_language=None, task_version="1", metric="accuracy", value=value,
        ci_low=0.0, ci_high=1.0, n=n, n_errors=n_errors, duration_s=0.1,
    )  # fmt: skip


def _samples():
    return [
        SampleRow("0", "p0", "r0", "1", "1", 1.0, None),
        SampleRow("1", "p1", None, None, "2", None, "no response"),
    ]


def _start(store, config_hash="h1"):
    return store.start_run(
        model="fake", args={"a": 1}, config_hash=config_hash, versions={"xbench": "0"},
        git_hash=None, tasks=[{"name": "t.eng_Latn"}],
    )  # fmt: skip


def test_migrations_are_numbered_recorded_and_applied_once(tmp_path):
    path = tmp_path / "x.duckdb"
    Store(path)
    Store(path)  # reopening must not re-apply
    assert Store(path).migrations() == [(v, name) for v, name, _ in MIGRATIONS]
    assert [v for v, _, _ in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_save_unit_twice_replaces_instead_of_duplicating(tmp_path):
    store = Store(tmp_path / "x.duckdb")
    run_id, resumed = _start(store)
    assert not resumed
    store.save_unit(run_id, [_unit()], _samples())
    store.save_unit(run_id, [_unit(value=0.25)], _samples())
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM samples").fetchone() == (2,)
        assert con.execute("SELECT value FROM scores").fetchall() == [(0.25,)]
    assert store.completed_units(run_id) == {"t.eng_Latn"}


def test_unfinished_run_with_same_config_is_resumed_completed_is_not(tmp_path):
    store = Store(tmp_path / "x.duckdb")
    first, _ = _start(store)
    store.finish_run(first, "failed", "boom")
    again, resumed = _start(store)
    assert (again, resumed) == (first, True)
    assert store.run(again)["status"] == "running" and store.run(again)["error"] is None
    store.finish_run(again, "completed")
    fresh, resumed = _start(store)
    assert fresh != first and not resumed


def test_failed_transaction_leaves_nothing_behind(tmp_path):
    store = Store(tmp_path / "x.duckdb")
    run_id, _ = _start(store)
    bad = [SampleRow("0", "p", "r", "1", "1", 1.0, None)] * 2  # duplicate primary key
    with pytest.raises(duckdb.ConstraintException):
        store.save_unit(run_id, [_unit()], bad)
    assert store.completed_units(run_id) == set()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_has_the_documented_fields(tmp_path, fmt):
    store = Store(tmp_path / "x.duckdb")
    run_id, _ = _start(store)
    store.save_unit(run_id, [_unit()], _samples())
    out = tmp_path / f"out.{fmt}"
    assert store.export(run_id, fmt, out) == 2
    rows = duckdb.sql(f"SELECT * FROM '{out}'") if fmt != "jsonl" else None
    if fmt == "jsonl":
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert list(records[0]) == list(EXPORT_FIELDS)
        assert records[1]["error"] == "no response" and records[1]["score"] is None
    else:
        assert tuple(rows.columns) == EXPORT_FIELDS
        assert len(rows.fetchall()) == 2


def test_read_only_store_needs_an_existing_file(tmp_path):
    with pytest.raises(XbenchError, match="xbench run"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_unknown_run_id_lists_recent_runs(tmp_path):
    store = Store(tmp_path / "x.duckdb")
    run_id, _ = _start(store)
    assert store.resolve_run_id(None) == run_id
    with pytest.raises(XbenchError, match=run_id):
        store.resolve_run_id("nope")


def test_reader_on_an_older_schema_is_told_to_migrate(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:  # a file as the first release wrote it
        con.execute(
            "CREATE TABLE migrations (version INTEGER, name VARCHAR, applied_at TIMESTAMPTZ)"
        )
        con.execute(MIGRATIONS[0][2])
        con.execute("INSERT INTO migrations VALUES (1, 'x', now())")
    with pytest.raises(XbenchError, match=f"schema version 1.*xbench migrate --db {path}"):
        Store(path, read_only=True)
    Store(path)  # a writer migrates
    assert Store(path, read_only=True).migrations()[-1][0] == MIGRATIONS[-1][0]


def _schema(path):
    """Every table's and view's columns with their types, by name."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " ORDER BY table_name, column_name"
        ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def _views(path):
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY view_name"
        ).fetchall()


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_a_store_migrated_from_every_older_version_equals_a_fresh_one(tmp_path, version):
    """Stop at `version`, store a run the way that version could (with a view of that time),
    migrate to the newest: tables and views equal a fresh store's, view text included, and the
    stored numbers are unchanged."""
    import duckdb

    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:
        con.execute(
            "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL)"
        )
        for number, name, sql in MIGRATIONS[:version]:
            con.execute(sql)
            con.execute("INSERT INTO migrations VALUES (?, ?, now())", [number, name])
        # Older versions created their views inside their migrations; one of them, as it was.
        con.execute(
            "CREATE VIEW unit_scores AS SELECT r.model, s.* FROM scores s JOIN runs r USING (run_id)"
        )
        con.execute(
            "INSERT INTO runs (run_id, model, args, config_hash, versions, tasks, status,"
            " started_at) VALUES ('r1', 'fake', '{}', 'h', '{}', '[]', 'completed', now())"
        )
        if version >= 7:  # writers of version 7 on keep the spec apart from the name
            con.execute("UPDATE runs SET model_spec = 'fake'")
        if version >= 9:  # writers of version 9 on store a unit row and its metric rows
            con.execute(
                "INSERT INTO units (run_id, task_name, benchmark, task, language,"
                " prompt_language, partition, task_version, n, n_errors, created_at) VALUES"
                " ('r1', 't.deu_Latn', 'mt', 't', 'deu_Latn', 'eng_Latn', 'original', '1', 2,"
                " 0, now())"
            )  # fmt: skip
        for metric, value in (("chrF++", 55.5), ("TER", 40.0)):
            if version >= 9:
                con.execute(
                    "INSERT INTO scores (run_id, task_name, metric, value, primary_metric,"
                    " higher_is_better, metric_scale) VALUES ('r1', 't.deu_Latn', ?, ?, true,"
                    " ?, 100.0)", [metric, value, metric != "TER"],
                )  # fmt: skip
                continue
            con.execute(
                "INSERT INTO scores (run_id, task_name, benchmark, task, language,"
                " prompt_language, partition, task_version, metric, value, n, n_errors,"
                " created_at) VALUES ('r1', 't.deu_Latn', 'mt', 't', 'deu_Latn', 'eng_Latn',"
                " 'original', '1', ?, ?, 2, 0, now())", [metric, value],
            )  # fmt: skip
        if 8 <= version < 9:  # writers of version 8 store each metric's declaration
            con.execute("UPDATE scores SET metric_scale = 100.0")
            con.execute("UPDATE scores SET higher_is_better = metric <> 'TER'")
    Store(old)  # applies the rest
    fresh = tmp_path / "fresh.duckdb"
    Store(fresh)
    assert _schema(old) == _schema(fresh)
    assert _views(old) == _views(fresh)
    with duckdb.connect(str(old), read_only=True) as con:
        scores = con.execute(
            "SELECT metric, value, higher_is_better, metric_scale FROM scores ORDER BY metric"
        ).fetchall()
        units = con.execute("SELECT task_name, n, n_errors FROM units").fetchall()
        shown = con.execute(
            "SELECT model, metric, mean, worst_language FROM parity ORDER BY metric"
        ).fetchall()
        model = con.execute("SELECT model, model_spec FROM runs").fetchone()
    assert scores == [("TER", 40.0, False, 100.0), ("chrF++", 55.5, True, 100.0)]
    assert units == [("t.deu_Latn", 2, 0)]  # one unit with two metric rows
    assert shown == [("fake", "TER", 40.0, "deu_Latn"), ("fake", "chrF++", 55.5, "deu_Latn")]
    assert model == ("fake", "fake")
