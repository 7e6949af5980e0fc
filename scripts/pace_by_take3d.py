#!/usr/bin/env python
"""Each genre's pace, real against generated (docs/generation3d.md, "The full recipe with
`mirror_style`"). Prints:

* the real takes' 10-s window speeds (mean joint speed / the real dances' mean, as
  scripts/long_song3d.py measures a whole song) per genre: the range a generated song is held to;
* with ``--dances DIR`` (the folder of ``scripts/realism3d.py --save-dances DIR``): per val take,
  the body speed (joints relative to the root, m/s; mean and spread over frames) and the mean norm
  of the 2D kinetic features of its 5-s windows (dancegen.evaluate.realism), real against generated.

    .venv/bin/python scripts/pace_by_take3d.py [--dances runs/sd] [--data ../shared/data/dance_with_melody]
"""
import argparse
import glob
import sys

import numpy as np

sys.path.insert(0, ".")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/dance_with_melody")
    ap.add_argument("--dances", default=None, help="folder of generated val dances (TAKE_seedN.npz)")
    ap.add_argument("--model", default="dancegen/models/default3d.safetensors", help="for its reference skeleton")
    a = ap.parse_args()
    from dancegen.evaluate import longform as L
    from dancegen.evaluate import realism as R
    from dancegen.model.bundle3d import Model3DBundle
    from dancegen.skeleton import joint_speed

    ref = Model3DBundle.from_pretrained(a.model).ref_lengths
    val = R.real_takes(a.data, "val", ref)
    real = val + R.real_takes(a.data, "train", ref)
    mean_speed = float(np.mean(np.concatenate([joint_speed(t["joints"], 25.0, difference="steps") for t in real])))
    by = {}
    for t in real:
        by.setdefault(t["genre"], []).append(L.window_speed(t["joints"], 25.0) / mean_speed)
    print(f"real 10-s window speed / the real mean ({mean_speed:.3f} m/s), train + val takes")
    for g, v in sorted(by.items()):
        w = np.concatenate(v)
        print(f"  {g:8s} {len(v):2d} takes {len(w):3d} windows: {w.min():.2f}-{w.max():.2f} "
              f"(5th-95th percentile {np.percentile(w, 5):.2f}-{np.percentile(w, 95):.2f})")
    if not a.dances:
        return

    def stats(js):
        sp = np.concatenate([joint_speed(j - j[:, :1], 25.0, difference="steps") for j in js])
        k = R.set_figures(js, 25.0)["kinetic"]
        return f"body speed {sp.mean():.3f} (sd {sp.std():.3f}) m/s, kinetic norm {np.linalg.norm(k, axis=1).mean():5.2f}"

    print(f"per val take, real against generated ({a.dances})")
    for t in val:
        js = [np.load(f)["joints3d"] for f in sorted(glob.glob(f"{a.dances}/{t['name']}_seed*.npz"))]
        print(f"  {t['name']:10s} real      {stats([t['joints']])}")
        if js:
            print(f"  {'':10s} generated {stats(js)} ({len(js)} dances)")


if __name__ == "__main__":
    main()
