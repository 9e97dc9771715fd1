"""Transfer predicted from typology: is a language's share of the English ability explained by
how far it is from English?

Distances between a language and English come from URIEL (Littell et al. 2017) through the
`lang2vec` package, as the cosine distance between the two languages' feature vectors
(URIEL's own definition of its distances):

    syntactic      syntax_knn      103 WALS/SSWL/Ethnologue syntax features (kNN-imputed)
    phonological   phonology_knn   28 phonology features (kNN-imputed)
    inventory      inventory_knn   158 phoneme-inventory features (PHOIBLE, kNN-imputed)
    featural       all three above, concatenated
    genetic        fam             membership in 3,718 Glottolog family nodes
    geographic     geo             distances to 299 fixed points on the globe

lang2vec 1.1.2 (the newest on PyPI) ships these feature vectors, not URIEL's precomputed
distance matrices, so xbench computes the distances (see data_cards/uriel_lang2vec.md).

Per model and task, over the languages with a score beside English's, the transfer ratio
r_L = S_L / S_eng is regressed on the chosen distances by least squares:

    r_L ≈ b_0 + Σ_k b_k d_k(L, eng)

reported with R², the leave-one-language-out prediction error (each language predicted by the
fit on the others: mean absolute error and R²_LOO = 1 − SSE_LOO / SST), and predictions of r for
languages the model was not evaluated on, labelled as predictions.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import XbenchError

ENGLISH = "eng_Latn"
DISTANCES: dict[str, tuple[str, ...]] = {
    "syntactic": ("syntax_knn",),
    "phonological": ("phonology_knn",),
    "inventory": ("inventory_knn",),
    "featural": ("syntax_knn", "phonology_knn", "inventory_knn"),
    "genetic": ("fam",),
    "geographic": ("geo",),
}
# URIEL lists individual languages: a macrolanguage code means its most used member.
URIEL_CODE = {"zho": "cmn", "ara": "arb", "swa": "swh", "fas": "pes", "msa": "zsm", "est": "ekk"}


def _lang2vec() -> Any:
    """lang2vec's module, loaded from its installed file: the package also installs a script
    named `lang2vec.py` that shadows it on `python bin/...` paths, and it reads its data through
    `pkg_resources` (removed in setuptools 81), so it gets the one function it uses."""
    if _MODULE in sys.modules:
        return sys.modules[_MODULE]
    try:
        location = importlib.metadata.distribution("lang2vec").locate_file("lang2vec/lang2vec.py")
    except importlib.metadata.PackageNotFoundError:
        raise XbenchError("typology needs lang2vec: pip install xbench") from None
    spec = importlib.util.spec_from_file_location(_MODULE, str(location))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = sys.modules.get("pkg_resources")
    sys.modules[_MODULE] = module
    sys.modules["pkg_resources"] = types.SimpleNamespace(  # type: ignore[assignment]
        resource_filename=lambda name, path: str(
            Path(sys.modules[name].__file__ or "").parent / path
        )
    )
    try:
        spec.loader.exec_module(module)
    except Exception:
        del sys.modules[_MODULE]
        raise
    finally:
        if saved is None:
            del sys.modules["pkg_resources"]
        else:
            sys.modules["pkg_resources"] = saved
    return module


_MODULE = "xbench_lang2vec"


def _check_kinds(kinds: Sequence[str]) -> None:
    unknown = [k for k in kinds if k not in DISTANCES]
    if unknown or not kinds:
        what = f"unknown distance {unknown[0]!r}" if unknown else "no distance chosen"
        raise XbenchError(f"{what}; choose from {', '.join(DISTANCES)}")


def uriel_code(code: str) -> str:
    """`deu_Latn` -> `deu`; a macrolanguage -> the member URIEL has."""
    iso = code.partition("_")[0]
    return URIEL_CODE.get(iso, iso)


def distances(languages: Sequence[str], kinds: Sequence[str] = tuple(DISTANCES)) -> dict[str, dict[str, float]]:  # fmt: skip
    """{language: {distance kind: cosine distance to English}}. A language URIEL does not
    know, or whose features for a kind are all missing, is a clear error."""
    from scipy.spatial.distance import cosine

    _check_kinds(kinds)
    l2v = _lang2vec()
    codes = {c: uriel_code(c) for c in dict.fromkeys([ENGLISH, *languages])}
    known = l2v.available_uriel_languages()
    missing = [c for c, u in codes.items() if u not in known]
    if missing:
        raise XbenchError(
            f"URIEL (lang2vec) has no features for {', '.join(missing)}: no typological distance "
            "for it; leave it out"
        )
    vectors: dict[str, dict[str, np.ndarray]] = {c: {} for c in codes}
    for feature_set in sorted({s for k in kinds for s in DISTANCES[k]}):
        values = l2v.get_features(sorted(set(codes.values())), feature_set)
        for code, uriel in codes.items():
            row = values[uriel]
            vectors[code][feature_set] = np.array([np.nan if v == "--" else float(v) for v in row])
    out: dict[str, dict[str, float]] = {}
    english = vectors[ENGLISH]
    for code in codes:
        if code == ENGLISH:
            continue
        out[code] = {}
        for kind in kinds:
            a = np.concatenate([vectors[code][s] for s in DISTANCES[kind]])
            b = np.concatenate([english[s] for s in DISTANCES[kind]])
            both = ~np.isnan(a) & ~np.isnan(b)
            if not both.any() or not a[both].any() or not b[both].any():
                raise XbenchError(
                    f"URIEL (lang2vec) has no {kind} features for {code}: no {kind} distance; "
                    "choose other --distances"
                )
            out[code][kind] = float(cosine(a[both], b[both]))
    return out


@dataclass(frozen=True)
class Fit:
    """One regression of transfer ratios on distances."""

    distances: tuple[str, ...]
    n_languages: int
    intercept: float
    coefficients: dict[str, float]
    r2: float | None  # None when the ratios do not vary
    loo_mae: float
    loo_r2: float | None
    # per language: observed ratio (None for a prediction), in-sample fit, held-out prediction,
    # and `to_english`: every distance to English
    languages: list[dict[str, Any]] = field(default_factory=list)


def _design(rows: Sequence[Mapping[str, float]], kinds: Sequence[str]) -> np.ndarray:
    return np.array([[1.0, *(row[k] for k in kinds)] for row in rows])


def fit(
    ratios: Mapping[str, float], dist: Mapping[str, Mapping[str, float]],
    kinds: Sequence[str], predict: Sequence[str] = (),
) -> Fit:  # fmt: skip
    """Least squares of `ratios` ({language: S_L / S_eng}) on the `kinds` of `dist`, with the
    leave-one-language-out error, and predictions for the languages in `predict`."""
    kinds = tuple(kinds)
    _check_kinds(kinds)
    observed = [c for c in ratios if c != ENGLISH]
    need = len(kinds) + 2  # one language left out still leaves an exactly determined fit
    if len(observed) < need:
        raise XbenchError(
            f"a fit on {len(kinds)} distance(s) needs {need} or more languages scored beside "
            f"English, not {len(observed)}; score more languages or choose fewer --distances"
        )
    x = _design([dist[c] for c in observed], kinds)
    y = np.array([ratios[c] for c in observed])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    fitted = x @ beta
    sst = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float(((y - fitted) ** 2).sum()) / sst if sst > 0 else None
    held_out = np.empty_like(y)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        b, *_ = np.linalg.lstsq(x[keep], y[keep], rcond=None)
        held_out[i] = x[i] @ b
    sse_loo = float(((y - held_out) ** 2).sum())
    rows = [
        {"language": c, "observed": float(y[i]), "fitted": float(fitted[i]),
         "held_out": float(held_out[i]), "predicted": False, "to_english": dict(dist[c])}
        for i, c in enumerate(observed)
    ]  # fmt: skip
    for code in predict:
        if code in ratios or code == ENGLISH:
            continue
        value = float(_design([dist[code]], kinds)[0] @ beta)
        rows.append({"language": code, "observed": None, "fitted": value, "held_out": None,
                     "predicted": True, "to_english": dict(dist[code])})  # fmt: skip
    return Fit(kinds, len(observed), float(beta[0]),
               {k: float(b) for k, b in zip(kinds, beta[1:], strict=True)}, r2,
               float(np.abs(y - held_out).mean()), 1 - sse_loo / sst if sst > 0 else None, rows)  # fmt: skip


DEFAULT_DISTANCES = ("syntactic", "genetic", "geographic")


def model_ratios(store: Any, model: str) -> dict[tuple[str, str], dict[str, float]]:
    """{(task, metric): {language: S_L / S_eng}} of the model's latest results (`latest_units`),
    primary higher-is-better metrics with one variant per language and an English score."""
    with store.connect() as con:
        rows = con.execute(
            "SELECT task, metric, language, value, higher_is_better FROM latest_units"
            " WHERE model = ? AND primary_metric AND value IS NOT NULL"
            " ORDER BY task, language", [model],
        ).fetchall()  # fmt: skip
    by_task: dict[tuple[str, str], list[tuple[str, float, bool]]] = {}
    for task, metric, language, value, higher in rows:
        by_task.setdefault((task, metric), []).append((language, value, higher is not False))
    out = {}
    for key, values in by_task.items():
        languages = [v[0] for v in values]
        english = [v[1] for v in values if v[0] == ENGLISH]
        if len(set(languages)) != len(languages) or len(english) != 1 or not english[0]:
            continue  # several variants per language, or no English score to divide by
        if not all(v[2] for v in values):
            continue  # a lower-is-better metric (TER) has no share of the English ability
        out[key] = {lang: value / english[0] for lang, value, _ in values}
    return out


def run(
    model: str, *, tasks: Sequence[str] = (), kinds: Sequence[str] = DEFAULT_DISTANCES,
    predict: Sequence[str] = (), db: Any = None, store: bool = True,
) -> list[tuple[str, str, Fit]]:  # fmt: skip
    """`xbench typology`: fit each of the model's tasks (or `tasks`), store and return
    [(task, metric, fit)]."""
    from .. import languages as langs
    from .. import settings
    from ..store import Store

    _check_kinds(kinds)
    target = Store(settings.db_path(db), read_only=not store)
    ratios = model_ratios(target, model)
    if not ratios:
        with target.connect() as con:
            known = [m for (m,) in con.execute(
                "SELECT DISTINCT model FROM latest_units ORDER BY model").fetchall()]  # fmt: skip
        raise XbenchError(
            f"model {model!r} has no result with an English score to fit"
            + (f"; models: {', '.join(known)}" if known else "; run xbench run first")
        )
    chosen = {k: v for k, v in ratios.items() if not tasks or k[0] in tasks}
    missing = [t for t in tasks if t not in {k[0] for k in ratios}]
    if missing:
        raise XbenchError(
            f"{model} has no fittable result for {', '.join(missing)} (it needs one variant per "
            f"language, English included, on a higher-is-better metric); fittable: "
            f"{', '.join(sorted({k[0] for k in ratios}))}"
        )
    wanted = langs.require(predict)
    out = []
    for (task, metric), values in sorted(chosen.items()):
        dist = distances([*values, *wanted], tuple(DISTANCES))  # all six, for the charts
        result = fit(values, dist, kinds, wanted)
        if store:
            target.save_typology(model, task, metric, result)
        out.append((task, metric, result))
    return out
