"""The languages of the MT test sets: their file / config names, xbench codes and English names.

xbench names languages as ISO 639-3 + ISO 15924 script. NTREX-128 names its files with ISO 639-3
codes (plus a script or region where it has several references); the table below maps each one.
Where NTREX uses a macrolanguage code and FLORES (and xbench's other benchmarks) the standard
individual language, xbench uses the individual one, so per-language views line up across test
sets: swa -> swh, fas -> pes, msa -> zsm, aze -> azj, uzb -> uzn, lav -> lvs, mon -> khk,
nep -> npi, orm -> gaz, pus -> pbt, sqi -> als, mlg -> plt. Chinese stays `zho_Hans` /
`zho_Hant` (xbench's convention, as MGSM).
"""

from __future__ import annotations

from dataclasses import dataclass

ENGLISH = "eng_Latn"


@dataclass(frozen=True)
class Language:
    code: str  # xbench code: ISO 639-3 + script
    name: str  # English name, used in the prompts


# NTREX-128 file code -> Language. Every `newstest2019-ref.<code>.txt` of NTREX-128/ except the
# regional variants of languages that already have a reference (eng-GB/IN/US, fra-CA, por-BR,
# spa-MX, the second Spanish reference) and NTREX-additional/ (gsw-BE, gsw-ZH): a variant would
# need a code of its own. Names follow NTREX's LANGUAGES.tsv.
NTREX: dict[str, Language] = {
    ntrex: Language(code, name)
    for ntrex, code, name in (
        ("afr", "afr_Latn", "Afrikaans"),
        ("amh", "amh_Ethi", "Amharic"),
        ("arb", "arb_Arab", "Arabic"),
        ("aze-Latn", "azj_Latn", "Azerbaijani"),
        ("bak", "bak_Cyrl", "Bashkir"),
        ("bel", "bel_Cyrl", "Belarusian"),
        ("bem", "bem_Latn", "Bemba"),
        ("ben", "ben_Beng", "Bengali"),
        ("bod", "bod_Tibt", "Tibetan"),
        ("bos", "bos_Latn", "Bosnian"),
        ("bul", "bul_Cyrl", "Bulgarian"),
        ("cat", "cat_Latn", "Catalan"),
        ("ces", "ces_Latn", "Czech"),
        ("ckb-Arab", "ckb_Arab", "Central Kurdish"),
        ("cym", "cym_Latn", "Welsh"),
        ("dan", "dan_Latn", "Danish"),
        ("deu", "deu_Latn", "German"),
        ("div", "div_Thaa", "Divehi"),
        ("dzo", "dzo_Tibt", "Dzongkha"),
        ("ell", "ell_Grek", "Greek"),
        ("est", "est_Latn", "Estonian"),
        ("eus", "eus_Latn", "Basque"),
        ("ewe", "ewe_Latn", "Ewe"),
        ("fao", "fao_Latn", "Faroese"),
        ("fas", "pes_Arab", "Persian"),
        ("fij", "fij_Latn", "Fijian"),
        ("fil", "fil_Latn", "Filipino"),
        ("fin", "fin_Latn", "Finnish"),
        ("fra", "fra_Latn", "French"),
        ("fuc", "fuc_Latn", "Pulaar"),
        ("gle", "gle_Latn", "Irish"),
        ("glg", "glg_Latn", "Galician"),
        ("guj", "guj_Gujr", "Gujarati"),
        ("hau", "hau_Latn", "Hausa"),
        ("heb", "heb_Hebr", "Hebrew"),
        ("hin", "hin_Deva", "Hindi"),
        ("hmn", "hmn_Latn", "Hmong"),
        ("hrv", "hrv_Latn", "Croatian"),
        ("hun", "hun_Latn", "Hungarian"),
        ("hye", "hye_Armn", "Armenian"),
        ("ibo", "ibo_Latn", "Igbo"),
        ("ind", "ind_Latn", "Indonesian"),
        ("isl", "isl_Latn", "Icelandic"),
        ("ita", "ita_Latn", "Italian"),
        ("jpn", "jpn_Jpan", "Japanese"),
        ("kan", "kan_Knda", "Kannada"),
        ("kat", "kat_Geor", "Georgian"),
        ("kaz", "kaz_Cyrl", "Kazakh"),
        ("khm", "khm_Khmr", "Khmer"),
        ("kin", "kin_Latn", "Kinyarwanda"),
        ("kir", "kir_Cyrl", "Kyrgyz"),
        ("kmr", "kmr_Latn", "Northern Kurdish"),
        ("kor", "kor_Hang", "Korean"),
        ("lao", "lao_Laoo", "Lao"),
        ("lav", "lvs_Latn", "Latvian"),
        ("lit", "lit_Latn", "Lithuanian"),
        ("ltz", "ltz_Latn", "Luxembourgish"),
        ("mal", "mal_Mlym", "Malayalam"),
        ("mar", "mar_Deva", "Marathi"),
        ("mey", "mey_Arab", "Hassaniyya"),
        ("mkd", "mkd_Cyrl", "Macedonian"),
        ("mlg", "plt_Latn", "Malagasy"),
        ("mlt", "mlt_Latn", "Maltese"),
        ("mon", "khk_Cyrl", "Mongolian"),
        ("mri", "mri_Latn", "Maori"),
        ("msa", "zsm_Latn", "Malay"),
        ("mya", "mya_Mymr", "Burmese"),
        ("nde", "nde_Latn", "North Ndebele"),
        ("nep", "npi_Deva", "Nepali"),
        ("nld", "nld_Latn", "Dutch"),
        ("nno", "nno_Latn", "Norwegian Nynorsk"),
        ("nob", "nob_Latn", "Norwegian Bokmål"),
        ("nso", "nso_Latn", "Northern Sotho"),
        ("nya", "nya_Latn", "Chichewa"),
        ("orm", "gaz_Latn", "Oromo"),
        ("pan", "pan_Guru", "Punjabi"),
        ("pol", "pol_Latn", "Polish"),
        ("por", "por_Latn", "Portuguese"),
        ("prs", "prs_Arab", "Dari"),
        ("pus", "pbt_Arab", "Pashto"),
        ("ron", "ron_Latn", "Romanian"),
        ("rus", "rus_Cyrl", "Russian"),
        # Shilha (Tachelhit): the script of NTREX's reference was not checked (not in the
        # shared 38-language copy); Tifinagh is assumed. See data_cards/ntrex128.md.
        ("shi", "shi_Tfng", "Shilha"),
        ("sin", "sin_Sinh", "Sinhala"),
        ("slk", "slk_Latn", "Slovak"),
        ("slv", "slv_Latn", "Slovenian"),
        ("smo", "smo_Latn", "Samoan"),
        ("sna-Latn", "sna_Latn", "Shona"),
        ("snd-Arab", "snd_Arab", "Sindhi"),
        ("som", "som_Latn", "Somali"),
        ("spa", "spa_Latn", "Spanish"),
        ("sqi", "als_Latn", "Albanian"),
        ("srp-Cyrl", "srp_Cyrl", "Serbian (Cyrillic)"),
        ("srp-Latn", "srp_Latn", "Serbian (Latin)"),
        ("ssw", "ssw_Latn", "Swati"),
        ("swa", "swh_Latn", "Swahili"),
        ("swe", "swe_Latn", "Swedish"),
        ("tah", "tah_Latn", "Tahitian"),
        ("tam", "tam_Taml", "Tamil"),
        ("tat", "tat_Cyrl", "Tatar"),
        ("tel", "tel_Telu", "Telugu"),
        ("tgk-Cyrl", "tgk_Cyrl", "Tajik"),
        ("tha", "tha_Thai", "Thai"),
        ("tir", "tir_Ethi", "Tigrinya"),
        ("ton", "ton_Latn", "Tongan"),
        ("tsn", "tsn_Latn", "Tswana"),
        ("tuk", "tuk_Latn", "Turkmen"),
        ("tur", "tur_Latn", "Turkish"),
        ("uig", "uig_Arab", "Uyghur"),
        ("ukr", "ukr_Cyrl", "Ukrainian"),
        ("urd", "urd_Arab", "Urdu"),
        ("uzb", "uzn_Latn", "Uzbek"),
        ("ven", "ven_Latn", "Venda"),
        ("vie", "vie_Latn", "Vietnamese"),
        ("wol", "wol_Latn", "Wolof"),
        ("xho", "xho_Latn", "Xhosa"),
        ("yor", "yor_Latn", "Yoruba"),
        ("yue", "yue_Hant", "Cantonese"),
        ("zho-CN", "zho_Hans", "Chinese (Simplified)"),
        ("zho-TW", "zho_Hant", "Chinese (Traditional)"),
        ("zul", "zul_Latn", "Zulu"),
    )
}
NTREX_ENGLISH = "eng"  # the source file: newstest2019-src.eng.txt
NTREX_OF = {language.code: ntrex for ntrex, language in NTREX.items()}

# FLORES+ config (`<iso639-3>_<Script>`) of each xbench code whose config name differs: FLORES+
# names Chinese by its individual language (Mandarin) where xbench keeps `zho`.
FLORES_CONFIG_OVERRIDES = {"zho_Hans": "cmn_Hans", "zho_Hant": "cmn_Hant"}

# The FLORES+ languages registered by default: those of the 38-language NTREX copy that
# ../shared/data holds (so the two test sets can be compared language by language). More:
# --task-arg mt.flores_languages (see tasks/mt/__init__.py).
FLORES_DEFAULT = (
    "amh_Ethi", "arb_Arab", "ben_Beng", "bul_Cyrl", "ces_Latn", "deu_Latn", "eus_Latn",
    "pes_Arab", "fin_Latn", "fra_Latn", "hau_Latn", "heb_Hebr", "hin_Deva", "hun_Latn",
    "hye_Armn", "ind_Latn", "ita_Latn", "jpn_Jpan", "kat_Geor", "khm_Khmr", "kor_Hang",
    "mya_Mymr", "pol_Latn", "por_Latn", "rus_Cyrl", "spa_Latn", "swh_Latn", "tam_Taml",
    "tel_Telu", "tha_Thai", "tur_Latn", "ukr_Cyrl", "vie_Latn", "wol_Latn", "yor_Latn",
    "zho_Hans", "zho_Hant", "zul_Latn",
)  # fmt: skip

_NAMES = {language.code: language.name for language in NTREX.values()}
_NAMES[ENGLISH] = "English"


def name(code: str) -> str:
    """The English name of an xbench code, for the prompts; the code itself when unknown."""
    return _NAMES.get(code, code)


def flores_config(code: str) -> str:
    return FLORES_CONFIG_OVERRIDES.get(code, code)
