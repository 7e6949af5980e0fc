#!/usr/bin/env python
"""Whole songs with a 3D model against the real dances (dancegen.evaluate.longform).

    .venv/bin/python scripts/long_song3d.py --model M.safetensors --music SONG [SONG ...] [--json OUT]

Prints per song: every 10-s window's mean joint speed / the real dances' mean (range), the share
of 2-s windows that nearly repeat an earlier one (and the real val takes' share), the correlation
of motion energy with loudness (and the real takes'), the root height per minute.
"""
import argparse
import json
import sys

import numpy as np

sys.path.insert(0, ".")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--music", nargs="+", required=True)
    ap.add_argument("--data", default="../shared/data/dance_with_melody")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--json", default=None)
    ap.add_argument("--opt", action="append", default=[], metavar="NAME=VALUE",
                    help="any other Generate3DOptions field (a number), e.g. --opt unstick=0.6")
    a = ap.parse_args()
    from dancegen.evaluate import longform as L
    from dancegen.skeleton import joint_speed
    from dancegen.evaluate.realism import real_takes
    from dancegen.model.generate3d import Generate3DOptions, generate_dance3d, load_generator

    b = load_generator(a.model)
    real = real_takes(a.data, "val", b.ref_lengths) + real_takes(a.data, "train", b.ref_lengths)
    real_speed = float(np.mean(np.concatenate([joint_speed(t["joints"], 25.0, difference="steps") for t in real])))
    val = real[:4]
    real_rep = float(np.mean([L.repetition(t["joints"], 25.0) for t in val]))
    real_corr = float(np.nanmean([L.loudness_corr(t["joints"], 25.0, t["music"], t["offset"]) for t in val]))
    print(f"real dances: mean joint speed {real_speed:.3f} m/s, repetition {real_rep:.3f} (val takes), "
          f"loudness corr {real_corr:.3f} (val takes)")
    out = {"real": {"speed": real_speed, "repetition": real_rep, "loudness_corr": real_corr}, "songs": {}}
    for m, seed in ((m, s) for m in a.music for s in a.seeds):
        o = Generate3DOptions(seed=seed, progress=False, **{k: float(v) for k, v in (x.split("=", 1) for x in a.opt)})
        d = generate_dance3d(m, b, o)
        ws = L.window_speed(d.joints3d, d.fps) / real_speed
        rep = L.repetition(d.joints3d, d.fps)
        corr = L.loudness_corr(d.joints3d, d.fps, m, 0.0)
        rh = L.root_height_per_minute(d.joints3d, d.fps)
        ok = 0.6 <= ws.min() and ws.max() <= 1.5
        print(f"{m} seed {seed}: {d.duration:.0f} s, 10-s window speed / real {ws.min():.2f}-{ws.max():.2f} "
              f"({'ok' if ok else 'MISS'} 0.6-1.5), repetition {rep:.3f}, loudness corr {corr:.3f}, "
              f"root height per minute {np.round(rh, 3).tolist()}, hgr3d {d.meta['hgr3d']}")
        out["songs"][f"{m} seed {seed}"] = {"seed": seed, "duration": d.duration, "window_speed_ratio": ws.tolist(), "repetition": rep,
                           "loudness_corr": corr, "root_height_per_minute": rh, "hgr3d": d.meta["hgr3d"],
                           "genre": d.genre}
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
