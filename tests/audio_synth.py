"""Synthetic test signals with known answers (shared by the audio tests)."""
from __future__ import annotations

import numpy as np


def click(sr: int, freq: float = 1000.0, decay: float = 0.01, length: float = 0.1) -> np.ndarray:
    t = np.arange(int(length * sr)) / sr
    return (np.sin(2 * np.pi * freq * t) * np.exp(-t / decay)).astype(np.float32)


def click_track(times, duration: float, sr: int = 22050, amps=None, noise: float = 0.0,
                seed: int = 0) -> np.ndarray:
    """(round(duration * sr),) float32: a 1 kHz click (10 ms decay) starting at each time."""
    y = np.zeros(int(round(duration * sr)), dtype=np.float32)
    c = click(sr)
    for j, b in enumerate(times):
        i = int(round(b * sr))
        if i >= len(y):
            continue
        a = 1.0 if amps is None else float(amps[j])
        seg = c[: len(y) - i]
        y[i:i + len(seg)] += a * seg
    if noise:
        y += noise * np.random.default_rng(seed).standard_normal(len(y)).astype(np.float32)
    return y


def grid_hit_rate(beats, period: float, tol: float, n_offsets: int = 400) -> tuple[float, float]:
    """Best fraction of ``beats`` within ``tol`` s of the grid ``offset + k * period`` over all
    offsets in [0, period), and that offset."""
    beats = np.asarray(beats, dtype=np.float64)
    best, best_off = 0.0, 0.0
    for off in np.linspace(0.0, period, n_offsets, endpoint=False):
        r = np.mod(beats - off, period)
        h = float(np.mean(np.minimum(r, period - r) <= tol)) if beats.size else 0.0
        if h > best:
            best, best_off = h, off
    return best, best_off


def kick(sr: int, f0: float = 60.0, decay: float = 0.08, length: float = 0.3) -> np.ndarray:
    """A bass-drum-like hit: a sine gliding from 2 f0 down to f0, exponential decay."""
    t = np.arange(int(length * sr)) / sr
    f = f0 * (1.0 + np.exp(-t / 0.02))
    phase = 2 * np.pi * np.cumsum(f) / sr
    return (np.sin(phase) * np.exp(-t / decay)).astype(np.float32)


def metre_pattern(bpm: float, metre: int, duration: float, sr: int = 22050, first: float = 0.2,
                  noise: float = 0.001) -> np.ndarray:
    """Oom-pah pattern: a kick on beat 1 of every bar of ``metre`` beats (and on beat 3 in 4/4),
    a 1 kHz click on the other beats. 3/4 gives a waltz's oom-pah-pah, 4/4 a kick-click-kick-click."""
    y = np.zeros(int(round(duration * sr)), dtype=np.float32)
    k, c = kick(sr), 0.5 * click(sr)
    period = 60.0 / bpm
    n = int((duration - first) / period) + 1
    for j in range(n):
        i = int(round((first + j * period) * sr))
        if i >= len(y):
            break
        pos = j % metre
        s = k if (pos == 0 or (metre == 4 and pos == 2)) else c
        seg = s[: len(y) - i]
        y[i:i + len(seg)] += seg
    if noise:
        y += noise * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    return y


# ----------------------------------------------------------------------------- test songs
# Songs with exactly known beats for "beat on any tempo": click tracks and MIDI files (mido)
# rendered by the small numpy synthesiser below (no FluidSynth or soundfont needed). Independent
# of dancegen; used by scripts/make_test_songs.py and benchmarks/bench_beat_any_tempo.py.

TICKS = 480
#: C - G - Am - F, one chord per bar: (bass root, chord notes) as MIDI numbers
PROGRESSION = [(36, (60, 64, 67)), (43, (59, 62, 67)), (45, (60, 64, 69)), (41, (60, 65, 69))]


def click_song(bpm: float, duration: float, sr: int = 22050, first: float = 0.5,
               metre: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Click track: a click on every beat from ``first``, the bar's first beat louder (1.0 vs 0.6).

    Returns (y, beat_times)."""
    period = 60.0 / bpm
    times = first + period * np.arange(int((duration - first) / period) + 1)
    times = times[times < duration - 0.05]
    amps = np.where(np.arange(len(times)) % metre == 0, 1.0, 0.6)
    return click_track(times, duration, sr, amps=amps, noise=0.001), times


def midi_song(segments, first_beat_s: float = 0.5):
    """A 4/4 MIDI file of drums, bass and chords. ``segments``: [(bpm, bars), ...] played in turn
    (a tempo change at each segment start). A bar: kick on 1 and 3, snare on 2 and 4, closed
    hi-hat on every eighth, bass root on 1 and 3 with an eighth pickup before 3, a chord on 1
    held for two beats and stabs on 2-and and 4; C-G-Am-F.

    Returns (mido.MidiFile, beat_times in seconds, from ``first_beat_s``: the file starts with one
    silent beat-length lead-in at the first tempo that is not counted)."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=TICKS)
    meta = mido.MidiTrack()
    mid.tracks.append(meta)
    events = []                                  # (tick, channel, note, velocity, length ticks)
    beat_times = []
    lead_bpm = segments[0][0]
    lead_ticks = int(round(first_beat_s * lead_bpm / 60.0 * TICKS))
    tick, t = lead_ticks, first_beat_s
    tempo_events = [(0, lead_bpm)]
    bar_no = 0
    for bpm, bars in segments:
        if tick != lead_ticks or bpm != lead_bpm:
            tempo_events.append((tick, bpm))
        for _ in range(bars):
            root, chord = PROGRESSION[bar_no % len(PROGRESSION)]
            e8 = TICKS // 2
            for b in range(4):
                bt = tick + b * TICKS
                beat_times.append(t + b * 60.0 / bpm)
                if b in (0, 2):
                    events.append((bt, 9, 36, 110, e8))          # kick
                    events.append((bt, 1, root, 100, TICKS))     # bass
                else:
                    events.append((bt, 9, 38, 100, e8))          # snare
                for h in (0, e8):
                    events.append((bt + h, 9, 42, 70 if h else 85, e8 // 2))   # hi-hat
            events.append((tick + TICKS + e8, 1, root + 7, 80, e8))            # pickup
            for n in chord:
                events.append((tick, 0, n, 80, 2 * TICKS))
                events.append((tick + TICKS + e8, 0, n, 60, e8))
                events.append((tick + 3 * TICKS, 0, n, 70, e8))
            tick += 4 * TICKS
            t += 4 * 60.0 / bpm
            bar_no += 1
    last = 0
    for tk, bpm in tempo_events:
        meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=tk - last))
        last = tk
    meta.append(mido.MetaMessage("end_of_track", time=max(0, tick - last)))
    msgs = []
    for tk, ch, note, vel, length in events:
        msgs.append((tk, 1, mido.Message("note_on", channel=ch, note=note, velocity=vel)))
        msgs.append((tk + length, 0, mido.Message("note_off", channel=ch, note=note, velocity=0)))
    msgs.sort(key=lambda m: (m[0], m[1]))
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.Message("program_change", channel=1, program=33, time=0))
    last = 0
    for tk, _, m in msgs:
        track.append(m.copy(time=tk - last))
        last = tk
    return mid, np.asarray(beat_times)


def _drum(note: int, sr: int, rng) -> np.ndarray:
    if note == 36:
        return kick(sr)
    if note == 38:
        t = np.arange(int(0.2 * sr)) / sr
        noise = rng.standard_normal(len(t)) * np.exp(-t / 0.05)
        return (0.5 * noise + 0.5 * np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.04)).astype(np.float32)
    t = np.arange(int(0.06 * sr)) / sr
    n = rng.standard_normal(len(t))
    n = np.diff(n, prepend=0.0)                  # crude high-pass: hiss
    return (0.25 * n * np.exp(-t / 0.015)).astype(np.float32)


def _tone(note: int, seconds: float, sr: int, program: int) -> np.ndarray:
    """A plucked (bass, program 32-39) or piano-like tone: a few decaying harmonics, 5 ms attack,
    released over 30 ms after ``seconds``."""
    f = 440.0 * 2 ** ((note - 69) / 12)
    n = int((seconds + 0.03) * sr)
    t = np.arange(n) / sr
    bass = 32 <= program <= 39
    harm = [(1, 1.0), (2, 0.5), (3, 0.2)] if bass else [(1, 1.0), (2, 0.4), (3, 0.25), (4, 0.1)]
    y = sum(a * np.sin(2 * np.pi * f * h * t) * np.exp(-t * (2.0 + h) * (1.0 if bass else 1.5))
            for h, a in harm if f * h < sr / 2)
    env = np.minimum(1.0, t / 0.005)
    env *= np.clip((seconds + 0.03 - t) / 0.03, 0.0, 1.0)
    return (y * env).astype(np.float32)


def render_midi(mid, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """Render a mido MidiFile with the numpy synthesiser: channel 10 (index 9) as drums (36 kick,
    38 snare, others hi-hat), other channels as plucked bass (program 32-39) or piano-like tones.
    Every note's sound starts at its note_on sample exactly. Returns mono float32 (peak 0.9)."""
    rng = np.random.default_rng(seed)
    t = 0.0
    program = {}
    on = {}
    notes = []                                    # (start s, end s, channel, note, velocity)
    for msg in mid:                               # msg.time: seconds since the previous message
        t += msg.time
        if msg.type == "program_change":
            program[msg.channel] = msg.program
        elif msg.type == "note_on" and msg.velocity > 0:
            on[(msg.channel, msg.note)] = (t, msg.velocity)
        elif msg.type in ("note_off", "note_on"):
            k = (msg.channel, msg.note)
            if k in on:
                s, v = on.pop(k)
                notes.append((s, t, msg.channel, msg.note, v))
    y = np.zeros(int((t + 0.5) * sr), dtype=np.float32)
    for s, e, ch, note, v in notes:
        x = _drum(note, sr, rng) if ch == 9 else _tone(note, e - s, sr, program.get(ch, 0))
        i = int(round(s * sr))
        seg = x[: max(0, len(y) - i)] * (v / 127.0) * (0.3 if ch == 0 else 1.0)
        y[i:i + len(seg)] += seg
    peak = float(np.abs(y).max()) or 1.0
    return (0.9 * y / peak).astype(np.float32)


#: the constant tempi of the test songs, BPM
TEST_TEMPI = (60, 90, 120, 150, 180, 200)


def test_songs(seconds: float = 30.0, sr: int = 22050):
    """All test songs: yields (name, y, beat_times, segments, midi) with segments
    [(t0, t1, bpm)] and midi the mido.MidiFile (None for the click tracks).

    click_<bpm> and midi_<bpm> for each of :data:`TEST_TEMPI` (about ``seconds`` long), and
    midi_switch_90_150: 8 bars at 90 BPM (21.3 s) then 13 bars at 150 BPM (20.8 s)."""
    for bpm in TEST_TEMPI:
        y, b = click_song(bpm, seconds, sr)
        yield f"click_{bpm}", y, b, [(0.0, seconds, float(bpm))], None
        bars = max(1, int(round((seconds - 1.0) * bpm / 240.0)))
        mid, b = midi_song([(bpm, bars)])
        yield f"midi_{bpm}", render_midi(mid, sr), b, [(0.0, len(b) * 60.0 / bpm + 1.0, float(bpm))], mid
    mid, b = midi_song([(90, 8), (150, 13)])
    t_switch = float(b[32])
    yield "midi_switch_90_150", render_midi(mid, sr), b, [(0.0, t_switch, 90.0),
                                                          (t_switch, float(b[-1]) + 0.4, 150.0)], mid
