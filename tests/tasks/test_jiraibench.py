"""JiraiBench plugin: registration, the local loader (csv, jsonl, xlsx) and its schema errors,
label parsing (cases as data), macro-F1, golden prompts, and runs through xbench.

The data is not public, so every test reads the SYNTHETIC fixture data/jiraibench_fixture.csv
(and .jsonl): invented, harmless everyday sentences that only mimic the schema. Their labels are
arbitrary and say nothing about the sentences. No real post is in the repo.

Regenerate the golden prompts with `XBENCH_UPDATE_GOLDEN=1 python -m pytest tests/tasks`, then
read the diff before committing it.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from types import MappingProxyType

import pytest

import xbench
from tests.helpers import assert_golden
from xbench.spec import DataError, Item, LoadContext, TaskSpec
from xbench_tasks.jiraibench import data, register_tasks
from xbench_tasks.jiraibench.prompts import CATEGORIES
from xbench_tasks.jiraibench.scoring import corpus_metrics, macro_f1

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "jiraibench"
FIXTURE_CSV = HERE / "data" / "jiraibench_fixture.csv"
FIXTURE_JSONL = HERE / "data" / "jiraibench_fixture.jsonl"
PARSER_CASES = json.loads(
    (HERE / "data" / "jiraibench_parser_cases.json").read_text(encoding="utf-8")
)
CONTENT = ("zho_Hans", "jpn_Jpan")
TASKS = ("jiraibench_zh_prompt", "jiraibench_ja_prompt", "jiraibench_en_prompt")
HEADER = ["id", "text", "language", "overdose", "eating_disorder", "self_harm"]


def _specs() -> dict[str, TaskSpec]:
    specs: list[TaskSpec] = []
    register_tasks(specs.append)
    return {spec.name: spec for spec in specs}


SPECS = _specs()


def item(labels: tuple[int, int, int], text: str = "?") -> Item:
    return Item(
        item_key="0",
        question=text,
        gold="",
        fields=MappingProxyType({"labels": dict(zip(CATEGORIES, labels, strict=True))}),
    )


def fixture_rows() -> list[list[str]]:
    with FIXTURE_CSV.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def data_dir_with(root: Path, name: str = "", content: str | bytes | None = None) -> Path:
    folder = root / "jiraibench"
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        (folder / name).write_bytes(content)
    elif content is not None:
        (folder / name).write_text(content, encoding="utf-8")
    return root


def write_csv(root: Path, rows: list[list[object]], name: str = "data.csv") -> Path:
    folder = root / "jiraibench"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(rows)
    return folder / name


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def load(root: Path, language: str = "zho_Hans") -> tuple[Item, ...]:
    data.load_all.cache_clear()
    data.load_language.cache_clear()
    return tuple(SPECS[f"jiraibench_en_prompt.{language}"].load(LoadContext(data_dir=root)))


@pytest.fixture
def csv_dir(tmp_path) -> Path:
    root = data_dir_with(tmp_path / "csv")
    shutil.copy(FIXTURE_CSV, root / "jiraibench" / "jiraibench_fixture.csv")
    return root


# --- registration -----------------------------------------------------------------------


def test_registers_six_variants():
    assert sorted(SPECS) == sorted(f"{task}.{lang}" for task in TASKS for lang in CONTENT)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_variant_fields(name):
    s = SPECS[name]
    assert s.benchmark == "jiraibench" and s.family == "jiraibench" and s.version == "2"
    assert s.partition == "original" and s.origin_language is None
    prompt = {"zh": "zho_Hans", "ja": "jpn_Jpan", "en": "eng_Latn"}[s.task.split("_")[1]]
    assert s.prompt_language == prompt
    assert s.sensitive is True
    assert s.metric == "label_accuracy" and s.primary_metric == "macro_f1"
    assert s.corpus_metrics is not None and s.max_fewshot == 0
    assert "not public" in s.source and "data_cards/jiraibench.md" in s.source


def test_native_and_other_instructions_per_content_language():
    """prompt_language_effect pairs native (prompt == content) with the two others."""
    for language in CONTENT:
        variants = [s for s in SPECS.values() if s.language == language]
        assert sum(s.prompt_language == language for s in variants) == 1
        assert len({s.prompt_language for s in variants}) == 3


# --- label parsing ------------------------------------------------------------------------


@pytest.mark.parametrize("case", PARSER_CASES, ids=[c["note"] for c in PARSER_CASES])
def test_parser_case(case):
    scored = SPECS["jiraibench_en_prompt.zho_Hans"].score(case["response"], item(case["gold"]))
    assert scored.extracted == case["expected_extracted"]
    if case["expected_error"]:
        assert scored.error is not None and "no label for" in scored.error
    else:
        assert scored.error is None
        assert scored.score == pytest.approx(case["expected_score"])
        assert scored.metrics["exact_match"] == float(case["expected_score"] == 1.0)


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("labels", [(0, 0, 0), (1, 0, 2), (2, 1, 1)])
def test_reference_response_scores_full_marks(name, labels):
    s = SPECS[name]
    assert s.reference_response is not None
    scored = s.score(s.reference_response(item(labels)), item(labels))
    assert (scored.score, scored.error) == (1.0, None)


# --- macro-F1 -----------------------------------------------------------------------------


MACRO_F1_CASES = [
    ([0, 1, 2, 0], [0, 1, 2, 0], 1.0),
    ([0, 0, 0, 0], [0, 0, 0, 0], 1.0),  # only label 0 occurs: its F1 alone
    ([0, 0, 1, 1], [0, 1, 1, 1], (2 / 3 + 4 / 5) / 2),
    ([0, 0, 0, 0], [1, 1, 1, 1], 0.0),
    ([0, 1, 2, 2], [0, 2, 2, 1], (1.0 + 0.0 + 0.5) / 3),
]


@pytest.mark.parametrize(("gold", "predicted", "expected"), MACRO_F1_CASES)
def test_macro_f1(gold, predicted, expected):
    assert macro_f1(gold, predicted) == pytest.approx(expected)


@pytest.mark.parametrize(("gold", "predicted", "expected"), MACRO_F1_CASES)
def test_macro_f1_agrees_with_scikit_learn(gold, predicted, expected):
    metrics = pytest.importorskip("sklearn.metrics")
    assert macro_f1(gold, predicted) == pytest.approx(
        metrics.f1_score(gold, predicted, average="macro", zero_division=0)
    )


def test_corpus_metrics_per_category_and_overall():
    en = SPECS["jiraibench_en_prompt.zho_Hans"]
    golds = [(0, 0, 0), (1, 0, 2), (0, 2, 1), (2, 1, 0)]
    answers = [(0, 0, 0), (1, 0, 2), (0, 2, 0), (1, 1, 0)]
    pairs = [(item(g), en.reference_response(item(a))) for g, a in zip(golds, answers, strict=True)]
    pairs.append((item((0, 0, 0)), "no labels here"))  # skipped: not a label
    result = corpus_metrics(en.answered(pairs))  # the unscorable response is left out
    assert set(result) == {"macro_f1", *(f"macro_f1_{c}" for c in CATEGORIES)}
    for index, category in enumerate(CATEGORIES):
        expected = macro_f1([g[index] for g in golds], [a[index] for a in answers])
        assert result[f"macro_f1_{category}"].value == pytest.approx(expected)
    mean = sum(result[f"macro_f1_{c}"].value for c in CATEGORIES) / 3
    assert result["macro_f1"].value == pytest.approx(mean)
    for score in result.values():
        assert score.ci_low <= score.value <= score.ci_high
        assert "n=4" in score.signature and "bootstrap=1000" in score.signature
    assert corpus_metrics(en.answered([(item((0, 0, 0)), "nothing")])) == {}


# --- loading the three formats ------------------------------------------------------------


def test_csv_loads_per_content_language(csv_dir):
    zh, ja = load(csv_dir, "zho_Hans"), load(csv_dir, "jpn_Jpan")
    assert [i.item_key for i in zh] == [f"zh-{n}" for n in range(1, 7)]
    assert [i.item_key for i in ja] == [f"ja-{n}" for n in range(1, 7)]
    assert zh[1].gold == "overdose=1 eating_disorder=0 self_harm=2"
    assert dict(zh[1].fields["labels"]) == {"overdose": 1, "eating_disorder": 0, "self_harm": 2}
    assert zh[2].question == '朋友推荐了一家新开的面包店, 说"很好吃"。'


def _summary(items):
    return [(i.item_key, i.question, i.gold) for i in items]


def test_jsonl_with_alias_columns_loads_the_same(csv_dir, tmp_path):
    root = data_dir_with(tmp_path / "jsonl", "data.jsonl", FIXTURE_JSONL.read_text("utf-8"))
    for language in CONTENT:
        assert _summary(load(root, language)) == _summary(load(csv_dir, language))


def test_xlsx_loads_the_same(csv_dir, tmp_path):
    rows: list[list[object]] = [fixture_rows()[0]]
    for row in fixture_rows()[1:]:  # labels as numbers, as a spreadsheet stores them
        rows.append([*row[:3], *(int(x) for x in row[3:])])
    rows[0] = ["ID", "Text", "Language", "Overdose", "Eating Disorder", "Self-Harm"]
    root = tmp_path / "xlsx"
    write_xlsx(root / "jiraibench" / "release.xlsx", rows)
    for language in CONTENT:
        assert _summary(load(root, language)) == _summary(load(csv_dir, language))


def test_files_are_combined_and_keys_default_to_file_and_line(tmp_path):
    write_csv(tmp_path, [HEADER[1:], ["一句话。", "zh", 0, 1, 2]], "a_zh.csv")
    write_csv(tmp_path, [HEADER[1:], ["一文です。", "ja", 2, 2, 2]], "b_ja.csv")
    assert [i.item_key for i in load(tmp_path, "zho_Hans")] == ["a_zh.csv:2"]
    assert [i.item_key for i in load(tmp_path, "jpn_Jpan")] == ["b_ja.csv:2"]
    # The whole release is validated, whichever language is asked for.
    write_csv(tmp_path, [HEADER[1:], ["", "ja", 0, 0, 0]], "c_ja.csv")
    with pytest.raises(DataError, match=r"c_ja\.csv:2: column 'text' is empty"):
        load(tmp_path, "zho_Hans")


def test_spreadsheet_floats_and_blank_rows(tmp_path):
    rows = [
        HEADER,
        [7.0, "一句话。", "ZH", 1.0, 0.0, "2"],
        [None] * 6,
        [8, "又一句。", "zho_Hans", 0, 0, 0],
    ]
    write_xlsx(tmp_path / "jiraibench" / "x.xlsx", rows)
    items = load(tmp_path)
    assert [(i.item_key, i.gold) for i in items] == [
        ("7", "overdose=1 eating_disorder=0 self_harm=2"),
        ("8", "overdose=0 eating_disorder=0 self_harm=0"),
    ]


# --- missing data and schema errors -------------------------------------------------------


def test_missing_data_says_it_is_not_public(tmp_path):
    with pytest.raises(DataError) as error:
        load(tmp_path / "nowhere")
    message = str(error.value)
    assert str(tmp_path / "nowhere" / "jiraibench") in message
    assert "data_cards/jiraibench.md" in message and "not public" in message
    assert "arXiv:2503.21679" in message and "\n" not in message


def test_no_data_dir_is_a_data_error():
    with pytest.raises(DataError, match="no public source"):
        SPECS["jiraibench_zh_prompt.zho_Hans"].load(LoadContext())


def test_shared_data_has_no_release(shared_data):
    """The shared snapshot only documents the search (SOURCE.md): loading says what to do."""
    if any(p.suffix in data.SUFFIXES for p in (shared_data / "jiraibench").glob("*")):
        pytest.skip("a JiraiBench release is present in the shared data")
    with pytest.raises(DataError, match="not public"):
        load(shared_data)


def test_language_without_rows(tmp_path):
    write_csv(tmp_path, [HEADER, ["1", "一文です。", "ja", 0, 0, 0]])
    with pytest.raises(DataError, match="no JiraiBench rows with language 'zh'"):
        load(tmp_path, "zho_Hans")


@pytest.mark.parametrize(
    ("rows", "line", "problem"),
    [
        ([["id", "text", "language", "overdose", "self_harm"]], 1,
         "missing column(s) eating_disorder (found: id, text, language, overdose, self_harm);"
         " expected columns text, language (zh or ja), overdose, eating_disorder, self_harm"),
        ([HEADER[:-1] + ["SH", "self harm"]], 1, "two columns for 'self_harm'"),
        ([HEADER, ["1", "好。", "zh", 0, 0, 0], ["2", "好。", "zh", 3, 0, 0]], 3,
         "column 'overdose' is '3'; expected 0 (not concerning), 1 (first person) or 2 (third party)"),
        ([HEADER, ["1", "好。", "zh", 0, "yes", 0]], 2, "column 'eating_disorder' is 'yes'"),
        ([HEADER, ["1", "好。", "zh", 0, 0, "1.5"]], 2, "column 'self_harm' is '1.5'"),
        ([HEADER, ["1", "好。", "ko", 0, 0, 0]], 2,
         "column 'language' is 'ko'; expected zh or ja (or zho_Hans / jpn_Jpan)"),
        ([HEADER, ["1", "好。", "zh", 0, 0, 0], ["1", "好。", "zh", 0, 0, 0]], 3,
         "id '1' already used at"),
        ([HEADER, ["1", "好。", "zh", 0, 0]], 2, "5 fields, the header has 6"),
    ],
)  # fmt: skip
def test_csv_schema_errors_name_file_line_and_expectation(tmp_path, rows, line, problem):
    path = write_csv(tmp_path, rows)
    with pytest.raises(DataError) as error:
        load(tmp_path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}: ")
    assert problem in message and "data_cards/jiraibench.md" in message


def test_jsonl_errors_name_the_line(tmp_path):
    good = json.dumps(dict(zip(HEADER, ["1", "好。", "zh", 0, 0, 0], strict=True)))
    root = data_dir_with(tmp_path, "d.jsonl", f"{good}\n\n{{not json\n")
    with pytest.raises(DataError, match=r"d\.jsonl:3: not JSON"):
        load(root)
    root = data_dir_with(tmp_path, "d.jsonl", f'{good}\n{{"text": "x", "language": "zh"}}\n')
    with pytest.raises(DataError, match=r"d\.jsonl:2: missing column\(s\) overdose"):
        load(root)


def test_xlsx_errors_name_the_sheet_row(tmp_path):
    write_xlsx(
        tmp_path / "jiraibench" / "x.xlsx",
        [HEADER, [1, "好。", "zh", 0, 0, 0], [2, "好。", "zh", 0, True, 0]],
    )
    with pytest.raises(DataError, match=r"x\.xlsx:3: column 'eating_disorder' is True"):
        load(tmp_path)


def test_broken_xlsx_is_a_data_error(tmp_path):
    data_dir_with(tmp_path, "broken.xlsx", b"not a zip file")
    with pytest.raises(DataError, match="not a readable xlsx file"):
        load(tmp_path)


# --- prompts ------------------------------------------------------------------------------


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.txt"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_golden_prompt(csv_dir, name):
    """The first fixture item of the content language (our own sentence) in every variant."""
    s = SPECS[name]
    first = s.load(LoadContext(data_dir=csv_dir))[0]
    prompt = s.render(first, 0)
    path = golden_path(name)
    assert_golden(path, prompt)
    assert prompt.count(first.question) == 1
    *_, post_prefix, post, blank, answer_prefix = prompt.split("\n")
    assert (post, blank) == (first.question, "")
    assert s.until == (f"\n{post_prefix}", f"\n{answer_prefix}")  # another post or answer


def test_no_stale_golden_files():
    assert sorted(GOLDEN.iterdir()) == sorted(golden_path(name) for name in SPECS)


def test_few_shot_is_refused():
    with pytest.raises(ValueError, match="no few-shot"):
        SPECS["jiraibench_en_prompt.zho_Hans"].render(item((0, 0, 0)), 1)


# --- runs through xbench ------------------------------------------------------------------


def test_fake_model_run_reports_prompt_language_effect(csv_dir, tmp_path):
    db = tmp_path / "x.duckdb"
    run = xbench.run(
        model="fake:accuracy=0.7", tasks=["jiraibench"], data_dir=csv_dir, limit=3, db=db,
        progress=False,
    )  # fmt: skip
    metrics = {(s["task"], s["language"], s["metric"]) for s in run.scores}
    for name, s in SPECS.items():
        for metric in ("label_accuracy", "exact_match", "macro_f1", "macro_f1_overdose"):
            assert (s.task, s.language, metric) in metrics, (name, metric)
    report = xbench.report(run.run_id, db=db)
    rows = [r for r in report["prompt_language_effect"] if r["benchmark"] == "jiraibench"]
    pairs = {(r["language"], r["other_prompt_language"], r["metric"]) for r in rows}
    for language, others in (
        ("zho_Hans", ("jpn_Jpan", "eng_Latn")),
        ("jpn_Jpan", ("zho_Hans", "eng_Latn")),
    ):
        for other in others:
            assert (language, other, "macro_f1") in pairs
    for row in rows:
        assert row["family"] == "jiraibench"
        assert row["delta"] == pytest.approx(row["native"] - row["other"])


def test_unparsable_outputs_are_errors_not_wrong_answers(csv_dir, tmp_path):
    """The fake model's wrong answers hold no labels: stored as errors, outside macro-F1."""
    import duckdb

    db = tmp_path / "x.duckdb"
    run = xbench.run(
        model="fake:accuracy=0.5", tasks=["jiraibench_en_prompt"], languages=["zh"],
        data_dir=csv_dir, limit=6, db=db, progress=False,
    )  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT score, error FROM samples WHERE run_id = ?", [run.run_id]).fetchall()
    errors = [error for score, error in rows if error is not None]
    assert errors and all("no label for" in e for e in errors)
    assert all(score is None for score, error in rows if error is not None)
    assert all(score == 1.0 for score, error in rows if error is None)
    macro = [s for s in run.scores if s["metric"] == "macro_f1"]
    assert len(macro) == 1 and macro[0]["value"] == pytest.approx(1.0)


@pytest.mark.slow
@pytest.mark.real_model
def test_smollm2_labels_a_few_fixture_posts(csv_dir, tmp_path):
    import duckdb

    db = tmp_path / "x.duckdb"
    run = xbench.run(
        model="smollm2-135m", tasks=["jiraibench_en_prompt"], languages=["zh", "ja"],
        limit=2, max_gen_toks=32, data_dir=csv_dir, db=db, progress=False,
    )  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT task_name, response FROM samples WHERE run_id = ?", [run.run_id]
    ).fetchall()
    assert sorted({name for name, _ in rows}) == [
        "jiraibench_en_prompt.jpn_Jpan",
        "jiraibench_en_prompt.zho_Hans",
    ]
    assert len(rows) == 4 and all(response for _, response in rows)
