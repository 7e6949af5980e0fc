"""Beat-tracking accuracy on the four sectoid songs (ground truth: the tempo in each notes.mid).

For each song: the estimated tempo and its error, and the fraction of reported beats within 70 ms
and within 30 ms of the true beat grid shifted by its best constant offset (found separately for
each tolerance). With --librosa, plain ``librosa.beat.beat_track`` is shown for comparison.

    .venv/bin/python benchmarks/bench_beats.py [--librosa]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SECTOID = REPO.parent / "shared" / "music" / "sectoid"


def midi_bpm(path: Path) -> float:
    import mido

    for track in mido.MidiFile(path).tracks:
        for msg in track:
            if msg.type == "set_tempo":
                return 60e6 / msg.tempo
    raise ValueError(f"{path}: no tempo")


def hit_rate(beats: np.ndarray, period: float, tol: float) -> float:
    best = 0.0
    for off in np.linspace(0.0, period, 400, endpoint=False):
        r = np.mod(beats - off, period)
        best = max(best, float(np.mean(np.minimum(r, period - r) <= tol)))
    return best


def main() -> int:
    sys.path.insert(0, str(REPO))
    from dancegen.audio.beats import track_beats
    from dancegen.audio.io import load_audio

    if not SECTOID.exists():
        print(f"{SECTOID}: not present", file=sys.stderr)
        return 2
    use_librosa = "--librosa" in sys.argv
    print(f"{'song':24s} {'true':>7s} {'tempo':>8s} {'error':>8s} {'beats':>6s} {'<=70ms':>7s} "
          f"{'<=30ms':>7s} {'secs':>5s}" + ("  librosa tempo (error)" if use_librosa else ""))
    for d in sorted(p for p in SECTOID.iterdir() if (p / "notes.mid").exists()):
        true = midi_bpm(d / "notes.mid")
        y, sr = load_audio(d / "song.ogg")
        t = time.perf_counter()
        res = track_beats(y, sr)
        el = time.perf_counter() - t
        period = 60.0 / true
        line = (f"{d.name:24s} {true:7.2f} {res.tempo:8.3f} {100 * (res.tempo / true - 1):+7.3f}% "
                f"{len(res.beats):6d} {hit_rate(res.beats, period, 0.070):7.3f} "
                f"{hit_rate(res.beats, period, 0.030):7.3f} {el:5.2f}")
        if use_librosa:
            import librosa

            tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
            tempo = float(np.atleast_1d(tempo)[0])
            line += f"  {tempo:8.3f} ({100 * (tempo / true - 1):+.2f}%)"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
