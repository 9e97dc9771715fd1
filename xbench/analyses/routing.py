"""MoE routing alignment with English (Bandarkar et al. 2025, "Multilingual Routing in
Mixture-of-Experts"): does a mixture-of-experts model send a language's tokens to the experts it
uses for English?

On n-way parallel sentences (the same sentence s in every language), for each MoE layer l:

    P_l(s, L)  = (1 / |s_L|) Σ_t softmax(router_logits_l(t))      token-averaged routing
    D_l(L)     = (1 / |S|) Σ_s JS(P_l(s, L), P_l(s, eng))         divergence to English

JS is the Jensen–Shannon divergence in bits (0: the same experts in the same shares; 1: disjoint
experts), scipy's `jensenshannon` squared. Padding and special tokens (BOS) are left out of the
average. The curve D_l(L) over layers is stored per model and language; `correlate` relates
each layer's divergence to the model's per-language scores (Spearman's rho over languages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import XbenchError

ENGLISH = "eng_Latn"


@dataclass(frozen=True)
class LayerDivergence:
    language: str
    layer: int  # 0-based index among the layers that route (a dense layer has no router)
    divergence: float  # mean JS divergence to English over the sentences, bits
    segments: int
    experts: int


def sentence_distributions(
    router_logits: Sequence[Any], mask: np.ndarray
) -> np.ndarray:  # fmt: skip
    """(sentences, layers, experts): per sentence and layer, the router's softmax averaged over
    the sentence's counted tokens. `router_logits`: one (sentences × tokens, experts) array per
    layer, as transformers returns them (`output_router_logits=True`); `mask`: (sentences,
    tokens), 1 for a counted token."""
    mask = np.asarray(mask, dtype=np.float64)
    sentences, tokens = mask.shape
    if not mask.sum(axis=1).all():
        raise XbenchError("a sentence has no tokens to route; check the parallel text")
    out = []
    for layer in router_logits:
        logits = np.asarray(layer, dtype=np.float64).reshape(sentences, tokens, -1)
        logits = logits - logits.max(axis=-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=-1, keepdims=True)
        out.append((probs * mask[..., None]).sum(axis=1) / mask.sum(axis=1)[:, None])
    return np.stack(out, axis=1)


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen–Shannon divergence in bits along the last axis (scipy's distance, squared)."""
    from scipy.spatial.distance import jensenshannon

    return np.asarray(jensenshannon(p, q, base=2, axis=-1)) ** 2


def divergences(distributions: Mapping[str, np.ndarray]) -> list[LayerDivergence]:
    """D_l(L) for every language but English, from each language's (sentences, layers,
    experts) distributions of the same sentences."""
    if ENGLISH not in distributions:
        raise XbenchError("routing alignment is measured against English: include eng_Latn")
    english = distributions[ENGLISH]
    out = []
    for language, dist in distributions.items():
        if language == ENGLISH:
            continue
        if dist.shape != english.shape:
            raise XbenchError(
                f"{language} has {dist.shape[0]} sentences × {dist.shape[1]} layers, English "
                f"{english.shape[0]} × {english.shape[1]}: use n-way parallel text"
            )
        per_layer = js_divergence(dist, english).mean(axis=0)
        out += [
            LayerDivergence(language, layer, float(value), dist.shape[0], dist.shape[2])
            for layer, value in enumerate(per_layer)
        ]
    return out


def correlate(
    curve: Sequence[Mapping[str, Any]], scores: Mapping[str, float]
) -> list[dict[str, Any]]:  # fmt: skip
    """Per layer, Spearman's rho (and its p-value) between the languages' divergence to English
    and their scores (`{language: value}`, English left out); a layer with fewer than three
    languages scored has no correlation."""
    from scipy.stats import spearmanr

    by_layer: dict[int, list[tuple[float, float]]] = {}
    for row in curve:
        if row["language"] in scores and row["language"] != ENGLISH:
            by_layer.setdefault(row["layer"], []).append(
                (row["divergence"], scores[row["language"]])
            )
    out = []
    for layer, pairs in sorted(by_layer.items()):
        if len(pairs) < 3:
            continue
        div, score = zip(*pairs, strict=True)
        if len(set(div)) < 2 or len(set(score)) < 2:  # a constant side has no rank correlation
            rho, p = None, None
        else:
            result = spearmanr(div, score)
            rho, p = float(result.statistic), float(result.pvalue)
        out.append({"layer": layer, "n_languages": len(pairs), "rho": rho, "p_value": p})
    return out


# --- the model ---------------------------------------------------------------------------------


def load_moe(source: str, options: Mapping[str, str], device: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) of a transformers MoE model (hub id or folder), in eval mode."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise XbenchError("routing needs torch and transformers: pip install xbench") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **options)
        model = AutoModelForCausalLM.from_pretrained(source, **options)
    except (OSError, ValueError) as exc:
        from .tokenizers import not_loaded

        raise not_loaded("the model", source, exc) from None
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    return model.to(device).eval(), tokenizer


def distributions_of(
    model: Any, tokenizer: Any, sentences: Sequence[str], batch_size: int = 8
) -> np.ndarray:  # fmt: skip
    """(sentences, layers, experts) routing distributions of `model` on `sentences`."""
    import torch

    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    parts = []
    for start in range(0, len(sentences), batch_size):
        batch = tokenizer(list(sentences[start : start + batch_size]), return_tensors="pt",
                          padding=True, return_special_tokens_mask=True)  # fmt: skip
        special = batch.pop("special_tokens_mask")
        with torch.no_grad():
            try:
                out = model(**batch.to(model.device), output_router_logits=True)
            except TypeError:  # the forward takes no such argument: not a routed model
                out = None
        logits = getattr(out, "router_logits", None)
        if not logits:
            raise XbenchError(
                f"{type(model).__name__} exposes no router logits: routing alignment needs a "
                "transformers mixture-of-experts model (OLMoE, Qwen-MoE, Mixtral, ...)"
            )
        counted = (batch["attention_mask"].cpu() * (1 - special)).numpy()
        parts.append(sentence_distributions([t.float().cpu().numpy() for t in logits], counted))
    return np.concatenate(parts, axis=0)


def run(
    model: str, languages: Sequence[str], *, corpus: str = "ntrex128",
    data_dir: str | Path | None = None, limit: int | None = 200, batch_size: int = 8,
    device: str | None = None, db: str | Path | None = None, model_name: str | None = None,
    store: bool = True,
) -> tuple[str, list[LayerDivergence]]:  # fmt: skip
    """`xbench routing`: the layer curve D_l(L) of an `hf:` MoE model on `languages`."""
    from .. import settings
    from . import tokenizers

    spec, name = tokenizers.measured_model(model, model_name)
    if spec.kind != "hf":
        raise XbenchError(
            f"routing reads router logits in this process: use an hf: model (hf:<hub id or "
            f"folder>), not a {spec.kind} model"
        )
    if batch_size < 1:
        raise XbenchError("--batch-size must be at least 1")
    texts = tokenizers.parallel_text(languages, corpus, settings.data_dir(data_dir), limit)
    source, options = tokenizers.tokenizer_source(spec)
    moe, tokenizer = load_moe(source, options, device or spec.options.get("device"))
    rows = divergences(
        {c: distributions_of(moe, tokenizer, t, batch_size) for c, t in texts.items()}
    )
    if store:
        from ..store import Store

        Store(settings.db_path(db)).save_routing(name, source, corpus, rows)
    return name, rows
