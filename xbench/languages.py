"""Language codes. xbench names languages as ISO 639-3 + ISO 15924 script (`deu_Latn`), the
FLORES+ convention; users may type the short ISO 639-1 code (`de`) where it is unambiguous."""

from __future__ import annotations

# ISO 639-1 -> ISO 639-3 + script, for the languages of the built-in benchmarks.
SHORT_CODES: dict[str, str] = {
    "ar": "arb_Arab",
    "bg": "bul_Cyrl",
    "bn": "ben_Beng",
    "de": "deu_Latn",
    "en": "eng_Latn",
    "es": "spa_Latn",
    "fr": "fra_Latn",
    "it": "ita_Latn",
    "ja": "jpn_Jpan",
    "ru": "rus_Cyrl",
    "sw": "swh_Latn",
    "te": "tel_Telu",
    "th": "tha_Thai",
    "zh": "zho_Hans",
}

ENGLISH = "eng_Latn"


def normalize(code: str) -> str:
    """`de` -> `deu_Latn`; a code already in the long form is returned unchanged."""
    return SHORT_CODES.get(code.strip(), code.strip())
