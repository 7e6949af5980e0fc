#!/usr/bin/env python
"""Music-motion sync on Dance with Melody, before and after retiming.

Prints the Bailando beat-align score (mean over music beats of exp(-d^2/(2*0.05^2)), d = distance
to the nearest motion beat; motion beats = local minima of the smoothed mean 3D joint speed) for:
raw true pairs (frame i at song time (start+i)/25), raw shuffled pairs (the same motion against
every other take's song segment), retimed true pairs (dancegen.data.retime.retime_dwm: time base +
beat warp) and retimed shuffled pairs (retimed motion against the other songs).

    .venv/bin/python scripts/sync_report.py /work/shared/data/dance_with_melody [--names ...]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("--names", nargs="*", default=None, help="DANCE_* folders (default: all)")
    ap.add_argument("--sigma", type=float, default=0.05)
    args = ap.parse_args(argv)

    from tqdm import tqdm

    from dancegen.data.dwm import list_sequences, load_dwm_sequence, prepare_sequence
    from dancegen.data.retime import cached_music_beats, retime_dwm
    from dancegen.errors import DataError
    from dancegen.metrics.beat import beat_align_score_bailando
    from dancegen.skeleton import motion_beats

    t0 = time.time()
    names = args.names or list_sequences(args.root)
    seqs, beats, raw_mb, ret_mb, durs = [], [], [], [], []
    for n in tqdm(names, desc="sequences", file=sys.stderr):
        s = load_dwm_sequence(f"{args.root}/{n}")
        world, _ = prepare_sequence(s)
        n2 = s.end_position - s.start_position
        b = cached_music_beats(s.music, s.start, n2 / s.fps)
        ret, _ = retime_dwm(world, s, beats=b)
        seqs.append(s)
        beats.append(b)
        raw_mb.append(motion_beats(world, s.fps))
        ret_mb.append(motion_beats(ret, s.fps))
        durs.append((world.shape[0] / s.fps, ret.shape[0] / s.fps))

    def score(mb, b, dur):
        try:
            return beat_align_score_bailando(mb, b[b < dur], args.sigma)
        except DataError:            # no music beat in the span
            return np.nan

    rows = []
    for i, s in enumerate(seqs):
        others = [j for j in range(len(seqs)) if j != i]
        rt = score(raw_mb[i], beats[i], durs[i][0])
        rs = np.nanmean([score(raw_mb[i], beats[j], durs[i][0]) for j in others]) if others else np.nan
        tt = score(ret_mb[i], beats[i], durs[i][1])
        ts = np.nanmean([score(ret_mb[i], beats[j], durs[i][1]) for j in others]) if others else np.nan
        rows.append((s.name, rt, rs, tt, ts))
    print(f"{'sequence':<12} {'raw true':>9} {'raw shuf':>9} {'ret true':>9} {'ret shuf':>9}")
    for r in rows:
        print(f"{r[0]:<12} {r[1]:9.3f} {r[2]:9.3f} {r[3]:9.3f} {r[4]:9.3f}")
    a = np.array([r[1:] for r in rows], dtype=np.float64)
    m = np.nanmean(a, axis=0)
    print(f"{'mean':<12} {m[0]:9.3f} {m[1]:9.3f} {m[2]:9.3f} {m[3]:9.3f}")
    print(f"({len(rows)} sequences, sigma {args.sigma} s, Bailando form over music beats; "
          f"{time.time() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
