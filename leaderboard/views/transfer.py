"""Transfer: does a language keep up with English, and what moves its score?

Score vs English (view `transfer` through `latest_units`), cross-lingual consistency on aligned
items (view `consistency`), and the effect views: prompt language, MultiLoKo's mother-tongue
and locality effects, and machine-translation direction asymmetry.
"""

from __future__ import annotations

from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from xbench import languages
from xbench.analyses.typology import DISTANCES
from xbench.store import ENGLISH
from xbench_leaderboard import common

# view -> (heading, what the delta is, the run that fills it)
EFFECTS = {
    "mother_tongue_effect": (
        "MultiLoKo: mother-tongue effect",
        "local questions asked in their language − the same questions translated into English",
        "appears once MultiLoKo (mother-tongue, locality) runs are stored: "
        "`xbench run --model M --tasks multiloko --languages de,sw,zh`",
    ),
    "locality_effect": (
        "MultiLoKo: locality effect",
        "local questions in a language − English-sourced questions translated into it",
        "appears once MultiLoKo (mother-tongue, locality) runs are stored: "
        "`xbench run --model M --tasks multiloko --languages de,sw,zh`",
    ),
    "direction_asymmetry": (
        "Machine translation: direction asymmetry",
        "en→X score − X→en score",
        "appears once machine-translation (direction) runs are stored: "
        "`xbench run --model M --tasks <an MT task in both directions> --languages de,sw`",
    ),
}


def _heatmap(df: pd.DataFrame, value: str, title: str, tooltip: list, *, diverging: bool = False):
    """Models × languages, colored by `value` (centered on 0 when `diverging`)."""
    scale = alt.Scale(scheme="redblue", domainMid=0) if diverging else alt.Scale(scheme="viridis")
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("language:N", title=None),
            y=alt.Y("model:N", title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(f"{value}:Q", title=title, scale=scale),
            tooltip=["model", "language", *tooltip],
        )
        .properties(height=alt.Step(24))
    )


def _score_vs_english(scores: pd.DataFrame, task: str) -> None:
    st.subheader("Score vs English")
    points = scores[(scores.language != ENGLISH) & scores.english.notna() & scores.value.notna()]
    if points.empty:
        if not (scores.language == ENGLISH).any():  # e.g. en->X translation: English is the source
            common.empty_state(
                f"`{task}` has no English score to compare with (its variants have no English "
                "content, as in a translation out of English); transfer applies to tasks with an "
                "English variant."
            )
            return
        common.empty_state(
            f"No language of `{task}` has an English score from the same model to compare with. "
            f"Run it with English included: `xbench run --model M --tasks {task} --languages en,de,sw`"
        )
        return
    points = points.assign(family=points.language.map(languages.family))
    lo = min(points.value.min(), points.english.min(), 0.0)
    hi = max(points.value.max(), points.english.max(), 1.0)
    scatter = (
        alt.Chart(points)
        .mark_circle(size=70, opacity=0.8)
        .encode(
            x=alt.X("english:Q", title="English score", scale=alt.Scale(domain=[lo, hi])),
            y=alt.Y("value:Q", title="score in the language", scale=alt.Scale(domain=[lo, hi])),
            color=alt.Color("family:N", title="language family"),
            tooltip=[
                "model",
                "language",
                "family",
                alt.Tooltip("value:Q", title="score", format=".3f"),
                alt.Tooltip("english:Q", title="English", format=".3f"),
                alt.Tooltip("relative:Q", title="score / English", format=".2f"),
                "n",
            ],
        )
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"english": [lo, hi], "value": [lo, hi]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x="english:Q", y="value:Q")
    )
    common.chart((diagonal + scatter).properties(height=420), f"{task}-transfer", width="stretch")
    st.caption(
        "Each point is one model in one language; below the dashed line y = x it trails English."
    )
    links = zip(points.run_id, points.task_name, strict=True)
    points = points.assign(
        samples=["/samples?" + urlencode({"run": r, "unit": t}) for r, t in links]
    )
    columns = ["model", "language", "value", "english", "relative", "n", "samples"]
    shown = (
        points[[*columns, "run_id", "task_name"]]
        .sort_values(["relative", "model"])
        .rename(columns={"value": "score", "relative": "score / English"})
    )
    common.drill_table(
        shown,
        "points",
        "samples",
        label=lambda row: f"Samples of {row.model} · {row.language} ›",
        params=lambda row: common.samples_params(row.run_id, row.task_name, row.model),
        column_order=[c for c in shown.columns if c not in ("run_id", "task_name")],
        hide_index=True,
        column_config={"samples": st.column_config.LinkColumn("samples", display_text="samples")},
    )


def _consistency(task: str, models: list[str]) -> None:
    st.subheader("Cross-lingual consistency")
    df = common.query("consistency", task)
    df = df[df.model.isin(models)] if models else df
    if df.empty:
        common.empty_state(
            f"No item of `{task}` is aligned with its English version yet. Run English with the "
            f"other languages: `xbench run --model M --tasks {task} --languages en,de,sw`"
        )
        return
    tooltip = [
        "n_aligned",
        "both_correct",
        "either_correct",
        alt.Tooltip("agreement:Q", format=".2f"),
    ]
    chart = _heatmap(
        df, "consistency", "consistency", [alt.Tooltip("consistency:Q", format=".2f"), *tooltip]
    )
    common.chart(chart, f"{task}-consistency", width="stretch")
    st.caption(
        "Consistency = items correct in both English and the language / items correct in either "
        "(same item_key; a score ≥ 0.5 counts as correct). Agreement = share of items answered in "
        "both with the same extracted answer, where answers are comparable across languages."
    )
    st.dataframe(df, hide_index=True)


def _prompt_language(task: str, models: list[str]) -> None:
    st.subheader("Prompt-language effect")
    df = common.query("effect", "prompt_language_effect")
    df = df[df.model.isin(models)] if models else df
    mine = df[(df.native_task == task) | (df.other_task == task)]
    if mine.empty:
        pairs = sorted({f"{n} vs {o}" for n, o in zip(df.native_task, df.other_task, strict=True)})
        have = f" Stored pairs: {', '.join(pairs)}." if pairs else ""
        common.empty_state(
            f"`{task}` has no variant with the same content but instructions in another language."
            f"{have} Such a pair is filled by e.g. "
            "`xbench run --model M --tasks mgsm_native_cot,mgsm_en_cot --languages de,sw,zh`"
        )
        return
    tooltip = ["native_task", "other_task", "other_prompt_language",
               alt.Tooltip("native:Q", format=".3f"), alt.Tooltip("other:Q", format=".3f"),
               alt.Tooltip("delta:Q", format="+.3f")]  # fmt: skip
    common.chart(
        _heatmap(mine, "delta", "Δ native − other", tooltip, diverging=True),
        "prompt-language",
        width="stretch",
    )
    st.caption(
        "Δ = score with instructions in the language itself − with instructions in another language."
    )
    st.dataframe(mine, hide_index=True)


def _effect(view: str, models: list[str]) -> None:
    heading, meaning, fill = EFFECTS[view]
    st.subheader(heading)
    df = common.query("effect", view)
    df = df[df.model.isin(models)] if models else df
    if df.empty:
        common.empty_state(f"This {fill}.")
        return
    df = common.one_metric(df, key=f"{view}_metric", label=f"Metric ({heading})")
    common.chart(
        _heatmap(
            df,
            "delta",
            "Δ",
            ["benchmark", "family", alt.Tooltip("delta:Q", format="+.3f")],
            diverging=True,
        ),
        view,
        width="stretch",
    )
    st.caption(f"Δ = {meaning}.")
    st.dataframe(df, hide_index=True)


TYPOLOGY_FILL = "xbench typology --model M --predict yo,am"
ROUTING_FILL = "xbench routing --model hf:allenai/OLMoE-1B-7B-0924 --languages de,zh,sw,th"


def _script_barrier(task: str, models: list[str]) -> None:
    """Δ_rom per language: native-script input minus the same input romanized, with the
    paired 95% CI, and the prompt tokens per item of both."""
    st.subheader("Script barrier")
    rows = common.query("script_barrier", task)
    if not rows.empty and models:
        rows = rows[rows.model.isin(models)]
    if rows.empty:
        common.empty_state(
            f"No romanized variants of `{task}` yet. Run its non-Latin-script languages a second "
            f"time with their input in Latin letters (uroman): `xbench run --model M --tasks "
            f"{task} --languages th,ru,zh,hi --romanized`"
        )
        return
    scale = rows.metric_scale.fillna(1.0).map(lambda s: 100.0 if s == 1.0 else 1.0)
    rows = rows.assign(
        name=rows.language.map(languages.name), shown=rows.delta * scale,
        low=rows.ci_low * scale, high=rows.ci_high * scale,
    )  # fmt: skip
    base = alt.Chart(rows).encode(
        y=alt.Y("name:N", title=None, sort="-x", axis=alt.Axis(labelLimit=160)),
        yOffset="model:N", color=alt.Color("model:N", legend=alt.Legend(orient="bottom")),
    )  # fmt: skip
    bars = base.mark_bar().encode(
        x=alt.X("shown:Q", title="native − romanized (points)"),
        tooltip=["model", "name", "language", "metric",
                 alt.Tooltip("native_script:Q", format=".3f"), alt.Tooltip("romanized:Q", format=".3f"),
                 alt.Tooltip("shown:Q", format="+.1f", title="delta"), "n_paired",
                 alt.Tooltip("native_prompt_tokens:Q", format=".1f", title="prompt tokens (native)"),
                 alt.Tooltip("romanized_prompt_tokens:Q", format=".1f",
                             title="prompt tokens (romanized)")],
    )  # fmt: skip
    ci = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")
    common.chart(bars + ci, f"{task}-script-barrier", width="stretch")
    st.caption(
        "Positive: the model does better reading the language in its own script. Lines: the "
        "paired 95% bootstrap CI over the items answered in both scripts. The scorer and the "
        "expected answers are those of the original task."
    )
    st.dataframe(
        rows[["model", "name", "metric", "native_script", "romanized", "delta", "ci_low", "ci_high",
              "n_paired", "native_script_prompt_tokens", "romanized_prompt_tokens"]],
        hide_index=True, column_config={"name": "language"},
    )  # fmt: skip


def _typology(task: str, models: list[str]) -> None:
    """Transfer ratio against each URIEL distance to English, the fit's line through them and
    predictions for languages not evaluated (hollow)."""
    st.subheader("Transfer predicted from typology")
    rows = common.query("typology_languages")
    rows = rows[(rows.task == task) & (rows.model.isin(models) if models else True)]
    if rows.empty:
        common.empty_state(
            f"No typology fit of `{task}` yet. Fit the transfer ratio on URIEL distances "
            f"(lang2vec): `{TYPOLOGY_FILL} --tasks {task}`"
        )
        return
    fits = common.query("typology_fits")
    fits = fits[(fits.task == task) & fits.model.isin(rows.model.unique())]
    sets = sorted(rows.distances.unique())
    chosen = common.choose("Fit on", sets, "fit", default=sets[0]) if len(sets) > 1 else sets[0]
    rows, fits = rows[rows.distances == chosen], fits[fits.distances == chosen]
    distance = common.choose("Distance to English", list(DISTANCES), "distance",
                             default=chosen.split(",")[0])  # fmt: skip
    points = rows.assign(
        ratio=rows.observed.fillna(rows.fitted), name=rows.language.map(languages.name),
        kind=rows.predicted.map({True: "predicted", False: "observed"}),
    )  # fmt: skip
    figure = alt.Chart(points).mark_point(size=70, filled=True).encode(
        x=alt.X(f"{distance}:Q", title=f"{distance} distance to English (URIEL, cosine)",
                scale=alt.Scale(zero=False)),
        y=alt.Y("ratio:Q", title="transfer ratio (score / English)"),
        color=alt.Color("model:N", legend=alt.Legend(orient="bottom", labelLimit=240)),
        shape=alt.Shape("kind:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=["observed", "predicted"],
                                        range=["circle", "triangle"])),
        tooltip=["model", "name", "language", "kind",
                 alt.Tooltip(f"{distance}:Q", format=".3f"), alt.Tooltip("ratio:Q", format=".2f"),
                 alt.Tooltip("held_out:Q", format=".2f", title="held-out prediction")],
    )  # fmt: skip
    labels = figure.mark_text(dy=-9, fontSize=10).encode(text="name:N")
    common.chart(figure + labels, f"{task}-typology-{distance}", width="stretch")
    st.caption(
        "Each language's share of the English score against its distance to English "
        "(lang2vec/URIEL feature vectors). Triangles: predictions from the fit for languages "
        "the model was not evaluated on."
    )
    st.dataframe(
        fits.assign(coefficients=fits.coefficients.map(
            lambda c: ", ".join(f"{k} {v:+.3f}" for k, v in c.items())))[
            ["model", "distances", "n_languages", "intercept", "coefficients", "r2", "loo_mae",
             "loo_r2"]],
        hide_index=True,
        column_config={"r2": st.column_config.NumberColumn("R²", format="%.3f"),
                       "loo_mae": st.column_config.NumberColumn("held-out MAE", format="%.3f"),
                       "loo_r2": st.column_config.NumberColumn("held-out R²", format="%.3f"),
                       "intercept": st.column_config.NumberColumn(format="%.3f")},
    )  # fmt: skip
    st.caption("Held out: each language predicted by the fit on the others (leave one out).")


def _routing(scores: pd.DataFrame, task: str, models: list[str]) -> None:
    """Layers × languages heatmap of the routing divergence to English, and each layer's
    Spearman correlation with the model's scores on this task."""
    st.subheader("MoE routing alignment with English")
    curve = common.query("routing")
    curve = curve[curve.model.isin(models)] if models else curve
    if curve.empty:
        common.empty_state(
            f"No routing measured. For a mixture-of-experts model (no generation): `{ROUTING_FILL}`"
        )
        return
    model = common.choose("MoE model", sorted(curve.model.unique()), "moe")
    curve = curve[curve.model == model]
    corpus = curve.corpus.iloc[0]
    curve = curve[curve.corpus == corpus].assign(name=lambda d: d.language.map(languages.name))
    figure = alt.Chart(curve).mark_rect().encode(
        x=alt.X("layer:O", title="routed layer"),
        y=alt.Y("name:N", title=None, sort=alt.EncodingSortField("divergence", op="mean",
                                                                  order="descending")),
        color=alt.Color("divergence:Q", title="JS divergence to English (bits)",
                        scale=alt.Scale(scheme="viridis", domainMin=0),
                        legend=alt.Legend(orient="bottom", gradientLength=240)),
        tooltip=["name", "language", "layer", alt.Tooltip("divergence:Q", format=".4f"),
                 "segments", "experts"],
    ).properties(height=alt.Step(18))  # fmt: skip
    common.chart(figure, f"{model}-routing", width="stretch")
    st.caption(
        f"{corpus}, {curve.segments.iloc[0]} parallel sentences: per layer, the Jensen–Shannon "
        "divergence between the language's and English's token-averaged router distributions "
        "(Bandarkar et al. 2025); 0 = routed as English."
    )
    from xbench.analyses.routing import correlate

    values = scores[(scores.model == model) & scores.value.notna()]
    rho = pd.DataFrame(
        correlate(curve.to_dict("records"), dict(zip(values.language, values.value, strict=True)))
    )
    if rho.empty:
        st.caption(f"{model} has fewer than three languages of `{task}` scored and measured: no "
                   "correlation of divergence with score.")  # fmt: skip
        return
    st.dataframe(rho, hide_index=True, column_config={
        "rho": st.column_config.NumberColumn("Spearman's rho (divergence, score)", format="%.2f"),
        "p_value": st.column_config.NumberColumn("p", format="%.3f")})  # fmt: skip


def render() -> None:
    st.title("Transfer")
    task = common.choose("Task", common.query("tasks"), "task")
    if task is None:
        common.empty_state(
            "No scores yet: `xbench run --model M --tasks mgsm_native_cot,mgsm_en_cot`"
        )
        return
    scores = common.query("unit_scores", task)
    models = common.choose_many("Models (all when empty)", sorted(scores.model.unique()), "models")
    if models:
        scores = scores[scores.model.isin(models)]
    scores = common.one_metric(scores)
    _score_vs_english(scores, task)
    _script_barrier(task, models)
    _typology(task, models)
    _routing(scores, task, models)
    _consistency(task, models)
    _prompt_language(task, models)
    st.header("MultiLoKo and machine translation (all benchmarks)")
    for view in EFFECTS:
        _effect(view, models)
