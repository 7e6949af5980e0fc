#!/usr/bin/env python
"""Evaluate the HGR structural feedback on real dances with injected faults.

For each clean Dance with Melody take (``dancegen.data.dwm.load_dwm``, projected to 2D pixels, no
retiming), inject isolated single-frame faults of the paper's three kinds
(:mod:`dancegen.feedback.inject`), run the checker and the repair, and print a table:
detection rate per fault kind, false positive rate on the frames nothing was injected into,
D_bone of the clean / faulty / repaired sequences, joint position error on the repaired frames,
motion beats kept, and the same errors for the causal online corrector.

    .venv/bin/python scripts/eval_feedback.py                      # all 36 takes, the docs table
    .venv/bin/python scripts/eval_feedback.py --names DANCE_W_1 DANCE_C_2 --n-per-kind 20
    .venv/bin/python scripts/eval_feedback.py --measure             # the clean statistics behind Limits
    .venv/bin/python scripts/eval_feedback.py --interp              # why a cubic spline for repair
    .venv/bin/python scripts/eval_feedback.py --magnitudes 0.02 0.05 0.10 0.15 0.40   # detection vs size
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "data" / "dance_with_melody"


def load(args):
    from dancegen.data.dwm import load_dwm

    names = args.names
    clips = load_dwm(args.root, split=args.split, names=names, yaw=args.yaw, retime=False, progress=True)
    if args.n_seq:
        clips = clips[: args.n_seq]
    return clips


def measure(clips) -> None:
    """Clean statistics behind the default Limits."""
    from dancegen.feedback.structure import DEFAULT_LIMITS, analyze, bone_ratio, stance_symmetry
    from dancegen.skeleton import body_scale

    rows, ratios, d_prev, d_past = [], [], [], []
    for c in clips:
        r = analyze(c.keypoints, c.fps)
        ratios.append(bone_ratio(c.keypoints, r.ref))
        s = stance_symmetry(c.keypoints, body_scale(ref=r.ref))
        d_prev.append(s[:-1] - s[1:])
        d_past.append(np.array([np.median(s[t - 8:t]) - s[t] for t in range(8, len(s))]))
        rows.append((c.name, r.speed.max(), r.accel.max(), np.percentile(r.symmetry_drop, 99), np.median(s),
                     np.percentile(s[:-1] - s[1:], 99.9), len(r.frames("any")) / r.n_frames))
    R = np.concatenate(ratios)
    print("| take | max speed (torso/s) | max accel (torso/s^2) | sym drop p99 | median S_sym | frame-to-frame S drop p99.9 | flagged |")
    print("|---|---|---|---|---|---|---|")
    for n, v, a, d, m, d1, fl in rows:
        print(f"| {n} | {v:.2f} | {a:.1f} | {d:.3f} | {m:.2f} | {d1:.3f} | {100 * fl:.1f}% |")
    arr = np.array([r[1:] for r in rows], dtype=float)
    print(f"\nall takes: max speed {arr[:, 0].max():.2f} torso/s, max accel {arr[:, 1].max():.1f} torso/s^2 "
          f"(limits {DEFAULT_LIMITS.max_speed:g}, {DEFAULT_LIMITS.max_accel:g}); "
          f"median S_sym {arr[:, 3].min():.2f}-{arr[:, 3].max():.2f}; flagged frames pooled "
          f"{np.average(arr[:, 5], weights=[len(c.keypoints) for c in clips]) * 100:.2f}%")
    dp, dm = np.concatenate(d_prev), np.concatenate(d_past)
    print(f"online asymmetry baseline: S_sym falls by more than {DEFAULT_LIMITS.sym_drop:g} from the previous frame "
          f"in {100 * (dp > DEFAULT_LIMITS.sym_drop).mean():.2f}% of frames, below the median of the past 8 frames "
          f"in {100 * (dm > DEFAULT_LIMITS.sym_drop).mean():.2f}%")
    for t in (0.08, 0.10, 0.12, 0.15, 0.20):
        print(f"frames with a bone stretched more than {100 * t:.0f}% over the p95 reference: "
              f"{100 * (R.max(axis=1) > 1 + t).mean():.2f}%")


def compare_interpolators(clips, seed: int = 0) -> None:
    """Remove 40 random single frames from every third take and re-estimate them (all joints) with
    each interpolator through the remaining frames; print the error in pixels."""
    from scipy.interpolate import Akima1DInterpolator, CubicSpline, PchipInterpolator

    from dancegen.skeleton import fill_gaps

    rng = np.random.default_rng(seed)
    kinds = {
        "cubic spline (used)": lambda g, y: CubicSpline(g, y, axis=0),
        "akima": lambda g, y: Akima1DInterpolator(g, y, axis=0),
        "makima": lambda g, y: Akima1DInterpolator(g, y, axis=0, method="makima"),
        "pchip": lambda g, y: PchipInterpolator(g, y, axis=0),
        "linear": None,
    }
    err = {k: [] for k in kinds}
    sub = clips[::3]
    for c in sub:
        kp = c.keypoints.astype(np.float64)
        T = len(kp)
        fr = rng.choice(np.arange(10, T - 10), 40, replace=False)
        good = np.setdiff1d(np.arange(T), fr)
        for k, make in kinds.items():
            if make is None:                     # the core's linear gap filler
                bad = np.zeros(T, bool)
                bad[fr] = True
                est = fill_gaps(kp, bad)[0][fr]
            else:
                est = make(good, kp[good])(fr)
            err[k].append(np.linalg.norm(est - kp[fr], axis=-1).ravel())
    print(f"re-estimating 40 removed frames in each of {len(sub)} takes (all joints):")
    print("| interpolator | mean (px) | p95 (px) | max (px) |\n|---|---|---|---|")
    for k, v in err.items():
        v = np.concatenate(v)
        print(f"| {k} | {v.mean():.2f} | {np.percentile(v, 95):.2f} | {v.max():.1f} |")


def evaluate(clips, args, magnitude) -> dict:
    from tqdm import tqdm

    from dancegen.feedback.inject import evaluate_injection
    from dancegen.feedback.structure import FAULT_KINDS

    res = []
    for i, c in enumerate(tqdm(clips, desc=f"inject {magnitude[0]:g}-{magnitude[1]:g}", unit="seq", file=sys.stderr)):
        r = evaluate_injection(c.keypoints, c.fps, rng=args.seed + i, n_per_kind=args.n_per_kind, magnitude=magnitude)
        r["name"] = c.name
        res.append(r)
    n_clean = np.array([r["n_frames"] - sum(r["n_injected"].values()) for r in res], float)
    n_mov = np.array([r["n_moved"] for r in res], float)
    tot = {
        "sequences": len(res),
        "detection": {k: float(np.average([r["detection"][k] for r in res], weights=[r["n_injected"][k] for r in res]))
                      for k in FAULT_KINDS},
        "detection_own": {k: float(np.average([r["detection_own"][k] for r in res], weights=[r["n_injected"][k] for r in res]))
                          for k in FAULT_KINDS},
        "n_injected": {k: int(sum(r["n_injected"][k] for r in res)) for k in FAULT_KINDS},
        "false_positive_rate": float(np.average([r["false_positive_rate"] for r in res], weights=n_clean)),
        "false_positive_rate_max": float(max(r["false_positive_rate"] for r in res)),
        "clean_flag_rate": float(np.average([r["clean_flag_rate"] for r in res], weights=[r["n_frames"] for r in res])),
        "dbone_clean": float(np.mean([r["dbone_clean"] for r in res])),
        "dbone_faulty": float(np.mean([r["dbone_faulty"] for r in res])),
        "dbone_repaired": float(np.mean([r["dbone_repaired"] for r in res])),
        "dbone_abs_diff_max": float(max(abs(r["dbone_repaired"] - r["dbone_clean"]) for r in res)),
        "dbone_rel_diff_max": float(max(abs(r["dbone_repaired"] / r["dbone_clean"] - 1) for r in res)),
        "jpe_fault_px": float(np.average([r["jpe_fault_px"] for r in res], weights=n_mov)),
        "jpe_fault_max_px": float(max(r["jpe_fault_max_px"] for r in res)),
        "jpe_fault_seq_max_px": float(max(r["jpe_fault_px"] for r in res)),
        "jpe_faulty_px": float(np.average([r["jpe_faulty_px"] for r in res], weights=n_mov)),
        "jpe_fault_all_px": float(np.mean([r["jpe_fault_all_px"] for r in res])),
        "jpe_other_px": float(np.mean([r["jpe_other_px"] for r in res])),
        "jpe_online_px": float(np.average([r["jpe_online_px"] for r in res], weights=n_mov)),
        "jpe_online_other_px": float(np.mean([r["jpe_online_other_px"] for r in res])),
        "beats_kept": float(np.average([r["beats_kept"] for r in res], weights=[r["n_beats"] for r in res])),
        "beats_kept_faulty": float(np.average([r["beats_kept_faulty"] for r in res], weights=[r["n_beats"] for r in res])),
        "beats_kept_min": float(min(r["beats_kept"] for r in res)),
    }
    return {"magnitude": list(magnitude), "total": tot, "sequences": res}


def print_table(ev) -> None:
    t = ev["total"]
    lo, hi = ev["magnitude"]
    print(f"\nInjected faults, magnitude {100 * lo:.0f}-{100 * hi:.0f}%, {t['sequences']} sequences, "
          f"{sum(t['n_injected'].values())} faults ({', '.join(f'{k} {v}' for k, v in t['n_injected'].items())})\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    for k in t["detection"]:
        print(f"| detection rate, {k} (any check / its own check) | {100 * t['detection'][k]:.1f}% / "
              f"{100 * t['detection_own'][k]:.1f}% | >= 95% |")
    print(f"| false positive rate on un-injected frames (pooled / worst sequence) | {100 * t['false_positive_rate']:.2f}% / "
          f"{100 * t['false_positive_rate_max']:.2f}% | <= 5% |")
    print(f"| frames flagged in the untouched clean sequences | {100 * t['clean_flag_rate']:.2f}% | |")
    print(f"| D_bone clean / faulty / repaired (mean of sequences) | {t['dbone_clean']:.4f} / {t['dbone_faulty']:.4f} / "
          f"{t['dbone_repaired']:.4f} | repaired within 1% of clean |")
    print(f"| D_bone repaired vs clean, worst sequence: absolute / relative | {t['dbone_abs_diff_max']:.4f} / "
          f"{100 * t['dbone_rel_diff_max']:.2f}% | <= 0.01 |")
    print(f"| joint position error, moved joints of injected frames: faulty -> repaired (mean) | {t['jpe_faulty_px']:.1f} px -> "
          f"{t['jpe_fault_px']:.2f} px | < 5 px |")
    print(f"| same, worst sequence mean / worst single joint | {t['jpe_fault_seq_max_px']:.2f} px / {t['jpe_fault_max_px']:.1f} px | |")
    print(f"| joint position error, all joints of injected frames / all other frames | {t['jpe_fault_all_px']:.2f} px / "
          f"{t['jpe_other_px']:.3f} px | |")
    print(f"| motion beats of the clean sequence kept within 1 frame: repaired (worst sequence) / faulty | "
          f"{100 * t['beats_kept']:.1f}% ({100 * t['beats_kept_min']:.1f}%) / {100 * t['beats_kept_faulty']:.1f}% | |")
    print(f"| online corrector (causal), moved joints / other frames | {t['jpe_online_px']:.1f} px / "
          f"{t['jpe_online_other_px']:.2f} px | |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="Dance with Melody folder")
    ap.add_argument("--names", nargs="*", default=None, help="take names (default: all but DANCE_T_5)")
    ap.add_argument("--split", default=None, choices=[None, "train", "val"])
    ap.add_argument("--n-seq", type=int, default=0, help="use only the first N takes (0: all)")
    ap.add_argument("--n-per-kind", type=int, default=10, help="faults of each kind per take")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--yaw", type=float, default=0.0, help="camera yaw, degrees")
    ap.add_argument("--magnitude", type=float, nargs=2, default=(0.15, 0.40), metavar=("LOW", "HIGH"))
    ap.add_argument("--magnitudes", type=float, nargs="+", default=None,
                    help="detection vs magnitude: evaluate each value as a fixed magnitude")
    ap.add_argument("--measure", action="store_true", help="print the clean statistics behind the limits")
    ap.add_argument("--interp", action="store_true", help="compare interpolators on removed clean frames")
    ap.add_argument("--json", type=Path, default=None, help="write all numbers to this JSON file")
    args = ap.parse_args(argv)

    if not args.root.exists():
        print(f"eval_feedback: {args.root} not found; pass --root", file=sys.stderr)
        return 2
    t0 = time.time()
    clips = load(args)
    print(f"{len(clips)} takes, yaw {args.yaw:g}, seed {args.seed}")
    if args.measure:
        measure(clips)
        return 0
    if args.interp:
        compare_interpolators(clips, args.seed)
        return 0
    if args.magnitudes:
        print("| magnitude | asymmetry | bone_stretch | jump | false positives | JPE repaired (px) |")
        print("|---|---|---|---|---|---|")
        out = []
        for m in args.magnitudes:
            ev = evaluate(clips, args, (m, m))
            t = ev["total"]
            d = t["detection"]
            print(f"| {100 * m:.0f}% | {100 * d['asymmetry']:.1f}% | {100 * d['bone_stretch']:.1f}% | {100 * d['jump']:.1f}% | "
                  f"{100 * t['false_positive_rate']:.2f}% | {t['jpe_fault_px']:.2f} |", flush=True)
            out.append(ev["total"] | {"magnitude": m})
        if args.json:
            args.json.write_text(json.dumps(out, indent=1))
    else:
        ev = evaluate(clips, args, tuple(args.magnitude))
        print_table(ev)
        if args.json:
            args.json.write_text(json.dumps(ev, indent=1, default=float))
    print(f"\n({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
