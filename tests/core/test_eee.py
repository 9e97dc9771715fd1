"""Every Eval Ever 0.3.0: exported records validate against the package's JSON Schemas
(../shared/data/every_eval_ever, Draft 7), say each result's languages in the documented
extension fields, leave out what has no number, and import back into the same scores, marked
imported; `export --scores` writes one row per model x variant x metric."""

from __future__ import annotations

import csv
import hashlib
import json

import duckdb
import pytest

import xbench
from tests.helpers import xbench_cli
from xbench import eee
from xbench.errors import XbenchError
from xbench.store import SCORE_EXPORT_FIELDS, Store

COLUMNS = ("task_name, metric, value, ci_low, ci_high, n, n_errors, higher_is_better, "
           "metric_scale, primary_metric, language, prompt_language, target_language")  # fmt: skip


@pytest.fixture(scope="module")
def schemas(shared_data):
    folder = shared_data / "every_eval_ever"
    if not folder.is_dir():
        pytest.skip("../shared/data/every_eval_ever not found")
    import jsonschema

    return tuple(
        jsonschema.Draft7Validator(json.loads((folder / name).read_text(encoding="utf-8")))
        for name in ("eval.schema.json", "instance_level_eval.schema.json")
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory, shared_data):
    db = tmp_path_factory.mktemp("eee") / "x.duckdb"
    xbench.run(model="fake:accuracy=0.6", tasks=["mgsm_direct", "ntrex128_chat_en-x"],
               languages=["en", "de", "ja"], limit=8, data_dir=shared_data, db=db,
               progress=False, bootstrap_resamples=100)  # fmt: skip
    xbench.run(model="fake:accuracy=0.3", model_name="other", tasks=["mgsm_direct"],
               languages=["en", "sw"], limit=8, data_dir=shared_data, db=db, progress=False,
               bootstrap_resamples=100)  # fmt: skip
    return db


def _latest(db, model):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"SELECT {COLUMNS} FROM latest_units WHERE model = ? ORDER BY task_name, metric",
            [model],
        ).fetchall()


def test_records_validate_and_import_back_to_the_same_scores(store, schemas, tmp_path):
    aggregate, instance = schemas
    out = tmp_path / "record.json"
    cli = xbench_cli("export", "fake:accuracy=0.6", "--format", "eee", "--instances",
                     "--organization", "Example Lab", "--out", str(out), "--db", str(store))  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    record = json.loads(out.read_text(encoding="utf-8"))
    assert not list(aggregate.iter_errors(record))
    assert record["source_metadata"]["source_organization_name"] == "Example Lab"
    by_id = {r["evaluation_result_id"]: r for r in record["evaluation_results"]}
    ter = by_id["ntrex128_chat_en-x.jpn_Jpan/TER"]
    assert ter["metric_config"]["lower_is_better"] is True
    assert ter["metric_config"]["max_score"] == 100.0
    assert ter["source_data"]["additional_details"]["target_language"] == "jpn_Jpan"
    assert ter["metric_config"]["additional_details"]["signature"].startswith("nrefs:1|bs:100")
    assert by_id["mgsm_direct.deu_Latn/accuracy"]["source_data"]["hf_repo"] == "juletxara/mgsm"
    # The instance file: named and hashed as the record says, every line valid.
    details = record["detailed_evaluation_results"]
    samples = tmp_path / details["file_path"].rsplit("/", 1)[1]
    data = samples.read_bytes()
    assert hashlib.sha256(data).hexdigest() == details["checksum"]
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert len(lines) == details["total_rows"] == 5 * 8
    assert all(not list(instance.iter_errors(line)) for line in lines)
    assert {line["evaluation_id"] for line in lines} == {record["evaluation_id"]}
    # Import: the same numbers, marked imported; twice adds nothing.
    target = tmp_path / "imported.duckdb"
    for said in ("(11 scores)", "already imported, nothing added"):
        cli = xbench_cli("import", str(out), "--db", str(target))
        assert cli.returncode == 0 and said in cli.stdout, cli.stderr
    assert _latest(target, "fake:accuracy=0.6") == _latest(store, "fake:accuracy=0.6")
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("SELECT DISTINCT settings FROM model_parity").fetchall() == [
            (eee.IMPORTED_SETTINGS,)]  # fmt: skip
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_units_without_a_value_have_no_result(store, tmp_path):
    with duckdb.connect(str(store)) as con:
        run_id = con.execute("SELECT run_id FROM runs WHERE model = 'other'").fetchone()[0]
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE scores SET value = NULL WHERE task_name = 'mgsm_direct.swh_Latn'")
    record, _ = eee.build_record(Store(copy), run_id)
    assert [r["evaluation_name"] for r in record["evaluation_results"]] == ["mgsm_direct.eng_Latn"]


def test_only_completed_runs_are_records(store, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE runs SET status = 'failed' WHERE model = 'other'")
        run_id = con.execute("SELECT run_id FROM runs WHERE model = 'other'").fetchone()[0]
    with pytest.raises(XbenchError, match="is failed: only a completed run is exported"):
        eee.build_record(Store(copy), run_id)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"schema_version": "0.3.0", "sample_id": "1"}', "not an Every Eval Ever aggregate record"),
        ('{"evaluation_id": "x", "model_info": {"name": "m", "id": "m"}, "evaluation_results":'
         ' [{"evaluation_name": "t", "score_details": {}}]}', "has no numeric score_details.score"),
    ],
)  # fmt: skip
def test_bad_records_are_one_line_errors_and_store_nothing(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    cli = xbench_cli("import", str(bad), "--db", str(tmp_path / "x.duckdb"))
    assert cli.returncode == 2 and message in cli.stderr
    assert len(cli.stderr.strip().splitlines()) == 1
    assert Store(tmp_path / "x.duckdb").runs() == []


def test_scores_export_one_row_per_model_variant_and_metric(store, tmp_path):
    both = tmp_path / "both.csv"
    cli = xbench_cli("export", "fake:accuracy=0.6", "other", "--scores", "--format", "csv",
                     "--out", str(both), "--db", str(store))  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    rows = list(csv.DictReader(both.open(encoding="utf-8")))
    assert tuple(rows[0]) == SCORE_EXPORT_FIELDS
    assert len(rows) == 3 + 2 * 4 + 2  # MGSM accuracy x 3, NTREX 4 metrics x 2, other x 2
    assert {(r["model"], r["task_name"]) for r in rows if r["metric"] == "TER"} == {
        ("fake:accuracy=0.6", "ntrex128_chat_en-x.deu_Latn"),
        ("fake:accuracy=0.6", "ntrex128_chat_en-x.jpn_Jpan"),
    }  # fmt: skip
    latest = tmp_path / "latest.parquet"
    assert xbench_cli("export", "--scores", "--latest", "--format", "parquet", "--out",
                      str(latest), "--db", str(store)).returncode == 0  # fmt: skip
    count = duckdb.sql(f"SELECT count(*) FROM '{latest}'").fetchall()[0][0]
    assert count == len(rows)
    for args, message in (
        (["--latest"], "--latest goes with --scores"),
        (["--instances"], "--instances goes with --format eee"),
        (["fake:accuracy=0.6", "other"], "samples are exported one run at a time"),
    ):
        cli = xbench_cli("export", *args, "--out", str(tmp_path / "x"), "--db", str(store))
        assert cli.returncode == 2 and message in cli.stderr, cli.stderr
