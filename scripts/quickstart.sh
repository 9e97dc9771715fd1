#!/usr/bin/env bash
# Set up xbench and run a real multilingual evaluation that shows a gap between languages:
# SmolLM2-135M-Instruct translating NTREX-128 news sentences from English into 8 languages
# and back (corpus chrF++, BLEU, TER with CIs), 10 sentences each, stored in DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Data: $XBENCH_DATA_DIR if set; else the offline snapshot ../shared/data when present;
# else the public NTREX-128 release on GitHub, which needs internet.
if [ -z "${XBENCH_DATA_DIR:-}" ] && [ -d ../shared/data/ntrex128 ]; then
  export XBENCH_DATA_DIR=../shared/data
fi
.venv/bin/xbench run --model smollm2-135m --tasks ntrex128_chat_en-x,ntrex128_chat_x-en \
  --languages de,fr,ru,zh,ja,ar,hi,sw --limit "${XBENCH_LIMIT:-10}" \
  --max-gen-toks 96 --batch-size 10 --apply-chat-template "$@"
