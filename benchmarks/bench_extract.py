"""Pose extraction speed: frames per second of ``dancegen.pose.extract`` on a 512x512 video.

The video is built from scikit-image's astronaut photograph (a real person), moving on a circle and
breathing in scale, written as mp4 (MPEG-4 part 2) with OpenCV. The time is split into:

* decode      - ``cv2.VideoCapture.read`` alone,
* decode+rgb  - plus the BGR -> RGB conversion MediaPipe needs,
* mediapipe   - ``PoseEstimator.estimate_frames`` on frames already in memory (video mode),
* extract     - the whole ``extract(video)`` call (opening, decoding, MediaPipe start-up, estimation).

Usage::

    .venv/bin/python benchmarks/bench_extract.py [--frames 300] [--size 512] [--max-side N] [--repeat 3]

The best of ``--repeat`` runs is reported for each stage (the machine is shared).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_frames(n: int, size: int) -> list[np.ndarray]:
    """``n`` RGB frames (size x size) of the astronaut photo at scale 0.65-0.8 moving on a circle."""
    from skimage import data

    photo = data.astronaut()
    frames = []
    for t in range(n):
        a = 2 * np.pi * t / 90.0
        s = (0.725 + 0.075 * np.sin(2 * a)) * size / 512.0
        ox = size * (0.12 + 0.06 * np.cos(a))
        oy = size * (0.12 + 0.06 * np.sin(a))
        m = np.float32([[s, 0, ox], [0, s, oy]])
        frames.append(cv2.warpAffine(photo, m, (size, size), flags=cv2.INTER_AREA,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128)))
    return frames


def write_mp4(path: Path, frames, fps: float = 30.0) -> None:
    h, w = frames[0].shape[:2]
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        wr.write(np.ascontiguousarray(f[:, :, ::-1]))
    wr.release()


def time_decode(path: Path, rgb: bool) -> tuple[float, int]:
    t0 = time.perf_counter()
    cap = cv2.VideoCapture(str(path))
    n = 0
    while True:
        ok, f = cap.read()
        if not ok:
            break
        if rgb:
            f = cv2.cvtColor(f, cv2.COLOR_BGR2RGB)
        n += 1
    cap.release()
    return time.perf_counter() - t0, n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--max-side", type=int, default=None, help="PoseEstimator max_side")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    from dancegen.pose.estimator import PoseEstimator, extract

    frames = make_frames(args.frames, args.size)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "astronaut.mp4"
        write_mp4(path, frames)
        best = {}

        def keep(name, seconds):
            best[name] = min(best.get(name, float("inf")), seconds)

        detected = None
        for _ in range(args.repeat):
            dt, n = time_decode(path, rgb=False)
            keep("decode", dt)
            dt, n = time_decode(path, rgb=True)
            keep("decode+rgb", dt)
            with PoseEstimator(static_image_mode=False, max_side=args.max_side) as est:
                t0 = time.perf_counter()
                _, conf = est.estimate_frames(frames, fps=30.0)
                keep("mediapipe", time.perf_counter() - t0)
            t0 = time.perf_counter()
            dance = extract(path, progress=False, max_side=args.max_side)
            keep("extract", time.perf_counter() - t0)
            detected = dance.meta["frames_detected"]
        assert n == args.frames, (n, args.frames)

    print(f"pose extraction, {args.frames} frames {args.size}x{args.size}, mp4 (mp4v), "
          f"max_side={args.max_side}, best of {args.repeat}, {os.cpu_count()} CPU cores")
    for name in ("decode", "decode+rgb", "mediapipe", "extract"):
        sec = best[name]
        print(f"  {name:<11s} {sec * 1000 / args.frames:7.2f} ms/frame  {args.frames / sec:8.1f} frames/s")
    print(f"  person found in {detected}/{args.frames} frames")
    fps = args.frames / best["extract"]
    print(f"extract: {fps:.1f} frames/s ({'meets' if fps >= 20 else 'BELOW'} the 20 frames/s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
