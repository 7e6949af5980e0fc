#!/usr/bin/env python
"""Add each genre's mean body speed (``genre_body_speed``) to a 3D model file written before the
trainer stored it (2026-12-03), computed exactly as the trainer does (``train3d.body_speeds``) from
the model's own training takes; the weights and every other field are kept bit for bit.

    .venv/bin/python scripts/stamp_genre_speeds.py MODEL.safetensors [--data ../shared/data/dance_with_melody] [-o OUT]
"""
import argparse
import sys

import numpy as np

sys.path.insert(0, ".")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--data", default="../shared/data/dance_with_melody")
    ap.add_argument("-o", "--out", default=None, help="output file (default: rewrite MODEL in place, atomically)")
    a = ap.parse_args()
    from dancegen.body3d import retarget
    from dancegen.data.motion3d_data import load_takes
    from dancegen.model.bundle3d import Model3DBundle
    from dancegen.model.format import read_model, save_model
    from dancegen.train.train3d import body_speeds

    kind, sd, meta = read_model(a.model)
    b = Model3DBundle.from_pretrained(a.model)   # checks the file
    takes = load_takes(a.data, names=list(b.train_takes), progress=False)
    speeds = body_speeds([t["genre"] for t in takes], [retarget(t["joints"], b.ref_lengths) for t in takes])
    allv = float(np.concatenate(list(speeds.values())).mean())
    if b.ref_body_speed and abs(allv - b.ref_body_speed) > 1e-4 * b.ref_body_speed:
        raise SystemExit(f"{a.model}: the takes give a body speed of {allv:.5f} m/s, the file says "
                         f"{b.ref_body_speed:.5f}: not the data it was trained on; pass its --data")
    meta = dict(meta, genre_body_speed={g: float(v.mean()) for g, v in speeds.items()})
    out = save_model(a.out or a.model, kind, sd, meta, half=True)
    kind2, sd2, _ = read_model(out)
    assert kind2 == kind and all(np.array_equal(sd[k].numpy(), sd2[k].numpy()) for k in sd), "weights changed"
    print(out, {g: round(v, 4) for g, v in meta["genre_body_speed"].items()}, f"all {allv:.4f}")


if __name__ == "__main__":
    main()
