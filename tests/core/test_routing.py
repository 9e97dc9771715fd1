"""MoE routing alignment with English: hand-checked divergences on constructed router outputs,
and `xbench routing` on a tiny randomly initialised OLMoE built here (no download)."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from xbench import cli
from xbench.analyses.routing import correlate, divergences, js_divergence, sentence_distributions
from xbench.errors import XbenchError
from xbench.models.gguf import GGUF_MODELS
from xbench.store import Store

LN3 = math.log(3)


def test_token_averaged_softmax_leaves_out_padding_and_special_tokens():
    # one layer, 2 sentences × 3 token slots, 2 experts; logits [0, ln 3] -> softmax [1/4, 3/4]
    layer = np.array([
        [0.0, LN3], [LN3, 0.0], [50.0, 0.0],  # sentence 1: the third slot is padding
        [0.0, 0.0], [0.0, LN3], [0.0, LN3],   # sentence 2: the first slot is BOS
    ])  # fmt: skip
    mask = np.array([[1, 1, 0], [0, 1, 1]])
    dist = sentence_distributions([layer], mask)
    assert dist.shape == (2, 1, 2)
    np.testing.assert_allclose(dist[0, 0], [0.5, 0.5])  # mean of [1/4, 3/4] and [3/4, 1/4]
    np.testing.assert_allclose(dist[1, 0], [0.25, 0.75])
    with pytest.raises(XbenchError, match="no tokens to route"):
        sentence_distributions([layer], np.array([[0, 0, 0], [1, 1, 1]]))


def test_jensen_shannon_in_bits_by_hand():
    assert js_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)
    assert js_divergence(np.array([0.3, 0.7]), np.array([0.3, 0.7])) == pytest.approx(0.0)
    # p = [1/2, 1/2], q = [1, 0], m = [3/4, 1/4]:
    # KL(p||m) = 1/2 log2(2/3) + 1/2 log2(2) = 0.2075; KL(q||m) = log2(4/3) = 0.4150
    by_hand = 0.5 * (0.5 * math.log2(2 / 3) + 0.5) + 0.5 * math.log2(4 / 3)
    assert by_hand == pytest.approx(0.3113, abs=1e-4)
    assert js_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == pytest.approx(by_hand)


def test_layer_curve_is_the_mean_over_parallel_sentences():
    english = np.array([[[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [0.5, 0.5]]])  # 2 sent × 2 layers
    german = np.array([[[0.0, 1.0], [0.5, 0.5]], [[1.0, 0.0], [1.0, 0.0]]])
    rows = divergences({"eng_Latn": english, "deu_Latn": german})
    by_layer = {r.layer: r.divergence for r in rows}
    assert by_layer[0] == pytest.approx((1.0 + 0.0) / 2)  # disjoint, then identical
    assert by_layer[1] == pytest.approx((0.0 + 0.3113) / 2, abs=1e-4)
    assert {r.language for r in rows} == {"deu_Latn"} and rows[0].segments == 2
    with pytest.raises(XbenchError, match="include eng_Latn"):
        divergences({"deu_Latn": german})
    with pytest.raises(XbenchError, match="n-way parallel"):
        divergences({"eng_Latn": english, "deu_Latn": german[:1]})


def test_correlation_with_scores_per_layer():
    curve = [{"language": c, "layer": 0, "divergence": d}
             for c, d in (("deu_Latn", 0.1), ("fra_Latn", 0.2), ("tha_Thai", 0.6))]  # fmt: skip
    scores = {"deu_Latn": 0.8, "fra_Latn": 0.7, "tha_Thai": 0.2, "eng_Latn": 0.9}
    [row] = correlate(curve, scores)
    assert row["rho"] == pytest.approx(-1.0) and row["n_languages"] == 3
    assert correlate(curve[:2], scores) == []  # two languages: no correlation


@pytest.fixture(scope="module")
def tiny_moe(tmp_path_factory):
    """A 2-layer, 4-expert OLMoE with random weights and SmolLM2's tokenizer, saved locally."""
    import torch
    from transformers import OlmoeConfig, OlmoeForCausalLM

    folder = tmp_path_factory.mktemp("tiny-moe")
    smollm2 = GGUF_MODELS["smollm2-135m"].converted()
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (smollm2 / name).exists():
            shutil.copy(smollm2 / name, folder / name)
    torch.manual_seed(0)
    config = OlmoeConfig(vocab_size=49152, hidden_size=32, intermediate_size=32,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                         num_experts=4, num_experts_per_tok=2, bos_token_id=1, eos_token_id=2,
                         pad_token_id=2)  # fmt: skip
    OlmoeForCausalLM(config).save_pretrained(folder)
    return folder


def test_cli_measures_a_tiny_moe_and_stores_its_curve(tiny_moe, tmp_path, shared_data, capsys):
    db = tmp_path / "x.duckdb"
    args = ["routing", "--model", f"hf:{tiny_moe}", "--languages", "de,th", "--limit", "6",
            "--batch-size", "4", "--data-dir", str(shared_data), "--db", str(db),
            "--model-name", "tiny-moe"]  # fmt: skip
    assert cli.main([*args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["language"], r["layer"]) for r in rows} == {
        (c, layer) for c in ("deu_Latn", "tha_Thai") for layer in (0, 1)}  # fmt: skip
    assert all(0 < r["divergence"] < 1 and r["experts"] == 4 and r["segments"] == 6 for r in rows)
    # batching and padding change nothing: one sentence per pass gives the same curve
    assert cli.main([*args[:-2], "--model-name", "tiny-moe-b1", "--batch-size", "1", "--json"]) == 0
    ones = {
        (r["language"], r["layer"]): r["divergence"] for r in json.loads(capsys.readouterr().out)
    }
    for r in rows:
        assert ones[(r["language"], r["layer"])] == pytest.approx(r["divergence"], abs=1e-5)
    stored = Store(db).routing(["tiny-moe"])
    assert len(stored) == 4 and stored[0]["source"] == str(tiny_moe)
    assert cli.main(args) == 0  # measured again: the curve is replaced, not added
    assert "L0" in capsys.readouterr().out and len(Store(db).routing(["tiny-moe"])) == 4


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("smollm2-135m", "use an hf: model"),
        ("openai-chat:gpt-4o", "use an hf: model"),
        ("hf:/nowhere/moe", "cannot load the model '/nowhere/moe'"),
    ],
)
def test_cli_errors_are_one_line(model, message, tmp_path, shared_data, capsys):
    code = cli.main(["routing", "--model", model, "--languages", "de", "--limit", "2",
                     "--data-dir", str(shared_data), "--db", str(tmp_path / "x.duckdb")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_dense_model_has_no_router_logits(tmp_path, shared_data, capsys):
    dense = GGUF_MODELS["smollm2-135m"].converted()
    code = cli.main(["routing", "--model", f"hf:{dense}", "--languages", "de", "--limit", "2",
                     "--data-dir", str(shared_data), "--db", str(tmp_path / "x.duckdb")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "exposes no router logits" in err
    assert not (tmp_path / "x.duckdb").exists()
