"""``dancegen check`` and ``dancegen repair``: the HGR structure checks and repair on a dance file.

Exit codes: 0 done (``check`` also when faults were found, unless ``--strict``: then 1 when any
frame is faulty); 2 a user error (missing / corrupt file, existing output without ``--force``).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np


def _ranges(frames) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    frames = list(frames)
    if not frames:
        return "none"
    out, start, prev = [], frames[0], frames[0]
    for f in frames[1:] + [None]:
        if f is not None and f == prev + 1:
            prev = f
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if f is not None:
            start = prev = f
    return ", ".join(out)


def _load(path):
    from ..dance import Dance

    return Dance.load(path)


def cmd_check(args) -> int:
    from .structure import FAULT_KINDS, analyze

    dance = _load(args.dance)
    rep = analyze(dance.keypoints, dance.fps)
    faulty = rep.faulty_frames
    if args.json:
        from ..fileio import json_text

        sys.stdout.write(json_text(rep.to_dict(per_frame=not args.no_per_frame)) + "\n")  # NaN -> null
    else:
        tot = rep.totals()
        print(f"{args.dance}: {tot['frames']} frames at {dance.fps:g} fps, torso {rep.scale:.1f} (keypoint units)")
        print(f"  symmetry S_sym         mean {tot['symmetry_mean']:.4f}  min {rep.symmetry.min():.4f}")
        print(f"  bone deviation D_bone  mean {tot['bone_deviation_mean']:.4f}  max stretch {tot['max_stretch']:.4f}"
              f" (fault above {rep.limits.stretch_tol:g})")
        print(f"  joint speed            max {tot['max_speed']:.2f} torso/s (limit {rep.limits.max_speed:g}),"
              f" acceleration max {tot['max_accel']:.1f} torso/s^2 (limit {rep.limits.max_accel:g})")
        for k in (*FAULT_KINDS, "any"):
            fr = faulty[k]
            print(f"  faulty frames, {k:<12s} {len(fr):5d} ({100.0 * len(fr) / max(1, tot['frames']):.1f}%): {_ranges(fr)}")
        if dance.joints3d is not None and dance.bones3d is not None:
            from .online3d import check3d

            m3 = check3d(dance.joints3d, dance.fps)
            print("  3D rules (metres; joints3d):")
            for k, v in m3.items():
                fr = np.flatnonzero(v)
                print(f"  faulty frames, 3D {k:<11s} {len(fr):5d} ({100.0 * len(fr) / max(1, len(v)):.1f}%): {_ranges(fr)}")
        if args.per_frame:
            print("frame  symmetry  bone_dev  max_stretch  max_speed  max_accel  faults")
            kinds = {k: set(faulty[k]) for k in FAULT_KINDS}
            for t in range(rep.n_frames):
                tags = ",".join(k for k in FAULT_KINDS if t in kinds[k])
                print(f"{t:5d}  {rep.symmetry[t]:8.4f}  {rep.bone_deviation[t]:8.4f}  {rep.bone_stretch[t].max():11.4f}"
                      f"  {rep.speed[t].max():9.3f}  {rep.accel[t].max():9.1f}  {tags}")
    return 1 if (args.strict and faulty["any"]) else 0


def cmd_repair(args) -> int:
    from pathlib import Path

    from ..dance import Dance
    from ..errors import DataError
    from ..fileio import OutputSet, json_text
    from .repair import repair

    out = Path(args.output)
    if out.suffix.lower() != ".npz":
        raise DataError(f"{out}: the repaired dance must be a .npz file")
    outputs = OutputSet.single(out, force=args.force).check()  # before the dance is read and repaired
    dance = _load(args.dance)
    with outputs:
        fixed, info = repair(dance.keypoints, dance.fps)
        new = Dance(keypoints=fixed, fps=dance.fps, canvas=dance.canvas, music=dance.music, offset=dance.offset,
                    genre=dance.genre, confidence=dance.confidence, joints3d=dance.joints3d, name=dance.name,
                    meta=dict(dance.meta, repaired_frames=info["frames"]), joint3d_names=dance.joint3d_names)
        new.save(outputs.path(), overwrite=True)
        outputs.commit()
    summary = {"input": str(args.dance), "output": str(out), "frames_repaired": info["frames"],
               "n_joint_frames": info["n_joint_frames"], "n_bones_shortened": info["n_bones_shortened"],
               "unrepaired_joints": info["unrepaired_joints"], "before": info["before"], "after": info["after"]}
    if args.json:
        sys.stdout.write(json_text(summary) + "\n")
    else:
        b, a = info["before"], info["after"]
        print(f"{args.dance} -> {out}: re-estimated {info['n_joint_frames']} joint-frames in "
              f"{len(info['frames'])} frames, shortened {info['n_bones_shortened']} bones")
        print(f"  faulty frames before {b['n_any']} (asymmetry {b['n_asymmetry']}, bone_stretch {b['n_bone_stretch']},"
              f" jump {b['n_jump']}), after {a['n_any']} (asymmetry {a['n_asymmetry']}, bone_stretch"
              f" {a['n_bone_stretch']}, jump {a['n_jump']})")
    return 0


def register(subparsers) -> None:
    from ..cliargs import out_option

    p = subparsers.add_parser(
        "check", help="check a dance's structure: symmetry, bone lengths, joint jumps",
        description="Score a dance .npz (S_sym, D_bone, joint speed/acceleration) per frame and in total, "
                    "and list the faulty frames of each kind (asymmetry, bone_stretch, jump). See docs/hgr.md.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("dance", help="dance file (.npz written by dancegen)")
    p.add_argument("--json", action="store_true",
                   help="print JSON with keys symmetry, bone_deviation, jumps, faulty_frames")
    p.add_argument("--no-per-frame", action="store_true", help="leave the per-frame arrays out of the JSON")
    p.add_argument("--per-frame", action="store_true", help="print a per-frame table (text mode)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when any frame is faulty")
    p.set_defaults(func=cmd_check)

    r = subparsers.add_parser(
        "repair", help="repair a dance's structural faults by smooth skeleton interpolation",
        description="Re-estimate the faulty joints of a dance .npz from their good neighbours (cubic spline "
                    "in time), shorten stretched bones to their reference length, and write a new .npz.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    r.add_argument("dance", help="dance file (.npz written by dancegen)")
    out_option(r, "repaired dance file to write (.npz)")
    r.add_argument("--force", action="store_true", help="replace the output file if it exists")
    r.add_argument("--json", action="store_true", help="print a JSON summary")
    r.set_defaults(func=cmd_repair)
