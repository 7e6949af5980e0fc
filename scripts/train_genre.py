"""Rebuild the genre classifier shipped in dancegen/models/genre.json.

Trains on the danced excerpts (config.json start..end at 25 fps) of the Dance with Melody TRAIN
takes (all folders not in splits/val.txt) and writes the model's numbers as JSON.

    .venv/bin/python scripts/train_genre.py [--dwm ../shared/data/dance_with_melody] [--out PATH]

Takes about 10-20 s on 2 cores (decoding the 33 excerpts dominates).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv=None) -> int:
    from dancegen.audio import genre as G

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dwm", default=str(REPO.parent / "shared" / "data" / "dance_with_melody"))
    ap.add_argument("--out", default=str(G.MODEL_PATH))
    ap.add_argument("--l2", type=float, default=G.L2)
    a = ap.parse_args(argv)
    if not (Path(a.dwm) / "splits").exists():
        print(f"{a.dwm}: Dance with Melody not found (give --dwm)", file=sys.stderr)
        return 2
    t = time.perf_counter()
    takes = [tk for tk in G.dwm_genre_takes(a.dwm) if tk["split"] == "train"]
    X = [G.take_descriptors(tk) for tk in takes]
    m = G.fit_genre_model(X, [tk["genre"] for tk in takes], l2=a.l2, info={
        "trained_on": "Dance with Melody (Tang, Jia and Mao, ACM MM 2018) train takes' songs, "
                      "danced excerpts",
        "train_takes": [tk["name"] for tk in takes], "l2": a.l2})
    m.save(a.out)
    print(f"{a.out}: {len(takes)} songs ({m.info['songs_per_class']}), "
          f"{sum(len(x) for x in X)} windows, {len(m.names)} descriptors, "
          f"{time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
