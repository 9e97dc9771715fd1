"""The DuckDB store: runs, per task-language scores and every scored sample.

Schema changes are numbered migrations recorded in `migrations`; only `Store` applies them, on
open. Writers hold a connection only for one short transaction (one finished task-language
unit), so a killed run keeps everything committed before it and readers are blocked only briefly.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import fields as fields_of
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from . import __version__, processes
from .errors import XbenchError, cause

LOCK_WAIT_S = 60.0  # how long a connection waits for another process's lock before giving up
LOCK_REPORT_S = 3.0  # a wait longer than this is reported on stderr while it happens

ENGLISH = "eng_Latn"

# Views the report and the leaderboard read. They are defined here once, in their current
# form, and recreated (all dropped, all created) whenever a migration runs: migrations change
# tables only, so a store migrated from any older version has exactly a fresh store's views.
# A change to a view therefore comes with a migration (it may hold no SQL), so readers of an
# older file are told to run `xbench migrate`.


def _parity_sql(view: str, source: str, key: str) -> str:
    """Parity over one language vector per `key` (a run: run_id; a model's latest comparable
    result: model, settings), following each metric's direction: the worst language of a
    lower-is-better metric (TER) is its highest value; gap_to_english and transfer_gap are
    positive when the other languages do worse than English."""
    keys = ", ".join(f"u.{k}" for k in key.split(", "))
    return f"""
CREATE VIEW {view} AS
WITH signed AS (
    SELECT *, CASE WHEN coalesce(higher_is_better, true) THEN value ELSE -value END AS sv,
           CASE WHEN coalesce(higher_is_better, true) THEN 1 ELSE -1 END AS dir
    FROM {source}
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY {key}, task, metric ORDER BY value) AS rank_up,
           count(value) OVER (PARTITION BY {key}, task, metric) AS n_all
    FROM signed WHERE value IS NOT NULL
),
gini AS (
    SELECT {key}, task, metric,
           CASE WHEN sum(value) = 0 THEN NULL
                ELSE sum((2 * rank_up - n_all - 1) * value) / (any_value(n_all) * sum(value)) END AS gini
    FROM ranked GROUP BY ALL
),
agg AS (
    SELECT {keys}, any_value(u.model) AS model_name, any_value(u.run_id) AS some_run,
           count(DISTINCT u.run_id) AS n_runs, max(u.started_at) AS started_at,
           any_value(u.settings) AS settings_text,
           u.benchmark, u.task, u.metric,
           any_value(u.dir) AS dir, any_value(u.metric_scale) AS metric_scale,
           bool_or(coalesce(u.primary_metric, true)) AS primary_metric,
           max(u.task_languages) AS task_languages,
           count(u.value) AS n, count(*) - count(u.value) AS n_missing,
           avg(u.value) AS mean,
           first(u.language ORDER BY u.sv, u.language) FILTER (WHERE u.value IS NOT NULL) AS worst_language,
           first(u.value ORDER BY u.sv, u.language) FILTER (WHERE u.value IS NOT NULL) AS worst,
           first(u.language ORDER BY u.sv DESC, u.language) FILTER (WHERE u.value IS NOT NULL) AS best_language,
           first(u.value ORDER BY u.sv DESC, u.language) FILTER (WHERE u.value IS NOT NULL) AS best,
           max(u.value) - min(u.value) AS gap,
           CASE WHEN max(u.value) = 0 THEN NULL ELSE min(u.value) / max(u.value) END AS min_max_ratio,
           CASE WHEN avg(u.value) = 0 THEN NULL ELSE stddev_pop(u.value) / avg(u.value) END AS cv,
           any_value(g.gini) AS gini,
           max(u.value) FILTER (WHERE u.language = '{ENGLISH}') AS english,
           avg(u.value) FILTER (WHERE u.language <> '{ENGLISH}') AS mean_other,
           CASE WHEN count(u.value) < 2 THEN NULL
                ELSE 2 * stddev_samp(u.value) / sqrt(count(u.value)) END AS pm
    FROM signed u LEFT JOIN gini g USING ({key}, task, metric)
    GROUP BY {keys}, u.benchmark, u.task, u.metric
)
SELECT CASE WHEN n_runs = 1 THEN some_run END AS run_id, model_name AS model, benchmark, task,
       metric, n, n_missing, task_languages, mean, worst_language, worst, best_language, best,
       gap, min_max_ratio, cv, gini, english,
       dir * (english - worst) AS gap_to_english,
       dir * (english - mean_other) AS transfer_gap,
       pm, dir > 0 AS higher_is_better, metric_scale, primary_metric, settings_text AS settings,
       n_runs, started_at
FROM agg
"""


def _consistency_sql(view: str, source: str, key: str) -> str:
    """Cross-lingual consistency on aligned items (same task, same item_key as English, within
    one `key`): correct in both / correct in either (a score >= 0.5 counts as correct), and
    plain answer agreement where the task's answers are comparable across languages."""
    on = " AND ".join(f"e.{k} = o.{k}" for k in key.split(", "))
    keys = ", ".join(f"o.{k}" for k in key.split(", "))
    return f"""
CREATE VIEW {view} AS
WITH units AS (
    SELECT DISTINCT model, settings, run_id, task_name, benchmark, task, language,
           comparable_answers
    FROM {source} WHERE primary_metric
),
scored AS (  -- every answered sample of those units, with its unit's fields
    SELECT u.*, x.item_key, x.score, x.extracted
    FROM units u JOIN samples x USING (run_id, task_name) WHERE x.score IS NOT NULL
),
pairs AS (
    SELECT {keys}, o.benchmark, o.task, o.language, any_value(o.comparable_answers) AS comparable,
           count(*) AS n_aligned,
           count(*) FILTER (WHERE o.score >= 0.5 AND e.score >= 0.5) AS both_correct,
           count(*) FILTER (WHERE o.score >= 0.5 OR e.score >= 0.5) AS either_correct,
           count(*) FILTER (WHERE o.extracted <> '' AND e.extracted <> '') AS n_answered_both,
           count(*) FILTER (WHERE o.extracted = e.extracted AND o.extracted <> '') AS n_same_answer
    FROM scored o
    JOIN scored e ON {on} AND e.task = o.task AND e.item_key = o.item_key
                 AND e.language = '{ENGLISH}'
    WHERE o.language <> '{ENGLISH}'
    GROUP BY {keys}, o.benchmark, o.task, o.language
)
SELECT * EXCLUDE (comparable),
       CASE WHEN either_correct = 0 THEN NULL ELSE both_correct / either_correct END AS consistency,
       CASE WHEN NOT comparable OR n_answered_both = 0 THEN NULL
            ELSE n_same_answer / n_answered_both END AS agreement
FROM pairs
"""


VIEWS: list[tuple[str, str]] = [
    (
        "run_settings",
        # The settings that make two results comparable, as readable text (equal text: the
        # same settings). The seed counts only when sampling; a system prompt by its hash.
        """
CREATE VIEW run_settings AS
SELECT run_id, CASE WHEN (args->'imported') IS NOT NULL THEN 'imported (Every Eval Ever)'
ELSE concat_ws(', ',
    CASE WHEN (args->>'limit') IS NULL THEN 'all items' ELSE 'limit ' || (args->>'limit') END,
    coalesce(args->>'num_fewshot', '0') || '-shot',
    CASE WHEN (args->>'apply_chat_template')::BOOLEAN THEN 'chat template' END,
    CASE WHEN (args->>'max_gen_toks') IS NOT NULL
         THEN 'max ' || (args->>'max_gen_toks') || ' tokens' END,
    CASE WHEN coalesce((args->'generation'->>'temperature')::DOUBLE, 0) > 0
         THEN 'temperature ' || (args->'generation'->>'temperature')
              || ' seed ' || coalesce(args->'generation'->>'seed', '?') END,
    CASE WHEN (args->'generation'->>'top_p') IS NOT NULL
         THEN 'top-p ' || (args->'generation'->>'top_p') END,
    CASE WHEN (args->'generation'->>'system_prompt') IS NOT NULL
         THEN 'system prompt ' || left(md5(args->'generation'->>'system_prompt'), 8) END
) END AS settings
FROM runs
""",
    ),
    (
        "unit_scores",
        # One row per unit and metric, with the run's model name and settings. Tools sent
        # natively in the request (BFCL's FC mode) are another task than tools in the
        # prompt: every view ranks them apart ("tucan [native tools]"); so is a romanized
        # input (`run --romanized`: "mgsm_direct [romanized]", family too), so no mean over
        # languages mixes scripts. The script_barrier view pairs the two.
        """
CREATE VIEW unit_scores AS
SELECT r.model, u.run_id, u.task_name, u.benchmark,
       CASE WHEN u.tools_via = 'native' THEN u.task || ' [native tools]'
            WHEN u.input_script IS NOT NULL THEN u.task || ' [romanized]'
            ELSE u.task END AS task,
       u.language, u.prompt_language, u.partition, u.source_language, u.target_language,
       u.task_version, s.metric, s.value, s.ci_low, s.ci_high, u.n, u.n_errors, u.duration_s,
       s.value_strict, s.ci_low_strict, s.ci_high_strict, u.origin_language, u.family,
       u.comparable_answers, u.n_judged, u.fidelity, u.line_pass_rate, u.sensitive,
       s.signature, s.primary_metric, s.higher_is_better, s.metric_scale, u.tools_via,
       u.task_languages, u.input_script,
       coalesce(u.family, u.task)
           || CASE WHEN u.input_script IS NOT NULL THEN ' [romanized]' ELSE '' END AS task_family,
       coalesce(u.origin_language, u.language) AS content_origin,
       r.status, r.started_at, rs.settings
FROM units u JOIN scores s USING (run_id, task_name) JOIN runs r USING (run_id)
JOIN run_settings rs USING (run_id)
""",
    ),
    (
        "latest_units",
        # "A model's result on a task", defined once: per model name and task, the settings
        # (and task version) of its latest completed run with the task; per language and
        # metric, the latest completed unit with those same settings. So a row never mixes
        # runs with different settings, and a failed or unfinished run is never ranked.
        """
CREATE VIEW latest_units AS
WITH done AS (
    SELECT * FROM unit_scores WHERE status = 'completed'
),
chosen AS (
    SELECT model, task, arg_max(settings || '|' || task_version, started_at) AS comparable
    FROM done GROUP BY model, task
)
SELECT * EXCLUDE (rk) FROM (
    SELECT d.*, row_number() OVER (PARTITION BY d.model, d.task, d.task_name, d.metric
                                   ORDER BY d.started_at DESC, d.run_id DESC) AS rk
    FROM done d JOIN chosen c ON c.model = d.model AND c.task = d.task
                             AND c.comparable = d.settings || '|' || d.task_version
) WHERE rk = 1
""",
    ),
    ("parity", _parity_sql("parity", "unit_scores", "run_id")),
    # A model's parity for a task: over its latest comparable units (possibly of several runs
    # with the same settings; run_id is set when they are all from one run).
    ("model_parity", _parity_sql("model_parity", "latest_units", "model, settings")),
    (
        "transfer",
        # Each language relative to English in the same run and task.
        f"""
CREATE VIEW transfer AS
SELECT u.run_id, u.model, u.benchmark, u.task, u.metric, u.language, u.prompt_language,
       u.value, en.value AS english,
       CASE WHEN en.value IS NULL OR en.value = 0 OR u.value IS NULL THEN NULL
            ELSE u.value / en.value END AS relative,
       u.higher_is_better, u.metric_scale
FROM unit_scores u
LEFT JOIN unit_scores en ON en.run_id = u.run_id AND en.task = u.task
                          AND en.metric = u.metric AND en.language = '{ENGLISH}'
WHERE u.language <> '{ENGLISH}'
""",
    ),
    ("consistency", _consistency_sql("consistency", "unit_scores", "run_id")),
    ("model_consistency", _consistency_sql("model_consistency", "latest_units", "model, settings")),
    (
        "prompt_language_effect",
        # The same content (family, language, origin, partition) with instructions in its own
        # language minus instructions in another language.
        """
CREATE VIEW prompt_language_effect AS
SELECT n.run_id, n.model, n.benchmark, n.task_family AS family, n.metric, n.language,
       o.prompt_language AS other_prompt_language, n.task AS native_task, o.task AS other_task,
       n.value AS native, o.value AS other, n.value - o.value AS delta
FROM unit_scores n
JOIN unit_scores o ON o.run_id = n.run_id AND o.benchmark = n.benchmark
                  AND o.task_family = n.task_family AND o.metric = n.metric
                  AND o.language = n.language AND o.content_origin = n.content_origin
                  AND o.partition = n.partition AND o.prompt_language <> o.language
WHERE n.prompt_language = n.language
""",
    ),
    (
        "mother_tongue_effect",
        # MultiLoKo: questions written in language l, asked in l, minus the same questions
        # translated into English (per translation partition).
        f"""
CREATE VIEW mother_tongue_effect AS
SELECT l.run_id, l.model, l.benchmark, l.task_family AS family, l.metric, l.language,
       t.partition AS translated_partition, l.value AS local, t.value AS in_english,
       l.value - t.value AS delta
FROM unit_scores l
JOIN unit_scores t ON t.run_id = l.run_id AND t.benchmark = l.benchmark
                  AND t.task_family = l.task_family AND t.metric = l.metric
                  AND t.language = '{ENGLISH}' AND t.content_origin = l.language
                  AND t.partition <> 'original'
WHERE l.content_origin = l.language AND l.language <> '{ENGLISH}'
  AND l.source_language IS NULL
""",
    ),
    (
        "locality_effect",
        # MultiLoKo: local questions in l minus English-sourced questions translated into l.
        f"""
CREATE VIEW locality_effect AS
SELECT l.run_id, l.model, l.benchmark, l.task_family AS family, l.metric, l.language,
       t.partition AS translated_partition, l.value AS local, t.value AS translated_from_english,
       l.value - t.value AS delta
FROM unit_scores l
JOIN unit_scores t ON t.run_id = l.run_id AND t.benchmark = l.benchmark
                  AND t.task_family = l.task_family AND t.metric = l.metric
                  AND t.language = l.language AND t.content_origin = '{ENGLISH}'
                  AND t.partition <> 'original'
WHERE l.content_origin = l.language AND l.language <> '{ENGLISH}'
  AND l.source_language IS NULL
""",
    ),
    (
        "direction_asymmetry",
        # Machine translation: into l from English minus out of l into English.
        f"""
CREATE VIEW direction_asymmetry AS
SELECT o.run_id, o.model, o.benchmark, o.task_family AS family, o.metric,
       o.target_language AS language, o.value AS en_to_x, i.value AS x_to_en,
       o.value - i.value AS delta
FROM unit_scores o
JOIN unit_scores i ON i.run_id = o.run_id AND i.benchmark = o.benchmark
                  AND i.task_family = o.task_family AND i.metric = o.metric
                  AND i.source_language = o.target_language AND i.target_language = '{ENGLISH}'
WHERE o.source_language = '{ENGLISH}'
""",
    ),
    (
        "fidelity",
        # Language fidelity per unit (computed at ingest from each response's detected language).
        """
CREATE VIEW fidelity AS
SELECT run_id, model, benchmark, task, language, n, n_judged, fidelity, line_pass_rate
FROM unit_scores WHERE primary_metric
""",
    ),
    (
        "script_barrier",
        # Each romanized unit (`xbench run --romanized`) beside its native-script twin of the same
        # run: delta = native - romanized, in the metric's units, with the prompt tokens per
        # sample of both (the script's token premium).
        """
CREATE VIEW script_barrier AS
SELECT n.run_id, n.model, n.benchmark, n.task, n.language, n.prompt_language, n.partition,
       n.metric, n.higher_is_better, n.metric_scale, n.value AS native_script, r.value AS romanized,
       n.value - r.value AS delta, n.n AS n_native_script, r.n AS n_romanized,
       n.task_name AS native_script_task_name, r.task_name AS romanized_task_name,
       (SELECT avg(prompt_tokens) FROM samples s
         WHERE s.run_id = n.run_id AND s.task_name = n.task_name) AS native_script_prompt_tokens,
       (SELECT avg(prompt_tokens) FROM samples s
         WHERE s.run_id = r.run_id AND s.task_name = r.task_name) AS romanized_prompt_tokens
FROM unit_scores n JOIN unit_scores r
  ON r.run_id = n.run_id AND r.task = n.task || ' [romanized]' AND r.language = n.language
 AND r.prompt_language = n.prompt_language AND r.partition = n.partition
 AND r.source_language IS NOT DISTINCT FROM n.source_language
 AND r.metric = n.metric AND r.input_script = 'Latn'
WHERE n.input_script IS NULL
""",
    ),
    (
        "token_usage",
        # Tokens per unit from the samples' counts (the engine's usage, else the model's
        # tokenizer): what a language costs to serve. n_correct counts full marks on a 0-1
        # primary metric (accuracy); it is NULL for a 0-100 score, where "correct" means nothing.
        """
CREATE VIEW token_usage AS
SELECT u.run_id, u.model, u.task_name, u.benchmark, u.task, u.language, u.metric,
       u.metric_scale, count(*) AS n, count(sm.prompt_tokens) AS n_counted,
       sum(sm.prompt_tokens) AS prompt_tokens, sum(sm.completion_tokens) AS completion_tokens,
       avg(sm.prompt_tokens) AS mean_prompt_tokens,
       avg(sm.completion_tokens) AS mean_completion_tokens,
       CASE WHEN u.metric_scale = 1.0
            THEN count(*) FILTER (WHERE sm.score >= 1.0 AND sm.prompt_tokens IS NOT NULL) END
            AS n_correct,
       string_agg(DISTINCT sm.token_source, ',' ORDER BY sm.token_source) AS token_source
FROM unit_scores u JOIN samples sm USING (run_id, task_name)
WHERE u.primary_metric
GROUP BY u.run_id, u.model, u.task_name, u.benchmark, u.task, u.language, u.metric, u.metric_scale
""",
    ),
]

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "runs, scores and samples",
        """
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            model VARCHAR NOT NULL,            -- the model spec as given: smollm2-135m, hf:..., fake
            model_info JSON,                   -- what the spec resolved to (path, revision, dtype, ...)
            args JSON NOT NULL,                -- every run argument
            config_hash VARCHAR NOT NULL,      -- identifies "the same run" for resuming
            versions JSON NOT NULL,            -- xbench, lm-eval, transformers, torch, python
            git_hash VARCHAR,
            tasks JSON NOT NULL,               -- the task variants with their versions and sources
            status VARCHAR NOT NULL,           -- running | completed | failed
            error VARCHAR,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            duration_s DOUBLE
        );
        CREATE TABLE scores (
            run_id VARCHAR NOT NULL,
            task_name VARCHAR NOT NULL,        -- the variant: mgsm_native_cot.deu_Latn
            benchmark VARCHAR NOT NULL,
            task VARCHAR NOT NULL,
            language VARCHAR NOT NULL,
            prompt_language VARCHAR NOT NULL,
            partition VARCHAR NOT NULL,
            source_language VARCHAR,
            target_language VARCHAR,
            task_version VARCHAR NOT NULL,
            metric VARCHAR NOT NULL,
            value DOUBLE,                      -- mean over answered samples; NULL if none answered
            ci_low DOUBLE,                     -- 95% percentile bootstrap
            ci_high DOUBLE,
            n INTEGER NOT NULL,                -- samples in the unit, errors included
            n_errors INTEGER NOT NULL,         -- samples with no scorable response
            duration_s DOUBLE,
            created_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (run_id, task_name, metric)
        );
        CREATE TABLE samples (
            run_id VARCHAR NOT NULL,
            task_name VARCHAR NOT NULL,
            benchmark VARCHAR NOT NULL,
            task VARCHAR NOT NULL,
            language VARCHAR NOT NULL,
            prompt_language VARCHAR NOT NULL,
            partition VARCHAR NOT NULL,
            item_key VARCHAR NOT NULL,
            prompt VARCHAR NOT NULL,
            response VARCHAR,
            extracted VARCHAR,
            gold VARCHAR,
            score DOUBLE,                      -- NULL when error is set: a failure is not a score
            error VARCHAR,
            PRIMARY KEY (run_id, task_name, item_key)
        );
        """,
    ),
    (
        2,
        "strict rates, language fields for effects, language fidelity",
        """
        ALTER TABLE scores ADD COLUMN value_strict DOUBLE;   -- errors counted as wrong (0)
        ALTER TABLE scores ADD COLUMN ci_low_strict DOUBLE;
        ALTER TABLE scores ADD COLUMN ci_high_strict DOUBLE;
        ALTER TABLE scores ADD COLUMN origin_language VARCHAR;
        ALTER TABLE scores ADD COLUMN family VARCHAR;
        ALTER TABLE scores ADD COLUMN comparable_answers BOOLEAN;
        ALTER TABLE scores ADD COLUMN n_judged INTEGER;        -- responses long enough for LID
        ALTER TABLE scores ADD COLUMN fidelity DOUBLE;         -- share of judged in the expected language
        ALTER TABLE scores ADD COLUMN line_pass_rate DOUBLE;   -- language-confusion line-level pass rate
        ALTER TABLE samples ADD COLUMN detected_language VARCHAR;
        ALTER TABLE samples ADD COLUMN in_expected BOOLEAN;
        ALTER TABLE samples ADD COLUMN line_pass BOOLEAN;
        """,
    ),
    (
        3,
        "sensitive flag and per-model latest views for the leaderboard",
        "ALTER TABLE scores ADD COLUMN sensitive BOOLEAN DEFAULT false;",
    ),
    (
        4,
        "several metrics per sample, corpus metrics with signatures",
        """
        ALTER TABLE samples ADD COLUMN metrics JSON;      -- further per-sample metrics by name
        ALTER TABLE scores ADD COLUMN signature VARCHAR;  -- how a corpus metric was computed
        ALTER TABLE scores ADD COLUMN primary_metric BOOLEAN DEFAULT true;
        """,
    ),
    (
        5,
        "how tools reached the model",
        """
        ALTER TABLE scores ADD COLUMN tools_via VARCHAR;  -- native | chat_template | prompt | NULL
        """,
    ),
    (
        6,
        "scorer notes and cut responses",
        """
        ALTER TABLE samples ADD COLUMN note VARCHAR;           -- e.g. a stripped chat preamble
        ALTER TABLE samples ADD COLUMN response_chars BIGINT;  -- full length of a cut response
        ALTER TABLE runs ADD COLUMN owner VARCHAR;  -- host:pid:start of the process running it
        """,
    ),
    (
        7,
        "model names apart from model specs; shards of one command",
        """
        -- From now on runs.model is the name results are shown under (--model-name, default a
        -- short name derived from the spec); the spec as given moves to model_spec.
        ALTER TABLE runs ADD COLUMN model_spec VARCHAR;
        UPDATE runs SET model_spec = model;
        ALTER TABLE runs ADD COLUMN merge_key VARCHAR;  -- equal for the shards of one command
        """,
    ),
    (
        8,
        "declared metric direction and scale; direction-aware parity",
        """
        ALTER TABLE scores ADD COLUMN higher_is_better BOOLEAN DEFAULT true;
        ALTER TABLE scores ADD COLUMN metric_scale DOUBLE DEFAULT 1.0;
        -- Rows stored before tasks declared their metrics: the built-in MT metrics.
        UPDATE scores SET metric_scale = 100.0
            WHERE metric IN ('chrF++', 'BLEU', 'TER', 'chrf++_sentence');
        UPDATE scores SET higher_is_better = false WHERE metric = 'TER';
        """,
    ),
    (
        9,
        "units as rows with their metric scores; latest comparable results; coverage",
        """
        -- One row per unit (run x task variant); scores keep one row per unit and metric.
        CREATE TABLE units (
            run_id VARCHAR NOT NULL,
            task_name VARCHAR NOT NULL,        -- the variant: mgsm_native_cot.deu_Latn
            benchmark VARCHAR NOT NULL,
            task VARCHAR NOT NULL,
            language VARCHAR NOT NULL,
            prompt_language VARCHAR NOT NULL,
            partition VARCHAR NOT NULL,
            source_language VARCHAR,
            target_language VARCHAR,
            origin_language VARCHAR,
            family VARCHAR,
            task_version VARCHAR NOT NULL,
            comparable_answers BOOLEAN,
            sensitive BOOLEAN DEFAULT false,
            tools_via VARCHAR,                 -- native | chat_template | prompt | NULL (no tools)
            n INTEGER NOT NULL,                -- samples in the unit, errors included
            n_errors INTEGER NOT NULL,         -- samples with no scorable response
            n_judged INTEGER,                  -- responses long enough for LID
            fidelity DOUBLE,                   -- share of judged in the expected language
            line_pass_rate DOUBLE,             -- language-confusion line-level pass rate
            duration_s DOUBLE,
            task_languages INTEGER,            -- languages the task has (coverage: n of these)
            created_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (run_id, task_name)
        );
        INSERT INTO units BY NAME
        SELECT DISTINCT ON (run_id, task_name)
               run_id, task_name, benchmark, task, language, prompt_language, partition,
               source_language, target_language, origin_language, family, task_version,
               comparable_answers, coalesce(sensitive, false) AS sensitive, tools_via, n,
               n_errors, n_judged, fidelity, line_pass_rate, duration_s, created_at
        FROM scores ORDER BY run_id, task_name, coalesce(primary_metric, true) DESC, metric;
        CREATE TABLE metric_scores (
            run_id VARCHAR NOT NULL,
            task_name VARCHAR NOT NULL,
            metric VARCHAR NOT NULL,
            value DOUBLE,                      -- NULL if no sample was answered
            ci_low DOUBLE,                     -- 95% bootstrap interval
            ci_high DOUBLE,
            value_strict DOUBLE,               -- errors counted as wrong (0); per-sample metric only
            ci_low_strict DOUBLE,
            ci_high_strict DOUBLE,
            signature VARCHAR,                 -- how a corpus metric was computed
            primary_metric BOOLEAN NOT NULL,   -- the task's headline metric
            higher_is_better BOOLEAN NOT NULL, -- the metric's declared direction
            metric_scale DOUBLE NOT NULL,      -- 1.0: a 0-1 share; 100.0: a 0-100 score
            PRIMARY KEY (run_id, task_name, metric)
        );
        INSERT INTO metric_scores BY NAME
        SELECT run_id, task_name, metric, value, ci_low, ci_high, value_strict, ci_low_strict,
               ci_high_strict, signature, coalesce(primary_metric, true) AS primary_metric,
               coalesce(higher_is_better, true) AS higher_is_better,
               coalesce(metric_scale, 1.0) AS metric_scale
        FROM scores;
        DROP TABLE scores;
        ALTER TABLE metric_scores RENAME TO scores;
        """,
    ),
    (
        10,
        "imported results (Every Eval Ever) have their own settings text",
        """
        -- No table changes: run_settings names runs with args.imported as imported, so an
        -- imported result is never ranked as comparable with one made here.
        SELECT 1;
        """,
    ),
    (
        11,
        "token counts per sample; tokenizer tax per language (xbench tokenizers)",
        """
        ALTER TABLE samples ADD COLUMN prompt_tokens BIGINT;      -- tokens of the prompt sent
        ALTER TABLE samples ADD COLUMN completion_tokens BIGINT;  -- tokens of the response
        ALTER TABLE samples ADD COLUMN token_source VARCHAR;      -- usage | tokenizer | NULL
        CREATE TABLE tokenizer_stats (
            model TEXT NOT NULL,
            tokenizer TEXT NOT NULL,
            corpus TEXT NOT NULL,
            language TEXT NOT NULL,
            segments INTEGER NOT NULL,
            tokens BIGINT NOT NULL,
            words BIGINT NOT NULL,
            characters BIGINT NOT NULL,
            bytes BIGINT NOT NULL,
            fertility DOUBLE NOT NULL,
            fertility_unit TEXT NOT NULL,
            bytes_per_token DOUBLE NOT NULL,
            premium DOUBLE,
            measured_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (model, tokenizer, corpus, language)
        );
        """,
    ),
    (
        12,
        "MoE routing divergence to English per layer (xbench routing)",
        """
        CREATE TABLE routing_divergence (
            model TEXT NOT NULL,
            source TEXT NOT NULL,           -- the checkpoint measured: a hub id or a folder
            corpus TEXT NOT NULL,
            language TEXT NOT NULL,
            layer INTEGER NOT NULL,         -- 0-based among the layers with a router
            divergence DOUBLE NOT NULL,     -- mean Jensen-Shannon divergence to English, bits
            segments INTEGER NOT NULL,
            experts INTEGER NOT NULL,
            measured_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (model, corpus, language, layer)
        );
        """,
    ),
    (
        13,
        "transfer predicted from typology (xbench typology)",
        """
        CREATE TABLE typology_fits (
            model TEXT NOT NULL,
            task TEXT NOT NULL,
            metric TEXT NOT NULL,
            distances TEXT NOT NULL,        -- the regressors, comma-separated: syntactic,genetic
            n_languages INTEGER NOT NULL,
            intercept DOUBLE NOT NULL,
            coefficients JSON NOT NULL,     -- {distance: slope}
            r2 DOUBLE,
            loo_mae DOUBLE NOT NULL,
            loo_r2 DOUBLE,
            fitted_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (model, task, metric, distances)
        );
        CREATE TABLE typology_languages (
            model TEXT NOT NULL,
            task TEXT NOT NULL,
            metric TEXT NOT NULL,
            distances TEXT NOT NULL,
            language TEXT NOT NULL,
            observed DOUBLE,                -- S_L / S_eng; NULL for a language not evaluated
            fitted DOUBLE NOT NULL,         -- the fit's value (a prediction where not observed)
            held_out DOUBLE,                -- predicted by the fit without this language
            predicted BOOLEAN NOT NULL,     -- true: not evaluated, a prediction only
            language_distances JSON NOT NULL,  -- every URIEL distance to English
            PRIMARY KEY (model, task, metric, distances, language)
        );
        """,
    ),
    (
        14,
        "romanized variants (the script barrier)",
        """
        ALTER TABLE units ADD COLUMN input_script VARCHAR;  -- Latn: romanized input; NULL: own
        """,
    ),
]

TYPOLOGY_FIT_FIELDS = (
    "model", "task", "metric", "distances", "n_languages", "intercept", "coefficients", "r2",
    "loo_mae", "loo_r2", "fitted_at",
)  # fmt: skip
TYPOLOGY_LANGUAGE_FIELDS = (
    "model", "task", "metric", "distances", "language", "observed", "fitted", "held_out",
    "predicted", "language_distances",
)  # fmt: skip

ROUTING_FIELDS = (
    "model", "source", "corpus", "language", "layer", "divergence", "segments", "experts",
    "measured_at",
)  # fmt: skip

TOKENIZER_FIELDS = (
    "model", "tokenizer", "corpus", "language", "segments", "tokens", "words", "characters",
    "bytes", "fertility", "fertility_unit", "bytes_per_token", "premium", "measured_at",
)  # fmt: skip

# `xbench export --scores`: one row per model x task variant x metric (docs/store.md).
SCORE_EXPORT_FIELDS = (
    "model", "run_id", "task_name", "benchmark", "task", "language", "prompt_language",
    "partition", "source_language", "target_language", "origin_language", "task_version",
    "metric", "primary_metric", "value", "ci_low", "ci_high", "value_strict", "n", "n_errors",
    "task_languages", "higher_is_better", "metric_scale", "signature", "fidelity", "tools_via",
    "settings", "status", "started_at",
)  # fmt: skip

# The documented export fields, in order (README "Export").
EXPORT_FIELDS = (
    "run_id", "model", "benchmark", "task", "language", "prompt_language", "partition",
    "item_key", "prompt", "response", "extracted", "gold", "score", "error", "detected_language",
)  # fmt: skip


@dataclass(frozen=True)
class UnitScore:
    task_name: str
    benchmark: str
    task: str
    language: str
    prompt_language: str
    partition: str
    source_language: str | None
    target_language: str | None
    task_version: str
    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_errors: int
    duration_s: float
    value_strict: float | None = None
    ci_low_strict: float | None = None
    ci_high_strict: float | None = None
    origin_language: str | None = None
    family: str | None = None
    comparable_answers: bool = False
    n_judged: int | None = None
    fidelity: float | None = None
    line_pass_rate: float | None = None
    sensitive: bool = False
    signature: str | None = None
    primary_metric: bool = True
    higher_is_better: bool = True  # the metric's direction, as the task declares it
    metric_scale: float = 1.0  # 1.0: a 0-1 share; 100.0: a 0-100 score (never rescaled)
    tools_via: str | None = None
    task_languages: int | None = None  # languages the task has: coverage is n of these
    input_script: str | None = None  # "Latn": the input was romanized; None: its own script


# How a UnitScore is stored: its unit's fields (one `units` row) and its metric's (`scores`).
METRIC_FIELDS = (
    "metric", "value", "ci_low", "ci_high", "value_strict", "ci_low_strict", "ci_high_strict",
    "signature", "primary_metric", "higher_is_better", "metric_scale",
)  # fmt: skip
UNIT_FIELDS = tuple(f.name for f in fields_of(UnitScore) if f.name not in METRIC_FIELDS)


@dataclass(frozen=True)
class SampleRow:
    item_key: str
    prompt: str
    response: str | None
    extracted: str | None
    gold: str | None
    score: float | None
    error: str | None
    detected_language: str | None = None
    in_expected: bool | None = None
    line_pass: bool | None = None
    metrics: str | None = None  # JSON object of further per-sample metrics
    note: str | None = None  # how the scorer read the response (Scored.note)
    response_chars: int | None = None  # the response's full length, when it was cut
    prompt_tokens: int | None = None  # tokens of the prompt as sent
    completion_tokens: int | None = None  # tokens of the response
    token_source: str | None = None  # "usage" (the engine's count) or "tokenizer"


# SampleRow's fields as Arrow types (DuckDB casts the JSON column from text on insert).
_SAMPLE_TYPES = {
    "score": "float64", "in_expected": "bool_", "line_pass": "bool_", "response_chars": "int64",
    "prompt_tokens": "int64", "completion_tokens": "int64",
}  # fmt: skip


def _samples_table(samples: Sequence[SampleRow]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            f.name: pa.array(
                [getattr(s, f.name) for s in samples],
                type=getattr(pa, _SAMPLE_TYPES.get(f.name, "string"))(),
            )
            for f in fields_of(SampleRow)
        }
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _message(exc: BaseException) -> str:
    """A database error's own message, one line (its type says nothing to a user)."""
    return cause(exc, limit=240, with_type=False)


class _LockWait:
    """One wait for another process's lock: reported on stderr once it passes LOCK_REPORT_S,
    given up with a one-line error after LOCK_WAIT_S."""

    def __init__(self, what: str, holder: str) -> None:
        self.what, self.holder = what, holder
        self.started, self.reported = time.monotonic(), False

    def again(self, sleep_s: float) -> None:
        waited = time.monotonic() - self.started
        if waited > LOCK_WAIT_S:
            raise XbenchError(
                f"the database {self.what} stayed locked by {self.holder} for {waited:.0f} s; "
                "stop it (or use another --db), then rerun"
            )
        if waited > LOCK_REPORT_S and not self.reported:
            self.reported = True
            print(
                f"xbench: waiting for {self.holder} to release {self.what} "
                f"(up to {LOCK_WAIT_S:.0f} s)...",
                file=sys.stderr, flush=True,
            )  # fmt: skip
        time.sleep(sleep_s * (0.5 + random.random()))  # jitter: no lock-step retries

    def done(self) -> None:
        if self.reported:
            print(
                f"xbench: got {self.what} after {time.monotonic() - self.started:.1f} s",
                file=sys.stderr, flush=True,
            )  # fmt: skip


@contextmanager
def _turnstile(path: Path, *, exclusive: bool) -> Iterator[None]:
    """Writers before readers. A writer holds an exclusive lock on `<db>.lock` while it waits
    for and uses the database; a reader passes through with a shared lock taken and released
    at once. So readers that open the store in a tight loop cannot starve a writer: new
    readers queue behind it, the ones inside finish their short queries, and it gets in.
    (POSIX only; elsewhere the DuckDB lock alone decides.)"""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    lock_file = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:  # a read-only folder: readers cannot queue, the DuckDB lock still holds
        yield
        return
    try:
        wait = _LockWait(str(path), "another xbench process writing it")
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                wait.again(0.01)
        if exclusive:
            yield
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            yield
    finally:
        os.close(fd)  # closing releases the lock


class Store:
    """One DuckDB file. `Store(path)` migrates it; `Store(path, read_only=True)` never writes."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only:
            if not self.path.exists():
                raise XbenchError(
                    f"no xbench database at {self.path}; fill it with `xbench run --db {self.path} ...`"
                )
            self._check_schema()
        else:
            created = not self.path.exists()
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise XbenchError(
                    f"cannot create the folder of the database {self.path} ({exc.strerror}); "
                    "choose another place with --db"
                ) from None
            try:
                self._migrate()
            except XbenchError:
                if created:
                    self._remove_partial_file()
                raise
            except (duckdb.Error, OSError) as exc:
                if created:  # e.g. a full disk: never leave a half-written store behind
                    self._remove_partial_file()
                    raise XbenchError(
                        f"cannot create the database {self.path}: {_message(exc)}; free space "
                        "or choose another place with --db, then rerun"
                    ) from None
                raise self._damaged(exc) from None

    def _remove_partial_file(self) -> None:
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def _damaged(self, exc: BaseException) -> XbenchError:
        return XbenchError(
            f"the database {self.path} is damaged or not an xbench database ({_message(exc)}); "
            "restore it from a backup, or move it aside to start a new store (runs in it are "
            "lost to xbench)"
        )

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection. DuckDB lets one process write a file at a time and
        readers in other processes hold it briefly too, so a conflicting lock is waited out
        (up to LOCK_WAIT_S, reported on stderr after LOCK_REPORT_S) instead of failing a run
        that has just spent minutes generating. Writers go first: see `_turnstile`."""
        wait = _LockWait(str(self.path), "another process (an xbench run or leaderboard)")
        delay = 0.005
        with _turnstile(self.path, exclusive=not self.read_only):
            while True:
                try:
                    con = duckdb.connect(str(self.path), read_only=self.read_only)
                    break
                except duckdb.IOException as exc:
                    if "lock" not in str(exc).lower():
                        raise self._unreadable(exc) from None
                    wait.again(delay)
                    delay = min(delay * 2, 0.1)
                except duckdb.Error as exc:
                    raise self._unreadable(exc) from None
        wait.done()
        try:
            yield con
        finally:
            con.close()

    def _unreadable(self, exc: BaseException) -> XbenchError:
        text = str(exc)
        if isinstance(exc, duckdb.IOException) and any(
            hint in text for hint in ("No space left", "Read-only file system", "Permission denied")
        ):
            return XbenchError(
                f"cannot open the database {self.path}: {_message(exc)}; free space or fix "
                "the folder's permissions (or choose another place with --db), then rerun"
            )
        return self._damaged(exc)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connect() as con:
            con.begin()
            try:
                yield con
            except BaseException:
                con.rollback()
                raise
            con.commit()

    # --- schema -------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self.transaction() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS migrations ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
            applied = {row[0] for row in con.execute("SELECT version FROM migrations").fetchall()}
            self._refuse_newer(max(applied, default=0))
            todo = [m for m in MIGRATIONS if m[0] not in applied]
            if not todo:
                return
            # Views read the tables a migration changes: all go first, all come back after.
            for (view,) in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
            ).fetchall():
                con.execute(f'DROP VIEW "{view}"')
            for version, name, sql in todo:
                con.execute(sql)
                con.execute("INSERT INTO migrations VALUES (?, ?, ?)", [version, name, _now()])
            for _, sql in VIEWS:
                con.execute(sql)

    def _check_schema(self) -> None:
        """A reader cannot migrate; an older file gets a one-line instruction instead."""
        with self.connect() as con:
            try:
                row = con.execute("SELECT max(version) FROM migrations").fetchone()
            except duckdb.CatalogException:
                row = None
        have, want = (row[0] if row else None) or 0, MIGRATIONS[-1][0]
        self._refuse_newer(have)
        if have < want:
            raise XbenchError(
                f"the database {self.path} has schema version {have}, this xbench needs {want}; "
                f"upgrade it with `xbench migrate --db {self.path}`"
            )

    def _refuse_newer(self, have: int) -> None:
        """A store written by a newer xbench may hold what this one cannot read or would
        damage: neither read nor write it."""
        want = MIGRATIONS[-1][0]
        if have > want:
            raise XbenchError(
                f"the database {self.path} has schema version {have}, written by a newer xbench; "
                f"this xbench ({__version__}) knows schema version {want}; upgrade xbench "
                "(`pip install -U xbench`) or use another --db"
            )

    def migrations(self) -> list[tuple[int, str]]:
        with self.connect() as con:
            return con.execute("SELECT version, name FROM migrations ORDER BY version").fetchall()

    # --- writing --------------------------------------------------------------------------

    def start_run(
        self,
        *,
        model: str,
        args: dict[str, Any],
        config_hash: str,
        model_spec: str | None = None,
        merge_key: str | None = None,
        versions: dict[str, str | None],
        git_hash: str | None,
        tasks: list[dict[str, Any]],
    ) -> tuple[str, bool]:
        """Open a run, or reopen the unfinished run with the same config (resume).

        Returns (run_id, resumed)."""
        owner = processes.owner()
        with self.transaction() as con:
            row = con.execute(
                "SELECT run_id, status, owner FROM runs WHERE config_hash = ?"
                " AND status <> 'completed' ORDER BY started_at DESC LIMIT 1",
                [config_hash],
            ).fetchone()
            if row:
                if (
                    row[1] == "running"
                    and row[2] not in (None, owner)
                    and processes.owner_alive(row[2])
                ):
                    pid = row[2].split(":")[1]
                    raise XbenchError(
                        f"the same run ({row[0]}) is already running in process {pid} on this "
                        "machine; wait for it to finish (or stop it), then rerun this command to "
                        "resume"
                    )
                con.execute(
                    "UPDATE runs SET status = 'running', error = NULL, finished_at = NULL,"
                    " versions = ?, git_hash = ?, owner = ? WHERE run_id = ?",
                    [json.dumps(versions), git_hash, owner, row[0]],
                )
                return row[0], True
            run_id = _now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
            con.execute(
                "INSERT INTO runs (run_id, model, model_spec, merge_key, args, config_hash,"
                " versions, git_hash, tasks, status, started_at, owner)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)",
                [
                    run_id, model, model_spec or model, merge_key, json.dumps(args), config_hash,
                    json.dumps(versions), git_hash, json.dumps(tasks), _now(), owner,
                ],
            )  # fmt: skip
            return run_id, False

    def set_model_info(self, run_id: str, info: dict[str, Any]) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE runs SET model_info = ? WHERE run_id = ?", [json.dumps(info), run_id]
            )

    def save_unit(
        self, run_id: str, scores: Sequence[UnitScore], samples: Sequence[SampleRow]
    ) -> None:
        """Store one finished task-language unit (its score per metric, and its samples) in
        one transaction. Saving the same unit again replaces it, so a resumed run never
        duplicates rows."""
        self.save_units(run_id, [(scores, samples)])

    def save_units(
        self, run_id: str, units: Sequence[tuple[Sequence[UnitScore], Sequence[SampleRow]]]
    ) -> None:
        """Store finished units in one transaction (one connection for all of them): each
        whole or, if the transaction fails, none."""
        for scores, _ in units:
            if not scores or len({s.task_name for s in scores}) != 1:
                raise ValueError("a unit is the scores of exactly one task-language variant")
        with self.transaction() as con:
            for scores, samples in units:
                self._insert_unit(con, run_id, scores, samples)

    def _insert_unit(
        self, con: duckdb.DuckDBPyConnection, run_id: str, scores: Sequence[UnitScore],
        samples: Sequence[SampleRow],
    ) -> None:  # fmt: skip
        unit = scores[0]
        for table in ("scores", "units", "samples"):
            con.execute(
                f"DELETE FROM {table} WHERE run_id = ? AND task_name = ?",
                [run_id, unit.task_name],
            )
        con.execute(
            f"INSERT INTO units (run_id, {', '.join(UNIT_FIELDS)}, created_at)"
            f" VALUES (?, {', '.join('?' * len(UNIT_FIELDS))}, ?)",
            [run_id, *(getattr(unit, f) for f in UNIT_FIELDS), _now()],
        )
        con.executemany(
            f"INSERT INTO scores (run_id, task_name, {', '.join(METRIC_FIELDS)})"
            f" VALUES (?, ?, {', '.join('?' * len(METRIC_FIELDS))})",
            [[run_id, unit.task_name, *(getattr(score, f) for f in METRIC_FIELDS)]
             for score in scores],
        )  # fmt: skip
        common = {
            "run_id": run_id, "task_name": unit.task_name, "benchmark": unit.benchmark,
            "task": unit.task, "language": unit.language,
            "prompt_language": unit.prompt_language, "partition": unit.partition,
        }  # fmt: skip
        if samples:  # one bulk insert: DuckDB reads the Arrow table in place
            con.register("unit_samples", _samples_table(samples))
            try:
                con.execute(
                    "INSERT INTO samples BY NAME SELECT "
                    + ", ".join(f"?::VARCHAR AS {c}" for c in common)
                    + ", * FROM unit_samples",
                    list(common.values()),
                )
            finally:
                try:
                    con.unregister("unit_samples")
                except duckdb.Error:  # an aborted transaction: its rollback drops it too
                    pass

    def finish_run(self, run_id: str, status: str, error: str | None = None) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE runs SET status = ?, error = ?, finished_at = ?,"
                " duration_s = date_diff('millisecond', started_at, ?) / 1000.0"
                " WHERE run_id = ?",
                [status, error, _now(), _now(), run_id],
            )

    # --- reading --------------------------------------------------------------------------

    def completed_units(self, run_id: str) -> set[str]:
        with self.connect() as con:
            rows = con.execute("SELECT task_name FROM units WHERE run_id = ?", [run_id]).fetchall()
        return {r[0] for r in rows}

    def resolve_run_id(self, run_id: str | None, *, model_names: bool = False) -> str:
        """`None` means the latest run. A run id may be shortened to a unique prefix
        (`20261202-0031`) or to its short id, the last part (`534a0a`, or 4+ of its first
        characters); with `model_names`, a
        model name means that model's latest completed run. Anything else is an error that
        lists recent runs."""
        with self.connect() as con:
            if run_id is None:
                row = con.execute(
                    "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1"
                ).fetchone()
                if row is None:
                    raise XbenchError(
                        f"the database {self.path} holds no runs yet; start one with `xbench run`"
                    )
                return row[0]
            text = run_id.strip()
            hits = [r[0] for r in con.execute(
                "SELECT run_id FROM runs WHERE run_id = ? OR starts_with(run_id, ?)"
                " OR (length(?) >= 4 AND starts_with(split_part(run_id, '-', 3), ?))"
                " ORDER BY started_at DESC",
                [text, text, text, text]).fetchall()]  # fmt: skip
            if text in hits:
                return text
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise XbenchError(
                    f"run {text!r} is ambiguous ({', '.join(hits[:5])}); give more of the id"
                )
            if model_names:
                row = con.execute(
                    "SELECT run_id FROM runs WHERE model = ? AND status = 'completed'"
                    " ORDER BY started_at DESC LIMIT 1", [text],
                ).fetchone()  # fmt: skip
                if row:
                    return row[0]
            recent = [r[0] for r in con.execute(
                "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 5").fetchall()]  # fmt: skip
        what = "run or model" if model_names else "run"
        raise XbenchError(
            f"unknown {what} {run_id!r}; recent runs: {', '.join(recent) or 'none'} (`xbench runs` lists them)"
        )

    def runs(
        self, *, model: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Recent runs, newest first: id, short id, model name, benchmarks, languages, status,
        units, start."""
        with self.connect() as con:
            rel = con.execute(
                "SELECT r.run_id, split_part(r.run_id, '-', 3) AS short_id, r.model, r.status,"
                " r.started_at, r.duration_s, r.error,"
                " list_sort(list_distinct(list(s.benchmark) FILTER (WHERE s.benchmark IS NOT NULL))) AS benchmarks,"
                " count(DISTINCT s.language) AS languages, count(DISTINCT s.task_name) AS units"
                " FROM runs r LEFT JOIN units s USING (run_id)"
                " WHERE (? IS NULL OR r.model = ?) AND (? IS NULL OR r.status = ?)"
                " GROUP BY ALL ORDER BY r.started_at DESC LIMIT ?",
                [model, model, status, status, limit],
            )
            cols = [d[0] for d in rel.description]
            return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]

    def remove_run(self, run_id: str) -> dict[str, int]:
        """Delete a run with its scores and samples in one transaction; returns the row counts."""
        with self.transaction() as con:
            counts = {}
            for table in ("samples", "scores", "units", "runs"):
                counts[table] = con.execute(
                    f"SELECT count(*) FROM {table} WHERE run_id = ?", [run_id]
                ).fetchone()[0]
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        return counts

    def run(self, run_id: str) -> dict[str, Any]:
        with self.connect() as con:
            rel = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
            cols = [d[0] for d in rel.description]
            row = rel.fetchone()
        record = dict(zip(cols, row, strict=True))
        for key in ("model_info", "args", "versions", "tasks"):
            if record[key] is not None:
                record[key] = json.loads(record[key])
        for key in ("started_at", "finished_at"):
            if record[key] is not None:
                record[key] = record[key].isoformat()
        return record

    def scores(self, run_id: str) -> list[dict[str, Any]]:
        with self.connect() as con:
            rel = con.execute(
                f"SELECT {', '.join(f.name for f in fields_of(UnitScore))}"
                " FROM units JOIN scores USING (run_id, task_name) WHERE run_id = ?"
                " ORDER BY benchmark, task, language, metric",
                [run_id],
            )
            cols = [d[0] for d in rel.description]
            return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]

    def export(self, run_id: str, fmt: str, out: Path) -> int:
        """Write one row per scored sample (EXPORT_FIELDS). Returns the number of rows."""
        query = (
            f"SELECT {', '.join('s.' + f if f != 'model' else 'r.model' for f in EXPORT_FIELDS)}"
            " FROM samples s JOIN runs r USING (run_id) WHERE s.run_id = $run_id"
            " ORDER BY s.benchmark, s.task, s.language, TRY_CAST(s.item_key AS BIGINT), s.item_key"
        )
        return self._write(query, {"run_id": run_id}, EXPORT_FIELDS, fmt, out)

    def save_tokenizer_stats(
        self, model: str, tokenizer: str, corpus: str, rows: Sequence[Any]
    ) -> None:
        """Store one measurement of a tokenizer (`analyses.tokenizers.LanguageTokens` rows) in one
        transaction; measuring the same model, tokenizer, corpus and language again replaces
        its row."""
        now = _now()
        values = [
            [model, tokenizer, corpus, r.language, r.segments, r.tokens, r.words, r.characters,
             r.bytes, r.fertility, r.fertility_unit, r.bytes_per_token, r.premium, now]
            for r in rows
        ]  # fmt: skip
        with self.transaction() as con:
            con.executemany(
                f"INSERT OR REPLACE INTO tokenizer_stats ({', '.join(TOKENIZER_FIELDS)})"
                f" VALUES ({', '.join('?' * len(TOKENIZER_FIELDS))})",
                values,
            )

    def save_routing(self, model: str, source: str, corpus: str, rows: Sequence[Any]) -> None:
        """Store one routing measurement (`analyses.routing.LayerDivergence` rows) in one transaction;
        measuring a model, corpus and language again replaces its layer curve."""
        now = _now()
        with self.transaction() as con:
            for language in {r.language for r in rows}:
                con.execute(
                    "DELETE FROM routing_divergence WHERE model = ? AND corpus = ? AND language = ?",
                    [model, corpus, language],
                )
            con.executemany(
                f"INSERT INTO routing_divergence ({', '.join(ROUTING_FIELDS)})"
                f" VALUES ({', '.join('?' * len(ROUTING_FIELDS))})",
                [[model, source, corpus, r.language, r.layer, r.divergence, r.segments,
                  r.experts, now] for r in rows],
            )  # fmt: skip

    def routing(self, models: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Stored routing curves (of `models`, or all), by model, corpus, language, layer."""
        return self._of_models("routing_divergence", ROUTING_FIELDS, models,
                               "model, corpus, language, layer")  # fmt: skip

    def _of_models(self, table: str, columns: Sequence[str], models: Sequence[str] | None,
                   order: str) -> list[dict[str, Any]]:  # fmt: skip
        """`columns` of the rows of an analysis table (one of this module's constants) of
        `models` (all when None), as dicts in `order`."""
        with self.connect() as con:
            cur = con.execute(
                f"SELECT {', '.join(columns)} FROM {table}"
                " WHERE ? IS NULL OR list_contains(?, model)"
                f" ORDER BY {order}",
                [None if models is None else list(models)] * 2,
            )
            return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]

    def save_typology(self, model: str, task: str, metric: str, fit: Any) -> None:
        """Store one `analyses.typology.Fit` (replacing the same model, task, metric and distances)."""
        key = [model, task, metric, ",".join(fit.distances)]
        with self.transaction() as con:
            for table in ("typology_fits", "typology_languages"):
                con.execute(
                    f"DELETE FROM {table} WHERE model = ? AND task = ? AND metric = ?"
                    " AND distances = ?", key,
                )  # fmt: skip
            con.execute(
                f"INSERT INTO typology_fits ({', '.join(TYPOLOGY_FIT_FIELDS)})"
                f" VALUES ({', '.join('?' * len(TYPOLOGY_FIT_FIELDS))})",
                [*key, fit.n_languages, fit.intercept, json.dumps(fit.coefficients), fit.r2,
                 fit.loo_mae, fit.loo_r2, _now()],
            )  # fmt: skip
            con.executemany(
                f"INSERT INTO typology_languages ({', '.join(TYPOLOGY_LANGUAGE_FIELDS)})"
                f" VALUES ({', '.join('?' * len(TYPOLOGY_LANGUAGE_FIELDS))})",
                [[*key, r["language"], r["observed"], r["fitted"], r["held_out"], r["predicted"],
                  json.dumps(r["to_english"])]
                 for r in fit.languages],
            )  # fmt: skip

    def typology(self, models: Sequence[str] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
        """Stored typology fits and their per-language rows (of `models`, or all)."""
        fits = self._of_models("typology_fits", TYPOLOGY_FIT_FIELDS, models,
                               "model, task, metric, distances")  # fmt: skip
        languages = self._of_models("typology_languages", TYPOLOGY_LANGUAGE_FIELDS, models,
                                    "model, task, distances, predicted, language")  # fmt: skip
        for row in fits:
            row["coefficients"] = json.loads(row["coefficients"])
        for row in languages:
            row["language_distances"] = json.loads(row["language_distances"])
        return fits, languages

    def tokenizer_stats(self, models: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Stored tokenizer rows (of `models`, or all), by model, corpus, English first."""
        return self._of_models("tokenizer_stats", TOKENIZER_FIELDS, models,
                               "model, tokenizer, corpus, language != 'eng_Latn', language")  # fmt: skip

    def export_scores(self, run_ids: Sequence[str] | None, fmt: str, out: Path) -> int:
        """Write one row per model x task variant x metric (SCORE_EXPORT_FIELDS): of the
        given runs, or with `run_ids=None` the leaderboard's current view (`latest_units`).
        Returns the number of rows."""
        fields = ", ".join(SCORE_EXPORT_FIELDS)
        order = " ORDER BY model, benchmark, task, language, task_name, metric"
        if run_ids is None:
            return self._write(f"SELECT {fields} FROM latest_units{order}", {},
                               SCORE_EXPORT_FIELDS, fmt, out)  # fmt: skip
        return self._write(
            f"SELECT {fields} FROM unit_scores WHERE list_contains($runs, run_id){order}",
            {"runs": list(run_ids)}, SCORE_EXPORT_FIELDS, fmt, out,
        )  # fmt: skip

    def _write(
        self, query: str, params: dict[str, Any], names: Sequence[str], fmt: str, out: Path
    ) -> int:
        """The query's rows into `out` as jsonl, csv or parquet. The file appears whole or not
        at all: rows go to a temporary file next to `out`, renamed over it at the end (a full
        disk or a killed export leaves no partial file)."""
        if fmt not in ("jsonl", "csv", "parquet"):
            raise XbenchError(f"unknown export format {fmt!r}; use jsonl, csv, parquet or eee")
        special = out.exists() and not out.is_file()  # /dev/stdout, a fifo: written directly
        if out.is_dir():
            raise XbenchError(
                f"cannot export to {out}: it is a folder; pass a file name with --out"
            )
        target = out if special else out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            if not special:
                out.parent.mkdir(parents=True, exist_ok=True)
            with self.connect() as con:
                rel = con.sql(query, params=params)
                count = len(rel)
                if fmt == "jsonl":
                    with target.open("w", encoding="utf-8") as fh:
                        for row in rel.fetchall():
                            fh.write(json.dumps(dict(zip(names, row, strict=True)),
                                                ensure_ascii=False, default=str) + "\n")  # fmt: skip
                else:
                    (rel.write_csv if fmt == "csv" else rel.write_parquet)(str(target))
            if not special:
                os.replace(target, out)
        except (OSError, duckdb.IOException) as exc:
            if not special:
                try:
                    target.unlink(missing_ok=True)
                except OSError:
                    pass  # it was never created (e.g. its folder is a file)
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else _message(exc)
            raise XbenchError(
                f"cannot write the export to {out}: {why}; choose a writable place with free "
                "space for --out (nothing was written)"
            ) from None
        return count


def write_atomic(path: Path, data: bytes) -> None:
    """`data` into `path`, whole or not at all (a temporary file renamed over it)."""
    if path.is_dir():
        raise XbenchError(f"cannot write {path}: it is a folder; pass a file name with --out")
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise XbenchError(
            f"cannot write {path}: {exc.strerror or exc}; choose a writable place with free space"
        ) from None
