"""How accurate is xbench's language identifier by number of letters? Evidence for the
"too short to judge" rule in xbench/fidelity.py (MIN_LETTERS).

Real sentences: NTREX-128 (every language file the identifier knows: 37 of 38 + English
source; human translations of WMT19 news) and the MGSM questions (11 languages), from
`--data-dir` (laid out as ../shared/data). Each sentence is cut into prefixes at word
boundaries (at every character for Chinese, Japanese, Thai, Khmer and Burmese, written
without spaces between words); per letter bin a sentence gives its first prefix in that bin.
A prefix is correct when `same_language(expected, identified)`. The length rule itself is
not applied here: this measures the identifier alone.

    python bench/bench_lid_length.py [--data-dir ../shared/data] [--per-language 600]

Prints accuracy per language and bin, pooled and worst per script class
(xbench.fidelity.script_class), and per class the cut-off: the smallest letter count from
which every language scores >= the target (0.95) in every bin. Languages that miss the
target even on long texts (whole sentences, 61+ letters: a sibling the identifier confuses
them with, ind~zsm, zul~xho, not a length effect) are shown but not used.
Then checks xbench.fidelity.MIN_LETTERS against the cut-offs.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from xbench import fidelity

BINS = [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 15), (16, 20), (21, 25),
        (26, 30), (31, 35), (36, 40), (41, 50), (51, 60), (61, 80), (81, 10**9)]  # fmt: skip
NTREX = {
    "src.eng": "eng_Latn", "ref.amh": "amh_Ethi", "ref.arb": "arb_Arab", "ref.ben": "ben_Beng",
    "ref.bul": "bul_Cyrl", "ref.ces": "ces_Latn", "ref.deu": "deu_Latn", "ref.eus": "eus_Latn",
    "ref.fas": "pes_Arab", "ref.fin": "fin_Latn", "ref.fra": "fra_Latn", "ref.hau": "hau_Latn",
    "ref.heb": "heb_Hebr", "ref.hin": "hin_Deva", "ref.hun": "hun_Latn", "ref.hye": "hye_Armn",
    "ref.ind": "ind_Latn", "ref.ita": "ita_Latn", "ref.jpn": "jpn_Jpan", "ref.kat": "kat_Geor",
    "ref.khm": "khm_Khmr", "ref.kor": "kor_Hang", "ref.mya": "mya_Mymr", "ref.pol": "pol_Latn",
    "ref.por": "por_Latn", "ref.rus": "rus_Cyrl", "ref.spa": "spa_Latn", "ref.swa": "swh_Latn",
    "ref.tam": "tam_Taml", "ref.tel": "tel_Telu", "ref.tha": "tha_Thai", "ref.tur": "tur_Latn",
    "ref.ukr": "ukr_Cyrl", "ref.vie": "vie_Latn", "ref.wol": "wol_Latn", "ref.yor": "yor_Latn",
    "ref.zho-CN": "zho_Hans", "ref.zho-TW": "zho_Hant", "ref.zul": "zul_Latn",
}  # fmt: skip
MGSM = {"en": "eng_Latn", "de": "deu_Latn", "fr": "fra_Latn", "es": "spa_Latn",
        "ru": "rus_Cyrl", "zh": "zho_Hans", "ja": "jpn_Jpan", "th": "tha_Thai",
        "sw": "swh_Latn", "bn": "ben_Beng", "te": "tel_Telu"}  # fmt: skip
NO_SPACES = {"zho_Hans", "zho_Hant", "jpn_Jpan", "tha_Thai", "khm_Khmr", "mya_Mymr"}
# The 14 languages xbench's built-in benchmarks need (xbench.languages.SHORT_CODES).
REQUIRED = {"eng_Latn", "deu_Latn", "fra_Latn", "spa_Latn", "rus_Cyrl", "zho_Hans", "jpn_Jpan",
            "tha_Thai", "swh_Latn", "ben_Beng", "tel_Telu", "arb_Arab", "bul_Cyrl",
            "ita_Latn"}  # fmt: skip


def load(data_dir: Path, per_language: int) -> dict[str, list[str]]:
    """Sentences per language: up to `per_language` NTREX lines (seeded sample) + MGSM."""
    known = {fidelity.to_xbench_code(label).split("_")[0] for label in fidelity.LID_CODES}
    sentences: dict[str, list[str]] = defaultdict(list)
    for stem, code in NTREX.items():
        if code.split("_")[0] not in known:
            print(f"skipped {code}: the identifier does not know it", file=sys.stderr)
            continue
        path = data_dir / "ntrex128" / f"newstest2019-{stem}.txt"
        lines = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]
        sentences[code] += random.Random(stem).sample(lines, min(per_language, len(lines)))
    for short, code in MGSM.items():
        with open(data_dir / "mgsm" / f"mgsm_{short}.tsv", encoding="utf-8", newline="") as f:
            rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            sentences[code] += [row[0] for row in rows]
    return dict(sentences)


def prefixes(sentence: str, code: str) -> dict[int, str]:
    """bin index -> the first prefix of `sentence` whose letter count falls in that bin."""
    if code in NO_SPACES:
        cuts = [sentence[: i + 1] for i, ch in enumerate(sentence) if ch.isalpha()]
    else:
        words = sentence.split()
        cuts = [" ".join(words[: i + 1]) for i in range(len(words))]
    found: dict[int, str] = {}
    for cut in cuts:
        n = fidelity.count_letters(cut)
        for b, (lo, hi) in enumerate(BINS):
            if lo <= n <= hi and b not in found:
                found[b] = cut
    return found


def bin_label(b: int) -> str:
    lo, hi = BINS[b]
    return f"{lo}+" if hi >= 10**9 else f"{lo}-{hi}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_dir = os.environ.get("XBENCH_TEST_DATA_DIR", "../shared/data")
    parser.add_argument("--data-dir", type=Path, default=Path(default_dir))
    parser.add_argument("--per-language", type=int, default=600, help="NTREX lines a language")
    parser.add_argument("--target", type=float, default=0.95)
    args = parser.parse_args()

    data = load(args.data_dir, args.per_language)
    hits: dict[str, list[list[int]]] = {code: [[0, 0] for _ in BINS] for code in data}
    whole: dict[str, list[int]] = {}
    low_share = 0
    rule = dict.fromkeys(["prefixes", "judged", "judged_correct", "unsure", "unsure_correct"], 0)
    n_sentences = 0
    started = time.perf_counter()
    for code, sentences in data.items():
        whole[code] = [0, len(sentences)]
        for sentence in sentences:
            n_sentences += 1
            low_share += fidelity.letter_share(sentence) < fidelity.MIN_LETTER_SHARE
            detected, _ = fidelity.identify(sentence)
            whole[code][0] += fidelity.same_language(code, detected)
            for b, cut in prefixes(sentence, code).items():
                detected, confidence = fidelity.identify(cut)
                correct = fidelity.same_language(code, detected)
                hits[code][b][0] += correct
                hits[code][b][1] += 1
                # the whole rule (xbench.fidelity.detect), on the same prefixes
                verdict = fidelity.detect(cut)
                rule["prefixes"] += 1
                rule["judged"] += verdict.judged
                rule["judged_correct"] += verdict.judged and correct
                if not verdict.judged and (verdict.reason or "").startswith("identifier unsure"):
                    rule["unsure"] += 1
                    rule["unsure_correct"] += correct
    elapsed = time.perf_counter() - started

    def rate(h: list[int]) -> str:
        return f"{h[0] / h[1]:5.2f}" if h[1] else "    -"

    classes: dict[str, list[str]] = defaultdict(list)
    for code, sentences in data.items():
        classes[fidelity.script_class(" ".join(sentences[:50]))].append(code)

    print(f"identifier {fidelity.IDENTIFIER}; {n_sentences} sentences, {elapsed:.0f} s")
    print("share correct by letters (prefix bins); `*` = one of the 14 required languages\n")
    header = f"{'language':10} {'whole':>5} " + " ".join(
        f"{bin_label(b):>5}" for b in range(len(BINS))
    )
    cutoffs: dict[str, int] = {}
    for cls, codes in sorted(classes.items()):
        print(f"[{cls}]  {header}")
        for code in sorted(codes):
            mark = "*" if code in REQUIRED else " "
            print(f"{code:9}{mark} {rate(whole[code])} " + " ".join(rate(h) for h in hits[code]))
        pooled = [[sum(hits[c][b][i] for c in codes) for i in (0, 1)] for b in range(len(BINS))]
        # A language the identifier confuses with a sibling at any length (ind~zsm, zul~xho)
        # says nothing about length: below target on whole sentences or from 61 letters on,
        # it is shown but not used.
        long_bins = [b for b, (lo, _) in enumerate(BINS) if lo >= 61]
        usable = [c for c in codes if whole[c][0] / whole[c][1] >= args.target
                  and all(hits[c][b][0] >= args.target * hits[c][b][1] for b in long_bins)]  # fmt: skip
        worst = [min((hits[c][b][0] / hits[c][b][1] for c in usable if hits[c][b][1]), default=0.0)
                 for b in range(len(BINS))]  # fmt: skip
        print(f"{'pooled':10} {'':5} " + " ".join(rate(h) for h in pooled))
        print(f"{'worst':10} {'':5} " + " ".join(f"{w:5.2f}" for w in worst))
        first = next(b for b in range(len(BINS)) if min(worst[b:]) >= args.target)
        cutoffs[cls] = BINS[first][0]
        left_out = sorted(set(codes) - set(usable))
        print(f"-> cut-off {BINS[first][0]} letters: from there every language scores "
              f">= {args.target:.2f} in every bin (not counted, below target even on long "
              f"texts: {', '.join(left_out) or 'none'})\n")  # fmt: skip
    print(f"real sentences with < {fidelity.MIN_LETTER_SHARE} letters+marks among non-space "
          f"characters: {low_share} of {n_sentences}")  # fmt: skip
    print(
        f"the rule (fidelity.detect) judges {rule['judged']} of {rule['prefixes']} prefixes, "
        f"{rule['judged_correct'] / max(1, rule['judged']):.4f} of them correctly; "
        f"{rule['unsure']} fell to MIN_CONFIDENCE={fidelity.MIN_CONFIDENCE} "
        f"({rule['unsure_correct'] / max(1, rule['unsure']):.2f} of those were correct)"
    )
    for cls, cutoff in sorted(cutoffs.items()):
        chosen = fidelity.MIN_LETTERS[cls]
        verdict = "ok" if chosen >= cutoff else "TOO LOW"
        print(f"MIN_LETTERS[{cls!r}] = {chosen}: measured cut-off {cutoff} -> {verdict}")


if __name__ == "__main__":
    main()
