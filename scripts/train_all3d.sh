#!/usr/bin/env bash
# The paper's experiments on the 3D generator at equal budgets, one thread each, two at a time on a
# 2-core machine. Budgets are steps (the learning rate decays by step), so they are the same however
# busy the machine is: the ablations and the full model beside them 1,500 steps each, the comparison
# models sized to the same wall time on one idle core (configs/gan3d.json, configs/vq3d.json).
# A run that stops (time limit, interruption) resumes from its last.pt when started again.
#   scripts/train_all3d.sh            # about 3 x 25-30 min on an idle machine
# The bundled default (configs/default3d.json) is the full model at the full recipe's budget.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { .venv/bin/dancegen train --config "configs/$1.json" -q >> "runs/train_$1.log" 2>&1; }
mkdir -p runs
run ablation3d_full & run ablation3d_no_multiscale & wait
run ablation3d_no_attention & run ablation3d_no_hgr & wait
run gan3d & run vq3d & wait
