"""The "beat on any tempo" test songs: their beat times are what the MIDI file says, the render
puts each sound at its note's time, and scripts/make_test_songs.py writes them all."""
import json
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np

import audio_synth as S

REPO = Path(__file__).resolve().parents[1]


def _tick_seconds(mid, ticks):
    """Seconds at each tick from the file's tempo map (mido.tick2second per tempo segment)."""
    tempo_map = []
    t = 0
    for msg in mid.tracks[0]:
        t += msg.time
        if msg.type == "set_tempo":
            tempo_map.append((t, msg.tempo))
    out = []
    for tk in ticks:
        sec, last_tk, last_tempo = 0.0, 0, tempo_map[0][1]
        for at, tempo in tempo_map[1:]:
            if at >= tk:
                break
            sec += mido.tick2second(at - last_tk, mid.ticks_per_beat, last_tempo)
            last_tk, last_tempo = at, tempo
        out.append(sec + mido.tick2second(tk - last_tk, mid.ticks_per_beat, last_tempo))
    return np.array(out)


def test_beat_times_follow_the_midi_tempo_map():
    mid, beats = S.midi_song([(90, 8), (150, 13)])
    lead = int(round(0.5 * 90 / 60 * S.TICKS))
    ticks = lead + S.TICKS * np.arange(len(beats))
    np.testing.assert_allclose(_tick_seconds(mid, ticks), beats, atol=1e-3)
    np.testing.assert_allclose(np.diff(beats[:32]), 60 / 90, atol=1e-9)
    np.testing.assert_allclose(np.diff(beats[32:]), 60 / 150, atol=1e-9)


def test_render_starts_every_note_at_its_time():
    """Kicks every 0.5 s, then a tempo change to 0.3 s: each sound starts at its note_on sample."""
    mid = mido.MidiFile(ticks_per_beat=S.TICKS)
    meta, tr = mido.MidiTrack(), mido.MidiTrack()
    mid.tracks += [meta, tr]
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(120), time=0))
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(200), time=4 * S.TICKS))
    for k in range(8):
        tr.append(mido.Message("note_on", channel=9, note=36, velocity=100, time=0 if k == 0 else S.TICKS // 2))
        tr.append(mido.Message("note_off", channel=9, note=36, velocity=0, time=S.TICKS // 2))
    y = S.render_midi(mid, 22050)
    times = [0.5 * k for k in range(4)] + [2.0 + 0.3 * k for k in range(4)]
    for t in times:
        i = int(round(t * 22050))
        loud = np.abs(y[i:i + 400]).max()
        assert np.abs(y[i:i + 20]).max() > 0.1 * loud                   # starts at sample i
        if i:
            assert np.abs(y[i - 30:i]).max() < 0.05 * loud              # not before


def test_make_test_songs_writes_songs_and_beats(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "make_test_songs.py"), str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    info = json.loads((tmp_path / "beats.json").read_text())
    assert set(info) == {f"{k}_{b}" for k in ("click", "midi") for b in S.TEST_TEMPI} | {"midi_switch_90_150"}
    assert (tmp_path / "midi_switch_90_150.mid").exists() and (tmp_path / "click_200.wav").exists()
    b = np.array(info["click_200"]["beats"])
    np.testing.assert_allclose(np.diff(b), 0.3, atol=1e-6)
