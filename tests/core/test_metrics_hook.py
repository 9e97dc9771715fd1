"""Plugins with several per-sample metrics and corpus metrics (the MultiLoKo / MT shape)."""

import json
from pathlib import Path

import duckdb
import pytest

import xbench
from xbench.errors import XbenchError

PLUGIN = Path(__file__).parents[1] / "plugins" / "metrics_demo"


def _predictions(tmp_path, responses):
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(
        json.dumps({"task": "fruits", "language": lang, "item_key": key, "response": text})
        for (lang, key), text in responses.items()
    ))  # fmt: skip
    return f"predictions:{path}"


def test_every_metric_is_a_score_row_and_the_primary_one_is_marked(tmp_path):
    model = _predictions(tmp_path, {("en", "0"): "red apple", ("en", "1"): "a ripe banana"})
    db = tmp_path / "x.duckdb"
    result = xbench.run(model=model, tasks=["fruits"], languages=["en"], db=db,
                        plugin_paths=[PLUGIN.parent], progress=False)  # fmt: skip
    rows = {s["metric"]: s for s in result.scores}
    assert set(rows) == {"exact_match", "overlap", "length_ratio"}
    assert rows["exact_match"]["value"] == pytest.approx(0.5)  # "a ripe banana" != "banana"
    assert rows["overlap"]["value"] == pytest.approx(1.0)  # both golds fully covered
    # corpus: 2 + 3 words said for 2 + 1 wanted
    assert rows["length_ratio"]["value"] == pytest.approx(5 / 3)
    assert rows["length_ratio"]["signature"] == "length_ratio|words|v1"
    assert [m for m, r in rows.items() if r["primary_metric"]] == ["length_ratio"]
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT metrics FROM samples ORDER BY item_key").fetchall()
        assert [json.loads(m)["overlap"] for (m,) in stored] == [1.0, 1.0]
        # per-unit views are not multiplied by the number of metrics
        assert con.execute("SELECT count(*) FROM fidelity").fetchone() == (1,)
        assert con.execute("SELECT count(DISTINCT metric) FROM parity").fetchone() == (3,)


def test_consistency_counts_each_aligned_item_once_with_several_metrics(tmp_path):
    model = "fake:accuracy=1"
    db = tmp_path / "x.duckdb"
    run = xbench.run(
        model=model, tasks=["fruits"], db=db, plugin_paths=[PLUGIN.parent], progress=False
    )
    [row] = xbench.report(run.run_id, db=db)["consistency"]
    assert (row["language"], row["n_aligned"], row["both_correct"]) == ("deu_Latn", 2, 2)


def test_a_primary_metric_that_is_never_computed_fails_the_run(tmp_path, monkeypatch):
    from xbench import plugins

    original = plugins.Registry.select

    def select(self, names, langs=None):
        import dataclasses

        return [dataclasses.replace(s, primary_metric="nope") for s in original(self, names, langs)]

    monkeypatch.setattr(plugins.Registry, "select", select)
    with pytest.raises(XbenchError, match="primary metric .nope. of .* was not computed"):
        xbench.run(model="fake", tasks=["fruits"], db=tmp_path / "x.duckdb",
                   plugin_paths=[PLUGIN.parent], progress=False)  # fmt: skip


UNSCORABLE_PLUGIN = """
from xbench import Item, Scored, TaskSpec

def score(response, item):
    label = response.strip()
    if label not in ("yes", "no"):
        return Scored(extracted="", score=0.0, error=f"no yes/no label in {label!r}")
    return Scored(label, float(label == item.gold))

def register_tasks(register):
    register(TaskSpec(
        benchmark="yesno", task="yesno", language="eng_Latn", prompt_language="eng_Latn",
        partition="original", version="1", source="inline",
        load=lambda ctx: [Item("0", "Is water wet?", "yes"), Item("1", "Is fire cold?", "no"),
                          Item("2", "Is ice hot?", "no")],
        render=lambda item, k: item.question, score=score,
    ))
"""


def test_an_unscorable_response_is_an_error_not_a_wrong_answer(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "yesno.py").write_text(UNSCORABLE_PLUGIN)
    preds = tmp_path / "p.jsonl"
    preds.write_text("\n".join(json.dumps({"task": "yesno", "language": "en", "item_key": k, "response": r})
                               for k, r in [("0", "yes"), ("1", "maybe?"), ("2", "yes")]))  # fmt: skip
    db = tmp_path / "x.duckdb"
    [score] = xbench.run(model=f"predictions:{preds}", tasks=["yesno"], db=db,
                         plugin_paths=[tmp_path / "plugins"], progress=False).scores  # fmt: skip
    assert (score["n"], score["n_errors"], score["value"]) == (3, 1, 0.5)
    assert score["value_strict"] == pytest.approx(1 / 3)
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT response, score, error FROM samples WHERE item_key = '1'"
        ).fetchone()
    assert row == ("maybe?", None, "no yes/no label in 'maybe?'")


def test_a_corpus_primary_metric_with_nothing_answered_is_stored_empty(tmp_path):
    preds = tmp_path / "p.jsonl"
    preds.write_text("")  # no response for any item
    db = tmp_path / "x.duckdb"
    scores = xbench.run(model=f"predictions:{preds}", tasks=["fruits"], languages=["en"], db=db,
                        plugin_paths=[PLUGIN.parent], progress=False).scores  # fmt: skip
    [primary] = [s for s in scores if s["primary_metric"]]
    assert (primary["metric"], primary["value"], primary["n_errors"]) == ("length_ratio", None, 2)


# --- tools through the chat template ---------------------------------------------------------


class _Tokenizer:
    """A tokenizer stand-in whose chat template takes tools (as Qwen's or Llama-3.1's do)."""

    chat_template = "{% if tools %}TOOLS {{ tools | tojson }}{% endif %}..."

    def apply_chat_template(
        self, messages, tools=None, tokenize=False, add_generation_prompt=False
    ):
        names = ",".join(t["function"]["name"] for t in tools or [])
        return f"<tools:{names}><user>{messages[0]['content']}</user><assistant>"


def test_template_tools_detection_and_rendering():
    from xbench import bridge

    assert bridge.template_takes_tools(_Tokenizer())
    assert not bridge.template_takes_tools(type("T", (), {"chat_template": "{{ messages }}"})())
    assert not bridge.template_takes_tools(None)


def test_tools_via_is_stored_per_unit(tmp_path, shared_data):
    """The fake model has no tokenizer: tools travel in the prompt, and the unit says so."""
    db = tmp_path / "x.duckdb"
    result = xbench.run(model="fake:accuracy=1", tasks=["tucan"], limit=2, data_dir=shared_data,
                        apply_chat_template=True, db=db, progress=False)  # fmt: skip
    assert {s["tools_via"] for s in result.scores} == {"prompt"}
    mgsm = xbench.run(model="fake", tasks=["mgsm_direct"], languages=["en"], limit=1,
                      data_dir=shared_data, db=db, progress=False)  # fmt: skip
    assert {s["tools_via"] for s in mgsm.scores} == {None}  # no tools at all


def test_tools_go_through_a_template_that_takes_them(shared_data):
    from xbench import bridge, models
    from xbench.models.responders import responder_lm
    from xbench.plugins import load_registry

    spec = load_registry().specs["tucan.bul_Cyrl"]
    items = list(spec.load(xbench.LoadContext(shared_data)))[:2]
    lm = responder_lm(models.fake_responder({"accuracy": "1"}), name="fake")
    lm.tokenizer = _Tokenizer()  # a chat model whose template takes tools
    settings = models.GenerationSettings(apply_chat_template=True)
    generations = bridge.generate(lm, spec, items, settings=settings)
    assert {g.tools_via for g in generations} == {"chat_template"}
    for gen, item in zip(generations, items, strict=True):
        names = ",".join(f["name"] for f in item.fields["functions"])
        assert gen.prompt.startswith(f"<tools:{names}><user>")  # the stored prompt is what was sent
        assert spec.render(item, 0) in gen.prompt  # and the tools are also in the prompt text


def test_each_response_is_scored_once_and_corpus_metrics_get_the_scored_samples():
    """The scorer runs once per response; corpus metrics receive those Scored objects (with
    the scorer's details) and --bootstrap-resamples, and never see an unscorable sample."""
    from xbench.bridge import Generation
    from xbench.runner import _score

    scored_keys, corpus_calls = [], []

    def score(response, item):
        scored_keys.append(item.item_key)
        if response == "?":
            return xbench.Scored(None, 0.0, error="no answer")
        return xbench.Scored(response, 1.0, details={"words": len(response.split())})

    def corpus(answered, *, resamples):
        corpus_calls.append((resamples, [a.item.item_key for a in answered]))
        words = sum(a.scored.details["words"] for a in answered)
        return {"words": xbench.CorpusScore(float(words), signature="words|v1")}

    spec = xbench.TaskSpec(
        benchmark="b", task="t", language="eng_Latn", prompt_language="eng_Latn",
        partition="original", version="1", source="inline", load=lambda ctx: [],
        render=lambda item, k: item.question, score=score, corpus_metrics=corpus,
    )  # fmt: skip
    items = [xbench.Item(str(i), "q", "g") for i in range(3)]
    responses = ["two words", "?", "three more words"]
    generations = [Generation(str(i), "q", r, None) for i, r in enumerate(responses)]
    units, rows = _score(spec, items, generations, 0.0, resamples=77)
    assert scored_keys == ["0", "1", "2"]  # once each
    assert corpus_calls == [(77, ["0", "2"])]
    assert {u.metric: u.value for u in units} == {"accuracy": 1.0, "words": 5.0}
    assert [r.error for r in rows] == [None, "no answer", None]
