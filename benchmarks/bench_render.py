"""Time rendering a dance to mp4 with audio (the acceptance figure: 90 s at 25 fps in under 15 s).

    .venv/bin/python benchmarks/bench_render.py                  # 90 s synthetic dance, 960x540
    .venv/bin/python benchmarks/bench_render.py --seconds 20 --size 1280x720 --preset faster

The dance is :func:`dancegen.render.synthetic.swaying_dance`; the music is a sectoid song from
../shared when present (decoded from ogg by ffmpeg), else a generated 120 BPM click track (wav).
Prints drawing-only and full-render seconds and frames per second.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dancegen.render.synthetic import swaying_dance  # noqa: E402
from dancegen.render.video import (  # noqa: E402
    DEFAULT_CRF, DEFAULT_PRESET, render_frames, render_video, stream_durations,
)

SONG = REPO.parent / "shared" / "music" / "sectoid" / "feelings" / "song.ogg"


def click_track(path: Path, seconds: float, bpm: float = 120.0, sr: int = 44100) -> Path:
    import soundfile as sf

    y = np.zeros(int(seconds * sr) + sr, np.float32)
    n = int(0.01 * sr)
    for t in np.arange(0, seconds + 1, 60.0 / bpm):
        i = int(round(t * sr))
        y[i:i + n] += 0.8 * np.sin(2 * np.pi * 1000 * np.arange(len(y[i:i + n])) / sr)
    sf.write(path, y, sr)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=90.0)
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--size", default="960x540")
    ap.add_argument("--preset", default=DEFAULT_PRESET)
    ap.add_argument("--crf", type=int, default=DEFAULT_CRF)
    ap.add_argument("--music", default=None, help="audio file (default: a sectoid song or a click track)")
    ap.add_argument("--keep", default=None, help="write the mp4 here instead of a temp folder")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.lower().split("x"))
    T = int(round(a.seconds * a.fps))

    with tempfile.TemporaryDirectory() as td:
        music = Path(a.music) if a.music else (SONG if SONG.exists() else click_track(Path(td) / "click.wav", a.seconds))
        dance = swaying_dance(T, a.fps, music=str(music), offset=5.0 if music == SONG else 0.0)

        t0 = time.perf_counter()
        for _ in render_frames(dance, (w, h)):
            pass
        t_draw = time.perf_counter() - t0

        out = Path(a.keep) if a.keep else Path(td) / "bench.mp4"
        t0 = time.perf_counter()
        render_video(dance, out, size=(w, h), preset=a.preset, crf=a.crf, progress=False, overwrite=True)
        t_all = time.perf_counter() - t0
        d = stream_durations(out)
        mb = out.stat().st_size / 1e6

    print(f"dance: {T} frames at {a.fps:g} fps ({T / a.fps:.1f} s), {w}x{h}, preset {a.preset}, crf {a.crf}, "
          f"music {music.name}")
    print(f"draw only : {t_draw:6.2f} s  {T / t_draw:7.1f} frames/s")
    print(f"full mp4  : {t_all:6.2f} s  {T / t_all:7.1f} frames/s  ({mb:.1f} MB; "
          f"video {d['video_frames']} frames = {d['video']:.3f} s, audio {d['audio']:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
