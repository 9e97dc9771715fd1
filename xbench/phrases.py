"""The per-language words prompts and answer parsers need, in one public table.

Every built-in plugin reads these instead of keeping its own copy, and a third-party plugin
can too (`from xbench.phrases import phrases`):

    answer_is   the lead-in before a final answer ("The answer is"): what a prompt asks for
                and what parsers look for
    also        other lead-ins parsers accept (German "Die Antwort ist" next to "... lautet")
    answer      the word of an "Answer:" line
    question    the word of a "Question:" line

Sources: MGSM's few-shot exemplars (Shi et al. 2022; answer lead-ins and the words of its
bn, de, en, es, fr, ja, ru, sw, te, th, zh prompts, written by native translators) and, for
the other MultiLoKo languages, lead-ins written for xbench (checked by native speakers for
en/it/de/fr/es/nl only). None: the table has no such phrase for the language (Telugu's MGSM
exemplars end without a lead-in).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import languages


@dataclass(frozen=True)
class Phrases:
    code: str  # ISO 639-3 + script: "deu_Latn"
    answer_is: str | None
    also: tuple[str, ...] = ()
    answer: str | None = None
    question: str | None = None

    @property
    def answer_markers(self) -> tuple[str, ...]:
        """Every lead-in a parser should accept, the main one first."""
        return tuple(p for p in (self.answer_is, *self.also) if p)


TABLE: dict[str, Phrases] = {
    p.code: p
    for p in (
        Phrases("arb_Arab", "الإجابة هي"),
        Phrases("ben_Beng", "উত্তর হল", answer="উত্তর", question="প্রশ্ন"),
        Phrases("ces_Latn", "Odpověď je"),
        Phrases(
            "deu_Latn",
            "Die Antwort lautet",
            also=("Die Antwort ist",),
            answer="Antwort",
            question="Frage",
        ),  # fmt: skip
        Phrases("eng_Latn", "The answer is", answer="Answer", question="Question"),
        Phrases("fra_Latn", "La réponse est", answer="Réponse", question="Question"),
        Phrases("heb_Hebr", "התשובה היא"),
        Phrases("hin_Deva", "उत्तर है"),
        Phrases("ind_Latn", "Jawabannya adalah"),
        Phrases("ita_Latn", "La risposta è"),
        Phrases("jpn_Jpan", "答えは", answer="答え", question="問題"),
        Phrases("khm_Khmr", "ចម្លើយគឺ"),
        Phrases("kor_Hang", "정답은"),
        Phrases("mar_Deva", "उत्तर आहे"),
        Phrases("nld_Latn", "Het antwoord is"),
        Phrases("pes_Arab", "پاسخ این است"),
        Phrases("pol_Latn", "Odpowiedź to"),
        Phrases("por_Latn", "A resposta é"),
        Phrases("ron_Latn", "Răspunsul este"),
        Phrases("rus_Cyrl", "Ответ:", also=("Ответ —",), answer="Ответ", question="Задача"),
        Phrases("spa_Latn", "La respuesta es", answer="Respuesta", question="Pregunta"),
        Phrases("swe_Latn", "Svaret är"),
        Phrases("swh_Latn", "Jibu ni", answer="Jibu", question="Swali"),
        Phrases("tel_Telu", None, answer="సమాధానం", question="ప్రశ్న"),
        Phrases("tgl_Latn", "Ang sagot ay"),
        Phrases("tha_Thai", "คำตอบคือ", answer="คำตอบ", question="โจทย์"),
        Phrases("tur_Latn", "Cevap:"),
        Phrases("urd_Arab", "جواب ہے"),
        Phrases("vie_Latn", "Câu trả lời là"),
        Phrases("yue_Hant", "答案係"),
        Phrases("zho_Hans", "答案是", answer="答案", question="问题"),
        Phrases("zho_Hant", "答案是"),
        Phrases("zsm_Latn", "Jawapannya ialah"),
    )
}


def phrases(code: str) -> Phrases:
    """The phrases of a language, by any usual code form (`de`, `deu`, `deu_Latn`); a
    language the table lacks raises KeyError naming the languages it has."""
    long = languages.parse(code) or code
    if long not in TABLE:
        raise KeyError(f"no phrases for {code!r}; the table has {', '.join(sorted(TABLE))}")
    return TABLE[long]
