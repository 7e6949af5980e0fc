#!/usr/bin/env bash
# Every figure of the 3D default model quoted in README.md and docs/MODEL_CARD.md, two jobs at a time.
#   scripts/eval3d_all.sh [MODEL]     (default: the bundled dancegen/models/default3d.safetensors)
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:-dancegen/models/default3d.safetensors}
D=../shared/data/dance_with_melody
mkdir -p docs/eval docs/img/realism
export OMP_NUM_THREADS=1
( .venv/bin/python scripts/realism3d.py --model "$M" --seeds 0 1 2 3 4 5 6 7 8 9 10 11 --json docs/eval/realism3d.json > docs/eval/realism3d.txt 2>&1
  .venv/bin/python scripts/realism3d.py --model "$M" --seeds 0 1 2 3 4 5 6 7 8 9 10 11 --no-feedback --json docs/eval/realism3d_nofeedback.json > docs/eval/realism3d_nofeedback.txt 2>&1
  .venv/bin/python scripts/long_song3d.py --model "$M" --music ../shared/music/varied/nebula.ogg --seeds 0 1 2 --json docs/eval/long3d.json > docs/eval/long3d.txt 2>&1 ) &
( .venv/bin/dancegen evaluate --model "$M" --data $D --music ../shared/music/sectoid/*/song.ogg -o docs/eval/default3d.json --force -q > docs/eval/default3d.txt 2>&1
  .venv/bin/python scripts/contact_sheets3d.py --model "$M" -o docs/img/realism > /dev/null 2>&1 ) &
wait
.venv/bin/python benchmarks/bench_generate3d.py --model "$M" > docs/eval/bench_generate3d.txt 2>&1

.venv/bin/python benchmarks/bench_beat_any_tempo.py > docs/eval/beat_any_tempo3d.txt 2>&1
echo done
