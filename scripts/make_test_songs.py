"""Write the "beat on any tempo" test songs (tests/audio_synth.py) to a folder.

For each song: NAME.wav (22.05 kHz mono), NAME.mid for the MIDI-rendered ones, and one
beats.json with the exact beat times and tempo segments of all songs. Nothing is committed: the
songs are rebuilt in about a second.

    .venv/bin/python scripts/make_test_songs.py [OUT]        (default: out/test_songs)

Songs: click_<bpm> (a click per beat, louder on each bar's first) and midi_<bpm> (drums, bass and
chords from a mido MIDI file rendered by the numpy synthesiser in tests/audio_synth.py; FluidSynth
and a soundfont are not needed) at 60, 90, 120, 150, 180 and 200 BPM, about 30 s each, and
midi_switch_90_150 (8 bars at 90 BPM, then 13 bars at 150 BPM).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def write_test_songs(out, sr: int = 22050) -> dict:
    """Write every song and beats.json into ``out``; returns the beats.json content."""
    import soundfile as sf

    import audio_synth as S

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    info = {}
    for name, y, beats, segments, mid in S.test_songs(sr=sr):
        sf.write(out / f"{name}.wav", y, sr, subtype="PCM_16")
        if mid is not None:     # for anyone who wants to render it with FluidSynth
            mid.save(out / f"{name}.mid")
        info[name] = {"file": f"{name}.wav", "seconds": len(y) / sr,
                      "beats": [round(float(b), 6) for b in beats],
                      "segments": [[float(a), float(b), float(t)] for a, b, t in segments]}
    (out / "beats.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else REPO / "out" / "test_songs"
    info = write_test_songs(out)
    for name, d in info.items():
        tempi = "/".join(f"{t:g}" for _, _, t in d["segments"])
        print(f"{out / d['file']}: {d['seconds']:.1f} s, {len(d['beats'])} beats, {tempi} BPM")
    return 0


if __name__ == "__main__":
    sys.exit(main())
