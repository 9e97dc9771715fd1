"""MGSM answer extraction and scoring, adapted from openai/simple-evals `mgsm_eval.py`.

simple-evals takes the text after the last answer word, deletes every ",", and returns the last
`\\d+\\.?\\d*`. We keep the idea and change:
  - the markers: the localized answer word (case-sensitive, as simple-evals), the English
    "Answer", and the few-shot "The answer is" phrase of the language and of English
    (case-insensitive), since few-shot prompts teach that form;
  - digits: any Unicode decimal digit (full-width, Bengali, Thai, Telugu, Devanagari, Arabic-Indic)
    becomes ASCII, and "−" a minus sign; negative numbers are kept ("-5"), a "-" right after a
    digit is a subtraction ("20-12" -> 12);
  - separators: a grouping separator is removed only where the number cannot be read otherwise
    (see `_normalize_token`); a bare "," before 1-2 final digits is a decimal comma;
  - comparison: numeric ("18.00" == "18"), not string equality.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation, localcontext

from xbench.spec import Item, Scored

from .prompts import ENGLISH, LANGUAGES, Words

_GROUP_SPACES = "\u00a0\u202f\u2009"  # no-break, narrow no-break, thin space
_MINUS_SIGNS = {"\u2212": "-", "\uff0d": "-"}  # minus sign, full-width hyphen-minus

# A run of digits and separators, starting and ending with a digit.
_TOKEN = re.compile(rf"\d[\d,.{_GROUP_SPACES}]*\d")
_NUMBER = re.compile(r"(?<!\d)-?\d+(?:\.\d+)?")
# "1,234,567" / "2,125.5" and the Indian "1,25,000" / "12,34,567": commas group digits.
_COMMA_GROUPED = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})*,\d{3})(?:\.\d+)?")
# "276 000" / "1 250,5" with the typographic spaces: spaces group, "," or "." is decimal.
_SPACE_GROUPED = re.compile(rf"\d{{1,3}}(?:[{_GROUP_SPACES}]\d{{3}})+(?:[.,]\d+)?")
# "1.234.567" (two or more dot groups) or "1.234,5": dots group, "," is decimal.
_DOT_GROUPED = re.compile(r"\d{1,3}(?:(?:\.\d{3}){2,}(?:,\d+)?|(?:\.\d{3})+,\d+)")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
# With a plain space the grouping is only unambiguous when it is the tail's only number.
_PLAIN_SPACE_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?:[.,]\d+)?(?![\d])")


def answer_markers(words: Words) -> re.Pattern[str]:
    """The marker regex: answer words case-sensitively, phrases case-insensitively."""
    phrases = dict.fromkeys((*words.answer_phrases, *ENGLISH.answer_phrases))
    answer_words = dict.fromkeys((words.answer_word, ENGLISH.answer_word))
    # Longest first, so that "Die Antwort lautet" wins over "Antwort" at the same position.
    alternatives = sorted(
        [f"(?i:{re.escape(p)})" for p in phrases] + [re.escape(w) for w in answer_words],
        key=len,
        reverse=True,
    )
    return re.compile("|".join(alternatives))


_MARKERS = {short: answer_markers(words) for short, words in LANGUAGES.items()}


def answer_tail(response: str, language: str, *, answer_implied: bool = False) -> str | None:
    """The text after the last answer marker. Without a marker: None, or the whole response when
    the prompt itself ended on the answer prefix (`answer_implied`, direct mode)."""
    matches = list(_MARKERS[language].finditer(response))
    if matches:
        return response[matches[-1].end() :]
    return response if answer_implied else None


def extract_number(text: str) -> str:
    """The last number in `text`, normalised ("2,125" -> "2125", "18.00" -> "18"); "" if none."""
    text = _ascii_digits(text)
    text = _join_plain_space_groups(text)
    text = _TOKEN.sub(lambda m: _normalize_token(m.group()), text)
    numbers = _NUMBER.findall(text)
    return normalize_number(numbers[-1]) if numbers else ""


def normalize_number(text: str) -> str:
    """The canonical form of a plain number string: "-0018.50" -> "-18.5", "2,125" -> "2125"."""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    # Exact at any length: Decimal arithmetic with enough precision for every digit, and no
    # str(int(...)) (int() refuses more than 4,300 digits).
    with localcontext(prec=len(text) + 2):
        if value == 0:
            return "0"
        return format(value.normalize(), "f")


def score_response(
    response: str, item: Item, *, language: str, answer_implied: bool = False
) -> Scored:
    """Scored(extracted=<normalised number or "">, score=1.0 if it equals the gold numerically)."""
    tail = answer_tail(response, language, answer_implied=answer_implied)
    extracted = extract_number(tail) if tail is not None else ""
    correct = extracted != "" and Decimal(extracted) == Decimal(normalize_number(item.gold))
    return Scored(extracted=extracted, score=1.0 if correct else 0.0)


def _ascii_digits(text: str) -> str:
    # unicodedata.decimal, not .digit: .digit would also turn "²" into "2".
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else _MINUS_SIGNS.get(c, c)
        for c in text
    )


def _join_plain_space_groups(text: str) -> str:
    matches = list(_PLAIN_SPACE_GROUPED.finditer(text))
    if len(matches) != 1:
        return text
    match = matches[0]
    if re.search(r"\d", text[: match.start()] + text[match.end() :]):
        return text  # other numbers around: "3 100" may be two numbers
    return text[: match.start()] + _ungroup(match.group(), " ") + text[match.end() :]


def _normalize_token(token: str) -> str:
    """One run of digits and separators -> a plain number, or the run unchanged if ambiguous
    (the number regex then splits it: "3,4,5" -> 3, 4, 5; a lone "2.125" stays a decimal)."""
    if _COMMA_GROUPED.fullmatch(token):
        return token.replace(",", "")
    if _SPACE_GROUPED.fullmatch(token):
        return _ungroup(token, _GROUP_SPACES)
    if _DOT_GROUPED.fullmatch(token):
        return token.replace(".", "").replace(",", ".")
    if _DECIMAL_COMMA.fullmatch(token):
        return token.replace(",", ".")
    return token


def _ungroup(number: str, separators: str) -> str:
    for separator in separators:
        number = number.replace(separator, "")
    return number.replace(",", ".")
