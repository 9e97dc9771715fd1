"""The tokenizer tax (`xbench tokenizers`) and token counts per sample: hand-worked ratios, the
real SmolLM2 tokenizer on NTREX-128, the store, the report and clear errors."""

from __future__ import annotations

import json

import duckdb
import pytest

import xbench
from tests.helpers import CAPITALS
from xbench import cli
from xbench.analyses.tokenizers import measure
from xbench.errors import XbenchError
from xbench.models import read_response, read_usage, with_note, with_usage
from xbench.models.gguf import GGUF_MODELS
from xbench.report import priced
from xbench.store import Store


def _words(segments):
    return [len(s.split()) for s in segments]  # one token per word: easy to count by hand


def test_premium_fertility_and_bytes_per_token_by_hand():
    texts = {
        "deu_Latn": ["ein zwei drei vier", "fünf sechs"],  # 6 tokens, 6 words, 18 + 11 bytes (ü: 2)
        "eng_Latn": ["one two", "three"],  # 3 tokens, 3 words, 7 + 5 bytes
        "zho_Hans": ["一二 三", "四"],  # 3 "tokens", 4 characters (spaces not counted)
    }
    rows = {r.language: r for r in measure(_words, texts)}
    assert list(rows) == ["eng_Latn", "deu_Latn", "zho_Hans"]  # English first
    en, de, zh = rows["eng_Latn"], rows["deu_Latn"], rows["zho_Hans"]
    assert (en.tokens, en.words, en.bytes, en.premium) == (3, 3, 12, 1.0)
    assert de.premium == 6 / 3 and de.fertility == 6 / 6 and de.fertility_unit == "word"
    assert de.bytes == len(b"ein zwei drei vier") + len("fünf sechs".encode()) == 29
    assert de.bytes_per_token == de.bytes / 6
    # Chinese is written without spaces: fertility per character, 3 tokens / 4 characters
    assert zh.fertility_unit == "character" and zh.characters == 4 and zh.fertility == 3 / 4
    assert zh.premium == 1.0 and zh.bytes == 4 * 3 + 1  # 4 CJK characters of 3 bytes, 1 space


def test_measure_without_english_has_no_premium_and_refuses_unaligned_text():
    [row] = measure(_words, {"deu_Latn": ["a b"]})
    assert row.premium is None and row.tokens == 2
    with pytest.raises(XbenchError, match="same number of segments"):
        measure(_words, {"eng_Latn": ["a"], "deu_Latn": ["a", "b"]})
    with pytest.raises(XbenchError, match="gave no tokens for deu_Latn"):
        measure(lambda s: [0] * len(s), {"deu_Latn": ["a"]})


def test_cli_measures_smollm2_on_ntrex_and_stores_one_row_per_language(tmp_path, shared_data,
                                                                        capsys):  # fmt: skip
    db = tmp_path / "x.duckdb"
    args = ["tokenizers", "--model", "smollm2-135m", "--languages", "de,zh,th", "--limit", "20",
            "--data-dir", str(shared_data), "--db", str(db), "--json"]  # fmt: skip
    assert cli.main(args) == 0
    rows = {r["language"]: r for r in json.loads(capsys.readouterr().out)}
    assert list(rows) == ["eng_Latn", "deu_Latn", "zho_Hans", "tha_Thai"]
    assert rows["eng_Latn"]["premium"] == 1.0 and all(r["segments"] == 20 for r in rows.values())
    # the real tokenizer, counted by hand here on the same 20 NTREX sentences
    from transformers import AutoTokenizer

    from xbench_tasks.mt import data

    tok = AutoTokenizer.from_pretrained(str(GGUF_MODELS["smollm2-135m"].converted()))
    lines = data.parallel_segments("ntrex128", ["eng_Latn", "tha_Thai"], shared_data)
    count = {c: sum(len(tok.encode(s, add_special_tokens=False)) for s in lines[c][:20])
             for c in lines}  # fmt: skip
    assert rows["tha_Thai"]["tokens"] == count["tha_Thai"]
    assert rows["tha_Thai"]["premium"] == pytest.approx(count["tha_Thai"] / count["eng_Latn"])
    assert rows["tha_Thai"]["premium"] > rows["deu_Latn"]["premium"] > 1  # an English tokenizer
    assert rows["tha_Thai"]["fertility_unit"] == "character"

    stored = Store(db).tokenizer_stats(["smollm2-135m"])
    assert [r["language"] for r in stored] == ["eng_Latn", "deu_Latn", "tha_Thai", "zho_Hans"]
    assert cli.main([*args[:-1], "--model-name", "smollm2-135m"]) == 0  # again: replaced
    assert "premium" in capsys.readouterr().out
    assert len(Store(db).tokenizer_stats()) == 4
    assert cli.main([*args, "--no-store", "--model-name", "other"]) == 0
    assert [r["model"] for r in Store(db).tokenizer_stats()] == ["smollm2-135m"] * 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "openai-chat:gpt-4o", "--languages", "de"],
         "has no tokenizer xbench can load (a openai-chat model); pass --tokenizer"),
        (["--model", "fake", "--languages", "de"], "pass --tokenizer"),
        (["--model", "smollm2-135m", "--languages", "de,notalanguage"], "unknown language 'notalanguage'"),
        (["--model", "smollm2-135m", "--languages", "de", "--corpus", "wmt"],
         "unknown corpus 'wmt'; choose one of ntrex128"),
        (["--model", "fake", "--languages", "de", "--tokenizer", "/nowhere/tok"],
         "cannot load the tokenizer '/nowhere/tok'"),
        (["--model", "smollm2-135m", "--languages", "de", "--limit", "0"], "--limit must be"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line(args, message, tmp_path, shared_data, capsys):
    code = cli.main(["tokenizers", *args, "--data-dir", str(shared_data),
                     "--db", str(tmp_path / "x.duckdb")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.duckdb").exists()  # nothing stored


def test_usage_travels_with_the_response_and_failures_stay_failures():
    text = with_usage(with_note("cut at the token limit", "Paris"), 12, 3)
    assert read_usage(text)[0] == (12, 3)
    assert read_response(text) == ("Paris", None, "cut at the token limit")
    assert read_usage("Paris") == (None, "Paris")
    from xbench.models import failure

    assert with_usage(failure("boom"), 1, 1) == failure("boom")  # no counts on a failure
    assert with_usage("x", None, 3) == "x" and with_usage("x", True, 3) == "x"


def test_served_samples_store_the_engines_usage(tmp_path, monkeypatch):
    from tests.openai_server import FakeOpenAI

    monkeypatch.setenv("XBENCH_CACHE_DIR", str(tmp_path / "cache"))
    server = FakeOpenAI()  # answers every request with usage 5 prompt + 2 completion tokens
    try:
        result = xbench.run(model=f"local-chat:{server.url},model=served-model",
                            tasks=["capitals"], plugin_paths=[CAPITALS], db=tmp_path / "x.duckdb",
                            progress=False)  # fmt: skip
    finally:
        server.stop()
    with duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True) as con:
        counts = set(con.execute(
            "SELECT prompt_tokens, completion_tokens, token_source FROM samples WHERE run_id = ?",
            [result.run_id]).fetchall())  # fmt: skip
    assert counts == {(5, 2, "usage")}


def test_report_shows_tokens_cost_and_the_tokenizer_tax(tmp_path, monkeypatch, capsys):
    from tests.openai_server import FakeOpenAI

    monkeypatch.setenv("XBENCH_CACHE_DIR", str(tmp_path / "cache"))
    db = tmp_path / "x.duckdb"
    server = FakeOpenAI()
    try:
        result = xbench.run(model=f"local-chat:{server.url},model=served-model",
                            tasks=["capitals"], languages=["en", "de"], plugin_paths=[CAPITALS],
                            db=db, progress=False, model_name="served")  # fmt: skip
    finally:
        server.stop()
    assert cli.main(["report", result.run_id, "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert (
        "Tokenizer tax" in text and "(not measured: xbench tokenizers --model local-chat:" in text
    )
    Store(db).save_tokenizer_stats("served", "tok/x", "ntrex128",
                                   measure(_words, {"eng_Latn": ["a b"], "deu_Latn": ["a b c"]}))  # fmt: skip
    assert cli.main(["report", result.run_id, "--db", str(db), "--json",
                     "--price-in", "1", "--price-out", "3"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    usage = {r["language"]: r for r in report["token_usage"]}
    n = usage["deu_Latn"]["n_counted"]
    assert n == usage["deu_Latn"]["n"] == 3  # the capitals task: 3 questions per language
    assert (
        usage["deu_Latn"]["prompt_tokens"] == 5 * n and usage["deu_Latn"]["token_source"] == "usage"
    )
    assert usage["deu_Latn"]["cost"] == pytest.approx((1 * 5 * n + 3 * 2 * n) / 1e6)
    assert [(r["language"], r["premium"]) for r in report["tokenizer"]] == [
        ("eng_Latn", 1.0), ("deu_Latn", 1.5)]  # fmt: skip
    html = tmp_path / "r.html"
    assert cli.main(["report", "served", "--html", str(html), "--db", str(db)]) == 0
    page = html.read_text()
    assert "Tokens and the tokenizer tax" in page and "<td>1.50</td>" in page
    assert "<td>5.0</td><td>2.0</td><td>usage</td>" in page  # tokens per sample, by usage
    assert cli.main(["report", "served", "--markdown", str(html), "--db", str(db),
                     "--price-in", "1", "--price-out", "3"]) == 0  # fmt: skip
    tokens = html.read_text().split("## Tokens and the tokenizer tax")[1]
    german = next(line for line in tokens.splitlines() if "| capitals | German |" in line)
    cost, correct = (5 + 3 * 2) * 3 / 1e6, usage["deu_Latn"]["n_correct"]
    assert correct and german.endswith(f"| usage | {cost:.4g} | {cost / correct:.4g} |")


def test_price_per_million_tokens_by_hand():
    rows = [
        {"n_counted": 4, "prompt_tokens": 1_000, "completion_tokens": 500, "n_correct": 2},
        {"n_counted": 4, "prompt_tokens": 3_000, "completion_tokens": 500, "n_correct": 0},
        {"n_counted": 0, "prompt_tokens": None, "completion_tokens": None, "n_correct": None},
    ]
    a, b, none = priced(rows, price_in=2.0, price_out=10.0)
    assert a["cost"] == pytest.approx((2 * 1_000 + 10 * 500) / 1e6)  # 0.007
    assert a["cost_per_correct"] == pytest.approx(0.0035)
    assert b["cost"] == pytest.approx(0.011) and b["cost_per_correct"] is None  # nothing correct
    assert none["cost"] is None and none["cost_per_correct"] is None  # never counted: no cost
    assert priced(rows, None, None) == rows
    with pytest.raises(XbenchError, match="0 or more"):
        priced(rows, -1.0, None)
