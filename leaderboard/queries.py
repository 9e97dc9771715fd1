"""Every query the leaderboard runs: parameterized SQL over the store's views, read-only.

No user input is ever pasted into SQL: values travel as `?` parameters; the only identifiers
are the constants in this module. Each call opens a short read-only connection (the store's
writers wait out a reader's lock and vice versa), so a running `xbench run` keeps writing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from xbench.analyses.typology import DISTANCES
from xbench.store import ROUTING_FIELDS, TOKENIZER_FIELDS, TYPOLOGY_FIT_FIELDS, Store

# Runs whose units a model's leaderboard rows show (the store's `latest_units`: per model and
# task, the latest completed units with one set of settings).
LATEST_RUNS = "SELECT DISTINCT run_id FROM latest_units"


def _frame(db: str | Path, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    with Store(db, read_only=True).connect() as con:
        return con.execute(sql, params or []).df()


def _values(db: str | Path, sql: str, params: list[Any] | None = None) -> list[Any]:
    return _frame(db, sql, params).iloc[:, 0].tolist()


def has_runs(db: str | Path) -> bool:
    return bool(_values(db, "SELECT count(*) FROM runs")[0])


# --- choices for filters -------------------------------------------------------------------


def models(db: str | Path) -> list[str]:
    return _values(db, "SELECT DISTINCT model FROM runs ORDER BY model")


def benchmarks(db: str | Path) -> list[str]:
    return _values(db, "SELECT DISTINCT benchmark FROM units ORDER BY benchmark")


def tasks(db: str | Path, benchmark: str | None = None) -> list[str]:
    return _values(
        db,
        "SELECT DISTINCT task FROM unit_scores WHERE ? IS NULL OR benchmark = ? ORDER BY task",
        [benchmark, benchmark],
    )


def languages(db: str | Path) -> list[str]:
    return _values(db, "SELECT DISTINCT language FROM units ORDER BY language")


# --- pages ---------------------------------------------------------------------------------


def overview(db: str | Path) -> pd.DataFrame:
    """One row per model x task: mean, worst language and gap over the latest run's languages."""
    return _frame(
        db,
        # One number per task: its primary metric, named (never an average across metrics).
        "SELECT model, benchmark, task, metric, higher_is_better, mean, worst_language, worst,"
        " best_language, best, gap, english, n AS languages, n_missing, task_languages,"
        " settings, run_id FROM model_parity WHERE primary_metric"
        " ORDER BY benchmark, task, mean DESC NULLS LAST, model",
    )


def unit_scores(db: str | Path, task: str, model: str | None = None) -> pd.DataFrame:
    """Latest per-language scores of every model (or one) on a task, with English alongside."""
    return _frame(
        db,
        # Every metric, each with its declaration: a page shows one at a time (one_metric).
        "SELECT u.model, u.language, u.prompt_language, u.partition, u.task_name, u.run_id,"
        " u.metric, u.primary_metric, u.higher_is_better, u.metric_scale,"
        " u.value, u.ci_low, u.ci_high, u.value_strict, u.n, u.n_errors, u.fidelity,"
        " en.value AS english,"
        " CASE WHEN en.value > 0 AND u.value IS NOT NULL THEN u.value / en.value END AS relative"
        " FROM latest_units u"
        " LEFT JOIN latest_units en ON en.model = u.model AND en.task = u.task"
        "  AND en.metric = u.metric AND en.language = 'eng_Latn'"
        " WHERE u.task = ? AND (? IS NULL OR u.model = ?)"
        " ORDER BY u.model, u.language, u.metric",
        [task, model, model],
    )


def parity(db: str | Path, task: str) -> pd.DataFrame:
    return _frame(
        db,
        "SELECT model, metric, primary_metric, higher_is_better, metric_scale, mean,"
        " worst_language, worst, best_language, best, gap, min_max_ratio, cv, gini,"
        " gap_to_english, transfer_gap, pm, n AS languages, n_missing, task_languages,"
        " settings, run_id"
        " FROM model_parity WHERE task = ? ORDER BY metric, gap DESC NULLS LAST, model",
        [task],
    )


def consistency(db: str | Path, task: str) -> pd.DataFrame:
    return _frame(
        db,
        "SELECT model, language, n_aligned, both_correct, either_correct, consistency,"
        " agreement FROM model_consistency WHERE task = ? ORDER BY model, language",
        [task],
    )


EFFECT_VIEWS = (
    "prompt_language_effect",
    "mother_tongue_effect",
    "locality_effect",
    "direction_asymmetry",
)


def effect(db: str | Path, view: str, benchmark: str | None = None) -> pd.DataFrame:
    """Rows of one effect view for the models' latest runs. `view` must be one of EFFECT_VIEWS."""
    if view not in EFFECT_VIEWS:
        raise ValueError(f"unknown effect view {view!r}")
    return _frame(
        db,
        # With each row's metric declaration, so a page shows one metric at a time.
        f"SELECT v.* EXCLUDE (run_id),"
        " EXISTS (SELECT 1 FROM scores s WHERE s.run_id = v.run_id AND s.metric = v.metric"
        "         AND s.primary_metric) AS primary_metric,"
        " (SELECT bool_and(coalesce(s.higher_is_better, true)) FROM scores s"
        "  WHERE s.run_id = v.run_id AND s.metric = v.metric) AS higher_is_better"
        f" FROM {view} v WHERE v.run_id IN ({LATEST_RUNS}) AND (? IS NULL OR v.benchmark = ?)"
        " ORDER BY v.benchmark, v.family, v.model, v.language",
        [benchmark, benchmark],
    )


def fidelity(db: str | Path, task: str | None = None) -> pd.DataFrame:
    return _frame(
        db,
        "SELECT model, benchmark, task, language, prompt_language, n, n_judged, fidelity,"
        " line_pass_rate FROM latest_units WHERE (? IS NULL OR task = ?) AND primary_metric"
        " ORDER BY benchmark, task, model, language",
        [task, task],
    )


def latest_run(db: str | Path, model: str) -> str | None:
    found = _values(
        db, "SELECT run_id FROM runs WHERE model = ? ORDER BY started_at DESC LIMIT 1", [model]
    )
    return found[0] if found else None


def runs(db: str | Path) -> pd.DataFrame:
    return _frame(
        db,
        # With what each run covers: its benchmarks, languages and units, and its settings.
        "SELECT r.run_id, r.model, r.status, r.error, r.started_at, r.finished_at, r.duration_s,"
        " r.model_info, r.args, r.versions, r.git_hash, r.tasks, rs.settings,"
        " (SELECT string_agg(DISTINCT u.benchmark, ', ' ORDER BY u.benchmark) FROM units u"
        "   WHERE u.run_id = r.run_id) AS benchmarks,"
        " (SELECT count(DISTINCT u.language) FROM units u WHERE u.run_id = r.run_id) AS languages,"
        " (SELECT count(*) FROM units u WHERE u.run_id = r.run_id) AS units_done,"
        " json_array_length(r.tasks) AS units_planned"
        " FROM runs r JOIN run_settings rs USING (run_id) ORDER BY r.started_at DESC",
    )


def units(db: str | Path, run_id: str) -> pd.DataFrame:
    return _frame(
        db,
        # One row per unit (task-language variant), with its primary metric's value: a unit
        # with four metrics (MT) is one unit, and its duration counts once.
        "SELECT task_name, benchmark, task, language, prompt_language, metric, value, n, n_errors,"
        " duration_s, sensitive FROM unit_scores WHERE run_id = ? AND primary_metric"
        " ORDER BY task_name",
        [run_id],
    )


def _like(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (`!` escapes the wildcards)."""
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


SAMPLE_FILTER = (
    # One unit, or (task_name NULL) every unit of the runs whose texts are not sensitive.
    " WHERE list_contains(?, run_id) AND (task_name = ? OR (? IS NULL AND NOT EXISTS ("
    "   SELECT 1 FROM units u WHERE u.run_id = samples.run_id"
    "   AND u.task_name = samples.task_name AND coalesce(u.sensitive, false))))"
    " AND (? = '' OR prompt ILIKE ? ESCAPE '!' OR response ILIKE ? ESCAPE '!'"
    "      OR gold ILIKE ? ESCAPE '!' OR extracted ILIKE ? ESCAPE '!')"
)
# Which samples to show: every one, the wrong ones (scored below full marks: 1, or 100 when
# the unit's per-sample metric is a 0-100 one), the errors (no score), or responses in another
# language.
SHOWN = {
    "all": "",
    "wrong": (
        " AND error IS NULL AND score < (SELECT CASE WHEN max(sc.metric_scale) > 1 THEN 100"
        " ELSE 1 END FROM scores sc WHERE sc.run_id = samples.run_id"
        " AND sc.task_name = samples.task_name AND sc.value_strict IS NOT NULL)"
    ),
    "errors": " AND error IS NOT NULL",
    "wrong language": " AND in_expected = false",
}


def samples(
    db: str | Path,
    run_id: str | list[str],
    task_name: str | None,
    search: str = "",
    *,
    limit: int = 20,
    offset: int = 0,
    show: str = "all",
) -> tuple[pd.DataFrame, int]:
    """One page of a unit's samples, or with `task_name=None` of every unit of the run (or of
    each run of a list: a model's runs) that is not sensitive, matching `search` anywhere in the
    texts, of the kind `show` names (SHOWN); and the total. Newest run first."""
    runs = [run_id] if isinstance(run_id, str) else list(run_id)
    pattern = _like(search)
    params = [runs, task_name, task_name, search, pattern, pattern, pattern, pattern]
    where = SAMPLE_FILTER + SHOWN[show]
    total = _values(db, "SELECT count(*) FROM samples" + where, params)[0]
    page = _frame(
        db,
        "SELECT run_id, task_name, item_key, prompt, response, extracted, gold, score, error,"
        " detected_language, in_expected, note, response_chars FROM samples" + where
        + " ORDER BY run_id DESC, task_name, TRY_CAST(item_key AS BIGINT), item_key"
        " LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )  # fmt: skip
    return page, int(total)


# --- samples ---


def unit(db: str | Path, run_id: str, task_name: str) -> pd.DataFrame:
    """A unit's header: one row per metric (empty when the run has no such unit)."""
    return _frame(
        db,
        "SELECT s.benchmark, s.task, s.task_name, s.language, s.prompt_language, s.partition,"
        " s.task_version, s.metric, s.value, s.ci_low, s.ci_high, s.value_strict, s.n, s.n_errors,"
        " s.fidelity, s.sensitive, s.model, s.metric_scale FROM unit_scores s"
        " WHERE s.run_id = ? AND s.task_name = ? ORDER BY s.metric",
        [run_id, task_name],
    )


# --- overview ---


def overview_units(db: str | Path) -> pd.DataFrame:
    """The per-language units behind each `overview` row (the same latest run per model x task),
    so the page can drill down to samples and recompute over a subset of languages."""
    return _frame(
        db,
        "SELECT u.model, u.benchmark, u.task, u.metric, u.higher_is_better, u.metric_scale,"
        " u.language, u.value, u.n, u.run_id, u.task_name FROM latest_units u"
        " WHERE u.primary_metric"
        " ORDER BY u.benchmark, u.task, u.model, u.language",
    )


# --- fidelity ---


def fidelity_units(db: str | Path, task: str | None = None) -> pd.DataFrame:
    """The `fidelity` view's numbers per unit of each model's latest run (all tasks or one), with
    the unit's run and name for links; one row per unit whatever its metrics (fidelity is per
    response)."""
    return _frame(
        db,
        "SELECT DISTINCT model, benchmark, task, language, prompt_language, n, n_judged, fidelity,"
        " line_pass_rate, run_id, task_name FROM latest_units WHERE (? IS NULL OR task = ?) AND primary_metric"
        " ORDER BY benchmark, task, model, language, task_name",
        [task, task],
    )


# --- tokens and cost ---


def token_units(db: str | Path) -> pd.DataFrame:
    """Token counts per unit of each model's latest result (view `token_usage` on the units
    `latest_units` ranks), where any sample was counted."""
    return _frame(
        db,
        "SELECT t.model, t.benchmark, t.task, t.language, t.n, t.n_counted, t.prompt_tokens,"
        " t.completion_tokens, t.mean_prompt_tokens, t.mean_completion_tokens, t.n_correct,"
        " t.token_source, t.run_id, t.task_name FROM token_usage t"
        " JOIN latest_units l ON l.run_id = t.run_id AND l.task_name = t.task_name"
        "  AND l.metric = t.metric"
        " WHERE t.n_counted > 0 ORDER BY t.benchmark, t.task, t.model, t.language",
    )


def tokenizer_stats(db: str | Path) -> pd.DataFrame:
    """Every stored tokenizer measurement (`xbench tokenizers`), one row per language."""
    return pd.DataFrame(Store(db, read_only=True).tokenizer_stats(),
                        columns=list(TOKENIZER_FIELDS))  # fmt: skip


# --- analyses stored by their own commands (xbench routing, xbench typology) ---


def routing(db: str | Path) -> pd.DataFrame:
    """Every stored MoE routing curve (`xbench routing`): one row per model, language, layer."""
    return pd.DataFrame(Store(db, read_only=True).routing(), columns=list(ROUTING_FIELDS))


def typology_languages(db: str | Path) -> pd.DataFrame:
    """Every stored typology fit's languages (`xbench typology`), one distance column each."""
    _, rows = Store(db, read_only=True).typology()
    flat = [{**{k: v for k, v in r.items() if k != "language_distances"},
             **r["language_distances"]} for r in rows]  # fmt: skip
    return pd.DataFrame(flat, columns=[
        "model", "task", "metric", "distances", "language", "observed", "fitted", "held_out",
        "predicted", *DISTANCES])  # fmt: skip


def typology_fits(db: str | Path) -> pd.DataFrame:
    fits, _ = Store(db, read_only=True).typology()
    return pd.DataFrame(fits, columns=list(TYPOLOGY_FIT_FIELDS))


def script_barrier(db: str | Path, task: str) -> pd.DataFrame:
    """Native minus romanized input per language of `task` (view `script_barrier`), from the
    runs behind each model's latest results, with the paired CI (`xbench.analyses.romanize.barrier`)."""
    from xbench.analyses.romanize import barrier

    runs = _values(
        db, f"SELECT DISTINCT run_id FROM script_barrier WHERE task = ? AND run_id IN ({LATEST_RUNS})"
        " ORDER BY run_id", [task],
    )  # fmt: skip
    store = Store(db, read_only=True)
    rows = [r for run in runs for r in barrier(store, run) if r["task"] == task]
    return pd.DataFrame(rows)
