"""Cost: what a language costs to serve, from the tokenizer alone and from real runs.

Two sections. The tokenizer tax (`xbench tokenizers`, no generation): per language, tokens for
the same sentences over English's (Petrov et al. 2023), fertility and bytes per token. Tokens
per sample of each model's latest result (the engine's usage field, else the model's
tokenizer), and with prices per million tokens given here, cost per language and per correct
answer.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from xbench import languages as langs
from xbench.report import priced
from xbench_leaderboard import common

MEASURE = "xbench tokenizers --model smollm2-135m --languages de,zh,ar,hi,sw,th"
FILL = "xbench run --model smollm2-135m --tasks mgsm_direct --languages en,de,zh,th --limit 20"
PRICES = (("price_in", "Price per million prompt tokens"),
          ("price_out", "Price per million completion tokens"))  # fmt: skip


def _premium_chart(stats: pd.DataFrame) -> alt.Chart:
    """Premium per language (bars, one colour per model), English's 1.0 as a rule."""
    stats = stats.assign(name=stats.language.map(langs.name))
    order = stats.groupby("name").premium.max().sort_values(ascending=False).index.tolist()
    bars = alt.Chart(stats).mark_bar().encode(
        y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=160)),
        yOffset="model:N",
        x=alt.X("premium:Q", title="tokens / English tokens (1.0 = English)"),
        color=alt.Color("model:N", legend=alt.Legend(orient="bottom", labelLimit=240)),
        tooltip=["model", alt.Tooltip("name:N", title="language"),
                 alt.Tooltip("language:N", title="code"), "corpus", "segments", "tokens",
                 alt.Tooltip("premium:Q", format=".2f"),
                 alt.Tooltip("fertility:Q", format=".2f"), "fertility_unit",
                 alt.Tooltip("bytes_per_token:Q", format=".2f", title="bytes / token")],
    )  # fmt: skip
    rule = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3]).encode(x="x:Q")
    return (bars + rule).properties(height=alt.Step(14))


def _price(key: str, label: str) -> float | None:
    """A price input backed by `?key=`; None while empty."""
    try:
        given = float(st.query_params.get(key, ""))
    except ValueError:
        given = None
    value = st.number_input(label, min_value=0.0, value=given if given and given >= 0 else None,
                            step=0.1, format="%.4f", key=f"w_{key}")  # fmt: skip
    if value is None:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = f"{value:g}"
    return value


def costed(units: pd.DataFrame, price_in: float | None, price_out: float | None) -> pd.DataFrame:
    """Per unit: tokens per sample, tokens over English's (same model and task), and with
    prices, `cost` (of the counted samples) and `cost_per_correct` (NaN without a correct
    answer, or on a 0-100 metric where "correct" means nothing)."""
    units = units.assign(tokens_per_sample=units.mean_prompt_tokens + units.mean_completion_tokens)
    english = units[units.language == "eng_Latn"].set_index(["model", "task"]).tokens_per_sample
    keys = list(zip(units.model, units.task, strict=True))
    units["vs_english"] = [
        t / english[k] if k in english.index and english[k] else None
        for t, k in zip(units.tokens_per_sample, keys, strict=True)
    ]
    if price_in is None and price_out is None:
        return units
    return pd.DataFrame(priced(units.to_dict("records"), price_in, price_out))


def render() -> None:
    st.title("Cost")
    st.caption(
        "What a language costs to serve: the same text needs more tokens in some languages "
        "(the tokenizer tax), so it is slower, dearer and has less room in the context window."
    )
    models = common.choose_many("Models (all when empty)", common.query("models"), "models")

    st.subheader("Tokenizer tax")
    stats = common.query("tokenizer_stats")
    stats = stats[stats.model.isin(models)] if models else stats
    if stats.empty:
        common.empty_state(f"No tokenizer measured yet. Measure one (no generation): `{MEASURE}`")
    else:
        corpus = common.choose("Corpus", sorted(stats.corpus.unique()), "corpus")
        stats = stats[stats.corpus == corpus]
        common.chart(_premium_chart(stats), f"tokenizer-premium-{corpus}", width="stretch")
        st.caption(
            "Premium: tokens for the same sentences over English's (Petrov et al. 2023). "
            "Fertility: tokens per word, per character for scripts without spaces (Rust et al. "
            "2021)."
        )
        st.dataframe(
            stats.assign(name=stats.language.map(langs.name))[
                ["model", "name", "language", "segments", "tokens", "premium", "fertility",
                 "fertility_unit", "bytes_per_token", "tokenizer"]],
            hide_index=True,
            column_config={"name": "language", "language": "code",
                           "premium": st.column_config.NumberColumn(format="%.2f"),
                           "fertility": st.column_config.NumberColumn(format="%.2f"),
                           "bytes_per_token": st.column_config.NumberColumn(
                               "bytes / token", format="%.2f")},
        )  # fmt: skip

    st.subheader("Tokens and cost per language")
    units = common.query("token_units")
    units = units[units.model.isin(models)] if models else units
    if units.empty:
        common.empty_state(
            f"No token counts yet (results stored before xbench counted tokens have none). "
            f"Run a model: `{FILL}`"
        )
        return
    tasks = units.groupby("task").n_counted.sum().sort_values(ascending=False, kind="stable")
    task = common.choose("Task", tasks.index.tolist(), "task", default=tasks.index[0])
    left, right = st.columns(2)
    with left:
        price_in = _price(*PRICES[0])
    with right:
        price_out = _price(*PRICES[1])
    shown = costed(units[units.task == task], price_in, price_out)
    shown = shown.assign(name=shown.language.map(langs.name))
    value = "cost_per_correct" if "cost" in shown and shown.cost_per_correct.notna().any() else (
        "cost" if "cost" in shown else "tokens_per_sample")  # fmt: skip
    titles = {"tokens_per_sample": "tokens per sample (prompt + completion)",
              "cost": "cost of the samples counted", "cost_per_correct": "cost per correct answer"}  # fmt: skip
    figure = alt.Chart(shown).mark_bar().encode(
        y=alt.Y("name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=160)),
        yOffset="model:N",
        x=alt.X(f"{value}:Q", title=titles[value]),
        color=alt.Color("model:N", legend=alt.Legend(orient="bottom", labelLimit=240)),
        tooltip=["model", alt.Tooltip("name:N", title="language"), "n_counted",
                 alt.Tooltip("mean_prompt_tokens:Q", format=".1f", title="prompt tokens"),
                 alt.Tooltip("mean_completion_tokens:Q", format=".1f", title="completion tokens"),
                 alt.Tooltip(f"{value}:Q", format=".4g", title=titles[value])],
    ).properties(height=alt.Step(14))  # fmt: skip
    common.chart(figure, f"{task}-{value}", width="stretch")
    columns = ["model", "name", "n_counted", "mean_prompt_tokens", "mean_completion_tokens",
               "vs_english", "n_correct", *(["cost", "cost_per_correct"] if "cost" in shown
                                            else []), "token_source"]  # fmt: skip
    st.dataframe(
        shown[columns], hide_index=True,
        column_config={
            "name": "language", "n_counted": "samples counted",
            "mean_prompt_tokens": st.column_config.NumberColumn("prompt tokens / sample", format="%.1f"),
            "mean_completion_tokens": st.column_config.NumberColumn("completion tokens / sample", format="%.1f"),
            "vs_english": st.column_config.NumberColumn("tokens vs English", format="%.2f×"),
            "n_correct": "correct", "token_source": "counted by",
            "cost": st.column_config.NumberColumn("cost", format="%.4g"),
            "cost_per_correct": st.column_config.NumberColumn("cost / correct", format="%.4g"),
        },
    )  # fmt: skip
    st.caption(
        "Tokens per sample: prompt as sent plus response, counted by the engine's usage field "
        "(`usage`) or the model's tokenizer (`tokenizer`). Cost: prices per million tokens "
        "given above, over the samples counted; per correct answer on 0–1 metrics (a chrF++ "
        "score has no 'correct')."
        + ("" if price_in is not None or price_out is not None else
           " Give a price to see cost per language and per correct answer.")
    )  # fmt: skip
