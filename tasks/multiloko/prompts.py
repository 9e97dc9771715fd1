"""MultiLoKo prompts: the 31 languages, upstream's chat and few-shot templates, answer extraction.

The templates are upstream's `examples/prompts.py` (MIT), kept as data in
`upstream_prompts.json` next to this file (see its `_source` for the few fixes applied) and
rendered with Jinja2 as upstream's `create_examples.py` does, so each variant's prompt is in
the content language (English for the questions translated into English).

- `num_fewshot == 0`: the chat prompt. Upstream's chat templates end with "The answer is" only
  for English, Dutch and Urdu; for the others we append the localized phrase of `LANGUAGES` on
  a line of its own, so that every chat prompt ends on it (the model completes the answer).
- `num_fewshot == k` (1..5): upstream's few-shot template with `fewshot_examples[:k]`; it ends
  on the localized "A:" token.

Extraction: the text after the last answer marker (the localized "The answer is" or the English
one, case-insensitive), else the whole response; separators right after the marker (":",
full-width "：", markdown emphasis, spaces and line breaks, CRLF included) are skipped, so
"The answer is:\n\n  Erik Cowie" and "**The answer is:** Friends" give the answer, as
upstream's later `eval.py` does; then the first non-empty line, without markdown emphasis
around it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xbench.phrases import phrases
from xbench.spec import Item

MAX_FEWSHOT = 5  # upstream's fewshot_examples: 5 per language
TEMPLATES_FILE = Path(__file__).with_name("upstream_prompts.json")


@dataclass(frozen=True)
class Language:
    name: str  # upstream's directory / key name: "simplified_mandarin"
    code: str  # ISO 639-3 + script: "zho_Hans"

    @property
    def answer_phrase(self) -> str:
        """The localized "The answer is", from the shared table (xbench.phrases). Dutch and
        Urdu use the phrase their upstream template ends on."""
        phrase = phrases(self.code).answer_is
        assert phrase is not None, self.code
        return phrase

    @property
    def answer_markers(self) -> tuple[str, ...]:
        return phrases(self.code).answer_markers


LANGUAGES: dict[str, Language] = {
    lang.name: lang
    for lang in (
        Language("arabic", "arb_Arab"),
        Language("bengali", "ben_Beng"),
        Language("cantonese", "yue_Hant"),
        Language("czech", "ces_Latn"),
        Language("dutch", "nld_Latn"),
        Language("english", "eng_Latn"),
        Language("farsi", "pes_Arab"),
        Language("french", "fra_Latn"),
        Language("german", "deu_Latn"),
        Language("hebrew", "heb_Hebr"),
        Language("hindi", "hin_Deva"),
        Language("indonesian", "ind_Latn"),
        Language("italian", "ita_Latn"),
        Language("japanese", "jpn_Jpan"),
        Language("khmer", "khm_Khmr"),
        Language("korean", "kor_Hang"),
        Language("malay", "zsm_Latn"),
        Language("marathi", "mar_Deva"),
        Language("polish", "pol_Latn"),
        Language("portuguese", "por_Latn"),
        Language("romanian", "ron_Latn"),
        Language("russian", "rus_Cyrl"),
        Language("simplified_mandarin", "zho_Hans"),
        Language("spanish", "spa_Latn"),
        Language("swedish", "swe_Latn"),
        Language("tagalog", "tgl_Latn"),
        Language("thai", "tha_Thai"),
        Language("traditional_mandarin", "zho_Hant"),
        Language("turkish", "tur_Latn"),
        Language("urdu", "urd_Arab"),
        Language("vietnamese", "vie_Latn"),
    )
}
ENGLISH = LANGUAGES["english"]


@functools.cache
def upstream() -> dict[str, Any]:
    """The upstream template data (FA_TOKENS, chat_templates, fewshot_templates, ...)."""
    return json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))


@functools.cache
def _template(kind: str, language: str) -> Any:
    import jinja2  # imported late; a dependency of torch, always installed with xbench

    # Upstream renders with plain Jinja2 defaults: undefined variables render empty (the farsi
    # chat template's {{ answer_type }}) and one trailing newline of the template is dropped.
    return jinja2.Environment().from_string(upstream()[kind][language])


def render_prompt(item: Item, num_fewshot: int, *, language: str) -> str:
    """The chat prompt (num_fewshot 0) or the k-shot prompt of `language` (upstream name)."""
    if not 0 <= num_fewshot <= MAX_FEWSHOT:
        raise ValueError(f"MultiLoKo has {MAX_FEWSHOT} few-shot examples; got {num_fewshot}")
    fields = {"question": item.question, "output_type": item.fields.get("output_type", "")}
    if num_fewshot == 0:
        prompt = _template("chat_templates", language).render(**fields)
        phrase = LANGUAGES[language].answer_phrase
        return prompt if prompt.endswith(phrase) else f"{prompt.rstrip()}\n\n{phrase}"
    shots = upstream()["fewshot_examples"][language][:num_fewshot]
    return _template("fewshot_templates", language).render(**fields, few_shot=shots)


def stop_sequences(language: str) -> tuple[str, ...]:
    """A blank line, or the next few-shot question."""
    question_token = upstream()["FA_TOKENS"][language][0]
    return ("\n\n", f"\n{question_token}")


@functools.cache
def _markers(language: str) -> re.Pattern[str]:
    # A phrase's own colon ("Ответ:") is one of the separators, so "Ответ：" matches too.
    markers = dict.fromkeys(
        p.rstrip(":") for p in (*LANGUAGES[language].answer_markers, *ENGLISH.answer_markers)
    )
    return re.compile("|".join(f"(?i:{re.escape(p)})" for p in markers))


# What may stand between an answer marker and the answer: colons (ASCII and full-width),
# markdown emphasis and any whitespace, line breaks included.
_AFTER_MARKER = " \t\r\n\u00a0\u3000:：*_"
_EMPHASIS = "*_"


def extract_answer(response: str, language: str) -> str:
    """The text after the last answer marker (else the response), separators skipped: its
    first non-empty line, without the markdown emphasis around it."""
    matches = list(_markers(language).finditer(response))
    tail = response[matches[-1].end() :] if matches else response
    tail = tail.lstrip(_AFTER_MARKER)
    for line in tail.splitlines():
        answer = line.strip().strip(_EMPHASIS).strip()
        if answer:
            return answer
    return ""


def reference_response(item: Item, *, language: str) -> str:
    """What a perfect model answers: the localized phrase and the first usable target."""
    return f"{LANGUAGES[language].answer_phrase} {item.fields['targets'][0]}"
