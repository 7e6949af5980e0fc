#!/usr/bin/env python
"""Realism of a 3D model on the Dance with Melody val split (docs/realism.md).

    .venv/bin/python scripts/realism3d.py --model dancegen/models/default3d.safetensors [--seeds 0 1] \
        [--temperature 1.0] [--json out.json]

Prints, for generated val dances and for real train takes, the figures of
dancegen.evaluate.realism against the real val takes, with each target of the realism issue.
"""
import argparse
import json
import sys
import time

import numpy as np

sys.path.insert(0, ".")
from dancegen.evaluate import realism as R  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default="../shared/data/dance_with_melody")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--noise", type=float, default=1.0)
    ap.add_argument("--noise-corr", type=float, default=0.97)
    ap.add_argument("--no-feedback", action="store_true")
    ap.add_argument("--energy-floor", type=float, default=None, help="govern3d floor (default: the generator's)")
    ap.add_argument("--accent", type=float, default=None, help="beat accent (default: the generator's)")
    ap.add_argument("--split", default="val", choices=["val", "train"],
                    help="generate for this split's songs and compare with its real takes (train: for tuning, "
                         "so that val stays unseen)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--opt", action="append", default=[], metavar="NAME=VALUE",
                    help="any other Generate3DOptions field (a number), e.g. --opt unstick=0.6")
    ap.add_argument("--save-dances", default=None, help="folder for the generated val dances (npz)")
    a = ap.parse_args()
    from dancegen.model.bundle3d import Model3DBundle
    from dancegen.model.generate3d import Generate3DOptions, generate_dance3d

    b = Model3DBundle.from_pretrained(a.model)
    ref = b.ref_lengths
    val = R.real_takes(a.data, "val", ref)
    train = R.real_takes(a.data, "train", ref)
    real_val = R.set_figures([t["joints"] for t in val], 25.0)
    real_train = R.set_figures([t["joints"] for t in train], 25.0)
    gen_takes = val if a.split == "val" else train
    real_cmp = real_val if a.split == "val" else real_train
    extra = {k: v for k, v in (("energy_floor", a.energy_floor), ("accent", a.accent)) if v is not None}
    extra.update({k: float(v) for k, v in (o.split("=", 1) for o in a.opt)})
    gens, hgr, ms = [], {}, []
    t0 = time.time()
    for s in a.seeds:
        for t in gen_takes:
            o = Generate3DOptions(**extra, start=t["offset"], duration=len(t["joints"]) / 25.0, seed=s, genre=t["genre"],
                                  temperature=a.temperature, noise=a.noise, noise_corr=a.noise_corr, feedback=not a.no_feedback, progress=False)
            d = generate_dance3d(t["music"], b, o)
            gens.append(d.joints3d)
            ms.append(o.timings["ms_per_frame"])
            for k, v in d.meta["hgr3d"].items():
                hgr[k] = hgr.get(k, 0) + v
            if a.save_dances:
                from pathlib import Path
                Path(a.save_dances).mkdir(parents=True, exist_ok=True)
                d.save(Path(a.save_dances) / f"{t['name']}_seed{s}.npz")
    gen = R.set_figures(gens, 25.0)
    res = {"generated": R.compare(gen, real_cmp), "real_train": R.compare(real_train, real_val),
           "split": a.split, **extra,
           "hgr3d": hgr, "ms_per_frame": float(np.mean(ms)), "gen_seconds": time.time() - t0,
           "model": a.model, "seeds": a.seeds, "temperature": a.temperature, "noise": a.noise, "noise_corr": a.noise_corr, "feedback": not a.no_feedback}
    g, r = res["generated"], res["real_train"]
    print(f"{'figure':26s} {'generated':>10s} {'real train':>10s} {'real val':>10s}  target")
    for k, tgt in (("FID_k", f"<= {2 * r['FID_k']:.1f}"), ("FID_g", f"<= {2 * r['FID_g']:.1f}")):
        print(f"{k:26s} {g[k]:10.2f} {r[k]:10.2f} {'':>10s}  {tgt}  {'ok' if g[k] <= 2 * r[k] else 'MISS'}")
    for k in ("div_k", "div_g"):
        ok = g[k] >= 0.9 * g[k + '_real']
        print(f"{k:26s} {g[k]:10.2f} {r[k]:10.2f} {g[k + '_real']:10.2f}  >= 0.9 x real  {'ok' if ok else 'MISS'}")
    for k in ("wrist_above_shoulder", "knee_angle_std", "feet_distance", "travel_speed"):
        ratio = g[k + "_ratio"]
        print(f"{k:26s} {g[k]:10.3f} {r[k]:10.3f} {g[k + '_real']:10.3f}  ratio {ratio:.2f} in 0.8-1.25  "
              f"{'ok' if 0.8 <= ratio <= 1.25 else 'MISS'}")
    k = "foot_sliding"
    print(f"{k:26s} {g[k]:10.3f} {r[k]:10.3f} {g[k + '_real']:10.3f}  ratio {g[k + '_ratio']:.2f} <= 1.5  "
          f"{'ok' if g[k + '_ratio'] <= 1.5 else 'MISS'}")
    print("hgr3d", hgr, "ms/frame", round(res["ms_per_frame"], 3))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
