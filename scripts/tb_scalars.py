"""Print the scalars of a run's TensorBoard log: .venv/bin/python scripts/tb_scalars.py RUN_DIR [TAG ...]"""
import sys
from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

run = Path(sys.argv[1])
tags = sys.argv[2:] or ["val/loss", "val/free_pos", "val/free_speed_ratio"]
ea = EventAccumulator(str(run / "tb" / "version_0"), size_guidance={"scalars": 0})
ea.Reload()
for tag in tags:
    if tag not in ea.Tags()["scalars"]:
        print(f"{tag}: not logged")
        continue
    ev = ea.Scalars(tag)
    print(tag, " ".join(f"{e.step}:{e.value:.3f}" for e in ev[-12:]))
