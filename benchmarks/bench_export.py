"""Time exporting a 90-s dance (2250 frames at 25 fps) to BVH, OpenPose JSON and CSV (target: under
2 s each).

    .venv/bin/python benchmarks/bench_export.py                 # real DwM motion when ../shared is there
    .venv/bin/python benchmarks/bench_export.py --synthetic     # the synthetic 3D dance
    .venv/bin/python benchmarks/bench_export.py --seconds 30 --repeat 5

The dance is the first 90 s of the Dance with Melody take DANCE_R_4 (2819 frames) on its reference
skeleton (:func:`dancegen.export.synthetic.dwm_dance3d`), or :func:`synthetic_dance3d` when
../shared is absent or with --synthetic. Each format is written ``--repeat`` times to new outputs in
a temporary folder; the median and best wall-clock seconds and the median CPU seconds of the
process (user + system: what the export costs, whatever else the machine runs) are printed, with
the output size and, for BVH, the largest distance between joints3d and the file's forward
kinematics.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dancegen.export import FORMATS, export_info  # noqa: E402
from dancegen.export.synthetic import dwm_dance3d, synthetic_dance3d  # noqa: E402

TAKE = REPO.parent / "shared" / "data" / "dance_with_melody" / "DANCE_R_4"


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=90.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--synthetic", action="store_true", help="use the synthetic dance even when ../shared is there")
    ap.add_argument("--dir", default=None, help="write the outputs under this folder (default: the system temp folder)")
    a = ap.parse_args()
    fps = 25.0
    T = int(round(a.seconds * fps))
    if TAKE.is_dir() and not a.synthetic:
        dance = dwm_dance3d(TAKE, frames=T)
        source = f"{TAKE.name} (real DwM motion)"
        if dance.n_frames < T:
            print(f"note: {TAKE.name} has only {dance.n_frames} frames")
    else:
        dance = synthetic_dance3d(T, fps)
        source = "synthetic_dance3d"
    print(f"dance: {source}, {dance.n_frames} frames at {dance.fps:g} fps ({dance.duration:.0f} s)")
    outs = {"bvh": "d.bvh", "openpose-json": "frames", "csv": "d.csv"}
    with tempfile.TemporaryDirectory(dir=a.dir) as td:
        for fmt in FORMATS:
            secs, cpu = [], []
            for r in range(a.repeat):
                out = Path(td) / f"{r}_{outs[fmt]}"
                t0, c0 = time.perf_counter(), time.process_time()
                info = export_info(dance, fmt, out)
                secs.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            extra = f", FK max error {info['max_error_m'] * 100:.5f} cm" if fmt == "bvh" else ""
            print(f"{fmt:14s} wall median {statistics.median(secs):.3f} s, best {min(secs):.3f} s; "
                  f"CPU (user+system) median {statistics.median(cpu):.3f} s ({size_of(out) / 1e6:.1f} MB{extra})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
