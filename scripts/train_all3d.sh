#!/usr/bin/env bash
# The paper's ablations on the 3D generator at one equal budget: 1,500 steps each (learning rate
# decayed by step, so the budget is the same however busy the machine is), the full model at the
# same budget beside them. One thread each, two at a time on a 2-core machine.
#   scripts/train_all3d.sh            # about 2 x 2 x 25 min
# The bundled default (configs/default3d.json) is the full model at the full recipe's budget.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { .venv/bin/dancegen train --config "configs/ablation3d_$1.json" -q > "runs/ablation3d_$1.log" 2>&1; }
mkdir -p runs
run full & run no_multiscale & wait
run no_attention & run no_hgr & wait
