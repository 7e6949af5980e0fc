"""``dancegen export``: a dance ``.npz`` to BVH, OpenPose JSON or CSV."""
from __future__ import annotations

import argparse
import sys

EPILOG = """examples:
  dancegen export dance.npz -o dance.bvh                       # 3D motion for Blender (cm)
  dancegen export dance.npz --format openpose-json -o frames/  # one OpenPose JSON per frame
  dancegen export dance.npz -o dance.csv --units cm            # one row per frame
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help="write a dance as BVH (3D, for Blender), OpenPose JSON or CSV",
        description="Export a dance .npz written by dancegen: 'bvh' writes the 3D joints (joints3d) as a "
                    "skeleton with per-joint rotations (centimetres by default); 'openpose-json' writes a "
                    "folder with one OpenPose JSON file per frame (COCO-18 keypoints in pixels); 'csv' "
                    "writes one row per frame with the 3D joints (metres by default) and the 2D keypoints. "
                    "See docs/export.md.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dance", metavar="DANCE.npz", help="dance file written by dancegen")
    p.add_argument("--format", "-f", choices=("bvh", "openpose-json", "csv"), default=None,
                   help="output format (default: from the -o suffix, .bvh or .csv)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file (bvh, csv) or folder (openpose-json)")
    p.add_argument("--units", choices=("m", "cm"), default=None,
                   help="units of the 3D positions (default: cm for bvh, m for csv)")
    p.add_argument("--force", action="store_true", help="replace an existing output")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import ConfigError
    from . import export_info, guess_format

    fmt = args.format or guess_format(args.output)
    if fmt is None:
        raise ConfigError(f"-o {args.output}: cannot tell the format from the name; pass --format "
                          "bvh, openpose-json or csv")
    info = export_info(args.dance, fmt, args.output, force=args.force, units=args.units)
    if fmt == "bvh":
        err_cm = info["max_error_m"] * 100.0
        match = "within 0.001 cm" if err_cm < 0.001 else f"to {err_cm:.3f} cm"
        print(f"wrote {info['path']} (BVH, {info['frames']} frames at {info['fps']:g} fps, {info['joints']} joints, "
              f"{info['units']}; its joints match joints3d {match})")
        if err_cm > 1.0:
            print(f"dancegen export: warning: the dance's bone lengths vary by up to "
                  f"{info['length_dev_m'] * 100:.1f} cm; the BVH has fixed bones, so joints are up to "
                  f"{err_cm:.1f} cm off (retarget the dance with dancegen.body3d.retarget first)", file=sys.stderr)
    elif fmt == "csv":
        units = f", 3D in {info['units']}" if info["units"] else ", 2D only (no joints3d)"
        print(f"wrote {info['path']} (CSV, {info['frames']} rows, {info['columns']} columns{units})")
    else:
        print(f"wrote {info['path']}/ ({info['files']} OpenPose JSON files {info['name']}_<frame>_keypoints.json, "
              f"{info['fps']:g} fps)")
    return 0
