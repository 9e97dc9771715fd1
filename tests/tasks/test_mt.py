"""MT plugin: registration, NTREX-128 and FLORES+ loaders, prompts (golden), translation
extraction, sacrebleu metrics and their fidelity to the sacrebleu command line, the
direction-asymmetry rows, and a small real-model run.

Goldens hold only xbench's templates around sentences we wrote ourselves (SENTENCES); the real
NTREX-128 text stays in ../shared/data and is read at test time (`shared_data`). FLORES+ is
tested on a self-written local copy built in tmp_path; nothing is fetched.

Regenerate the goldens with `XBENCH_UPDATE_GOLDEN=1 python -m pytest tests/tasks -k mt`, then
read the diff before committing it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import xbench
from tests.helpers import assert_golden
from xbench.spec import Answered, DataError, Item, LoadContext, TaskSpec
from xbench_tasks import mt
from xbench_tasks.mt import data, languages, prompts, scoring

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "mt"
EXTRACTION_CASES = json.loads(
    (HERE / "data" / "mt_extraction_cases.json").read_text(encoding="utf-8")
)
ENGLISH = "eng_Latn"

SPECS: dict[str, TaskSpec] = {s.name: s for s in mt.build_specs()}


@pytest.fixture(scope="module")
def ntrex_dir(shared_data) -> Path:
    if not (shared_data / "ntrex128").is_dir():
        pytest.skip("../shared/data/ntrex128 not found")
    return shared_data


# --- registration -----------------------------------------------------------------------


def test_variant_names_are_unique_and_cover_both_directions():
    specs = mt.build_specs()
    assert len({s.name for s in specs}) == len(specs)
    ntrex = [s for s in specs if s.family == "ntrex128_chat"]
    codes = {language.code for language in languages.NTREX.values()}
    assert {s.language for s in ntrex if s.source_language == ENGLISH} == codes
    assert {s.language for s in ntrex if s.target_language == ENGLISH} == codes
    assert len(specs) == 2 * 2 * len(codes) + 2 * 2 * 2 * len(languages.FLORES_DEFAULT)


def test_registered_through_the_entry_point_next_to_other_plugins():
    from xbench import plugins

    registry = plugins.load_registry()
    names = [n for n, s in registry.specs.items() if s.benchmark == "mt"]
    assert sorted(names) == sorted(SPECS)
    assert registry.select(["ntrex128_chat_en-x"], ["de"])[0].name == "ntrex128_chat_en-x.deu_Latn"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_variant_fields(name):
    s = SPECS[name]
    assert s.benchmark == "mt" and s.version == mt.VERSION and s.prompt_language == ENGLISH
    assert ENGLISH in (s.source_language, s.target_language)
    assert s.language == (s.source_language if s.target_language == ENGLISH else s.target_language)
    assert s.language != ENGLISH and s.origin_language == ENGLISH
    assert s.partition == ("original" if s.source_language == ENGLISH else "human_translated")
    assert s.family == s.task.rsplit("_", 1)[0] and s.family.endswith(("_chat", "_base"))
    assert s.task.endswith("_en-x" if s.source_language == ENGLISH else "_x-en")
    assert s.metric == "chrf++_sentence" and s.primary_metric == "chrF++"
    assert s.corpus_metrics is not None and s.max_fewshot == 0


def test_ntrex_codes_match_the_upstream_language_list(ntrex_dir):
    """Every code of LANGUAGES.tsv is mapped, except English and the regional variants."""
    listed = {
        line.split()[0]
        for line in (ntrex_dir / "ntrex128" / "LANGUAGES.tsv").read_text().splitlines()
        if line.strip()
    }
    skipped = {"eng-GB", "eng-IN", "eng-US", "fra-CA", "por-BR", "spa-MX", "gsw-BE", "gsw-ZH"}
    assert set(languages.NTREX) == listed - skipped
    assert languages.NTREX["zho-CN"].code == "zho_Hans"
    assert languages.NTREX["zho-TW"].code == "zho_Hant"
    assert languages.NTREX["swa"].code == "swh_Latn"
    assert len({language.code for language in languages.NTREX.values()}) == len(languages.NTREX)


def test_every_shared_ntrex_file_maps_to_a_registered_language(ntrex_dir):
    files = sorted((ntrex_dir / "ntrex128").glob("newstest2019-ref.*.txt"))
    assert len(files) == 38
    for path in files:
        code = languages.NTREX[path.name.split(".")[1]].code
        assert f"ntrex128_chat_en-x.{code}" in SPECS


def test_pairs_on_request():
    from xbench.plugins import load_registry

    specs = load_registry(task_args=["mt.pairs=deu_Latn-fra_Latn, jpn_Jpan-kor_Hang"]).specs
    specs = {name: s for name, s in specs.items() if s.benchmark == "mt"}
    s = specs["ntrex128_base_deu_Latn-x.fra_Latn"]
    assert (s.source_language, s.target_language, s.language) == (
        "deu_Latn",
        "fra_Latn",
        "fra_Latn",
    )
    assert s.partition == "human_translated" and s.family == "ntrex128_base"
    assert "flores_plus_devtest_chat_jpn_Jpan-x.kor_Hang" in specs
    assert len(specs) == len(SPECS) + 2 * 2 * 3  # 2 pairs x 2 styles x 3 test sets


@pytest.mark.parametrize("value", ["deu_Latn", "deu_Latn-", "deu_Latn-deu_Latn"])
def test_bad_pairs_are_refused(value):
    with pytest.raises(DataError, match="not a pair"):
        mt.parse_pairs(value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["mt.pair=deu_Latn-fra_Latn"],
            "plugin mt has no option 'pair'; its options: comet_model, extra_metrics, flores_languages, pairs",
        ),
        (["mx.pairs=a-b"], "no plugin is named 'mx'; plugins: "),
        (["mt.pairs"], "must look like <plugin>.<option>=<value>"),
        (["mt.pairs=a-b", "mt.pairs=c-d"], "mt.pairs is given twice"),
        (["mt.pairs=deu_Latn"], "plugin mt: --task-arg mt.pairs: 'deu_Latn' is not a pair"),
    ],
)
def test_task_args_are_checked_with_one_line_errors(args, message):
    from xbench.plugins import load_registry

    with pytest.raises(xbench.errors.XbenchError, match=re.escape(message)):
        load_registry(task_args=args)


def test_unknown_pair_language_is_refused():
    with pytest.raises(DataError, match="no MT test set"):
        mt.pair_specs([("deu_Latn", "xxx_Latn")])


# --- NTREX-128 loader -------------------------------------------------------------------------


def test_ntrex_items_are_aligned_in_both_directions(ntrex_dir):
    folder = ntrex_dir / "ntrex128"
    english = (folder / "newstest2019-src.eng.txt").read_bytes().decode().split("\r\n")
    chinese = (folder / "newstest2019-ref.zho-CN.txt").read_bytes().decode().split("\r\n")
    ids = (folder / "DOCUMENT_IDS.tsv").read_text().splitlines()
    into = SPECS["ntrex128_chat_en-x.zho_Hans"].load(LoadContext(ntrex_dir))
    out_of = SPECS["ntrex128_base_x-en.zho_Hans"].load(LoadContext(ntrex_dir))
    assert len(into) == len(out_of) == 1997
    for index in (0, 1, 1000, 1996):
        assert into[index].item_key == out_of[index].item_key == str(index)
        assert (into[index].question, into[index].gold) == (english[index], chinese[index])
        assert (out_of[index].question, out_of[index].gold) == (chinese[index], english[index])
        assert into[index].fields["document"] == ids[index]
    assert not any("\r" in item.question or "\r" in item.gold for item in into)


def _mini_ntrex(root: Path, lines: int = 3, german: str | None = None) -> Path:
    folder = root / "ntrex128"
    folder.mkdir(parents=True)
    english = "".join(f"Sentence {i}.\r\n" for i in range(lines))
    (folder / "newstest2019-src.eng.txt").write_text(english, encoding="utf-8", newline="")
    german = german if german is not None else "".join(f"Satz {i}.\r\n" for i in range(lines))
    (folder / "newstest2019-ref.deu.txt").write_text(german, encoding="utf-8", newline="")
    return root


def test_missing_ntrex_file_names_the_path_and_the_card(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "NTREX_SEGMENTS", 3)
    _mini_ntrex(tmp_path)
    assert len(SPECS["ntrex128_chat_x-en.deu_Latn"].load(LoadContext(tmp_path))) == 3
    with pytest.raises(DataError) as error:
        SPECS["ntrex128_chat_en-x.fra_Latn"].load(LoadContext(tmp_path))
    assert "newstest2019-ref.fra.txt" in str(error.value)
    assert "data_cards/ntrex128.md" in str(error.value)


def test_ntrex_line_count_is_checked(tmp_path):
    _mini_ntrex(tmp_path)
    with pytest.raises(DataError, match="3 lines, expected 1997"):
        SPECS["ntrex128_chat_en-x.deu_Latn"].load(LoadContext(tmp_path))


def test_empty_ntrex_segment_names_file_and_line(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "NTREX_SEGMENTS", 3)
    _mini_ntrex(tmp_path, german="Satz 0.\r\n \r\nSatz 2.\r\n")
    with pytest.raises(DataError, match=r"newstest2019-ref\.deu\.txt:2: empty segment"):
        SPECS["ntrex128_chat_en-x.deu_Latn"].load(LoadContext(tmp_path))


# --- FLORES+ loader (self-written local copy; the hub code path on a local hub-like folder) --


def _flores_rows(code: str, count: int) -> dict[str, list]:
    # Stored in reverse id order: the loader must sort by id.
    ids = list(range(count, 0, -1))
    return {"id": ids, "text": [f"{code} sentence {i}." for i in ids]}


def _mini_flores(root: Path, codes: tuple[str, ...], fmt: str = "parquet") -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for split, count in data.FLORES_SPLITS.items():
        (root / split).mkdir(parents=True, exist_ok=True)
        for code in codes:
            config = languages.flores_config(code)
            rows = _flores_rows(config, count)
            if fmt == "parquet":
                pq.write_table(pa.table(rows), root / split / f"{config}.parquet")
            else:
                text = "".join(f"{t}\n" for t in reversed(rows["text"]))
                (root / split / f"{config}.txt").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("fmt", ["parquet", "txt"])
def test_flores_local_copy(tmp_path, fmt):
    _mini_flores(tmp_path / "flores_plus", (ENGLISH, "zho_Hans"), fmt)
    items = SPECS["flores_plus_devtest_chat_en-x.zho_Hans"].load(LoadContext(tmp_path))
    assert len(items) == 1012
    assert (items[0].item_key, items[0].question, items[0].gold) == (
        "0",
        "eng_Latn sentence 1.",
        "cmn_Hans sentence 1.",  # FLORES+ names Chinese cmn_Hans
    )
    dev = SPECS["flores_plus_dev_base_x-en.zho_Hans"].load(LoadContext(tmp_path))
    assert len(dev) == 997 and dev[-1].question == "cmn_Hans sentence 997."


def test_flores_missing_file_names_the_path_and_the_card(tmp_path):
    _mini_flores(tmp_path / "flores_plus", (ENGLISH,))
    with pytest.raises(DataError) as error:
        SPECS["flores_plus_dev_chat_en-x.deu_Latn"].load(LoadContext(tmp_path))
    assert "deu_Latn.parquet" in str(error.value) and "data_cards/flores_plus.md" in str(
        error.value
    )


def test_flores_row_count_is_checked(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    _mini_flores(tmp_path / "flores_plus", (ENGLISH, "deu_Latn"))
    pq.write_table(pa.table(_flores_rows("x", 5)), tmp_path / "flores_plus/dev/deu_Latn.parquet")
    with pytest.raises(DataError, match="5 rows, expected 997"):
        SPECS["flores_plus_dev_chat_en-x.deu_Latn"].load(LoadContext(tmp_path))


def test_flores_hub_code_path(tmp_path, monkeypatch):
    """`datasets.load_dataset(<hub id>, <config>, split=...)` on a folder laid out like the
    hub repo (one config per language, parquet per split); no network."""
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))
    hub = _mini_flores(tmp_path / "hub", (ENGLISH, "deu_Latn"))
    configs = "".join(
        f"- config_name: {c}\n  data_files:\n"
        f"  - split: dev\n    path: dev/{c}.parquet\n"
        f"  - split: devtest\n    path: devtest/{c}.parquet\n"
        for c in (ENGLISH, "deu_Latn")
    )
    (hub / "README.md").write_text(f"---\nconfigs:\n{configs}---\n")
    monkeypatch.setattr(data, "FLORES_HUB_ID", str(hub))
    items = SPECS["flores_plus_dev_chat_x-en.deu_Latn"].load(LoadContext())
    assert len(items) == 997
    assert (items[5].question, items[5].gold) == ("deu_Latn sentence 6.", "eng_Latn sentence 6.")


def test_flores_hub_failure_suggests_data_dir(tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "FLORES_HUB_ID", str(tmp_path / "no_such_repo"))
    with pytest.raises(DataError, match="--data-dir") as error:
        SPECS["flores_plus_devtest_chat_en-x.ita_Latn"].load(LoadContext())
    assert "data_cards/flores_plus.md" in str(error.value)


# --- prompts (golden) ---------------------------------------------------------------------

# Self-written sentences (not from any test set), the same meaning in each language.
SENTENCES = {
    "eng_Latn": "The red bicycle is leaning against the old bakery.",
    "deu_Latn": "Das rote Fahrrad lehnt an der alten Bäckerei.",
    "fra_Latn": "Le vélo rouge est appuyé contre la vieille boulangerie.",
    "jpn_Jpan": "赤い自転車が古いパン屋に立てかけてある。",
    "zho_Hant": "紅色的腳踏車靠在舊麵包店旁。",
    "swh_Latn": "Baiskeli nyekundu imeegemea duka la zamani la mikate.",
}
GOLDEN_CASES = [
    ("ntrex128", "eng_Latn", "deu_Latn"),
    ("ntrex128", "jpn_Jpan", "eng_Latn"),
    ("ntrex128", "eng_Latn", "zho_Hant"),
    ("ntrex128", "deu_Latn", "fra_Latn"),
    ("flores_plus_devtest", "swh_Latn", "eng_Latn"),
]


def golden_spec(test_set: str, style: prompts.Style, source: str, target: str) -> TaskSpec:
    if ENGLISH in (source, target):
        return SPECS[
            f"{mt.task_name(test_set, style, source, target)}.{target if source == ENGLISH else source}"
        ]
    return next(
        s for s in mt.pair_specs([(source, target)]) if s.task.startswith(f"{test_set}_{style.key}")
    )


@pytest.mark.parametrize("style", prompts.STYLES, ids=lambda s: s.key)
@pytest.mark.parametrize("case", GOLDEN_CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_golden_prompt(case, style):
    test_set, source, target = case
    s = golden_spec(test_set, style, source, target)
    item = Item(item_key="0", question=SENTENCES[source], gold=SENTENCES[target])
    prompt = s.render(item, 0)
    path = GOLDEN / f"{s.name}.txt"
    assert_golden(path, prompt)
    # A perfect answer, as the fake model gives it, reads back as the reference.
    assert s.score(s.reference_response(item), item).extracted == item.gold


def test_no_stale_golden_files():
    expected = {
        f"{golden_spec(*case[:1], style, *case[1:]).name}.txt"
        for case in GOLDEN_CASES
        for style in prompts.STYLES
    }
    assert {p.name for p in GOLDEN.iterdir()} == expected


def test_base_prompt_stops_before_the_next_pair():
    s = SPECS["ntrex128_base_en-x.deu_Latn"]
    assert s.until == ("\nEnglish:", "\nGerman:", "\n\n")
    assert SPECS["ntrex128_chat_en-x.deu_Latn"].until == ()


@pytest.mark.parametrize("name", sorted(SPECS))
def test_reference_response_scores_full_marks(name):
    s = SPECS[name]
    item = Item(item_key="0", question="Source text.", gold="Eine Übersetzung, kurz.")
    assert s.score(s.reference_response(item), item).score == 100.0


# --- extraction and metrics -----------------------------------------------------------------


@pytest.mark.parametrize("case", EXTRACTION_CASES, ids=lambda c: repr(c["response"])[:40])
def test_extraction_case(case):
    assert prompts.extract_translation(case["response"], case["target"]) == case["expected"]


@pytest.mark.parametrize(
    ("target", "tokenizer"),
    [
        ("deu_Latn", "13a"),
        ("zho_Hans", "zh"),
        ("zho_Hant", "zh"),
        ("yue_Hant", "zh"),
        ("tha_Thai", "char"),
        ("khm_Khmr", "char"),
        ("mya_Mymr", "char"),
        ("jpn_Jpan", "ja-mecab"),  # sacrebleu's defaults; MeCab is an xbench dependency
        ("kor_Hang", "ko-mecab"),
    ],
)
def test_bleu_tokenizer_follows_the_target(target, tokenizer):
    assert scoring.bleu_tokenizer(target) == tokenizer
    item = Item(item_key="0", question="x", gold=SENTENCES.get(target, "ทดสอบ ภาษา"))
    scores = scoring.corpus_metrics(_answered([(item, item.gold)], target), target=target)
    # MeCab tokenizers name their version: tok:ja-mecab-0.996-IPA
    assert re.search(rf"\|tok:{tokenizer}[|-]", scores["BLEU"].signature)
    assert set(scores) == {"chrF++", "BLEU", "TER"}


def test_sentence_chrf_is_sacrebleus():
    from sacrebleu.metrics import CHRF

    item = Item(item_key="0", question="x", gold=SENTENCES["deu_Latn"])
    hypothesis = "Das rote Rad lehnt an der Bäckerei."
    expected = CHRF(word_order=2).sentence_score(hypothesis, [item.gold]).score
    scored = scoring.score_response(f"German: {hypothesis}\nNote.", item, target="deu_Latn")
    assert scored.extracted == hypothesis and scored.score == pytest.approx(expected)


@pytest.mark.parametrize("target", ["deu_Latn", "zho_Hans", "jpn_Jpan", "kor_Hang", "tha_Thai"])
def test_segment_statistics_are_sacrebleus(ntrex_dir, target):
    """Real NTREX-128 segments: the statistics computed while scoring (shortcuts for equal
    texts included) equal sacrebleu's extraction for every metric, on hypotheses equal to the
    reference, equal after TER's tokenisation only, empty, short, other segments and shuffled
    words."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    items = SPECS[f"ntrex128_chat_en-x.{target}"].load(LoadContext(ntrex_dir))[:40]
    references = [item.gold.strip() for item in items]
    metrics = {
        "chrF++": CHRF(word_order=2),
        "BLEU": BLEU(tokenize=scoring.bleu_tokenizer(target)),
        "TER": TER(normalized=target[:3] in {"zho", "jpn", "kor"},
                   asian_support=target[:3] in {"zho", "jpn", "kor"}),
    }  # fmt: skip
    cases = []
    for i, reference in enumerate(references):
        words = reference.split()
        cases += [
            (reference, reference), (reference + "  ", reference), ("", reference),
            ("I am not sure. Maybe 123.", reference), (references[i - 1], reference),
            (" ".join(words[::-1]), reference), (reference.upper(), reference),
        ]  # fmt: skip
    for hypothesis, reference in cases:
        ours = scoring.segment_statistics(hypothesis, reference, target)
        for name, metric in metrics.items():
            theirs = metric._extract_corpus_statistics([hypothesis], [[reference]])[0]
            assert list(ours[name]) == list(theirs), (name, hypothesis, reference)
            assert [type(v) for v in ours[name]] == [type(v) for v in theirs]


def _answered(pairs, target):
    """(item, response) pairs as the runner hands them to corpus metrics: scored once."""
    return [
        Answered(item, response, scoring.score_response(response, item, target=target))
        for item, response in pairs
    ]


def test_corpus_metrics_have_signatures_and_cis():
    items = [
        Item(item_key=str(i), question="x", gold=f"Das Haus Nummer {i} ist rot.") for i in range(20)
    ]
    pairs = [(item, item.gold if i % 2 else "Ein Haus.") for i, item in enumerate(items)]
    scores = scoring.corpus_metrics(_answered(pairs, "deu_Latn"), target="deu_Latn")
    assert scores["chrF++"].signature.startswith("nrefs:1|bs:1000|seed:12345|")
    fewer = scoring.corpus_metrics(_answered(pairs, "deu_Latn"), target="deu_Latn", resamples=200)
    assert fewer["chrF++"].signature.startswith("nrefs:1|bs:200|")  # --bootstrap-resamples
    assert "nw:2" in scores["chrF++"].signature and "tok:13a" in scores["BLEU"].signature
    for score in scores.values():
        assert score.ci_low is not None and score.ci_low <= score.ci_high
    assert scoring.corpus_metrics([], target="deu_Latn") == {}


def test_cjk_ter_is_segmented_and_says_so():
    item = Item(item_key="0", question="x", gold="今日は良い天気でした")
    pairs = [(item, "今日は良い天気です"), (item, "今日は良い天気でした")]
    ter = scoring.corpus_metrics(_answered(pairs, "jpn_Jpan"), target="jpn_Jpan")["TER"]
    assert "norm:yes|" in ter.signature and "asian:yes|" in ter.signature
    # Unsegmented (asian support without normalisation), the wrong sentence is one token
    # wrong of one: TER 50. Segmented, one edit over 16 reference tokens.
    assert ter.value == pytest.approx(100 * 1 / 16)
    german = scoring.corpus_metrics(_answered([(item, "x")], "deu_Latn"), target="deu_Latn")["TER"]
    assert "norm:no|" in german.signature and "asian:no|" in german.signature


def _cli_with_confidence(tmp_path, hypotheses, references, extra=()):
    hyp, ref = tmp_path / "hyp.txt", tmp_path / "ref.txt"
    hyp.write_text("".join(f"{h}\n" for h in hypotheses), encoding="utf-8")
    ref.write_text("".join(f"{r}\n" for r in references), encoding="utf-8")
    command = [
        sys.executable, "-m", "sacrebleu", str(ref), "-i", str(hyp), "-m", "chrf", "bleu", "ter",
        "--chrf-word-order", "2", "-f", "json", "-w", "4", *extra,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ)
    return out


@pytest.mark.parametrize("case", ["empty_and_one_word", "no_overlap"])
def test_poor_units_never_crash_and_values_equal_the_cli(tmp_path, case):
    """sacrebleu's own bootstrap averaging crashes on these (float and float32 chrF scores);
    xbench's values still equal the CLI's and its CI is computed the same way."""
    if case == "empty_and_one_word":
        references = ["the cat sat", "a dog ran", "hello world", "b c d", "x y z"]
        hypotheses = ["", "a", "", "b", ""]
    else:
        references = [f"sentence number {i} about the red house" for i in range(300)]
        hypotheses = ["red" if i % 2 else "" for i in range(300)]  # almost no overlap
    items = [Item(item_key=str(i), question="x", gold=r) for i, r in enumerate(references)]
    scores = scoring.corpus_metrics(
        _answered(zip(items, hypotheses, strict=True), "deu_Latn"), target="deu_Latn"
    )
    cli = _cli_with_confidence(tmp_path, hypotheses, references)
    assert cli.returncode == 0, cli.stderr[-500:]
    values = {e["name"].replace("chrF2++", "chrF++"): e["score"] for e in json.loads(cli.stdout)}
    for metric in ("chrF++", "BLEU", "TER"):
        assert scores[metric].value == pytest.approx(values[metric], abs=1e-4), metric
        assert scores[metric].ci_low is not None and scores[metric].ci_low <= scores[metric].ci_high
    with_ci = _cli_with_confidence(tmp_path, hypotheses, references, ["--confidence"])
    if case == "empty_and_one_word":
        assert "coerce" in with_ci.stderr  # the reference tool itself fails here (pinned 2.6.0)
        return
    compared = 0
    for entry in json.loads(with_ci.stdout):  # where it works, the CIs are the CLI's (4 digits)
        if "confidence_mean" not in entry:  # the CLI prints none for a 0.0 BLEU
            continue
        score = scores[entry["name"].replace("chrF2++", "chrF++")]
        mean, half = entry["confidence_mean"], entry["confidence_var"]
        assert (score.ci_low, score.ci_high) == pytest.approx((mean - half, mean + half), abs=2e-4)
        compared += 1
    assert compared >= 2


def test_bootstrap_ci_equals_sacrebleus_where_sacrebleu_works():
    from sacrebleu.metrics import BLEU, CHRF, TER

    references = [f"Das Haus Nummer {i} ist rot und alt." for i in range(40)]
    hypotheses = [r if i % 3 else "Ein Haus ist rot." for i, r in enumerate(references)]
    for make in (lambda: CHRF(word_order=2), BLEU, TER):
        expected = make().corpus_score(hypotheses, [references], n_bootstrap=1000)
        low, high = scoring._bootstrap_ci(make(), hypotheses, [references], 1000)
        # sacrebleu averages in float32, xbench in float64: equal far below the CLI's 4 digits
        assert low == pytest.approx(expected._mean - expected._ci, abs=1e-4)
        assert high == pytest.approx(expected._mean + expected._ci, abs=1e-4)


@pytest.mark.parametrize(
    ("response", "translation", "stripped"),
    [
        ("Here is the translation:\nDas Haus ist rot.", "Das Haus ist rot.", "Here is the translation:"),
        ("Sure! Here's the German translation: Das Haus ist rot.", "Das Haus ist rot.",
         "Sure! Here's the German translation:"),
        ("Certainly! Here is the translation into German:\n\n**Das Haus ist rot.**",
         "Das Haus ist rot.", "Certainly! Here is the translation into German:"),
        ("Sure!\n\nDas Haus ist rot.", "Das Haus ist rot.", "Sure!"),
        ("Okay, here's my translation:\nGerman: Das Haus", "Das Haus", "Okay, here's my translation: German:"),
        ("Here is a red house.", "Here is a red house.", None),  # not a preamble: a translation
        ("Das Haus ist rot.", "Das Haus ist rot.", None),
    ],
)  # fmt: skip
def test_chat_preambles_are_stripped_and_recorded(response, translation, stripped):
    assert prompts.read_translation(response, "deu_Latn") == (translation, stripped)
    item = Item(item_key="0", question="x", gold="Das Haus ist rot.")
    scored = scoring.score_response(response, item, target="deu_Latn")
    assert scored.extracted == translation
    assert scored.note == (
        None if stripped is None else f"stripped before the translation: {stripped!r}"
    )


# --- fidelity to the sacrebleu command line ---------------------------------------------------

FIDELITY_UNITS = ("ntrex128_chat_en-x.deu_Latn", "ntrex128_base_en-x.zho_Hans", "ntrex128_chat_en-x.jpn_Jpan", "ntrex128_chat_x-en.tha_Thai")  # fmt: skip


def _noisy(gold: str, index: int) -> str:
    """A deterministic imperfect response: truncated, sometimes labelled, sometimes chatty."""
    cut = gold[: max(1, len(gold) * (5 + index % 5) // 10)]
    if index % 3 == 0:
        cut = f"Translation: {cut}"
    if index % 4 == 0:
        cut = f"{cut}\n\nI hope this helps."
    return cut if index % 7 else gold


@pytest.mark.slow
def test_stored_corpus_scores_equal_the_sacrebleu_cli(ntrex_dir, tmp_path):
    limit = 60
    predictions = tmp_path / "predictions.jsonl"
    with predictions.open("w", encoding="utf-8") as out:
        for name in FIDELITY_UNITS:
            s = SPECS[name]
            for item in s.load(LoadContext(ntrex_dir))[:limit]:
                row = {"task": s.task, "language": s.language, "item_key": item.item_key}
                row["response"] = _noisy(item.gold, int(item.item_key))
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    db = tmp_path / "x.db"
    run = xbench.run(
        model=f"predictions:{predictions}", tasks=list(FIDELITY_UNITS), data_dir=ntrex_dir,
        limit=limit, db=db, progress=False,
    )  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    for name in FIDELITY_UNITS:
        s = SPECS[name]
        rows = con.execute(
            "SELECT extracted, gold FROM samples WHERE run_id = ? AND task_name = ?"
            " ORDER BY CAST(item_key AS INTEGER)",
            [run.run_id, name],
        ).fetchall()
        assert len(rows) == limit
        hyp, ref = tmp_path / f"{name}.hyp", tmp_path / f"{name}.ref"
        hyp.write_text("".join(f"{h}\n" for h, _ in rows), encoding="utf-8")
        ref.write_text("".join(f"{g}\n" for _, g in rows), encoding="utf-8")
        command = [
            sys.executable, "-m", "sacrebleu", str(ref), "-i", str(hyp), "-m", "chrf", "bleu",
            "ter", "--chrf-word-order", "2", "--tokenize", scoring.bleu_tokenizer(s.target_language),
            "-f", "json", "-w", "4",
        ]  # fmt: skip
        if s.target_language.startswith(("zho", "jpn", "kor")):
            # Asian support takes effect only with normalisation (sacrebleu's TER).
            command += ["--ter-normalized", "--ter-asian-support"]
        cli = json.loads(subprocess.run(command, capture_output=True, check=True, text=True).stdout)
        cli_scores = {entry["name"].replace("chrF2++", "chrF++"): entry for entry in cli}
        stored = {
            metric: (value, signature)
            for metric, value, signature in con.execute(
                "SELECT metric, value, signature FROM scores WHERE run_id = ? AND task_name = ?",
                [run.run_id, name],
            ).fetchall()
        }
        assert 10.0 < stored["chrF++"][0] < 99.0  # imperfect hypotheses: a real comparison
        for metric in ("chrF++", "BLEU", "TER"):
            value, signature = stored[metric]
            assert value == pytest.approx(cli_scores[metric]["score"], abs=0.01), (name, metric)
            # Same settings: the CLI's signature plus the bootstrap fields.
            assert signature.replace("bs:1000|seed:12345|", "") == cli_scores[metric]["signature"]
    con.close()


# --- direction asymmetry through the report ---------------------------------------------------


def test_direction_asymmetry_rows(ntrex_dir, tmp_path):
    db = tmp_path / "x.db"
    run = xbench.run(
        model="fake:accuracy=0.7",
        tasks=["ntrex128_chat_en-x", "ntrex128_chat_x-en"],
        languages=["deu_Latn", "jpn_Jpan"],
        data_dir=ntrex_dir, limit=3, db=db, progress=False,
    )  # fmt: skip
    report = xbench.report(run.run_id, db=db)
    rows = [r for r in report["direction_asymmetry"] if r["benchmark"] == "mt"]
    assert {(r["language"], r["metric"]) for r in rows} == {
        (language, metric)
        for language in ("deu_Latn", "jpn_Jpan")
        for metric in ("chrF++", "BLEU", "TER", "chrf++_sentence")
    }
    for row in rows:
        assert row["family"] == "ntrex128_chat"
        assert row["delta"] == pytest.approx(row["en_to_x"] - row["x_to_en"])


# --- a real model -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.real_model
def test_smollm2_translates_a_few_segments(ntrex_dir, tmp_path):
    db = tmp_path / "x.db"
    run = xbench.run(
        model="smollm2-135m", tasks=["ntrex128_base_en-x"], languages=["deu_Latn", "fra_Latn"],
        limit=2, max_gen_toks=24, data_dir=ntrex_dir, db=db, progress=False,
    )  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    responses = con.execute(
        "SELECT response, score FROM samples WHERE run_id = ?", [run.run_id]
    ).fetchall()
    metrics = {
        m
        for (m,) in con.execute(
            "SELECT metric FROM scores WHERE run_id = ?", [run.run_id]
        ).fetchall()
    }
    con.close()
    assert len(responses) == 4 and all(r and r.strip() for r, _ in responses)
    assert all(0.0 <= score <= 100.0 for _, score in responses)
    assert metrics == {"chrF++", "BLEU", "TER", "chrf++_sentence"}


# --- optional metrics (spBLEU, COMET): never a number when unavailable ------------------------


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        ("spBLEU", "spBLEU needs"),
        ("COMET", "COMET needs"),
        ("BLEURT", "unknown metric(s) BLEURT; known: spBLEU, COMET"),
    ],
)
def test_unavailable_optional_metric_stops_the_run_before_the_model(
    tmp_path, shared_data, monkeypatch, requested, message
):
    from xbench_tasks.mt import optional

    monkeypatch.setenv(
        "SACREBLEU", str(tmp_path / "no-sacrebleu-models")
    )  # no tokenizer model here
    monkeypatch.setattr(optional, "spbleu_model_path", lambda: tmp_path / "missing.model")
    db = tmp_path / "x.duckdb"
    with pytest.raises(xbench.errors.XbenchError, match=re.escape(message)) as err:
        xbench.run(model="fake:fail_after=0", tasks=["ntrex128_chat_en-x"], languages=["de"],
                   limit=2, data_dir=shared_data, db=db, progress=False,
                   task_args=[f"mt.extra_metrics={requested}"])  # fmt: skip
    assert "\n" not in str(err.value)
    assert not db.exists()  # failed while loading: nothing stored, the model never ran


def test_no_optional_metric_by_default(tmp_path, shared_data):
    result = xbench.run(model="fake:accuracy=1", tasks=["ntrex128_chat_en-x"], languages=["de"],
                        limit=2, data_dir=shared_data, db=tmp_path / "x.duckdb", progress=False)  # fmt: skip
    assert {s["metric"] for s in result.scores} == {"chrf++_sentence", "chrF++", "BLEU", "TER"}
