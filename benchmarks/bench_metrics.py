"""Figures of the metrics library on real data (Dance with Melody in ../shared) and its speed.

Prints: genre-classifier accuracy on the held-out split and leave-one-out over every take; FID_k
and diversity of real genres (8-s windows); how much the AIST++ compat form moves under a 1-m shift;
share of frames and mean symmetry per named stance; the time to compute the metrics of a 60-s dance.

    .venv/bin/python benchmarks/bench_metrics.py [--dwm PATH] [--no-loo]

Dance with Melody: Tang, Jia & Mao, ACM MM 2018 (research use, see its README).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DWM = REPO.parent / "shared" / "data" / "dance_with_melody"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dwm", default=str(DEFAULT_DWM))
    ap.add_argument("--no-loo", action="store_true", help="skip the leave-one-out run (~30 s on 2 cores)")
    a = ap.parse_args()

    from dancegen.data.dwm import load_dwm
    from dancegen.metrics import (
        STANCES, GenreClassifier, beat_metrics, detect_stances, diversity, frechet_distance,
        genre_accuracy, kinetic_features_aist, motion_features, normalize_features, smoothness,
        symmetry_per_stance, window_features,
    )

    dances = load_dwm(a.dwm, retime=False, progress=False)
    val_names = set((Path(a.dwm) / "splits" / "val.txt").read_text().split())
    train = [d for d in dances if d.name not in val_names]
    val = [d for d in dances if d.name in val_names]
    print(f"Dance with Melody: {len(dances)} takes (retime=False, yaw 0), {len(val)} held out")

    # --- genre accuracy
    clf = GenreClassifier().fit(train)
    print(f"genre accuracy, held-out takes: {genre_accuracy(clf, val):.3f} "
          f"({', '.join(f'{d.name}->{clf.predict(d)}' for d in val)})")
    print(f"genre accuracy, training takes: {genre_accuracy(clf, train):.3f}")
    if not a.no_loo:
        hits = []
        for i, d in enumerate(dances):
            c = GenreClassifier().fit(dances[:i] + dances[i + 1:])
            hits.append(c.predict(d) == d.genre)
        print(f"genre accuracy, leave-one-out: {np.mean(hits):.3f} ({sum(hits)}/{len(hits)})")

    # --- FID_k / Div_k of real genres on 8-s windows, standardised by the first waltz half
    feats = {}
    for d in dances:
        feats.setdefault(d.genre, []).append(window_features(d.keypoints, d.fps, 8.0, 4.0, kind="kinetic"))
    w = feats["waltz"]
    sets = {"waltz A": np.concatenate(w[0::2]), "waltz B": np.concatenate(w[1::2]),
            "cha-cha": np.concatenate(feats["cha-cha"]), "rumba": np.concatenate(feats["rumba"])}
    normed = dict(zip(sets, normalize_features(*sets.values())))
    for k in ("waltz B", "cha-cha", "rumba"):
        print(f"FID_k(waltz A, {k}) = {frechet_distance(normed['waltz A'], normed[k]):.1f}")
    print("Div_k: " + ", ".join(f"{k} {diversity(v):.1f} (n={len(v)})" for k, v in normed.items()))

    # --- AIST++ compat form vs correct form under a 1-m shift of the 3D joints (metres)
    f = lambda d, bug, s: kinetic_features_aist(d.joints3d / 100.0 + s, fps=d.fps, compat_aist_bug=bug,  # noqa: E731
                                                subtract_first_root=False)
    for bug in (False, True):
        A = np.stack([f(d, bug, 0.0) for d in dances])
        B = np.stack([f(d, bug, np.array([1.0, 0.0, 0.0])) for d in dances])
        print(f"kinetic_features_aist compat_aist_bug={bug}: max relative change under a 1-m shift "
              f"{np.max(np.abs(A - B) / (np.abs(A) + 1e-12)):.3g}")

    # --- stances and symmetry per stance over every frame
    kp = np.concatenate([d.keypoints for d in dances])
    r = symmetry_per_stance(kp, dances[0].fps)
    print(f"stances over {len(kp)} frames:")
    for name in STANCES + ("all",):
        print(f"  {name:28s} share {r[name]['share']:.3f}  symmetry {r[name]['symmetry']:.3f}")

    # --- speed of the per-dance metrics on 60 s at 25 fps
    d = dances[0]
    kp60 = d.keypoints[:1500]
    music = np.arange(0.0, 60.0, 0.5)
    t0 = time.perf_counter()
    beat_metrics(kp60, d.fps, music)
    t1 = time.perf_counter()
    smoothness(kp60, d.fps)
    motion_features(kp60, d.fps, "both")
    t2 = time.perf_counter()
    detect_stances(kp60)
    symmetry_per_stance(kp60, d.fps)
    t3 = time.perf_counter()
    print(f"60-s dance: beat metrics {1e3 * (t1 - t0):.1f} ms, smoothness+features {1e3 * (t2 - t1):.1f} ms, "
          f"stances+symmetry {1e3 * (t3 - t2):.1f} ms")


if __name__ == "__main__":
    main()
