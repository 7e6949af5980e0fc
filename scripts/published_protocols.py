#!/usr/bin/env python
"""Our FID_k / FID_g / BAS next to the published AIST++/FACT/Bailando forms, on real data only.

Prints two markdown tables (docs/metrics.md, "Published protocols"):

1. FID between two sets of *real* windows (a floor: what two real sets score), on the AIST++
   fragment (first vs second halves of the 4 sequences; break vs street jazz) and on Dance with
   Melody (train takes vs val takes), in
   * our form: 2D OpenPose-18 features (``kinetic_features_2d`` 54 / ``geometric_features_2d`` 47,
     body-size normalised) of each window; AIST++: the real 2D keypoints of camera view 0; DwM: the
     3D takes filmed by the default camera (as ``dancegen.evaluate.realism``);
   * published form: SMPL-24 joints (AIST++: ``keypoints3d_optim / smpl_scaling``; DwM: body3d via
     ``from_dwm23``, cubic-resampled 25 -> 60 fps), 72 kinetic features with the acceleration bug
     off and on, 32 geometric relations.
   Every FID standardises both sets by the first set's mean/std (as Bailando/FACT and our realism
   figures do).
2. Beat-align scores of the DwM takes with their own songs and with another take's song, in our
   form (``beat_metrics`` on the filmed 2D keypoints at 25 fps) and the published forms
   (``beat_align_score_published`` on SMPL-24 at 60 fps), raw captures and retimed takes.

Usage::

    OMP_NUM_THREADS=1 python scripts/published_protocols.py [--shared ../shared] [--max-train N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dancegen.metrics import published as P  # noqa: E402
from dancegen.metrics.features import geometric_features_2d, kinetic_features_2d  # noqa: E402

KINDS = ("ours_k", "ours_g", "pub_k", "pub_k_bug", "pub_g")


def window_starts(duration: float, w: float, hop: float, t0: float = 0.0) -> list[float]:
    n = int(np.floor((duration - w) / hop + 1e-9)) + 1 if duration >= w else 0
    return [t0 + i * hop for i in range(n)]


def window_features(kp, fps, j60, starts, w) -> dict:
    """Our 2D features (native fps) and the published 3D ones (60 fps) of windows [s, s + w)."""
    out = {k: [] for k in KINDS}
    n, n60 = int(round(w * fps)), int(round(w * P.PUBLISHED_FPS))
    for s in starts:
        a, a60 = int(round(s * fps)), int(round(s * P.PUBLISHED_FPS))
        k2, j = kp[a:a + n], j60[a60:a60 + n60]
        if len(k2) < n or len(j) < n60:
            continue
        out["ours_k"].append(kinetic_features_2d(k2, fps))
        out["ours_g"].append(geometric_features_2d(k2))
        out["pub_k"].append(P.kinetic_features_published(j))
        out["pub_k_bug"].append(P.kinetic_features_published(j, compat_accel_bug=True))
        out["pub_g"].append(P.geometric_features_published(j))
    return out


def merge(parts) -> dict:
    return {k: np.asarray([f for p in parts for f in p[k]]) for k in KINDS}


def fid_row(name, a: dict, b: dict) -> str:
    cells = []
    for k in KINDS:
        z = P.zero_std_dims(a[k])
        v = P.fid_published(a[k], b[k])
        cells.append(f"{v:.1f}" + (f" ({z} const)" if z else ""))
    return f"| {name} | {len(a['ours_k'])} / {len(b['ours_k'])} | " + " | ".join(cells) + " |"


# ------------------------------------------------------------------------------------ AIST++
def aist_sets(root: Path, w: float, hop: float):
    from dancegen.data.aist import list_aist, load_aist_sequence, load_keypoints3d

    halves = ([], [])
    genre = {}
    for seq in list_aist(root):
        k3, scaling = load_keypoints3d(root, seq)
        j60 = P.smpl24_from_coco17(k3 / (scaling if scaling else 100.0))
        kp = load_aist_sequence(root, seq, view=0).keypoints
        dur = (len(j60) - 1) / P.PUBLISHED_FPS
        half = dur / 2
        halves[0].append(window_features(kp, 60.0, j60, window_starts(half, w, hop), w))
        halves[1].append(window_features(kp, 60.0, j60, window_starts(half, w, hop, half), w))
        genre.setdefault(seq[:3], []).append(window_features(kp, 60.0, j60, window_starts(dur, w, hop), w))
    return merge(halves[0]), merge(halves[1]), merge(genre["gBR"]), merge(genre["gJS"])


# ------------------------------------------------------------------------------------- DwM
def dwm_takes(root: Path, names):
    """Raw and retimed takes with the tracked beats of their danced span (song seconds)."""
    from dancegen.camera import film
    from dancegen.data.dwm import load_dwm_sequence
    from dancegen.data.motion3d_data import take_joints
    from dancegen.data.retime import cached_music_beats

    takes = []
    for n in names:
        seq = load_dwm_sequence(root / n)
        if not seq.has_audio:
            continue
        beats = cached_music_beats(seq.music, seq.start, (seq.end_position - seq.start_position) / seq.fps)
        tk = {"name": n, "genre": seq.genre, "start": float(seq.start), "beats": np.asarray(beats) + seq.start}
        for key, retime in (("raw", False), ("retimed", True)):
            t = take_joints(root / n, retime=retime)
            j = t["joints"].astype(np.float64)
            kp, _ = film(j, seq.fps)
            tk[key] = {"joints": j, "kp": kp, "offset": float(t["offset"]), "fps": float(seq.fps),
                       "j60": P.resample_fps(P.smpl24_from_body3d(j), seq.fps, P.PUBLISHED_FPS)}
        takes.append(tk)
    return takes


def dwm_features(takes, w: float, hop: float) -> dict:
    parts = []
    for tk in takes:
        r = tk["raw"]
        dur = (len(r["joints"]) - 1) / r["fps"]
        parts.append(window_features(r["kp"], r["fps"], r["j60"], window_starts(dur, w, hop), w))
    return merge(parts)


def bas_rows(takes) -> list[str]:
    from dancegen.metrics.beat import beat_metrics

    rows = []
    for key in ("raw", "retimed"):
        for pairing in ("own song", "another take's song"):
            vals = {k: [] for k in ("ours_b", "ours_f", "pub_b", "pub_f")}
            for i, tk in enumerate(takes):
                d = tk[key]
                if pairing == "own song":
                    beats = tk["beats"]
                else:                           # the next take's song, from its danced start
                    o = takes[(i + 1) % len(takes)]
                    beats = o["beats"] - o["start"] + d["offset"]
                m = beat_metrics(d["kp"], d["fps"], beats, offset=d["offset"])
                vals["ours_b"].append(m["bas_bailando"])
                vals["ours_f"].append(m["bas_fact"])
                vals["pub_b"].append(P.beat_align_score_published(d["j60"], beats, "bailando", d["offset"]))
                vals["pub_f"].append(P.beat_align_score_published(d["j60"], beats, "fact", d["offset"]))
            cells = " | ".join(f"{np.mean(v):.3f}" for v in vals.values())
            rows.append(f"| {key}, {pairing} | {len(takes)} | {cells} |")
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--aist-window", type=float, default=2.0, help="AIST++ window, s (hop = half)")
    ap.add_argument("--dwm-window", type=float, default=5.0, help="DwM window, s (hop = half)")
    ap.add_argument("--max-train", type=int, default=None, help="use only the first N train takes")
    a = ap.parse_args(argv)
    import warnings

    from scipy.linalg import LinAlgWarning

    warnings.filterwarnings("ignore", category=LinAlgWarning)   # few samples: singular covariances
    shared = Path(a.shared)
    t0 = time.time()
    from dancegen.data.dwm import DEFAULT_EXCLUDE, list_sequences

    print("## FID between real sets (standardised by the first set)\n")
    print("| sets (first / second) | windows | FID_k ours (2D) | FID_g ours (2D) | FID_k published "
          "| FID_k published, accel bug | FID_g published (32) |")
    print("|---|---|---|---|---|---|---|")
    aroot = shared / "data" / "aist_plusplus_fragment"
    h1, h2, br, js = aist_sets(aroot, a.aist_window, a.aist_window / 2)
    print(fid_row(f"AIST++ fragment: 1st halves / 2nd halves ({a.aist_window:g}-s windows)", h1, h2))
    print(fid_row(f"AIST++ fragment: break (2 seq) / street jazz (2 seq) ({a.aist_window:g}-s)", br, js))
    droot = shared / "data" / "dance_with_melody"
    ex = set(DEFAULT_EXCLUDE)
    train = [n for n in list_sequences(droot, "train") if n not in ex][: a.max_train]
    val = [n for n in list_sequences(droot, "val") if n not in ex]
    tr, va = dwm_takes(droot, train), dwm_takes(droot, val)
    ftr, fva = dwm_features(tr, a.dwm_window, a.dwm_window / 2), dwm_features(va, a.dwm_window, a.dwm_window / 2)
    print(fid_row(f"Dance with Melody: train ({len(tr)} takes) / val ({len(va)}) ({a.dwm_window:g}-s)", ftr, fva))
    print("\n(n const) = dimensions constant in the first set (std 0): the published standardisation "
          "divides them by 1e-10, so the number explodes if the second set differs there.\n")
    print("## Beat-align scores, Dance with Melody (mean over takes)\n")
    print("| takes, music | takes | BAS Bailando, ours | BAS FACT, ours | BAS Bailando, published "
          "| BAS FACT, published |")
    print("|---|---|---|---|---|---|")
    for r in bas_rows(tr + va):
        print(r)
    print(f"\n({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
