"""MT metrics through sacrebleu (imported inside the functions: `xbench --help` stays fast).

- Per sample: sentence chrF++ (`CHRF(word_order=2).sentence_score`), 0-100, for drill-down and
  the per-unit mean with its bootstrap CI (metric name `chrf++_sentence`).
- Per unit (corpus): chrF++ (primary), BLEU and TER exactly as the sacrebleu command line
  computes them with default options plus `--chrf-word-order 2`, BLEU's `--tokenize` chosen by
  the target language and TER's `--ter-asian-support` for Chinese, Japanese and Korean targets.
  Each comes with sacrebleu's signature and its 95% bootstrap CI (`--confidence`, 1000
  resamples, sacrebleu's fixed seed). All on sacrebleu's 0-100 scale; TER: lower is better.

COMET and spBLEU need a model / sentencepiece file from the internet: optional, asked for with
`XBENCH_MT_EXTRA_METRICS` (see optional.py); when unavailable the run stops with a one-line
error before any model loads, and no number is ever emitted for them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from xbench.spec import CorpusScore, Item, Scored

from . import optional
from .prompts import extract_translation

SENTENCE_METRIC = "chrf++_sentence"
PRIMARY_METRIC = "chrF++"  # corpus chrF++ leads on the leaderboard
CORPUS_METRICS = ("chrF++", "BLEU", "TER")
BOOTSTRAP_RESAMPLES = 1000  # sacrebleu's CLI default for --confidence

_CHINESE = {"zho", "cmn", "yue", "lzh", "wuu"}
_NO_SPACES = {"tha", "khm", "mya", "lao"}  # scripts written without spaces between words
_CJK = _CHINESE | {"jpn", "kor"}


def _iso(code: str) -> str:
    return code.partition("_")[0]


@functools.cache
def _installed(tokenizer: str) -> bool:
    """Whether sacrebleu's optional tokenizer (ja-mecab, ko-mecab) has its extra packages."""
    from sacrebleu.metrics import BLEU

    try:
        BLEU(tokenize=tokenizer)
    except (ImportError, RuntimeError):
        return False
    return True


def bleu_tokenizer(target: str) -> str:
    """sacrebleu's BLEU tokenizer for a target language (xbench code)."""
    iso = _iso(target)
    if iso in _CHINESE:
        return "zh"
    if iso == "jpn":
        return "ja-mecab" if _installed("ja-mecab") else "char"
    if iso == "kor":
        return "ko-mecab" if _installed("ko-mecab") else "char"
    if iso in _NO_SPACES:
        return "char"
    return "13a"


@functools.cache
def _sentence_chrf() -> Any:
    from sacrebleu.metrics import CHRF

    return CHRF(word_order=2)


def score_response(response: str, item: Item, *, target: str) -> Scored:
    """Scored(extracted=<the translation>, score=<sentence chrF++, 0-100>)."""
    hypothesis = extract_translation(response, target)
    reference = item.gold.strip()
    value = _sentence_chrf().sentence_score(hypothesis, [reference]).score
    return Scored(extracted=hypothesis, score=float(value))


def corpus_metrics(
    pairs: Sequence[tuple[Item, str]], *, target: str, resamples: int = BOOTSTRAP_RESAMPLES
) -> Mapping[str, CorpusScore]:
    """Corpus chrF++, BLEU and TER of the unit's answered (item, response) pairs."""
    if not pairs:
        return {}
    from sacrebleu.metrics import BLEU, CHRF, TER

    hypotheses = [extract_translation(response, target) for _, response in pairs]
    references = [[item.gold.strip() for item, _ in pairs]]
    metrics = {
        "chrF++": CHRF(word_order=2),
        "BLEU": BLEU(tokenize=bleu_tokenizer(target)),
        "TER": TER(asian_support=_iso(target) in _CJK),
    }
    out = {}
    for metric_name, metric in metrics.items():
        n_bootstrap = resamples if len(hypotheses) > 1 else 1
        score = metric.corpus_score(hypotheses, references, n_bootstrap=n_bootstrap)
        half_width = getattr(score, "_ci", None)
        mean = getattr(score, "_mean", None)
        out[metric_name] = CorpusScore(
            value=float(score.score),
            signature=metric.get_signature().format(),
            ci_low=None if half_width is None else float(mean - half_width),
            ci_high=None if half_width is None else float(mean + half_width),
        )
    out.update(optional.compute(pairs, hypotheses))
    return out
