"""MultiLoKo scoring: exact match and token F1, best over the acceptable answers.

Two normalisations, both re-implemented from facebookresearch/multiloko `eval.py`:

- "v1" (default), as first released (commit 4f4de60): lowercase; remove ASCII punctuation and
  upstream's extra CJK / European punctuation list; remove the English articles a / an / the
  (word-boundary regex, applied in every language); collapse whitespace.
- "v2" (opt-in, the `*_norm2` tasks), upstream's later normalisation: v1's punctuation plus
  every Unicode P* character; " answer is " extraction and a trailing Japanese です dropped;
  per-language article lists (Arabic ال / Hebrew ה as prefixes); the Urdu answer frame
  جواب … ہے; ZWNJ rendered both as a space and as nothing. Each answer becomes a list of
  variants and the best pairing of prediction and gold variants counts.

A gold answer that normalises to empty is never scored against: the loader drops it and
reports it (see data.py); an item with no usable gold answer is a DataError.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence

from xbench.spec import Item, Scored

from .prompts import extract_answer

NORMALIZATIONS = ("v1", "v2")

# Upstream's extra punctuation, verbatim (eval.py `remove_punc`).
_EXTRA_PUNCT = "„“«»¡¿《》！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏."
_PUNCT = frozenset(string.punctuation + _EXTRA_PUNCT)
_ENGLISH_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _white_space_fix(text: str) -> str:
    return " ".join(text.split())


def _remove_punc_v1(text: str) -> str:
    return "".join(ch for ch in text if ch not in _PUNCT)


def normalize_v1(text: str) -> str:
    """First-release normalisation: lower, punctuation, English articles, whitespace."""
    return _white_space_fix(_ENGLISH_ARTICLES.sub(" ", _remove_punc_v1(text.lower())))


# --- v2 -------------------------------------------------------------------------------------

ARTICLES = {
    "english": ("a", "an", "the"),
    "german": ("der", "die", "das", "den", "dem", "des"),
    "dutch": ("de", "het"),
    "french": ("le", "la", "les", "des"),
    "italian": ("il", "lo", "la", "i", "gli", "le"),
    "spanish": ("el", "la", "los", "las", "unos", "unas"),
    "portuguese": ("o", "a", "os", "as", "uns", "umas"),
    "swedish": (),
    "romanian": ("niste", "niște"),
    "tagalog": ("ang", "ng", "mga", "si", "sina"),
}
PREFIX_ARTICLES = {"arabic": "ال", "hebrew": "ה"}
ANSWER_FRAMES = {"urdu": ("جواب", "ہے")}
ZWNJ = "\u200c"


def _remove_punc_v2(text: str) -> str:
    text = _remove_punc_v1(text)
    return "".join(c for c in text if not unicodedata.category(c).startswith("P"))


def _remove_articles_v2(text: str, language: str) -> str:
    if language in PREFIX_ARTICLES:
        prefix = PREFIX_ARTICLES[language]
        return " ".join(
            word[len(prefix) :]
            if word.startswith(prefix) and len(word) >= len(prefix) + 2
            else word
            for word in text.split()
        )
    articles = ARTICLES.get(language)
    if not articles:
        return text
    pattern = r"\b(" + "|".join(re.escape(a) for a in articles) + r")\b"
    return _white_space_fix(re.sub(pattern, " ", text))


def _extract_v2(text: str) -> str:
    if " answer is " in text:
        return text.split(" answer is ")[-1]
    if "answer is " in text:
        return text.replace("answer is ", "")
    if text.endswith("です"):
        return text[:-2]
    return text


def _strip_frame(text: str, language: str) -> str:
    prefix, suffix = ANSWER_FRAMES.get(language, ("", ""))
    stripped = text
    if prefix and stripped.startswith(prefix + " "):
        stripped = stripped[len(prefix) + 1 :]
    if suffix and stripped.endswith(" " + suffix):
        stripped = stripped[: -len(suffix) - 1]
    return _white_space_fix(stripped) or text


def variants_v2(text: str, language: str) -> list[str]:
    """The forms an answer may take under the later normalisation; empty forms dropped."""
    answer = _extract_v2(_white_space_fix(_remove_punc_v2(text.lower())))
    forms = [answer, _remove_articles_v2(answer, language)]
    unframed = _strip_frame(answer, language)
    if unframed != answer:
        forms += [unframed, _remove_articles_v2(unframed, language)]
    for form in list(forms):
        if ZWNJ in form:
            forms += [
                _white_space_fix(form.replace(ZWNJ, " ")),
                _white_space_fix(form.replace(ZWNJ, "")),
            ]
    return list(dict.fromkeys(form for form in forms if form))


def normalized_forms(text: str, language: str, normalization: str) -> list[str]:
    """All normalised forms of one answer (v1: one form); [] when it normalises to empty."""
    if normalization == "v1":
        form = normalize_v1(text)
        return [form] if form else []
    if normalization == "v2":
        return variants_v2(text, language)
    raise ValueError(
        f"unknown MultiLoKo normalisation {normalization!r}; use one of {NORMALIZATIONS}"
    )


# --- metrics --------------------------------------------------------------------------------


def token_f1(prediction: str, target: str) -> float:
    """Whitespace-token F1, as upstream (SQuAD style)."""
    pred, gold = prediction.split(), target.split()
    same = sum((Counter(pred) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def em_f1(predictions: Sequence[str], targets: Sequence[str]) -> tuple[float, float]:
    """Best exact match and best F1 over every (prediction form, gold form) pair."""
    predictions = list(predictions) or [""]  # an empty answer scores zero
    em = max(float(p == t) for p in predictions for t in targets)
    f1 = max(token_f1(p, t) for p in predictions for t in targets)
    return em, f1


def gold_forms(item: Item, language: str, normalization: str) -> list[str]:
    return [
        form
        for target in item.fields["targets"]
        for form in normalized_forms(target, language, normalization)
    ]


def score_response(
    response: str, item: Item, *, prompt_language: str, content_language: str, normalization: str
) -> Scored:
    """Scored(extracted answer, exact match, metrics={"f1": token F1})."""
    extracted = extract_answer(response, prompt_language)
    targets = gold_forms(item, content_language, normalization)
    if not targets:  # the loader never lets such an item through
        raise ValueError(f"MultiLoKo item {item.item_key}: no gold answer survives normalisation")
    em, f1 = em_f1(normalized_forms(extracted, content_language, normalization), targets)
    return Scored(extracted=extracted, score=em, metrics={"f1": f1})
