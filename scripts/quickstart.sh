#!/usr/bin/env bash
# Set up xbench and run a real multilingual evaluation: SmolLM2-135M-Instruct on MGSM
# (native chain-of-thought) in all 11 languages, a few items each, stored in DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Data: $XBENCH_DATA_DIR if set; else the offline snapshot ../shared/data when present;
# else the public hub dataset (juletxara/mgsm), which needs internet.
if [ -z "${XBENCH_DATA_DIR:-}" ] && [ -d ../shared/data/mgsm ]; then
  export XBENCH_DATA_DIR=../shared/data
fi
.venv/bin/xbench run --model smollm2-135m --tasks mgsm_native_cot \
  --languages en,de,fr,es,ru,zh,ja,th,sw,bn,te --limit "${XBENCH_LIMIT:-3}" \
  --max-gen-toks 192 --batch-size 8 --apply-chat-template "$@"
echo "Stored. See it again with: .venv/bin/xbench results   (export: .venv/bin/xbench export --out samples.jsonl)"
