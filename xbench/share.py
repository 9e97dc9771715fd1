"""`xbench report --html FILE` / `--markdown FILE`: a shareable report of one or several
models, from their latest results (`latest_units`, the leaderboard's definition).

The HTML file is self-contained: styles inline, charts as inline SVG, no script and no
request to anywhere, so it opens from a mail attachment or an air-gapped machine. Sections:
an overview (per task: the primary metric's mean, worst language, gap to English and
coverage), a per-language heatmap per task (numbers in the cells, one fixed colour scale per
metric: 0-1 or 0-100, reversed for lower-is-better), a bar chart per task, parity, transfer
(each language's score over English's) and language fidelity. The Markdown file has the same
tables (the heatmap with numbers, no colours) and no charts.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import __version__, languages
from .errors import XbenchError
from .metrics import show
from .store import Store

ENGLISH = "eng_Latn"
PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3"]


@dataclass(frozen=True)
class TaskBlock:
    """One task's primary metric across the report's models."""

    benchmark: str
    task: str
    metric: str
    scale: float
    higher_is_better: bool
    languages: list[str]
    values: dict[tuple[str, str], float | None]  # (model, language) -> value
    parity: dict[str, dict[str, Any]]  # model -> model_parity row
    fidelity: dict[tuple[str, str], float | None]
    settings: dict[str, str]


def collect(store: Store, models: Sequence[str] | None) -> tuple[list[str], list[TaskBlock]]:
    """The models (all with a completed result when None) and one block per task."""
    with store.connect() as con:
        known = [r[0] for r in con.execute(
            "SELECT DISTINCT model FROM latest_units ORDER BY model").fetchall()]  # fmt: skip
        chosen = list(models) if models else known
        unknown = [m for m in chosen if m not in known]
        if unknown:
            close = languages.suggest(unknown[0], known)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            raise XbenchError(
                f"no completed result for model {unknown[0]!r}{hint}; models: "
                f"{', '.join(known) or 'none yet (run xbench run first)'}"
            )
        rel = con.execute(
            "SELECT model, benchmark, task, metric, language, value, metric_scale,"
            " higher_is_better, fidelity, settings FROM latest_units"
            " WHERE primary_metric AND list_contains($models, model)"
            " ORDER BY benchmark, task, language", {"models": chosen},
        )  # fmt: skip
        units = rel.fetchall()
        parity_rel = con.execute(
            "SELECT * FROM model_parity WHERE primary_metric AND list_contains($models, model)",
            {"models": chosen},
        )  # fmt: skip
        columns = [d[0] for d in parity_rel.description]
        parity = [dict(zip(columns, row, strict=True)) for row in parity_rel.fetchall()]
    blocks: dict[tuple[str, str], TaskBlock] = {}
    for model, benchmark, task, metric, language, value, scale, hib, fid, settings in units:
        block = blocks.get((task, metric))
        if block is None:
            block = blocks[(task, metric)] = TaskBlock(
                benchmark,
                task,
                metric,
                float(scale or 1.0),
                hib is not False,
                [],
                {},
                {},
                {},
                {},
            )
        if language not in block.languages:
            block.languages.append(language)
        block.values[(model, language)] = value
        block.fidelity[(model, language)] = fid
        block.settings[model] = settings
    for row in parity:
        block = blocks.get((row["task"], row["metric"]))
        if block is not None:
            block.parity[row["model"]] = row
    for block in blocks.values():
        block.languages.sort(key=lambda code: (code != ENGLISH, languages.name(code)))
    return chosen, list(blocks.values())


# --- HTML ---------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans",sans-serif;margin:1.5rem;
color:#1d1d1f;max-width:1400px}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
h3{font-size:1rem;margin-bottom:.3rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0}
th,td{border:1px solid #e3e3e3;padding:.25rem .45rem;text-align:right;white-space:nowrap}
th{background:#f5f5f7;font-weight:600}td.l,th.l{text-align:left}
.note{color:#666;font-size:.8rem}.legend{display:flex;gap:.4rem;align-items:center;font-size:.8rem}
.swatch{width:90px;height:10px;display:inline-block}
svg text{font-size:11px;font-family:inherit}
@media (max-width:600px){body{margin:.6rem}th,td{padding:.2rem .3rem;font-size:.75rem}}
"""


def render_html(
    store: Store, models: Sequence[str] | None = None, prices: tuple[float | None, float | None] = (None, None)
) -> str:  # fmt: skip
    chosen, blocks = collect(store, models)
    if not blocks:
        raise XbenchError("nothing to report: no completed result for these models yet")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>xbench report: {_e(', '.join(chosen))}</title><style>{STYLE}</style></head><body>",
        f"<h1>xbench report: {_e(', '.join(chosen))}</h1>",
        f"<p class='note'>Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by xbench {__version__}"
        " from each model's latest result per task (the leaderboard's definition). 0–1 metrics "
        "are shown in percent points, 0–100 metrics (chrF++, BLEU, TER) as they are; TER: lower "
        "is better.</p>",
        "<h2>Overview</h2>", _overview_html(chosen, blocks),
        "<h2>Per language</h2>",
    ]  # fmt: skip
    for block in blocks:
        parts += [
            f"<h3>{_e(block.task)} · {_e(block.metric)}"
            f" ({'higher' if block.higher_is_better else 'lower'} is better)</h3>",
            _heatmap_html(chosen, block),
            _legend_html(block),
            _bars_svg(chosen, block),
        ]
    parts += ["<h2>Parity</h2>", _table_html(*_parity_rows(chosen, blocks))]
    parts += ["<h2>Transfer</h2>",
              "<p class='note'>Each language's score over English's on the same task (1.0: "
              "all of the English ability carries over).</p>",
              _table_html(*_transfer_rows(chosen, blocks))]  # fmt: skip
    parts += ["<h2>Language fidelity</h2>",
              "<p class='note'>Share of judged responses written in the expected language.</p>",
              _table_html(*_fidelity_rows(chosen, blocks))]  # fmt: skip
    parts += ["<h2>Tokens and the tokenizer tax</h2>",
              f"<p class='note'>{_e(TOKENS_NOTE)}</p>",
              _table_html(*_token_rows(store, chosen, prices), empty=NO_TOKENS),
              f"<p class='note'>{_e(TAX_NOTE)}</p>",
              _table_html(*_tokenizer_rows(store, chosen), empty=NO_TAX)]  # fmt: skip
    head, rows = _barrier_rows(store, chosen)
    if rows:
        parts += ["<h2>Script barrier</h2>", f"<p class='note'>{_e(BARRIER_NOTE)}</p>",
                  _table_html(head, rows)]  # fmt: skip
    head, rows = _typology_rows(store, chosen)
    if rows:
        parts += ["<h2>Transfer predicted from typology</h2>",
                  f"<p class='note'>{_e(TYPOLOGY_NOTE)}</p>", _table_html(head, rows)]  # fmt: skip
    head, rows = _routing_rows(store, chosen)
    if rows:  # only mixture-of-experts models have a routing curve
        parts += ["<h2>MoE routing alignment with English</h2>",
                  f"<p class='note'>{_e(ROUTING_NOTE)}</p>", _table_html(head, rows)]  # fmt: skip
    parts.append("</body></html>")
    return "\n".join(parts)


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def _language_th(code: str) -> str:
    return f"<th title='{_e(code)}'>{_e(languages.name(code))}</th>"


def _overview_html(models: Sequence[str], blocks: Sequence[TaskBlock]) -> str:
    head, rows = _overview_rows(models, blocks)
    return _table_html(head, rows)


def _overview_rows(
    models: Sequence[str], blocks: Sequence[TaskBlock]
) -> tuple[list[str], list[list[str]]]:
    head = ["model", "task", "metric", "mean", "worst language", "worst", "gap to English",
            "coverage", "settings"]  # fmt: skip
    rows = []
    for block in blocks:
        ranked = sorted(
            (m for m in models if m in block.parity),
            key=lambda m: -(block.parity[m]["mean"] or 0) * (1 if block.higher_is_better else -1),
        )
        for model in ranked:
            p = block.parity[model]
            rows.append([
                model, block.task, block.metric, show(p["mean"], block.scale) or "",
                languages.name(p["worst_language"]) if p["worst_language"] else "",
                show(p["worst"], block.scale) or "",
                show(p["gap_to_english"], block.scale, signed=True) or "",
                f"{p['n']}/{p['task_languages'] or p['n']} languages", p["settings"] or "",
            ])  # fmt: skip
    return head, rows


def _colour(value: float | None, block: TaskBlock) -> str:
    """A fixed scale per metric: 0 .. its full range, reversed when lower is better."""
    if value is None:
        return "#f0f0f0"
    share = max(0.0, min(1.0, value / block.scale))
    good = share if block.higher_is_better else 1 - share
    # red (bad) -> yellow -> green (good)
    hue = 120 * good
    return f"hsl({hue:.0f},60%,{78 - 18 * abs(good - 0.5):.0f}%)"


def _heatmap_html(models: Sequence[str], block: TaskBlock) -> str:
    cells = ["<div class='scroll'><table><tr><th class='l'>model</th>"]
    cells += [_language_th(code) for code in block.languages]
    cells.append("</tr>")
    for model in models:
        if not any((model, code) in block.values for code in block.languages):
            continue
        cells.append(f"<tr><th class='l'>{_e(model)}</th>")
        for code in block.languages:
            value = block.values.get((model, code))
            cells.append(
                f"<td style='background:{_colour(value, block)}' title='{_e(model)} · "
                f"{_e(languages.name(code))} ({_e(code)})'>{_e(show(value, block.scale) or '–')}</td>"
            )
        cells.append("</tr>")
    cells.append("</table></div>")
    return "".join(cells)


def _legend_html(block: TaskBlock) -> str:
    top = show(block.scale, block.scale)
    low, high = ("0", top) if block.higher_is_better else (top, "0")
    gradient = "linear-gradient(90deg,hsl(0,60%,69%),hsl(60,60%,78%),hsl(120,60%,69%))"
    return (
        f"<div class='legend'>worse {_e(low)}<span class='swatch' style='background:{gradient}'>"
        f"</span>{_e(high)} better · {_e(block.metric)}</div>"
    )


def _bars_svg(models: Sequence[str], block: TaskBlock) -> str:
    """Grouped bars per language (one colour per model), on the metric's full scale."""
    shown = [m for m in models if any((m, c) in block.values for c in block.languages)]
    group = 14 * len(shown) + 10
    width, height, left, bottom = max(320, 40 + group * len(block.languages)), 190, 34, 42
    plot = height - bottom - 10
    out = [
        f"<svg role='img' aria-label='{_e(block.task)} per language' viewBox='0 0 {width} "
        f"{height}' width='{width}' height='{height}' style='max-width:100%;height:auto'>"
    ]
    for tick in (0, 0.5, 1):
        y = 10 + plot * (1 - tick)
        out.append(f"<line x1='{left}' x2='{width}' y1='{y}' y2='{y}' stroke='#e5e5e5'/>")
        out.append(f"<text x='{left - 4}' y='{y + 4}' text-anchor='end'>"
                   f"{_e(show(tick * block.scale, block.scale))}</text>")  # fmt: skip
    for i, code in enumerate(block.languages):
        x0 = left + 6 + i * group
        for j, model in enumerate(shown):
            value = block.values.get((model, code))
            if value is None:
                continue
            h = plot * max(0.0, min(1.0, value / block.scale))
            out.append(
                f"<rect x='{x0 + 14 * j}' y='{10 + plot - h:.1f}' width='12' height='{h:.1f}' "
                f"fill='{PALETTE[j % len(PALETTE)]}'><title>{_e(model)} · "
                f"{_e(languages.name(code))}: {_e(show(value, block.scale))}</title></rect>"
            )
        out.append(f"<text x='{x0 + 7 * len(shown)}' y='{height - bottom + 14}' "
                   f"text-anchor='middle'>{_e(languages.short(code))}</text>")  # fmt: skip
    for j, model in enumerate(shown):
        out.append(f"<rect x='{left + 120 * j}' y='{height - 16}' width='10' height='10' "
                   f"fill='{PALETTE[j % len(PALETTE)]}'/><text x='{left + 14 + 120 * j}' "
                   f"y='{height - 7}'>{_e(model[:16])}</text>")  # fmt: skip
    out.append("</svg>")
    return "".join(out)


def _parity_rows(
    models: Sequence[str], blocks: Sequence[TaskBlock]
) -> tuple[list[str], list[list[str]]]:
    head = ["model", "task", "metric", "languages", "mean", "worst language", "worst",
            "best language", "best", "gap", "gap to English", "transfer gap", "Gini"]  # fmt: skip
    rows = []
    for block in blocks:
        for model in models:
            p = block.parity.get(model)
            if p is None:
                continue
            rows.append([
                model, block.task, block.metric, str(p["n"]), show(p["mean"], block.scale) or "",
                languages.name(p["worst_language"]) if p["worst_language"] else "",
                show(p["worst"], block.scale) or "",
                languages.name(p["best_language"]) if p["best_language"] else "",
                show(p["best"], block.scale) or "", show(p["gap"], block.scale) or "",
                show(p["gap_to_english"], block.scale, signed=True) or "",
                show(p["transfer_gap"], block.scale, signed=True) or "",
                "" if p["gini"] is None else f"{p['gini']:.3f}",
            ])  # fmt: skip
    return head, rows


def _transfer_rows(
    models: Sequence[str], blocks: Sequence[TaskBlock]
) -> tuple[list[str], list[list[str]]]:
    head = ["model", "task", "metric", "language", "score", "English", "relative"]
    rows = []
    for block in blocks:
        for model in models:
            english = block.values.get((model, ENGLISH))
            for code in block.languages:
                value = block.values.get((model, code))
                if code == ENGLISH or value is None or not english:
                    continue
                rows.append([model, block.task, block.metric, languages.name(code),
                             show(value, block.scale) or "", show(english, block.scale) or "",
                             f"{value / english:.2f}"])  # fmt: skip
    return head, rows


def _fidelity_rows(
    models: Sequence[str], blocks: Sequence[TaskBlock]
) -> tuple[list[str], list[list[str]]]:
    head = ["model", "task", "language", "in the expected language"]
    rows = [
        [model, block.task, languages.name(code), show(block.fidelity[(model, code)]) or "–"]
        for block in blocks for model in models for code in block.languages
        if (model, code) in block.fidelity
    ]  # fmt: skip
    return head, rows


TOKENS_NOTE = (
    "Tokens per sample of each model's latest result (prompt as sent, and response): the "
    "engine's usage field, else the model's tokenizer. A language that needs more tokens costs "
    "more to serve; `xbench report RUN --price-in/--price-out` gives its cost."
)
TAX_NOTE = (
    "Tokenizer premium (Petrov et al. 2023): tokens for the same sentences over English's "
    "(1.00 = English). Fertility: tokens per word (per character for scripts without spaces)."
)
NO_TOKENS = (
    "(no token counts: results stored before counting, or a model without usage or tokenizer)"
)
NO_TAX = "(not measured: run xbench tokenizers --model M --languages ...)"


def _token_rows(
    store: Store, models: Sequence[str], prices: tuple[float | None, float | None] = (None, None)
) -> tuple[list[str], list[list[str]]]:  # fmt: skip
    """Tokens per sample per language; with prices per million tokens, cost per language (the
    samples counted) and per correct answer (`report.priced`)."""
    from .report import priced

    head = ["model", "task", "language", "samples counted", "prompt tokens / sample",
            "completion tokens / sample", "source"]  # fmt: skip
    with store.connect() as con:
        cur = con.execute(
            "SELECT t.* FROM token_usage t"
            " JOIN latest_units l ON l.run_id = t.run_id AND l.task_name = t.task_name"
            "  AND l.metric = t.metric"
            " WHERE t.n_counted > 0 AND list_contains($models, t.model)"
            " ORDER BY t.model, t.benchmark, t.task, t.language != 'eng_Latn', t.language",
            {"models": list(models)},
        )  # fmt: skip
        cols = [d[0] for d in cur.description]
        found = priced([dict(zip(cols, r, strict=True)) for r in cur.fetchall()], *prices)
    costed = prices != (None, None)
    if costed:
        head += ["cost", "cost / correct"]
    rows = []
    for r in found:
        row = [r["model"], r["task"], languages.name(r["language"]), str(r["n_counted"]),
               f"{r['mean_prompt_tokens']:.1f}", f"{r['mean_completion_tokens']:.1f}",
               r["token_source"]]  # fmt: skip
        if costed:
            row += [f"{r['cost']:.4g}", "–" if r["cost_per_correct"] is None
                    else f"{r['cost_per_correct']:.4g}"]  # fmt: skip
        rows.append(row)
    return head, rows


BARRIER_NOTE = (
    "Native-script input minus the same input romanized with uroman (`xbench run "
    "--romanized`), per language, with the paired 95% bootstrap CI over the items answered in "
    "both and the prompt tokens per item of both."
)


def _barrier_rows(store: Store, models: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    from .analyses.romanize import barrier

    with store.connect() as con:
        runs = [r for (r,) in con.execute(
            "SELECT DISTINCT b.run_id FROM script_barrier b WHERE list_contains($models, b.model)"
            " AND b.run_id IN (SELECT run_id FROM latest_units) ORDER BY b.run_id",
            {"models": list(models)}).fetchall()]  # fmt: skip
    head = ["model", "task", "language", "native script", "romanized", "Δ", "95% CI", "items",
            "prompt tokens (native)", "prompt tokens (romanized)"]  # fmt: skip
    rows = []
    for run in runs:
        for r in barrier(store, run):
            scale = r["metric_scale"]
            ci = "–" if r["ci_low"] is None else (
                f"[{show(r['ci_low'], scale, signed=True)}, {show(r['ci_high'], scale, signed=True)}]")  # fmt: skip
            tokens = [("–" if t is None else f"{t:.1f}")
                      for t in (r["native_script_prompt_tokens"], r["romanized_prompt_tokens"])]  # fmt: skip
            rows.append([r["model"], r["task"], languages.name(r["language"]),
                         show(r["native_script"], scale) or "–", show(r["romanized"], scale) or "–",
                         show(r["delta"], scale, signed=True) or "–", ci, str(r["n_paired"]),
                         *tokens])  # fmt: skip
    return head, rows


TYPOLOGY_NOTE = (
    "Transfer ratio (score / English score) fitted by least squares on URIEL distances to "
    "English (lang2vec): R² on the fitted languages, and the leave-one-language-out error. "
    "Rows marked 'predicted' are languages the model was not evaluated on: predictions, not "
    "scores."
)


def _typology_rows(store: Store, models: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    fits, languages_ = store.typology(models)
    quality = {(f["model"], f["task"], f["distances"]): f for f in fits}
    head = ["model", "task", "distances", "language", "ratio", "fitted", "held out", "R²",
            "held-out MAE"]  # fmt: skip
    rows = []
    for r in languages_:
        f = quality[(r["model"], r["task"], r["distances"])]
        rows.append([r["model"], r["task"], r["distances"], languages.name(r["language"]),
                     "predicted" if r["predicted"] else f"{r['observed']:.2f}",
                     f"{r['fitted']:.2f}", "" if r["held_out"] is None else f"{r['held_out']:.2f}",
                     "–" if f["r2"] is None else f"{f['r2']:.2f}", f"{f['loo_mae']:.3f}"])  # fmt: skip
    return head, rows


ROUTING_NOTE = (
    "Jensen–Shannon divergence (bits; 0 = English's routing) between the token-averaged router "
    "distributions of the same sentences in the language and in English, per routed layer "
    "(Bandarkar et al. 2025)."
)


def _routing_rows(store: Store, models: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    curve = store.routing(models)
    layers = sorted({r["layer"] for r in curve})
    by = {(r["model"], r["corpus"], r["language"], r["layer"]): r["divergence"] for r in curve}
    head = ["model", "corpus", "language", "mean", *(f"layer {layer}" for layer in layers)]
    rows = []
    for model, corpus, code in dict.fromkeys(
        (r["model"], r["corpus"], r["language"]) for r in curve
    ):
        values = [by.get((model, corpus, code, layer)) for layer in layers]
        known = [v for v in values if v is not None]
        rows.append([model, corpus, languages.name(code), f"{sum(known) / len(known):.3f}",
                     *("–" if v is None else f"{v:.3f}" for v in values)])  # fmt: skip
    return head, rows


def _tokenizer_rows(store: Store, models: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    head = ["model", "corpus", "language", "premium", "fertility", "bytes / token"]
    rows = [
        [r["model"], r["corpus"], languages.name(r["language"]),
         "–" if r["premium"] is None else f"{r['premium']:.2f}",
         f"{r['fertility']:.2f} / {r['fertility_unit']}", f"{r['bytes_per_token']:.2f}"]
        for r in store.tokenizer_stats(models)
    ]  # fmt: skip
    return head, rows


def _table_html(
    head: Sequence[str], rows: Sequence[Sequence[str]],
    empty: str = "(nothing to show: needs an English unit of the same task)",
) -> str:  # fmt: skip
    if not rows:
        return f"<p class='note'>{_e(empty)}</p>"
    text = ["<div class='scroll'><table><tr>"]
    text += [f"<th class='l'>{_e(h)}</th>" if i < 3 else f"<th>{_e(h)}</th>"
             for i, h in enumerate(head)]  # fmt: skip
    text.append("</tr>")
    for row in rows:
        text.append("<tr>" + "".join(
            f"<td class='l'>{_e(c)}</td>" if i < 3 else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)) + "</tr>")  # fmt: skip
    text.append("</table></div>")
    return "".join(text)


# --- Markdown -----------------------------------------------------------------------------


def render_markdown(
    store: Store, models: Sequence[str] | None = None, prices: tuple[float | None, float | None] = (None, None)
) -> str:  # fmt: skip
    chosen, blocks = collect(store, models)
    if not blocks:
        raise XbenchError("nothing to report: no completed result for these models yet")
    out = [
        f"# xbench report: {', '.join(chosen)}", "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by xbench {__version__} from each "
        "model's latest result per task. 0–1 metrics in percent points, 0–100 metrics as they "
        "are; TER: lower is better.", "", "## Overview", "", _md(*_overview_rows(chosen, blocks)),
        "", "## Per language", "",
    ]  # fmt: skip
    for block in blocks:
        head = ["model", *(f"{languages.name(c)} ({c})" for c in block.languages)]
        rows = [
            [model, *(show(block.values.get((model, c)), block.scale) or "–" for c in block.languages)]
            for model in chosen if any((model, c) in block.values for c in block.languages)
        ]  # fmt: skip
        direction = "higher" if block.higher_is_better else "lower"
        out += [
            f"### {block.task} · {block.metric} ({direction} is better)",
            "",
            _md(head, rows),
            "",
        ]
    out += ["## Parity", "", _md(*_parity_rows(chosen, blocks)), ""]
    out += ["## Transfer", "", "Each language's score over English's.", "",
            _md(*_transfer_rows(chosen, blocks)), ""]  # fmt: skip
    out += ["## Language fidelity", "", _md(*_fidelity_rows(chosen, blocks)), ""]
    out += ["## Tokens and the tokenizer tax", "", TOKENS_NOTE, "",
            _md(*_token_rows(store, chosen, prices), empty=NO_TOKENS), "", TAX_NOTE, "",
            _md(*_tokenizer_rows(store, chosen), empty=NO_TAX), ""]  # fmt: skip
    head, rows = _barrier_rows(store, chosen)
    if rows:
        out += ["## Script barrier", "", BARRIER_NOTE, "", _md(head, rows), ""]
    head, rows = _typology_rows(store, chosen)
    if rows:
        out += ["## Transfer predicted from typology", "", TYPOLOGY_NOTE, "", _md(head, rows), ""]
    head, rows = _routing_rows(store, chosen)
    if rows:
        out += ["## MoE routing alignment with English", "", ROUTING_NOTE, "", _md(head, rows), ""]
    return "\n".join(out)


def _md(
    head: Sequence[str], rows: Sequence[Sequence[str]],
    empty: str = "(nothing to show: needs an English unit of the same task)",
) -> str:  # fmt: skip
    if not rows:
        return empty

    def cell(text: str) -> str:
        return str(text).replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, head)) + " |",
             "|" + "|".join("---" for _ in head) + "|"]  # fmt: skip
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)
