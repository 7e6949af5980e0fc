#!/usr/bin/env python
"""Arm height per val take: the wrist's height over its shoulder (cm; the higher wrist of a frame),
generated against real, for the wrist figure of docs/realism.md.

    .venv/bin/python scripts/wrist_by_take3d.py --model dancegen/models/default3d.safetensors \
        [--seeds 0 1 2] [--opt restart_s=0 ...] [--split train --real-only]

Prints per val take the share of frames with a wrist above its shoulder (either wrist, and the
right and the left one alone: a ballroom hold raises the left hand) and the 10/25/50/75/90th
percentiles of the height, for the real take and for the generated dances of its song (all seeds).
"""
import argparse
import sys

import numpy as np

sys.path.insert(0, ".")


def wrist_over_shoulder_cm(j: np.ndarray) -> np.ndarray:
    """``(T, 2)``: the right and the left wrist's height over its shoulder, cm."""
    from dancegen import body3d as b3

    I = b3.JOINT3D_INDEX
    return np.stack([j[:, I[f"{s}Wrist"], 1] - j[:, I[f"{s}Shoulder"], 1] for s in "RL"], 1) * 100.0


def _row(h: np.ndarray) -> str:
    top = h.max(1)
    q = " ".join(f"{v:6.1f}" for v in np.percentile(top, [10, 25, 50, 75, 90]))
    return f"{np.mean(top > 0):6.2f} {np.mean(h[:, 0] > 0):5.2f} {np.mean(h[:, 1] > 0):5.2f}  {q}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default="../shared/data/dance_with_melody")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--split", default="val", choices=["val", "train"])
    ap.add_argument("--real-only", action="store_true", help="only the real takes (no generation)")
    ap.add_argument("--opt", action="append", default=[], metavar="NAME=VALUE",
                    help="a Generate3DOptions field (a number), e.g. --opt restart_s=0")
    a = ap.parse_args()
    from dancegen.evaluate import realism as R
    from dancegen.model.bundle3d import Model3DBundle
    from dancegen.model.generate3d import Generate3DOptions, generate_dance3d

    b = Model3DBundle.from_pretrained(a.model)
    extra = {k: float(v) for k, v in (o.split("=", 1) for o in a.opt)}
    print(f"{'':10s} {'real: share above (either, R, L)':34s} {'percentiles 10-90 (cm)':24s} | generated: the same")
    for t in R.real_takes(a.data, a.split, b.ref_lengths):
        real = wrist_over_shoulder_cm(t["joints"])
        if a.real_only:
            print(f"{t['name']:10s} {_row(real)}", flush=True)
            continue
        gen = np.concatenate([wrist_over_shoulder_cm(generate_dance3d(t["music"], b, Generate3DOptions(
            **extra, start=t["offset"], duration=len(t["joints"]) / 25.0, seed=s, genre=t["genre"],
            progress=False)).joints3d) for s in a.seeds])
        print(f"{t['name']:10s} {_row(real)} | {_row(gen)}", flush=True)


if __name__ == "__main__":
    main()
