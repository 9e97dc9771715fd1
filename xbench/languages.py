"""Language codes. xbench names languages as ISO 639-3 + ISO 15924 script (`deu_Latn`), the
FLORES+ convention. Users may type any usual form, case-insensitively: ISO 639-1 (`de`, `hi`),
ISO 639-3 (`deu`), BCP 47 with script or region (`zh-Hant`, `pt-BR`), the long form, or an
English language name (`german`); `langcodes` (with `language_data`) reads them all."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

import langcodes

# ISO 639-1 -> ISO 639-3 + script, for the languages of the built-in benchmarks (the
# prompt tables of the built-in plugins are keyed by these short codes).
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

_CANONICAL = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")
# A macrolanguage code stands for the individual language FLORES+ and the built-in benchmarks
# use (`ar` -> Standard Arabic `arb`, `sw` -> Swahili `swh`, `no` -> Bokmål `nob`).
INDIVIDUAL = {
    "ara": "arb", "swa": "swh", "msa": "zsm", "fas": "pes", "nor": "nob", "cmn": "zho",
    "lav": "lvs", "est": "ekk", "uzb": "uzn", "aze": "azj", "mon": "khk", "orm": "gaz",
    "pus": "pbt", "sqi": "als",
}  # fmt: skip


def parse(code: str) -> str | None:
    """Any usual form of a language code as `xxx_Scrp` (`hi` -> `hin_Deva`, `zh-Hant` ->
    `zho_Hant`, `eng` -> `eng_Latn`), or None when it is not a language code. A code already
    in the long form is kept as it is (`prs_Arab` stays Dari, `tgl_Latn` stays Tagalog)."""
    text = code.strip()
    if _CANONICAL.fullmatch(text):
        return text if _known(text[:3]) else None
    try:
        tag = langcodes.Language.get(text.replace("_", "-"))
        alpha3 = tag.to_alpha3() if tag.language and tag.is_valid() else None
    except (langcodes.LanguageTagError, LookupError, ValueError):
        return None
    if alpha3 is None:
        return None
    script = tag.script or tag.maximize().script
    return f"{INDIVIDUAL.get(alpha3, alpha3)}_{script}" if script else None


def require(given: Sequence[str]) -> list[str]:
    """Each of `given` (a code in any form `parse` reads, or a language name) as `xxx_Scrp`;
    the first that is neither is a one-line error."""
    from .errors import XbenchError

    out = []
    for text in given:
        code = parse(text) or by_name(text)
        if code is None:
            raise XbenchError(
                f"unknown language {text!r}; use a code like de, deu or deu_Latn, or a name"
            )
        out.append(code)
    return out


def _known(alpha3: str) -> bool:
    try:
        return langcodes.Language.get(alpha3).is_valid()
    except (langcodes.LanguageTagError, ValueError):
        return False


def by_name(text: str) -> str | None:
    """An English (or native) language name -> its code: `german` -> `deu_Latn`."""
    try:
        return parse(str(langcodes.find(text.strip())))
    except (LookupError, ValueError):
        return None


def normalize(code: str) -> str:
    """`de` -> `deu_Latn` (any form `parse` reads); anything else is returned stripped."""
    return parse(code) or code.strip()


def suggest(text: str, options: Iterable[str], n: int = 3) -> list[str]:
    """The closest of `options` to `text` ("did you mean"), case-insensitively."""
    by_fold = {o.casefold(): o for o in options}
    return [
        by_fold[m] for m in difflib.get_close_matches(text.casefold(), by_fold, n=n, cutoff=0.6)
    ]


ENGLISH = "eng_Latn"


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


def name(code: str) -> str:
    """`deu_Latn` -> `German`, `swh_Latn` -> `Swahili` (an individual language of a
    macrolanguage by the macrolanguage's name); the code itself when langcodes does not know
    it."""
    lang = code.partition("_")[0]
    try:
        tag = langcodes.Language.get(_MACRO.get(lang, lang))
        return tag.display_name() if tag.is_valid() else code
    except (langcodes.LanguageTagError, LookupError, ValueError):
        return code


def short(code: str) -> str:
    """`deu_Latn` -> `de`, `arb_Arab` -> `ar`, `zho_Hant` -> `zh-Hant`: the shortest usual tag,
    the script only where it is not the language's usual one (the code itself when langcodes
    cannot read it)."""
    lang, _, script_tag = code.partition("_")
    lang = _MACRO.get(lang, lang)  # arb -> ara, swh -> swa: the macrolanguage has the 2-letter code
    try:
        usual = langcodes.Language.get(lang).maximize().script
        return langcodes.standardize_tag(
            lang if script_tag in ("", usual) else f"{lang}-{script_tag}"
        )
    except (langcodes.LanguageTagError, LookupError, ValueError):
        return code


_MACRO = {individual: macro for macro, individual in INDIVIDUAL.items() if macro != "cmn"}


def autonym(code: str) -> str:
    """`deu_Latn` -> `Deutsch`: the language's name in itself (the code when unknown)."""
    try:
        tag = langcodes.Language.get(code.replace("_", "-"))
        return tag.autonym() if tag.is_valid() else code
    except (langcodes.LanguageTagError, LookupError, ValueError):
        return code


def script(code: str) -> str:
    """`deu_Latn` -> `Latin`; unknown scripts keep their ISO 15924 code."""
    tag = code.rpartition("_")[2]
    return SCRIPTS.get(tag, tag or "unknown")


def family(code: str) -> str:
    """`deu_Latn` -> `Indo-European`; `unknown` when not in the table."""
    return FAMILIES.get(code.partition("_")[0], "unknown")
