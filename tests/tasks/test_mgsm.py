"""MGSM plugin: registration, loading (local files and hub layout), prompts (golden), parsing.

The golden prompts hold only xbench's templates around text we wrote ourselves (QUESTIONS and
data/mgsm_exemplars_fixture.json), never MGSM items or exemplars: the real data stays in
../shared/data and is read at test time through the `shared_data` fixture.

Regenerate the golden prompts with `XBENCH_UPDATE_GOLDEN=1 python -m pytest tests/tasks`, then
read the diff before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import assert_golden
from xbench.languages import SHORT_CODES
from xbench.spec import DataError, Item, LoadContext, TaskSpec
from xbench_tasks.mgsm import data, register_tasks
from xbench_tasks.mgsm.prompts import LANGUAGES

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "mgsm"
PARSER_CASES = json.loads((HERE / "data" / "mgsm_parser_cases.json").read_text(encoding="utf-8"))
EXEMPLARS_FIXTURE = HERE / "data" / "mgsm_exemplars_fixture.json"
SHORTS = ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")
SHORT_OF = {SHORT_CODES[short]: short for short in SHORTS}
TASKS = ("mgsm_direct", "mgsm_native_cot", "mgsm_en_cot")


def _specs() -> dict[str, TaskSpec]:
    specs: list[TaskSpec] = []
    register_tasks(specs.append)
    return {spec.name: spec for spec in specs}


SPECS = _specs()


def spec(task: str, language: str) -> TaskSpec:
    return SPECS[f"{task}.{language}"]


# --- registration -----------------------------------------------------------------------


def test_registers_33_unique_variants():
    specs: list[TaskSpec] = []
    register_tasks(specs.append)
    assert len(specs) == 33
    assert len({s.name for s in specs}) == 33
    assert {s.task for s in specs} == set(TASKS)
    assert {s.language for s in specs} == {SHORT_CODES[short] for short in SHORTS}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_variant_fields(name):
    s = SPECS[name]
    assert s.benchmark == "mgsm" and s.version == "2" and s.max_fewshot == 8
    assert s.partition == ("original" if s.language == "eng_Latn" else "human_translated")
    assert s.prompt_language == ("eng_Latn" if s.task == "mgsm_en_cot" else s.language)
    assert "juletxara/mgsm" in s.source and "mgsm_" in s.source
    assert s.max_gen_toks == (32 if s.task == "mgsm_direct" else 512)
    short = next(k for k, v in SHORT_CODES.items() if v == s.language)
    assert f"\n{LANGUAGES[short].question_prefix.rstrip()}" in s.until
    if s.task == "mgsm_en_cot":
        assert "\nQuestion:" in s.until


# --- answer parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "case", PARSER_CASES, ids=[f"{i}-{c['language']}" for i, c in enumerate(PARSER_CASES)]
)
def test_parser_case(case):
    s = spec(case.get("task", "mgsm_native_cot"), case["language"])
    scored = s.score(case["response"], Item(item_key="0", question="?", gold=case["gold"]))
    assert (scored.extracted, scored.score) == (
        case["expected_extracted"],
        case["expected_score"],
    ), case["note"]


def test_parser_cases_cover_every_language():
    assert len(PARSER_CASES) >= 30
    assert {c["language"] for c in PARSER_CASES} == {SHORT_CODES[short] for short in SHORTS}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_reference_response_scores_full_marks(name):
    s = SPECS[name]
    assert s.reference_response is not None
    item = Item(item_key="0", question="?", gold="2125")
    assert s.score(s.reference_response(item), item).score == 1.0


# --- loading the real files ---------------------------------------------------------------


def test_loads_250_aligned_items_per_language(shared_data):
    ctx = LoadContext(data_dir=shared_data)
    by_language = {short: spec("mgsm_direct", SHORT_CODES[short]).load(ctx) for short in SHORTS}
    for items in by_language.values():
        assert [item.item_key for item in items] == [str(i) for i in range(250)]
        assert all(item.question.strip() for item in items)
    golds = {short: [item.gold for item in items] for short, items in by_language.items()}
    assert {g[0] for g in golds.values()} == {"18"}
    assert all(g == golds["en"] for g in golds.values())
    assert '"' in by_language["es"][213].question  # kept verbatim with csv.QUOTE_NONE


def test_thousands_separator_answers_parse(shared_data):
    items = spec("mgsm_direct", "eng_Latn").load(LoadContext(data_dir=shared_data))
    lines = (shared_data / "mgsm" / "mgsm_en.tsv").read_text(encoding="utf-8").splitlines()
    raw = [line.split("\t")[1] for line in lines]
    with_commas = {i: answer.strip() for i, answer in enumerate(raw) if "," in answer}
    assert sorted(with_commas.values()) == ["114,200", "2,125", "276,000", "5,600"]
    assert sorted(items[i].gold for i in with_commas) == ["114200", "2125", "276000", "5600"]


def test_loading_is_cached_per_language(shared_data):
    ctx = LoadContext(data_dir=shared_data)
    german = spec("mgsm_direct", "deu_Latn").load(ctx)
    assert spec("mgsm_en_cot", "deu_Latn").load(ctx) is german
    assert spec("mgsm_direct", "eng_Latn").load(ctx) is not german


@pytest.mark.parametrize("short", SHORTS)
def test_exemplars_match_the_prefix_table(shared_data, short):
    """Our per-language words agree with the url-nlp exemplars (see check_exemplars)."""
    check_exemplars(shared_data, short, [11, 29, 39, 9, 33, 8, 8, 5])


# --- data errors ----------------------------------------------------------------------------


def test_missing_data_dir_names_the_path_and_the_card(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError) as error:
        spec("mgsm_direct", "deu_Latn").load(LoadContext(data_dir=missing))
    message = str(error.value)
    assert str(missing / "mgsm" / "mgsm_de.tsv") in message
    assert "data_cards/mgsm.md" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (["Q one?\t1", "Q two?\t2\textra"], "expected 2 tab-separated columns"),
        (["Q one?\t1", "Q two?"], "got 1"),
        (["Q one?\t1", " \t2"], "empty question"),
        (["Q one?\t1", "Q two?\tseven"], "is not a number"),
    ],
)
def test_corrupt_tsv_names_file_and_line(tmp_path, lines, problem):
    (tmp_path / "mgsm").mkdir()
    path = tmp_path / "mgsm" / "mgsm_sw.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=problem) as error:
        spec("mgsm_native_cot", "swh_Latn").load(LoadContext(data_dir=tmp_path))
    assert f"{path}:2" in str(error.value)


def test_missing_exemplars_fail_only_when_few_shot(tmp_path):
    (tmp_path / "mgsm").mkdir()
    (tmp_path / "mgsm" / "mgsm_en.tsv").write_text("Two plus two?\t4\n", encoding="utf-8")
    s = spec("mgsm_native_cot", "eng_Latn")
    context = LoadContext(data_dir=tmp_path)
    (item,) = s.load(context)
    assert s.prompt(item, 0, context).endswith("\n\nTwo plus two?")
    with pytest.raises(DataError, match="mgsm_exemplars.json"):
        s.prompt(item, 1, context)


@pytest.mark.parametrize("k", [-1, 9])
def test_num_fewshot_out_of_range(k):
    with pytest.raises(ValueError, match="8 few-shot exemplars"):
        spec("mgsm_direct", "eng_Latn").render(Item(item_key="0", question="?", gold="1"), k)


# --- hub layout -----------------------------------------------------------------------------


def _fake_hub(root: Path, languages: tuple[str, ...]) -> Path:
    """A local folder laid out like the parquet version of juletxara/mgsm: one config per
    language, train (exemplars) and test splits. Exemplars 5-8 lack their prefixes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("question", pa.string()),
            ("answer", pa.string()),
            ("answer_number", pa.int64()),
            ("equation_solution", pa.string()),
        ]
    )
    configs = []
    for short in languages:
        words = LANGUAGES[short]
        splits = {
            "test": {
                "question": ["Two plus two?", "Ten minus one?"],
                "answer": [None, None],
                "answer_number": [4, 9],
                "equation_solution": [None, None],
            },
            "train": {
                "question": [f"{words.question_prefix}One plus one?"] * 4 + ["Two plus one?"] * 4,
                "answer": [f"{words.cot_answer_prefix}1 + 1 = 2. The answer is 2."] * 4
                + ["2 + 1 = 3. The answer is 3."] * 4,
                "answer_number": [2] * 4 + [3] * 4,
                "equation_solution": ["1 + 1 = 2."] * 8,
            },
        }
        (root / short).mkdir(parents=True)
        for split, columns in splits.items():
            path = root / short / f"{split}-00000-of-00001.parquet"
            pq.write_table(pa.table(columns, schema=schema), path)
        configs.append(
            f"- config_name: {short}\n  data_files:\n"
            f"  - split: train\n    path: {short}/train-*\n"
            f"  - split: test\n    path: {short}/test-*\n"
        )
    (root / "README.md").write_text("---\nconfigs:\n" + "".join(configs) + "---\n")
    return root


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))


def test_hub_layout_loads_items_and_exemplars(tmp_path, monkeypatch, hub_cache):
    hub = _fake_hub(tmp_path / "hub", ("en", "ja"))
    monkeypatch.setattr(data, "HUB_ID", str(hub))
    s = spec("mgsm_en_cot", "jpn_Jpan")
    items = s.load(LoadContext())
    assert [(i.item_key, i.question, i.gold) for i in items] == [
        ("0", "Two plus two?", "4"),
        ("1", "Ten minus one?", "9"),
    ]
    prompt = s.prompt(items[0], 8)  # no data dir: exemplars from the hub
    assert prompt.startswith("Question: One plus one?\nStep-by-Step Answer: 1 + 1 = 2.")
    assert "\n\nQuestion: Two plus one?\nStep-by-Step Answer: 2 + 1 = 3." in prompt
    assert prompt.endswith("\n\nQuestion: Two plus two?\nStep-by-Step Answer:")
    direct = spec("mgsm_direct", "jpn_Jpan")
    assert direct.prompt(items[0], 2).startswith("問題：One plus one?\n答え：2\n\n")


def test_hub_failure_suggests_data_dir(tmp_path, hub_cache):
    with pytest.raises(DataError, match="--data-dir") as error:
        data.load_hub(str(tmp_path / "no_such_repo"), "de")
    assert "data_cards/mgsm.md" in str(error.value)


def test_hub_row_with_wrong_types_is_a_data_error():
    with pytest.raises(DataError, match="test row 3"):
        data.item_from_hub_row(3, {"question": "Q?", "answer_number": "four"})


# --- prompts ----------------------------------------------------------------------------------


def test_simple_evals_quirks_are_fixed():
    assert LANGUAGES["ja"].cot_instruction.startswith("この数学の問題")
    assert "答案: " not in LANGUAGES["zh"].cot_instruction
    assert LANGUAGES["zh"].cot_instruction.count("答案：") == 2


# Self-written test questions (not MGSM items), one per language, answer 5: the goldens check
# xbench's templates around them. The bn, sw, te and th wording has not been checked by a
# native speaker; it only has to be plausible text in the right script.
QUESTIONS = {
    "bn": "একটি বাক্সে 3টি লাল কলম এবং 2টি নীল কলম আছে। বাক্সে মোট কতটি কলম আছে?",
    "de": "In einer Schachtel liegen 3 rote und 2 blaue Stifte. Wie viele Stifte liegen in der"
    " Schachtel?",
    "en": "A box holds 3 red pens and 2 blue pens. How many pens are in the box?",
    "es": "Una caja tiene 3 bolígrafos rojos y 2 bolígrafos azules. ¿Cuántos bolígrafos hay en"
    " la caja?",
    "fr": "Une boîte contient 3 stylos rouges et 2 stylos bleus. Combien de stylos y a-t-il dans"
    " la boîte ?",
    "ja": "箱の中に赤いペンが3本と青いペンが2本入っています。箱の中にペンは全部で何本ありますか？",
    "ru": "В коробке лежат 3 красные ручки и 2 синие ручки. Сколько всего ручек в коробке?",
    "sw": "Sanduku lina kalamu nyekundu 3 na kalamu za bluu 2. Sanduku lina kalamu ngapi kwa"
    " jumla?",
    "te": "ఒక పెట్టెలో 3 ఎర్ర పెన్నులు మరియు 2 నీలి పెన్నులు ఉన్నాయి. పెట్టెలో మొత్తం ఎన్ని పెన్నులు ఉన్నాయి?",
    "th": "ในกล่องมีปากกาสีแดง 3 ด้ามและปากกาสีน้ำเงิน 2 ด้าม ในกล่องมีปากกาทั้งหมดกี่ด้าม",
    "zh": "盒子里有3支红笔和2支蓝笔。盒子里一共有多少支笔？",
}


def write_own_data_dir(root: Path) -> Path:
    """A data dir in the url-nlp layout holding only text we wrote: one item per language
    (QUESTIONS, gold 5) and the exemplars fixture (en, ja). The loader wants exemplars for all 11
    languages, so the others get marked placeholders; no golden uses them."""
    exemplars = json.loads(EXEMPLARS_FIXTURE.read_text(encoding="utf-8"))
    for short, words in LANGUAGES.items():
        exemplars["MGSM_EXEMPLARS"].setdefault(
            short,
            [
                {
                    "id": str(i),
                    "q": f"{words.question_prefix}PLACEHOLDER-{short}-{i}",
                    "a": f"{words.cot_answer_prefix}PLACEHOLDER-{short}-{i}",
                }
                for i in range(1, 9)
            ],
        )
    mgsm = root / "mgsm"
    mgsm.mkdir(parents=True)
    text = json.dumps(exemplars, ensure_ascii=False, indent=1)
    (mgsm / "mgsm_exemplars.json").write_text(text, encoding="utf-8")
    for short, question in QUESTIONS.items():
        (mgsm / f"mgsm_{short}.tsv").write_text(f"{question}\t5\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def own_data(tmp_path_factory) -> Path:
    return write_own_data_dir(tmp_path_factory.mktemp("own_data"))


def check_exemplars(data_dir: Path, short: str, numbers: list[int]) -> None:
    """The exemplars of `short` use our per-language words, and the CoT parser reads every
    exemplar's "The answer is N" back as N."""
    words = LANGUAGES[short]
    shots = data.read_exemplars(data_dir)[short]
    assert [shot.number for shot in shots] == numbers
    score = spec("mgsm_native_cot", SHORT_CODES[short]).score
    for shot in shots:
        assert shot.question.startswith(words.question_prefix)
        assert shot.answer.startswith(words.cot_answer_prefix)
        item = Item(item_key="x", question=shot.question, gold=str(shot.number))
        assert score(shot.answer, item).score == 1.0, shot.answer


@pytest.mark.parametrize("short", ["en", "ja"])
def test_own_exemplars_fixture_is_well_formed(own_data, short):
    check_exemplars(own_data, short, [7, 12, 15, 6, 20, 9, 14, 4])


GOLDEN_CASES = [(task, SHORT_CODES[short], 0) for task in TASKS for short in SHORTS] + [
    (task, language, 2) for task in TASKS for language in ("eng_Latn", "jpn_Jpan")
]


def golden_path(task: str, language: str, k: int) -> Path:
    return GOLDEN / f"{task}.{language}{f'.{k}shot' if k else ''}.txt"


@pytest.mark.parametrize(("task", "language", "k"), GOLDEN_CASES)
def test_golden_prompt(own_data, task, language, k):
    s = spec(task, language)
    context = LoadContext(data_dir=own_data)
    (item,) = s.load(context)
    assert (item.question, item.gold) == (QUESTIONS[SHORT_OF[language]], "5")
    prompt = s.prompt(item, k, context)
    path = golden_path(task, language, k)
    assert_golden(path, prompt)


def test_no_stale_golden_files():
    assert sorted(GOLDEN.iterdir()) == sorted(golden_path(*case) for case in GOLDEN_CASES)


def test_golden_files_hold_no_mgsm_text(shared_data):
    """The goldens must not contain third-party text: no MGSM question or exemplar."""
    mgsm = shared_data / "mgsm"
    texts = [
        line.split("\t")[0]
        for path in sorted(mgsm.glob("mgsm_*.tsv"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    raw = json.loads((mgsm / "mgsm_exemplars.json").read_text(encoding="utf-8"))
    for shots in raw["MGSM_EXEMPLARS"].values():
        for shot in shots:
            # without the localized prefixes, which are our template words too
            texts += [shot["q"].split(maxsplit=1)[-1][:40], shot["a"].split(maxsplit=3)[-1][:40]]
    for path in sorted(GOLDEN.iterdir()):
        golden = path.read_text(encoding="utf-8")
        assert not [text for text in texts if text in golden], path.name


@pytest.mark.parametrize("name", sorted(SPECS))
def test_real_item_prompt_structure(shared_data, name):
    """Real item 0 and the real exemplars, rendered: checked for structure, never stored."""
    s = SPECS[name]
    short = SHORT_OF[s.language]
    words = LANGUAGES[SHORT_OF[s.prompt_language]]
    tsv = (shared_data / "mgsm" / f"mgsm_{short}.tsv").read_text(encoding="utf-8")
    question = tsv.splitlines()[0].split("\t")[0]
    context = LoadContext(data_dir=shared_data)
    item = s.load(context)[0]
    assert item.question == question

    zero_shot = s.prompt(item, 0, context)
    chain_of_thought = s.task != "mgsm_direct"
    instruction = words.cot_instruction if chain_of_thought else words.direct_instruction
    assert zero_shot.startswith(f"{instruction}\n\n")
    ending = question if chain_of_thought else f"{question}\n{words.answer_prefix.rstrip()}"
    assert zero_shot.endswith(f"\n\n{ending}")

    two_shot = s.prompt(item, 2, context)
    raw = json.loads((shared_data / "mgsm" / "mgsm_exemplars.json").read_text(encoding="utf-8"))
    first, second = raw["MGSM_EXEMPLARS"][words.short][:2]
    assert two_shot.startswith(f"{first['q']}\n")
    assert f"\n\n{second['q']}\n" in two_shot
    answer_prefix = words.cot_answer_prefix if chain_of_thought else words.answer_prefix
    assert two_shot.endswith(f"\n\n{words.question_prefix}{question}\n{answer_prefix.rstrip()}")
    assert two_shot.count("\n\n") == 2
