"""Feature extraction speed and memory.

Prints (1) seconds to compute the full "multi" features (decode + resample + denoise + beats +
all columns) of a 90-second song after a warm-up run, best and median of 5; (2) peak resident
memory of a fresh process computing the features of a 10-minute song.

    .venv/bin/python benchmarks/bench_features.py [SONG]

SONG defaults to ../shared/music/sectoid/escape_from_chaosland/song.ogg (first 90 s). The
10-minute song is a synthetic 44.1 kHz stereo wav written to a temporary folder (the sectoid
song looped), measured in a child process so that the figure is that job's own peak RSS.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SONG = REPO.parent / "shared" / "music" / "sectoid" / "escape_from_chaosland" / "song.ogg"

_CHILD = r"""
import resource, sys, time
from dancegen.audio.features import FeatureConfig, music_features
t = time.perf_counter()
fs = music_features(sys.argv[1], FeatureConfig(fps=25))
el = time.perf_counter() - t
print(fs.values.shape[0], fs.values.shape[1], el,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
"""


def main() -> int:
    sys.path.insert(0, str(REPO))
    from dancegen.audio.features import FeatureConfig, music_features

    song = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SONG
    if not song.exists():
        print(f"{song}: not found; pass a song of at least 90 s", file=sys.stderr)
        return 2
    cfg = FeatureConfig(fps=25)
    music_features(song, cfg, duration=90.0)  # warm-up (imports, filter banks)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        fs = music_features(song, cfg, duration=90.0)
        times.append(time.perf_counter() - t)
    print(f"90 s song ({song.name}): {fs.values.shape[0]} x {fs.values.shape[1]} features, "
          f"tempo {fs.tempo:.2f} BPM; best {min(times):.3f} s, median {statistics.median(times):.3f} s")

    import numpy as np
    import soundfile as sf
    from dancegen.audio.io import load_audio

    y, _ = load_audio(song, sr=44100, denoise=False)
    reps = int(np.ceil(600 * 44100 / len(y)))
    long = np.tile(y, reps)[: 600 * 44100]
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "ten_minutes.wav"
        sf.write(f, np.stack([long, long], axis=1), 44100, subtype="PCM_16")
        del y, long
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        out = subprocess.run([sys.executable, "-c", _CHILD, str(f)], capture_output=True,
                             text=True, env=env, check=True).stdout.split()
    T, F, el, rss = int(out[0]), int(out[1]), float(out[2]), float(out[3])
    print(f"10 min song (44.1 kHz stereo wav): {T} x {F} features in {el:.2f} s (first run in a "
          f"fresh process), peak RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
