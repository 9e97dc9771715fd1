"""Every Eval Ever (schema 0.3.0): xbench runs as EEE records, and EEE aggregate records as
xbench runs marked imported.

One run is one aggregate record (`eval.schema.json`): one `evaluation_results` entry per task
variant × metric that has a value. EEE has no language field, so every entry says its
languages in `source_data.additional_details` (the documented extension field, all strings):

    language, prompt_language, partition, source_language, target_language, origin_language
    (xbench codes, ISO 639-3 + script), benchmark, task, task_version, xbench_task (the variant)

`metric_config` carries the direction (`lower_is_better`), the scale (`min_score` 0,
`max_score` 1 or 100) and sacrebleu's signature where there is one; `score_details` the 95%
bootstrap CI, n and errors. A unit with no value (nothing answered) has no entry: EEE requires
a number, and xbench never makes one up.

Instance-level records (`instance_level_eval.schema.json`, on request) are one JSON line per
scored sample, next to the aggregate file; samples that are errors (no score) are left out and
counted in `detailed_evaluation_results.additional_details`. `is_correct` is the score >= 0.5
for a 0-1 metric (the rule of xbench's consistency views) and a perfect 100 for a 0-100 one.

The importer reads aggregate records written by any EEE producer. Imported runs have the
settings text "imported (Every Eval Ever)", so they are never ranked as comparable with runs
made here, and the leaderboard says where they came from.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__, languages
from .errors import XbenchError
from .store import Store, UnitScore, write_atomic

SCHEMA_VERSION = "0.3.0"
LANGUAGE_FIELDS = (
    "language", "prompt_language", "partition", "source_language", "target_language",
    "origin_language",
)  # fmt: skip
IMPORTED_SETTINGS = "imported (Every Eval Ever)"
# Model kinds whose weights are open, and those served by someone else.
OPEN_WEIGHTS = {"hf", "vllm", "sglang", "smollm2-135m", "gemma3-270m", "gguf"}
EXTERNAL = {"openai-chat", "anthropic-chat"}


# --- export -----------------------------------------------------------------------------


def export_run(
    store: Store, run_id: str, out: Path, *, instances: bool = False,
    organization: str = "xbench", relationship: str = "third_party",
) -> tuple[int, int]:  # fmt: skip
    """Write run `run_id` as one aggregate record to `out` (JSON) and, with `instances`, its
    scored samples as instance records next to it. Returns (results, instance rows)."""
    record, rows = build_record(
        store, run_id, instances=instances, organization=organization,
        relationship=relationship,
    )  # fmt: skip
    if rows is not None:
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
        details = record["detailed_evaluation_results"]
        details["checksum"] = hashlib.sha256(data).hexdigest()
        write_atomic(out.parent / Path(details["file_path"]).name, data)
    write_atomic(out, (json.dumps(record, indent=1, ensure_ascii=False) + "\n").encode())
    return len(record["evaluation_results"]), len(rows or [])


def build_record(
    store: Store, run_id: str, *, instances: bool = False, organization: str = "xbench",
    relationship: str = "third_party",
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:  # fmt: skip
    run = store.run(run_id)
    if run["status"] != "completed":
        raise XbenchError(
            f"run {run_id} is {run['status']}: only a completed run is exported as an Every Eval "
            "Ever record (rerun the command to finish it)"
        )
    info = _json(run.get("model_info"))
    args = _json(run.get("args"))
    sources = {t["name"]: t.get("source") for t in _json(run.get("tasks")) or []}
    with store.connect() as con:
        rel = con.execute(
            "SELECT u.*, s.metric, s.value, s.ci_low, s.ci_high, s.value_strict, s.signature,"
            " s.primary_metric, s.higher_is_better, s.metric_scale, rs.settings"
            " FROM units u JOIN scores s USING (run_id, task_name)"
            " JOIN run_settings rs USING (run_id) WHERE u.run_id = ?"
            " ORDER BY u.benchmark, u.task, u.language, s.metric", [run_id],
        )  # fmt: skip
        columns = [d[0] for d in rel.description]
        units = [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]
    started = _datetime(run["started_at"])
    stamp = str(int(started.timestamp()))
    model_id = _model_id(run, info)
    evaluation_id = f"xbench/{model_id}/{stamp}"
    resamples = args.get("bootstrap_resamples")
    results = [
        _result(u, sources.get(u["task_name"]), args, resamples)
        for u in units if u["value"] is not None
    ]  # fmt: skip
    kind = (run.get("model_spec") or "").partition(":")[0]
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "evaluation_id": evaluation_id,
        "evaluation_timestamp": started.isoformat(),
        "retrieved_timestamp": stamp,
        "source_metadata": {
            "source_name": "xbench", "source_type": "evaluation_run",
            "source_organization_name": organization, "evaluator_relationship": relationship,
            "additional_details": _strings({"xbench_run_id": run_id,
                                            "settings": units[0]["settings"] if units else None}),
        },
        "eval_library": {
            "name": "xbench", "version": (_json(run.get("versions")) or {}).get("xbench")
            or __version__,
            "additional_details": _strings({"lm_eval": (_json(run.get("versions")) or {}).get(
                "lm_eval")}),
        },
        "model_info": {
            "name": run["model"], "id": model_id,
            **({"inference_engine": _strings(dict(zip(
                ("name", "version"), str(info["engine"]).split(" ", 1), strict=False)))}
               if info.get("engine") else {}),
            "additional_details": _strings({
                "deployment_type": "externally_managed" if kind in EXTERNAL
                else "self_deployed" if kind in OPEN_WEIGHTS else "unknown",
                "model_availability": "closed_weights" if kind in EXTERNAL
                else "open_weights" if kind in OPEN_WEIGHTS else "unknown",
                "xbench_model_spec": run.get("model_spec"),
            }),
        },
        "evaluation_results": results,
    }  # fmt: skip
    rows = None
    if instances:
        rows, left_out = _instances(store, run_id, evaluation_id, model_id, units)
        developer, _, model = model_id.rpartition("/")
        folder = f"data/xbench/{_path_part(developer or 'unknown')}/{_path_part(model)}"
        record["detailed_evaluation_results"] = {
            "format": "jsonl",
            "file_path": f"{folder}/{_uuid4(evaluation_id)}_samples.jsonl",
            "hash_algorithm": "sha256", "total_rows": len(rows),
            "additional_details": {"samples_left_out": f"{left_out} samples that are errors (no score)"},
        }  # fmt: skip
    return record, rows


def _result(
    unit: dict[str, Any], source: str | None, args: dict[str, Any], resamples: Any
) -> dict[str, Any]:
    scale = float(unit["metric_scale"] or 1.0)
    details = {f: unit.get(f) for f in LANGUAGE_FIELDS}
    details.update(benchmark=unit["benchmark"], task=unit["task"],
                   task_version=unit["task_version"], xbench_task=unit["task_name"],
                   tools_via=unit.get("tools_via"))  # fmt: skip
    uncertainty: dict[str, Any] = {"num_samples": int(unit["n"] - unit["n_errors"])}
    if unit["ci_low"] is not None and unit["ci_high"] is not None:
        uncertainty["confidence_interval"] = {
            "lower": float(unit["ci_low"]), "upper": float(unit["ci_high"]),
            "confidence_level": 0.95, "method": "bootstrap",
        }  # fmt: skip
        if isinstance(resamples, int):
            uncertainty["num_bootstrap_samples"] = resamples
    generation = args.get("generation") or {}
    return {
        "evaluation_result_id": f"{unit['task_name']}/{unit['metric']}",
        "evaluation_name": unit["task_name"],
        "source_data": _source_data(source, unit, details),
        "evaluation_timestamp": _datetime(unit["created_at"]).isoformat(),
        "metric_config": {
            "metric_id": f"xbench.{unit['metric']}", "metric_name": unit["metric"],
            "metric_unit": "proportion" if scale == 1.0 else "points",
            "lower_is_better": unit["higher_is_better"] is False,
            "score_type": "continuous", "min_score": 0.0, "max_score": scale,
            "additional_details": _strings({
                "primary_metric": str(bool(unit["primary_metric"])).lower(),
                "signature": unit["signature"],
            }),
        },
        "score_details": {
            "score": float(unit["value"]),
            "details": _strings({
                "n": unit["n"], "n_errors": unit["n_errors"], "value_strict": unit["value_strict"],
                "language_fidelity": unit["fidelity"], "n_judged": unit["n_judged"],
                "task_languages": unit["task_languages"],
            }),
            "uncertainty": uncertainty,
        },
        "generation_config": {
            "generation_args": {
                "temperature": generation.get("temperature"), "top_p": generation.get("top_p"),
                **({"max_tokens": args["max_gen_toks"]} if args.get("max_gen_toks") else {}),
            },
            "additional_details": _strings({
                "settings": unit["settings"], "num_fewshot": args.get("num_fewshot"),
                "chat_template": args.get("apply_chat_template"),
            }),
        },
    }  # fmt: skip


def _source_data(
    source: str | None, unit: dict[str, Any], details: dict[str, Any]
) -> dict[str, Any]:
    """hf_dataset for `hub:` sources, url for http(s) ones, else other."""
    extra = _strings(details)
    text = (source or "").split(" (or ")[0].split(";")[0].strip()
    if text.startswith("hub:"):
        return {"dataset_name": unit["benchmark"], "source_type": "hf_dataset",
                "hf_repo": text[4:], "additional_details": extra}  # fmt: skip
    urls = re.findall(r"https?://\S+", text)
    if urls:
        return {"dataset_name": unit["benchmark"], "source_type": "url", "url": urls,
                "additional_details": extra}  # fmt: skip
    return {"dataset_name": unit["benchmark"], "source_type": "other", "additional_details": extra}


def _instances(
    store: Store, run_id: str, evaluation_id: str, model_id: str, units: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    # A sample's score is its unit's per-sample metric: the score row with a strict value.
    per_sample: dict[str, tuple[str, float]] = {}
    for u in units:
        if u["value_strict"] is not None:
            per_sample.setdefault(u["task_name"], (u["metric"], float(u["metric_scale"] or 1.0)))
    with store.connect() as con:
        samples = con.execute(
            "SELECT task_name, item_key, prompt, response, extracted, gold, score, error"
            " FROM samples WHERE run_id = ? ORDER BY task_name, item_key", [run_id],
        ).fetchall()  # fmt: skip
    rows, left_out = [], 0
    for task_name, key, prompt, response, extracted, gold, score, error in samples:
        if score is None or error is not None:
            left_out += 1
            continue
        metric, scale = per_sample.get(task_name, ("score", 1.0))
        rows.append({
            "schema_version": SCHEMA_VERSION, "evaluation_id": evaluation_id,
            "model_id": model_id, "evaluation_name": task_name,
            "evaluation_result_id": f"{task_name}/{metric}", "sample_id": str(key),
            "sample_hash": hashlib.sha256(f"{prompt}{gold}".encode()).hexdigest(),
            "interaction_type": "single_turn",
            "input": {"raw": prompt or "", "reference": [gold or ""]},
            "output": {"raw": [response or ""]},
            "answer_attribution": [{
                "turn_idx": 0, "source": "output.raw", "extracted_value": extracted or "",
                "extraction_method": "xbench task scorer", "is_terminal": True,
            }],
            "evaluation": {
                "score": float(score),
                "is_correct": bool(score >= 0.5) if scale == 1.0 else bool(score >= scale),
            },
        })  # fmt: skip
    return rows, left_out


def _model_id(run: dict[str, Any], info: dict[str, Any]) -> str:
    """HF-style id where the run knows one (the served model, the hub id or API model name),
    else the display name."""
    served = info.get("served_model")
    if isinstance(served, str) and served.strip():
        return served.strip()
    kind, target = info.get("kind"), info.get("target")
    if kind in OPEN_WEIGHTS | EXTERNAL and isinstance(target, str) and target.strip():
        return target.strip()
    return run["model"]


def _uuid4(text: str) -> uuid.UUID:
    """A version-4 UUID derived from `text`: the same run always gets the same file name."""
    return uuid.UUID(bytes=hashlib.sha256(text.encode()).digest()[:16], version=4)


def _path_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "unknown"


def _strings(values: dict[str, Any]) -> dict[str, str]:
    """EEE's additional_details: every value a string; None left out."""
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value or {}


# --- import -----------------------------------------------------------------------------


def import_records(store: Store, paths: Iterable[Path]) -> list[tuple[str, str, int]]:
    """Store each aggregate record as a completed run marked imported. Returns (run_id,
    evaluation_id, results) per record; a record imported before is skipped (its id in
    `runs.args`), so importing twice adds nothing."""
    out = []
    for path in paths:
        for record in _read_records(path):
            out.append(_import_one(store, record, path))
    return out


def _read_records(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise XbenchError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise XbenchError(
            f"{path} is not JSON ({exc}); pass Every Eval Ever aggregate records"
        ) from None
    records = data if isinstance(data, list) else [data]
    for i, record in enumerate(records):
        where = f"{path}" + (f" record {i + 1}" if isinstance(data, list) else "")
        if not isinstance(record, dict):
            raise XbenchError(f"{where}: not an Every Eval Ever record (a JSON object)")
        missing = [
            k for k in ("evaluation_id", "model_info", "evaluation_results") if k not in record
        ]
        if missing:
            raise XbenchError(
                f"{where}: not an Every Eval Ever aggregate record (no {', '.join(missing)}); "
                "instance-level files (*_samples.jsonl) are not imported"
            )
    return records


def _import_one(store: Store, record: dict[str, Any], path: Path) -> tuple[str, str, int]:
    evaluation_id = str(record["evaluation_id"])
    with store.connect() as con:
        known = con.execute(
            "SELECT run_id FROM runs WHERE json_extract_string(args, '$.imported.evaluation_id') = ?",
            [evaluation_id],
        ).fetchone()
    if known:
        return known[0], evaluation_id, 0
    model = record["model_info"] or {}
    name = str(model.get("name") or model.get("id") or "unknown model")
    units = _units(record, path)
    if not units:
        raise XbenchError(f"{path}: {evaluation_id} has no evaluation result with a score")
    started = _timestamp(record)
    imported = {
        "format": "every_eval_ever", "schema_version": record.get("schema_version"),
        "evaluation_id": evaluation_id, "file": str(path),
        "source": record.get("source_metadata"), "eval_library": record.get("eval_library"),
    }  # fmt: skip
    run_id, _ = store.start_run(
        model=name, model_spec=f"eee:{model.get('id') or name}",
        args={"imported": imported, "tasks": sorted({u[0].task_name for u in units})},
        config_hash="eee:" + hashlib.sha256(evaluation_id.encode()).hexdigest()[:16],
        versions={"xbench": __version__}, git_hash=None,
        tasks=[{"name": u[0].task_name, "benchmark": u[0].benchmark, "task": u[0].task,
                "language": u[0].language, "version": u[0].task_version,
                "source": "imported"} for u in units],
    )  # fmt: skip
    store.set_model_info(run_id, {"imported_model_info": model})
    store.save_units(run_id, [(scores, []) for scores in units])
    store.finish_run(run_id, "completed")
    if started is not None:
        with store.transaction() as con:
            con.execute("UPDATE runs SET started_at = ? WHERE run_id = ?", [started, run_id])
    return run_id, evaluation_id, sum(len(u) for u in units)


def _units(record: dict[str, Any], path: Path) -> list[list[UnitScore]]:
    by_variant: dict[str, list[UnitScore]] = {}
    for i, result in enumerate(record.get("evaluation_results") or []):
        try:
            score = float(result["score_details"]["score"])
        except (KeyError, TypeError, ValueError):
            raise XbenchError(
                f"{path}: evaluation_results[{i}] has no numeric score_details.score"
            ) from None
        config = result.get("metric_config") or {}
        extra = (result.get("source_data") or {}).get("additional_details") or {}
        name = str(extra.get("xbench_task") or result.get("evaluation_name") or f"result{i}")
        language = languages.parse(str(extra.get("language", ""))) or "und"
        ci = ((result.get("score_details") or {}).get("uncertainty") or {}).get(
            "confidence_interval") or {}  # fmt: skip
        details = (result.get("score_details") or {}).get("details") or {}
        scale = config.get("max_score")
        n = _int(details.get("n")) or _int(
            ((result.get("score_details") or {}).get("uncertainty") or {}).get("num_samples")
        ) or 0  # fmt: skip
        metric = str(config.get("metric_name") or config.get("metric_id") or "score")
        primary = (config.get("additional_details") or {}).get("primary_metric")
        by_variant.setdefault(name, []).append(UnitScore(
            task_name=name, benchmark=str(extra.get("benchmark") or (result.get("source_data") or {}).get("dataset_name") or "imported"),
            task=str(extra.get("task") or name.split(".")[0]), language=language,
            prompt_language=languages.parse(str(extra.get("prompt_language", ""))) or language,
            partition=str(extra.get("partition") or "original"),
            source_language=languages.parse(str(extra.get("source_language", ""))),
            target_language=languages.parse(str(extra.get("target_language", ""))),
            origin_language=languages.parse(str(extra.get("origin_language", ""))),
            task_version=str(extra.get("task_version") or "imported"), metric=metric,
            value=score, ci_low=_float(ci.get("lower")), ci_high=_float(ci.get("upper")),
            n=n, n_errors=_int(details.get("n_errors")) or 0, duration_s=0.0,
            value_strict=_float(details.get("value_strict")),
            fidelity=_float(details.get("language_fidelity")), n_judged=_int(details.get("n_judged")),
            signature=(config.get("additional_details") or {}).get("signature"),
            primary_metric=primary != "false",
            higher_is_better=not bool(config.get("lower_is_better", False)),
            metric_scale=float(scale) if isinstance(scale, int | float) and scale in (1, 100) else 1.0,
            task_languages=_int(details.get("task_languages")),
        ))  # fmt: skip
    units = []
    for scores in by_variant.values():
        if not any(s.primary_metric for s in scores) or sum(s.primary_metric for s in scores) > 1:
            scores = [replace(s, primary_metric=i == 0) for i, s in enumerate(scores)]
        units.append(scores)
    return units


def _timestamp(record: dict[str, Any]) -> datetime | None:
    text = record.get("evaluation_timestamp")
    if isinstance(text, str):
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    stamp = record.get("retrieved_timestamp")
    try:
        return datetime.fromtimestamp(float(stamp), tz=UTC) if stamp is not None else None
    except (TypeError, ValueError, OverflowError):
        return None


def _datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(float(value))
    except (TypeError, ValueError):
        return None
