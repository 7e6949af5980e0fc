"""``dancegen data info DIR``: what a dance data folder holds and what is wrong with it."""
from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    from ..cliargs import fps

    p = subparsers.add_parser("data", help="inspect dance data folders (Dance with Melody, AIST++, OpenPose JSON)")
    sub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    info = sub.add_parser("info", help="sequences, minutes, fps, genres and defects of a data folder",
                          description="Print the sequences, minutes, fps and genres of a Dance-with-Melody "
                                      "folder, an AIST++ folder or a folder of OpenPose JSON files, and the "
                                      "defects found (NaN, missing audio, frozen frames, jumps, shared openings).")
    info.add_argument("dir", help="data folder")
    info.add_argument("--fps", type=fps, default=25.0,
                      help="frame rate of an OpenPose JSON folder, 0.5 to 240 (default 25)")
    info.add_argument("--verbose", "-v", action="store_true", help="one line per sequence")
    info.set_defaults(func=cmd_info)

    def _no_sub(args):
        p.print_help()
        return 2

    p.set_defaults(func=_no_sub)


def detect_kind(path) -> str:
    """"dwm", "aist" or "openpose" for a data folder; DataError when it is none of them."""
    from ..errors import DataError

    p = Path(path)
    if not p.is_dir():
        raise DataError(f"{p}: no such folder")
    if any(q.is_dir() and q.name.startswith("DANCE_") for q in p.iterdir()):
        return "dwm"
    if (p / "keypoints2d").is_dir() or (p / "keypoints3d").is_dir():
        return "aist"
    if any(p.glob("*.json")):
        return "openpose"
    raise DataError(f"{p}: not a Dance-with-Melody folder (DANCE_*), an AIST++ folder (keypoints2d/, "
                    "keypoints3d/) or a folder of OpenPose JSON files")


def cmd_info(args) -> int:
    kind = detect_kind(args.dir)
    out = {"dwm": _info_dwm, "aist": _info_aist, "openpose": _info_openpose}[kind](args)
    print("\n".join(out))
    return 0


def _info_dwm(args) -> list[str]:
    import numpy as np

    from . import dwm

    root = Path(args.dir)
    seqs, errors = [], []
    for n in dwm.list_sequences(root):
        try:
            seqs.append(dwm.load_dwm_sequence(root / n))
        except Exception as e:  # report every broken folder, keep going
            errors.append(f"{n}: {e}")
    lines = [f"{root}: Dance with Melody, {len(seqs)} sequences"]
    if not seqs:
        return lines + errors
    frames = sum(s.n_frames for s in seqs)
    genres: dict = {}
    for s in seqs:
        genres[s.genre] = genres.get(s.genre, 0) + 1
    lines.append(f"  minutes: {frames / dwm.FPS / 60:.1f}   fps: {dwm.FPS:g}   genres: "
                 + ", ".join(f"{g} {c}" for g, c in sorted(genres.items())))
    nan, noaudio, frozen, jumps, drift = [], [], [], [], []
    for s in seqs:
        w = s.world
        if not np.isfinite(w).all():
            nan.append(s.name)
        if not s.has_audio:
            noaudio.append(s.name)
        f = int(dwm.frozen_frames(w).sum())
        if f:
            frozen.append(f"{s.name} ({f})")
        j = int(dwm.jump_frames(w).sum())
        if j:
            jumps.append(f"{s.name} ({j})")
        low = w[:, list(dwm.FOOT_JOINTS), 1].min(axis=1)
        n = int(10 * s.fps)
        drift.append(float(np.median(low[-n:]) - np.median(low[:n])))
        if args.verbose:
            lines.append(f"  {s.name:<12} {s.genre:<8} {s.n_frames / s.fps:6.1f} s  song {s.start:6.2f}-{s.end:6.2f} s"
                         f"  frozen {f:3d}  jumps {j:3d}  feet drift {drift[-1]:5.1f} cm")
    lines.append(f"  NaN/inf: {', '.join(nan) or 'none'}")
    lines.append(f"  missing audio: {', '.join(noaudio) or 'none'}")
    lines.append(f"  frozen (repeated) frames: {', '.join(frozen) or 'none'}")
    lines.append(f"  jumps > 40 cm/frame: {', '.join(jumps) or 'none'}")
    lines.append(f"  root drift (feet height, last 10 s - first 10 s): median {np.median(drift):.0f} cm, "
                 f"max {max(drift):.0f} cm ({seqs[int(np.argmax(drift))].name}); removed by load_dwm")
    groups = dwm.shared_openings(seqs)
    lines.append(f"  shared openings (>= 2 s identical): {len(groups)} groups")
    for g in groups:
        lines.append("    " + " ".join(g))
    try:
        leaks = dwm.split_leaks(root, groups)
    except Exception:
        leaks = None
    if leaks is not None:
        if leaks:
            val = set(dwm.list_sequences(root, "val"))
            for g in leaks:
                lines.append("  split leak: val " + " ".join(n for n in g if n in val)
                             + " share an opening with train " + " ".join(n for n in g if n not in val))
            lines.append("  leak-free split: load_dwm(split='train-clean' / 'val-clean'), val = "
                         + " ".join(dwm.clean_split(root, seqs)[1]))
        else:
            lines.append("  splits: no shared opening across train and val")
    lines += [f"  unreadable: {e}" for e in errors]
    return lines


def _info_aist(args) -> list[str]:
    import numpy as np

    from . import aist

    root = Path(args.dir)
    names = aist.list_aist(root, use_ignore_list=False)
    ignore = set(aist._lines(root / "ignore_list.txt"))
    lines = [f"{root}: AIST++, {len(names)} sequences ({len(ignore & set(names))} on ignore_list.txt)"]
    frames, genres, nan, noaudio, errors = 0, {}, [], set(), []
    for n in names:
        try:
            d = aist.load_aist_sequence(root, n)
        except Exception as e:
            errors.append(f"{n}: {e}")
            continue
        frames += d.n_frames
        genres[d.genre] = genres.get(d.genre, 0) + 1
        if d.confidence is not None and (d.confidence == 0).any():
            nan.append(f"{n} ({int((d.confidence == 0).all(axis=1).sum())} frames)")
        if d.music is None:
            noaudio.add(d.meta["music_id"])
    lines.append(f"  minutes: {frames / aist.FPS / 60:.1f}   fps: {aist.FPS:g}   genres: "
                 + ", ".join(f"{g} {c}" for g, c in sorted(genres.items())))
    for sp in ("train", "val", "test"):
        f = root / "splits" / f"crossmodality_{sp}.txt"
        if f.is_file():
            lines.append(f"  split {sp}: {len(aist._lines(f))} sequences")
    lines.append(f"  NaN / untracked joints: {', '.join(nan) or 'none'}")
    lines.append(f"  missing audio (wavs/): {', '.join(sorted(noaudio)) or 'none'}")
    lines += [f"  unreadable: {e}" for e in errors]
    del np
    return lines


def _info_openpose(args) -> list[str]:
    import numpy as np

    from ..skeleton import joint_speed, torso_length
    from .openpose import load_openpose

    d = load_openpose(args.dir, fps=args.fps)
    c = d.confidence
    missing = int((c.sum(axis=1) == 0).sum())
    low = float((c < 0.1).mean())
    step = joint_speed(d.keypoints, 1.0, per_joint=True, difference="steps").max(axis=1)   # px per frame
    torso = float(np.median(torso_length(d.keypoints)))
    jumps = int((step > max(torso, 1.0)).sum())
    return [f"{args.dir}: OpenPose JSON, 1 sequence of {d.n_frames} frames",
            f"  minutes: {d.duration / 60:.2f}   fps: {d.fps:g} (given with --fps)   genres: unknown",
            f"  frames without a person: {missing}",
            f"  joints with confidence < 0.1: {100 * low:.1f}%",
            f"  jumps (a joint moves more than a torso length in one frame): {jumps}",
            "  missing audio: the folder has no music; pass it when loading (load_openpose(folder, music=...))"]
