#!/usr/bin/env bash
# Install what the tests need (into ./.venv) and run the whole suite: lint, unit,
# integration, the real-model (SmolLM2) and the packaging tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Real public data for the tests (never copied into the repo); see tests/conftest.py.
export XBENCH_TEST_DATA_DIR=${XBENCH_TEST_DATA_DIR:-$(cd .. && pwd)/shared/data}
.venv/bin/ruff check xbench tasks leaderboard tests bench
.venv/bin/python -m pytest "$@"
