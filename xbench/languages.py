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


SCRIPTS: dict[str, str] = {
    "Latn": "Latin", "Cyrl": "Cyrillic", "Arab": "Arabic", "Hans": "Han (Simplified)",
    "Hant": "Han (Traditional)", "Jpan": "Japanese", "Kore": "Korean", "Deva": "Devanagari",
    "Beng": "Bengali", "Telu": "Telugu", "Taml": "Tamil", "Thai": "Thai", "Grek": "Greek",
    "Hebr": "Hebrew", "Ethi": "Ethiopic", "Geor": "Georgian", "Armn": "Armenian",
    "Khmr": "Khmer", "Mymr": "Myanmar",
}  # fmt: skip

# ISO 639-3 -> language family (Glottolog top-level), for grouping on the leaderboard.
FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        ["eng", "deu", "fra", "spa", "ita", "por", "rus", "ukr", "bul", "pol", "ces", "ben",
         "hin", "fas", "pes", "ell", "nld", "swe", "dan", "nob", "cat", "ron", "hye", "urd"],
        "Indo-European",
    ),
    **dict.fromkeys(["arb", "ara", "heb", "amh", "hau", "mlt"], "Afro-Asiatic"),
    **dict.fromkeys(["zho", "cmn", "yue", "mya"], "Sino-Tibetan"),
    **dict.fromkeys(["swh", "swa", "yor", "zul", "wol", "xho", "ibo"], "Atlantic-Congo"),
    **dict.fromkeys(["tel", "tam", "kan", "mal"], "Dravidian"),
    **dict.fromkeys(["fin", "hun", "est"], "Uralic"),
    **dict.fromkeys(["ind", "zsm", "tgl", "jav"], "Austronesian"),
    **dict.fromkeys(["tha", "lao"], "Tai-Kadai"),
    **dict.fromkeys(["vie", "khm"], "Austroasiatic"),
    "jpn": "Japonic", "kor": "Koreanic", "tur": "Turkic", "kat": "Kartvelian", "eus": "Basque (isolate)",
}  # fmt: skip


def script(code: str) -> str:
    """`deu_Latn` -> `Latin`; unknown scripts keep their ISO 15924 code."""
    tag = code.rpartition("_")[2]
    return SCRIPTS.get(tag, tag or "unknown")


def family(code: str) -> str:
    """`deu_Latn` -> `Indo-European`; `unknown` when not in the table."""
    return FAMILIES.get(code.partition("_")[0], "unknown")
