"""The Cost page: the tokenizer tax per language, and tokens and cost per language of each
model's latest result (SmolLM2's samples are counted with its tokenizer)."""

from __future__ import annotations

import duckdb
import pytest

from tests.leaderboard import pages
from tests.leaderboard.conftest import _point_app_at
from xbench.analyses.tokenizers import measure
from xbench.store import Store


def open_page(**params: str):
    return pages.open_page("cost", "Cost", **params)


def _table(at, i: int = -1):
    return at.dataframe[i].value


def _counted(db) -> dict[str, tuple[int, int, int]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT language, count(*), sum(prompt_tokens), sum(completion_tokens) FROM samples"
            " WHERE token_source = 'tokenizer' AND task_name LIKE 'mgsm_direct.%' GROUP BY 1"
        ).fetchall()
    return {lang: (n, p, c) for lang, n, p, c in rows}


def test_tokens_per_language_from_the_samples_and_no_tokenizer_yet(app_env):
    at = open_page()
    assert "No tokenizer measured yet" in at.info[0].value
    assert "xbench tokenizers --model smollm2-135m" in at.info[0].value
    counted = _counted(app_env)
    assert set(counted) == {"eng_Latn", "deu_Latn"}
    table = _table(at).set_index("name")
    assert set(table.index) == {"English", "German"}  # only SmolLM2 has counts (fakes: none)
    for name, code in (("English", "eng_Latn"), ("German", "deu_Latn")):
        n, prompt, completion = counted[code]
        assert table.loc[name, "n_counted"] == n
        assert table.loc[name, "mean_prompt_tokens"] == pytest.approx(prompt / n)
        assert table.loc[name, "mean_completion_tokens"] == pytest.approx(completion / n)
    en, de = counted["eng_Latn"], counted["deu_Latn"]
    assert table.loc["English", "vs_english"] == 1.0
    assert table.loc["German", "vs_english"] == pytest.approx(
        ((de[1] + de[2]) / de[0]) / ((en[1] + en[2]) / en[0])
    )
    assert "cost" not in table.columns and "Give a price" in at.caption[-1].value


def test_prices_give_cost_per_language(app_env):
    at = open_page(price_in="2", price_out="10")
    table = _table(at).set_index("name")
    n, prompt, completion = _counted(app_env)["deu_Latn"]
    assert table.loc["German", "cost"] == pytest.approx((2 * prompt + 10 * completion) / 1e6)
    assert at.number_input[0].value == 2.0 and at.number_input[1].value == 10.0
    assert [b.proto.label for b in at.get("download_button")] == ["SVG", "PNG"]


def test_the_tokenizer_tax_chart_and_table(tmp_path, monkeypatch):
    db = tmp_path / "tok.duckdb"
    rows = measure(lambda s: [len(t.split()) for t in s],
                   {"eng_Latn": ["a b", "c"], "tha_Thai": ["ก ข ค ง", "จ ฉ"]})  # fmt: skip
    Store(db).save_tokenizer_stats("tiny-model", "tok/tiny", "ntrex128", rows)
    _point_app_at(db, monkeypatch)
    at = open_page()
    table = _table(at, 0).set_index("name")
    assert table.loc["Thai", "premium"] == 2.0 and table.loc["English", "premium"] == 1.0
    assert table.loc["Thai", "fertility_unit"] == "character"
    assert [s.value for s in at.selectbox] == ["ntrex128"]
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert "tokens / English tokens" in spec
    assert "No token counts yet" in at.info[0].value
