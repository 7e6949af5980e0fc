#!/usr/bin/env python
"""Contact sheets of generated and real 3D dances side by side, filmed by the default camera.

    .venv/bin/python scripts/contact_sheets3d.py --model MODEL.safetensors -o docs/img/sheets \
        [--takes DANCE_W_8 DANCE_C_8] [--seconds 8] [--start 10]

For each val take: one row of the real take (retimed, on the reference skeleton) and one row of the
model's dance for the same song span, ``--n`` frames evenly over ``--seconds`` seconds. The row order
is shuffled per take (seeded) and the key written to KEY.txt, so a viewer can test themselves.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, ".")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default="../shared/data/dance_with_melody")
    ap.add_argument("--takes", nargs="+", default=None)
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--start", type=float, default=10.0)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--temperature", type=float, default=1.0)
    a = ap.parse_args()
    import cv2

    from dancegen.camera import CameraConfig, film
    from dancegen.dance import Dance
    from dancegen.evaluate.realism import real_takes
    from dancegen.model.bundle3d import Model3DBundle
    from dancegen.model.generate3d import Generate3DOptions, generate_dance3d
    from dancegen.render.video import render_frames

    b = Model3DBundle.from_pretrained(a.model)
    takes = real_takes(a.data, "val", b.ref_lengths)
    if a.takes:
        takes = [t for t in takes if t["name"] in a.takes]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    key = []
    for t in takes:
        s0 = int(a.start * 25)
        n = int(a.seconds * 25)
        real = t["joints"][s0:s0 + n]
        o = Generate3DOptions(start=t["offset"] + a.start, duration=a.seconds, seed=a.seed, genre=t["genre"],
                              temperature=a.temperature, progress=False)
        gen = generate_dance3d(t["music"], b, o).joints3d[:n]
        rows = []
        order = rng.permutation(2)
        for which in order:
            j = (real, gen)[which]
            kp, _ = film(j, 25.0, CameraConfig())
            d = Dance(keypoints=kp, fps=25.0)
            idx = np.round(np.linspace(0, len(kp) - 1, a.n)).astype(int)
            tiles = [f.copy() for f in render_frames(d, (400, 226), indices=idx)]
            row = np.concatenate(tiles, axis=1)
            cv2.putText(row, "AB"[len(rows)], (8, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
            rows.append(row)
        sheet = np.concatenate(rows, axis=0)
        sheet[:, ::400] = 200
        p = out / f"{t['name']}.png"
        cv2.imwrite(str(p), np.ascontiguousarray(sheet[..., ::-1]))
        key.append(f"{t['name']}: A = {('real', 'generated')[order[0]]}, B = {('real', 'generated')[order[1]]}")
        print(p)
    (out / "KEY.txt").write_text("\n".join(key) + "\n")


if __name__ == "__main__":
    main()
