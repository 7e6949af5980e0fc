"""``dancegen extract``: poses from a video, a folder of frames, or a DanceTrack sequence."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    from .. import cliargs as A

    p = subparsers.add_parser(
        "extract",
        help="estimate 2D poses (OpenPose-18) from a video, image folder or DanceTrack sequence",
        description=(
            "Estimate the 2D pose of the dancer in a video file or a folder of frames with MediaPipe "
            "Pose and save it as a dance .npz (keypoints in pixels, confidence, fps, canvas). With "
            "--dancetrack, INPUT is a DanceTrack/MOT sequence folder (seqinfo.ini, img1/, gt/gt.txt) "
            "and -o is a folder that receives one .npz per tracked person."),
    )
    p.add_argument("input", metavar="VIDEO_OR_IMAGE_DIR",
                   help="video file, folder of frames (sorted by name), one image, or a DanceTrack "
                        "sequence folder with --dancetrack")
    A.out_option(p, "output .npz (or output folder with --dancetrack)", metavar="OUT")
    p.add_argument("--openpose-json", metavar="DIR", default=None,
                   help="also write OpenPose-style JSON, one <name>_<frame>_keypoints.json per frame")
    p.add_argument("--fps", type=A.fps, default=None,
                   help="frame rate, 0.5 to 240: overrides the video's; for image folders default 25")
    p.add_argument("--dancetrack", action="store_true",
                   help="INPUT is a DanceTrack/MOT sequence: one pose sequence per person id")
    p.add_argument("--margin", type=A.number(0.0, 5.0, what="a margin"), default=0.2,
                   help="--dancetrack: crop margin as a fraction of the box size (default 0.2)")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("-q", "--quiet", dest="no_progress", action="store_true", help="no progress bar")
    p.add_argument("--no-progress", dest="no_progress", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run_extract)


def _check_free(path: Path, force: bool) -> None:
    from ..errors import PoseError

    if path.exists() and not force:
        raise PoseError(f"{path}: exists; pass --force to overwrite it")


def _json_prefix(name: str) -> str:
    """A file-name-safe OpenPose JSON prefix from a video/folder/sequence name."""
    import re

    return re.sub(r"[^\w.\-]+", "_", name).strip("_") or "frame"


def _check_json_free(folder, prefix: str, force: bool) -> None:
    from ..errors import PoseError

    if folder is None:
        return
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise PoseError(f"{folder}: exists and is not a folder; choose another --openpose-json path")
    if folder.is_dir():
        old = sorted(folder.glob(f"{prefix}_*_keypoints.json"))
        if old and not force:
            raise PoseError(f"{old[0]}: exists; pass --force to overwrite")


def run_extract(args: argparse.Namespace) -> int:
    from ..errors import PoseError
    from ..fileio import OutputSet, check_output

    src = Path(args.input)
    out = Path(args.output)
    progress = not args.no_progress
    if args.dancetrack:
        from .dancetrack import extract_dancetrack, read_seqinfo
        from ..data.openpose import write_openpose_frames

        if out.exists() and not out.is_dir():
            raise PoseError(f"{out}: exists and is not a folder; with --dancetrack, -o is an output folder")
        check_output(out, folder=True)  # a link, not writable, not creatable: before the extraction
        if not src.is_dir():
            raise PoseError(f"{src}: no such folder; --dancetrack needs a sequence folder "
                            "(seqinfo.ini, img1/, gt/gt.txt)")
        seq_name = read_seqinfo(src)["name"]
        prefix = _json_prefix(seq_name)
        _check_json_free(args.openpose_json, prefix, args.force)
        # Refuse before the (long) extraction if outputs of this sequence are already there.
        if out.is_dir() and not args.force:
            old = sorted(out.glob(f"{seq_name}_id*.npz"))
            if old:
                raise PoseError(f"{old[0]}: exists; pass --force to overwrite")
        dances = extract_dancetrack(src, margin=args.margin, progress=progress)
        if args.fps is not None:
            for d in dances.values():
                d.fps = float(args.fps)
        # one npz per dancer, written together (staged, locked, moved into place at the end); the
        # refusal of existing outputs without --force happened before the extraction
        with OutputSet([out / f"{d.name}.npz" for d in dances.values()], force=True, folder=out) as outputs:
            for d in dances.values():
                d.save(outputs.path(f"{d.name}.npz"), overwrite=True)
            outputs.commit()
        if args.openpose_json:
            import numpy as np

            ids = sorted(dances)
            kp = np.stack([dances[i].keypoints for i in ids], axis=1)
            conf = np.stack([dances[i].confidence for i in ids], axis=1)
            write_openpose_frames(kp, conf, args.openpose_json, name=prefix, person_ids=ids,
                                  overwrite=True)
        for tid, d in sorted(dances.items()):
            print(f"id {tid}: {d.n_frames} frames at {d.fps:g} fps, box in {d.meta['frames_present']}, "
                  f"pose in {d.meta['frames_detected']} -> {out / (d.name + '.npz')}")
        return 0

    from ..data.openpose import write_openpose_frames
    from .estimator import extract

    if out.suffix.lower() != ".npz":
        raise PoseError(f"{out}: the output must be a .npz file")
    _check_free(out, args.force)
    outputs = OutputSet.single(out, force=args.force).check()
    prefix = _json_prefix(src.stem if src.is_file() else src.name)
    _check_json_free(args.openpose_json, prefix, args.force)
    if args.openpose_json:
        check_output(args.openpose_json, folder=True, option="--openpose-json")
    with outputs:
        dance = extract(src, fps=args.fps, progress=progress)
        dance.save(outputs.path(), overwrite=True)
        outputs.commit()
    if args.openpose_json:
        write_openpose_frames(dance.keypoints, dance.confidence, args.openpose_json,
                              name=prefix, overwrite=True)
    m = dance.meta
    if m["mode"] == "video" and m["frames_reported"] and m["frames"] < m["frames_reported"] - 1:
        print(f"dancegen extract: warning: {src}: decoded {m['frames']} of the {m['frames_reported']} "
              "frames the file announces; it may be truncated", file=sys.stderr)
    print(f"{src}: {dance.n_frames} frames at {dance.fps:g} fps, {dance.canvas[0]}x{dance.canvas[1]}, "
          f"person found in {m['frames_detected']} ({m['seconds']:.1f} s, "
          f"{dance.n_frames / max(m['seconds'], 1e-9):.1f} frames/s) -> {out}", file=sys.stdout)
    return 0
