"""The HGR online loop's effect on generated dances: each model on the val takes with the feedback
on and off; prints bone deviation D_bone (vs the model's reference lengths), jerk, beat alignment
error, max stretch and the number of corrections.

    .venv/bin/python scripts/feedback_effect.py MODEL.pt [MODEL.pt ...]
"""
import sys

import numpy as np

from dancegen.audio.beats import beats_for_file
from dancegen.data.dwm import load_dwm
from dancegen.feedback.structure import bone_deviation
from dancegen.metrics import beat_metrics, smoothness
from dancegen.model.bundle import ModelBundle
from dancegen.model.generate import GenerateOptions, generate_dance

clips = load_dwm("../shared/data/dance_with_melody", split="val", progress=False)
for path in sys.argv[1:]:
    b = ModelBundle.load(path)
    ref_px = b.ref_lengths * b.body_scale
    for fb in (True, False):
        rows = []
        for c in clips:
            d = generate_dance(c.music, b, GenerateOptions(start=c.offset, duration=c.duration, genre=c.genre,
                                                           feedback=fb, progress=False))
            kp = d.keypoints
            L = np.linalg.norm(kp[:, [q for _, q in __import__("dancegen").skeleton.BONES]] -
                               kp[:, [p for p, _ in __import__("dancegen").skeleton.BONES]], axis=-1)
            rows.append((float(np.mean(bone_deviation(kp, ref_px))), smoothness(kp, d.fps)["jerk"],
                         beat_metrics(kp, d.fps, beats_for_file(c.music).beats, offset=d.offset)["beat_alignment_error"],
                         float((L / ref_px).max() - 1)))
        m = np.mean(rows, axis=0)
        print(f"{path}: feedback {'on ' if fb else 'off'}  D_bone {m[0]:.4f}  jerk {m[1]:.0f} px/s^3  "
              f"beat error {m[2]:.3f} s  max stretch {m[3]:+.3f}")
