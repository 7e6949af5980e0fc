"""Generation speed.

Prints: decoder ms/frame at batch 1 (with and without the HGR online feedback), and the wall time
of the whole ``dancegen generate --no-video`` command for a 90-second song, start-up included.

    .venv/bin/python benchmarks/bench_generate.py [--music PATH] [--model PATH]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MUSIC = REPO.parent / "shared" / "music" / "sectoid" / "war_of_freedom" / "song.ogg"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--music", default=str(DEFAULT_MUSIC))
    ap.add_argument("--model", default=None)
    ap.add_argument("--frames", type=int, default=1500)
    ap.add_argument("--skip-long", action="store_true", help="skip the 10-minute memory run")
    a = ap.parse_args()

    import torch

    from dancegen.model.bundle import ModelBundle
    from dancegen.model.generate import GenerateOptions, make_corrector, run_decoder

    torch.set_num_threads(1)
    b = ModelBundle.load(a.model)
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(a.frames, b.model.cfg.n_features)).astype(np.float32)
    for fb in (False, True):
        corr = make_corrector(b, b.fps) if fb else None
        run_decoder(b, feats[:100], 0, GenerateOptions(progress=False), corr)  # warm-up
        times = []
        for _ in range(3):
            corr = make_corrector(b, b.fps) if fb else None
            t0 = time.perf_counter()
            run_decoder(b, feats, 0, GenerateOptions(progress=False), corr)
            times.append((time.perf_counter() - t0) / a.frames * 1e3)
        print(f"decoder {'with' if fb else 'without'} HGR feedback: {min(times):.3f} ms/frame "
              f"(batch 1, {a.frames} frames, 1 thread, best of 3)")

    exe = str(Path(sys.executable).with_name("dancegen"))
    with tempfile.TemporaryDirectory() as d:
        cmd = [exe, "generate", a.music, "-o", d, "--duration", "90", "--no-video", "--quiet", "--force"]
        if a.model:
            cmd += ["--model", a.model]
        subprocess.run(cmd, check=True)  # warm-up (numba caches, page cache)
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, env=dict(os.environ))
            walls.append(time.perf_counter() - t0)
        print(f"'dancegen generate --duration 90 --no-video' whole command: {min(walls):.2f} s (best of 3), "
              f"runs: {', '.join(f'{w:.2f}' for w in walls)}")
    if not a.skip_long:
        ten_minute_memory(a.music, a.model)


def ten_minute_memory(music: str, model: str | None):
    """Peak RSS of 'dancegen generate --no-video' on a 10-minute song (the music looped)."""
    import soundfile as sf

    y, sr = sf.read(music, dtype="float32", always_2d=True)
    reps = int(np.ceil(600 * sr / len(y)))
    with tempfile.TemporaryDirectory() as d:
        long = Path(d) / "ten_minutes.flac"
        sf.write(long, np.tile(y, (reps, 1))[: 600 * sr], sr)
        cmd = [sys.executable, "-c",
               "import resource,sys; from dancegen.cli import main; rc=main(sys.argv[1:]); "
               "print('peak_rss_mb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024); sys.exit(rc)",
               "generate", str(long), "-o", d, "--no-video", "--quiet", "--force"] + (["--model", model] if model else [])
        t0 = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        wall = time.perf_counter() - t0
        rss = float(out.split("peak_rss_mb")[1].split()[0])
        n = np.load(Path(d) / "dance.npz")["keypoints"].shape[0]
        print(f"10-minute song: {n} frames in {wall:.1f} s, peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
