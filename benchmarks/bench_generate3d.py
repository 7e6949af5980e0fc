"""Generation speed and memory of the 3D sampling generator.

Prints: decoder + HGR loop ms/frame at batch 1 (with and without the loop), the wall time of the
whole ``dancegen generate --no-video`` command for a 90-second song (start-up included, best of
``--repeat``), and the peak RSS of the command for a 10-minute song.

    .venv/bin/python benchmarks/bench_generate3d.py [--music PATH] [--model PATH] [--skip-long]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MUSIC = REPO.parent / "shared" / "music" / "sectoid" / "war_of_freedom" / "song.ogg"


def run_cmd(args):
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", "import resource,sys; from dancegen.cli import main; rc = main(sys.argv[1:]); "
                        "print('RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)"]
                       + args, capture_output=True, text=True, cwd=REPO)
    dt = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(p.stderr[-2000:])
    rss = int(p.stderr.split("RSS_KB")[-1].split()[0])
    return dt, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--music", default=str(DEFAULT_MUSIC))
    ap.add_argument("--model", default=None)
    ap.add_argument("--frames", type=int, default=1500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-long", action="store_true")
    a = ap.parse_args()
    import torch

    from dancegen.model.generate3d import Generate3DOptions, decode3d, load_generator

    b = load_generator(a.model)
    if not getattr(b, "is_3d", False):
        raise SystemExit("pass a 3D model (kind seq2seq3d)")
    feats = np.random.default_rng(0).normal(size=(a.frames, b.model.cfg.n_features)).astype(np.float32)
    for fb in (True, False):
        best = 1e9
        for r in range(a.repeat):
            t = time.perf_counter()
            _, _, counts = decode3d(b, feats, 0, Generate3DOptions(feedback=fb, progress=False, seed=r))
            best = min(best, (time.perf_counter() - t) * 1e3 / a.frames)
        print(f"decoder batch 1, HGR loop {'on ' if fb else 'off'}: {best:.3f} ms/frame (best of {a.repeat}, {a.frames} frames)")
    model = ["--model", a.model] if a.model else []
    with tempfile.TemporaryDirectory() as tmp:
        times = []
        for r in range(a.repeat):
            dt, rss = run_cmd(["generate", a.music, "-o", tmp, "--duration", "90", "--no-video", "--force", "--quiet"] + model)
            times.append(dt)
        print(f"dancegen generate --duration 90 --no-video: {min(times):.2f} s best, {np.median(times):.2f} s median "
              f"of {a.repeat}; peak RSS {rss / 1024:.0f} MB")
        if not a.skip_long:
            import soundfile as sf

            from dancegen.audio.io import load_audio

            y, sr = load_audio(a.music, sr=22050)
            n = 600 * sr
            long = np.tile(y, int(np.ceil(n / len(y))))[:n]
            p = Path(tmp) / "ten_minutes.wav"
            sf.write(p, long, sr)
            dt, rss = run_cmd(["generate", str(p), "-o", tmp, "--no-video", "--force", "--quiet"] + model)
            print(f"10-minute song, --no-video: {dt:.1f} s, peak RSS {rss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
