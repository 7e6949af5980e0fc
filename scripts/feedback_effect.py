"""The HGR online loop's effect on generated dances: each model on the val takes with the feedback
on and off. Prints, per setting, the mean over takes of: bone deviation D_bone (vs the model's
reference lengths, pixels), jerk (px/s^3), share of frames above the human acceleration limit,
symmetry S_sym, frames `dancegen check` flags (per 1000 frames, by kind), beat alignment error and
Bailando beat-align score, and the corrections the loop made.

``--glitch RATE`` stress-tests the loop with a generator that breaks the rules: on that share of
decoder steps one of the paper's three faults is put into the raw decoder output *before* the check
(dancegen.model.generate.glitch_pose; the same faults, at the same steps, with the feedback on
and off). Without the loop the faulty pose is drawn and fed back to the decoder; with it, the pose is
corrected first.

    .venv/bin/python scripts/feedback_effect.py [--glitch 0.02] [--json OUT] [MODEL.safetensors ...]
"""
import argparse
import json
import sys

import numpy as np

from dancegen.audio.beats import beats_for_file
from dancegen.data.dwm import load_dwm
from dancegen.feedback.structure import FAULT_KINDS, analyze, bone_deviation
from dancegen.metrics import beat_metrics, smoothness
from dancegen.model.bundle import ModelBundle
from dancegen.model.generate import GenerateOptions, generate_dance

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("models", nargs="*", default=[None], help="model files (default: the bundled model)")
ap.add_argument("--glitch", type=float, default=0.0, help="share of decoder steps given a fault (0: none)")
ap.add_argument("--data", default="../shared/data/dance_with_melody")
ap.add_argument("--split", default="val")
ap.add_argument("--json", help="write the rows as JSON here")
args = ap.parse_args()

clips = load_dwm(args.data, split=args.split, progress=False)
beats = {c.music: np.asarray(beats_for_file(c.music).beats) for c in clips}
out = []
for path in args.models:
    b = ModelBundle.load(path)
    ref_px = b.ref_lengths * b.body_scale
    for fb in (True, False):
        rows, glitches, corr = [], {}, {}
        for c in clips:
            opts = GenerateOptions(start=c.offset, duration=c.duration, genre=c.genre, feedback=fb,
                                   glitch_rate=args.glitch, progress=False)
            d = generate_dance(c.music, b, opts)
            kp = d.keypoints
            for k, v in opts.timings.get("glitches", {}).items():
                glitches[k] = glitches.get(k, 0) + v
            for k, v in (opts.timings.get("feedback") or {}).items():
                if isinstance(v, (int, float)):
                    corr[k] = corr.get(k, 0) + v
            rep = analyze(kp, d.fps, ref=ref_px)
            bm = beat_metrics(kp, d.fps, beats[c.music], offset=d.offset)
            over = (rep.accel > rep.limits.max_accel).any(axis=1)
            rows.append({"d_bone": float(np.mean(bone_deviation(kp, ref_px))),
                         "jerk": smoothness(kp, d.fps)["jerk"],
                         "frames_over_accel_limit": float(over.mean()),
                         "symmetry": float(rep.symmetry.mean()),
                         **{f"flagged_{k}_per_1000": 1000 * len(rep.frames(k)) / len(kp) for k in (*FAULT_KINDS, "any")},
                         "beat_error_s": bm["beat_alignment_error"], "bas_bailando": bm["bas_bailando"],
                         "max_stretch": float(rep.bone_stretch.max())})
        m = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        row = {"model": path or "bundled default", "feedback": fb, "glitch_rate": args.glitch,
               "glitches": glitches, "corrections": corr, **m}
        out.append(row)
        print(f"{row['model']}: feedback {'on ' if fb else 'off'} glitch {args.glitch:g} "
              f"D_bone {m['d_bone']:.4f}  jerk {m['jerk']:.0f} px/s^3  over-accel {100 * m['frames_over_accel_limit']:.2f}%  "
              f"S_sym {m['symmetry']:.3f}  flagged/1000 {m['flagged_any_per_1000']:.1f} "
              f"(asym {m['flagged_asymmetry_per_1000']:.1f}, bone {m['flagged_bone_stretch_per_1000']:.1f}, "
              f"jump {m['flagged_jump_per_1000']:.1f})  beat error {m['beat_error_s']:.3f} s  BAS {m['bas_bailando']:.3f}  "
              f"max stretch {m['max_stretch']:+.3f}  glitches {glitches}  corrections {corr}", flush=True)
if args.json:
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", args.json, file=sys.stderr)
