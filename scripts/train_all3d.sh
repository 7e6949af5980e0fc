#!/usr/bin/env bash
# The 3D generator's ablations at the default recipe's budget (75 min each, one thread each), two at
# a time on a 2-core machine: about 2 x 75 min for the three (the full model is configs/default3d.json).
#   scripts/train_all3d.sh
set -euo pipefail
cd "$(dirname "$0")/.."
run() { .venv/bin/dancegen train --config "configs/ablation3d_$1.json" -q > "runs/$1_3d.log" 2>&1; }
mkdir -p runs
run no_multiscale & run no_attention & wait
run no_hgr
