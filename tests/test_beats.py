"""Tempo and beat tracking: synthetic click tracks with known beats, the pure stages, the CLI, and
the real-data requirement on the four sectoid songs (tempo from their MIDI files)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from audio_synth import click_track, grid_hit_rate
from conftest import SECTOID_BPM
from dancegen.audio import beats as B
from dancegen.audio.beats import track_beats
from dancegen.cli import main

SR = 22050


def _nearest_err(beats, truth):
    truth = np.asarray(truth)
    return np.array([np.min(np.abs(truth - b)) for b in beats])


@pytest.mark.parametrize("bpm,first", [(120, 0.5), (100, 0.3)])
def test_click_track_beats_exact(bpm, first):
    period = 60.0 / bpm
    truth = np.arange(first, 29.9, period)
    y = click_track(truth, 30.0, SR)
    res = track_beats(y, SR)
    assert abs(res.tempo - bpm) < 0.005 * bpm
    assert len(res.beats) == len(truth)                      # every click, nothing extra
    assert _nearest_err(res.beats, truth).max() < 0.010      # each beat within 10 ms
    np.testing.assert_allclose(np.diff(res.beats), period, atol=0.010)


def test_click_track_in_noise():
    truth = np.arange(0.1, 19.9, 0.5)
    y = click_track(truth, 20.0, SR, noise=0.05)
    res = track_beats(y, SR)
    assert abs(res.tempo - 120) < 0.6
    assert _nearest_err(res.beats, truth).max() < 0.010
    assert len(res.beats) >= len(truth) - 1


def test_waltz_accents_give_beat_not_double_or_bar():
    """3/4 at 90 BPM, accented downbeats: the beat (90), not 180 (eighths) or 30 (bars)."""
    truth = np.arange(0.1, 40.0, 60.0 / 90)
    amps = np.where(np.arange(len(truth)) % 3 == 0, 1.0, 0.4)
    res = track_beats(click_track(truth, 40.0, SR, amps=amps), SR)
    assert abs(res.tempo - 90) < 0.5
    assert _nearest_err(res.beats, truth).max() < 0.010


def test_slow_tempo_ramp_is_followed():
    """120 -> 123 BPM over a minute (2.5 %): beats stay on the clicks."""
    truth = np.cumsum(60.0 / np.linspace(120, 123, 130))
    truth = truth[truth < 60]
    res = track_beats(click_track(truth, 60.2, SR), SR)
    assert 120 < res.tempo < 123
    assert _nearest_err(res.beats, truth).max() < 0.010
    assert len(res.beats) >= len(truth) - 1


@pytest.mark.parametrize("segments", [[(90, 8), (150, 13)], [(120, 10), (90, 8)]])
def test_tempo_switch_is_followed(segments):
    """A MIDI-rendered song that switches tempo (90 -> 150 BPM after 21.3 s; 120 -> 90 after
    20 s): two sections, each with its tempo, every beat found within 20 ms (with one global
    tempo only 20 % of the 90 BPM part's beats were on a beat)."""
    from audio_synth import midi_song, render_midi

    mid, truth = midi_song(segments)
    (t1, n1), (t2, _) = segments
    switch = truth[4 * n1]
    res = track_beats(render_midi(mid, SR), SR)
    assert [round(t) for _, _, t in res.sections] == [t1, t2]
    assert abs(res.sections[1][0] - switch) < 3.0
    for a, b, bpm in ((0.0, switch, t1), (switch, truth[-1] + 0.3, t2)):
        bb = res.beats[(res.beats >= a) & (res.beats < b)]
        assert abs(60.0 / np.median(np.diff(bb)) / bpm - 1) < 0.01
    assert _nearest_err(res.beats, truth).max() < 0.020
    assert len(res.beats) == len(truth)


def test_steady_song_is_one_section_as_before():
    truth = np.arange(0.3, 59.5, 60.0 / 128)
    y = click_track(truth, 60.0, SR, amps=np.where(np.arange(len(truth)) % 4 == 0, 1.0, 0.5))
    res, old = track_beats(y, SR), track_beats(y, SR, follow_tempo=False)
    assert len(res.sections) == 1 and res.sections[0][2] == res.tempo
    np.testing.assert_array_equal(res.beats, old.beats)


@pytest.mark.parametrize("y", [np.zeros(SR * 10, np.float32),           # digital silence
                               np.full(SR * 3, 0.2, np.float32),        # DC only
                               click_track([0.1], 0.3, SR)])            # 0.3 s clip
def test_degenerate_inputs_give_no_beats(y):
    res = track_beats(y, SR)
    assert res.tempo == 0.0 and res.beats.size == 0
    assert np.all(np.isfinite(res.onset_env))


def test_onset_envelope_is_time_aligned():
    """The envelope peak of a click at time s is at s (the window lead is compensated)."""
    times = np.array([1.0, 2.337, 3.71])
    env, fps, t0 = B.onset_envelope(click_track(times, 5.0, SR), SR)
    t = t0 + np.arange(len(env)) / fps
    for s in times:
        win = (t > s - 0.1) & (t < s + 0.1)
        assert abs(t[win][np.argmax(env[win])] - s) < 0.5 / fps + 0.003


def test_refine_tempo_sub_bin_precision():
    """Pulse train with a fractional period of 37.31 frames: refined tempo within 0.02 %."""
    fps = 86.1328125
    period = 37.31
    env = np.zeros(int(fps * 120))
    env[np.round(np.arange(5, len(env) - 1, period)).astype(int)] = 1.0
    true_bpm = 60 * fps / period
    coarse, sal = B.estimate_tempo(env, fps)
    assert abs(coarse / true_bpm - 1) < 0.02 and sal > 0.5
    assert abs(B.refine_tempo(env, fps, coarse) / true_bpm - 1) < 2e-4


def test_prior_prefers_dance_tempi():
    assert B.tempo_prior(115) == pytest.approx(1.0)
    assert B.tempo_prior(90) > B.tempo_prior(180)
    assert B.tempo_prior(150) > B.tempo_prior(75)


def test_cli_beats_json(tmp_path, capsys):
    truth = np.arange(0.5, 14.9, 0.5)
    f = tmp_path / "clicks.wav"
    sf.write(f, click_track(truth, 15.0, 44100, noise=0.001), 44100)
    assert main(["beats", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"tempo", "beats"}
    assert abs(out["tempo"] - 120) < 0.6
    assert _nearest_err(out["beats"], truth).max() < 0.010
    # plain text output names the tempo
    assert main(["beats", str(f)]) == 0
    assert "tempo: 120" in capsys.readouterr().out


def _midi_bpm(path) -> float:
    import mido

    for track in mido.MidiFile(path).tracks:
        for msg in track:
            if msg.type == "set_tempo":
                return 60e6 / msg.tempo
    raise AssertionError(f"{path}: no tempo")


@pytest.mark.realdata
@pytest.mark.parametrize("song", sorted(SECTOID_BPM))
def test_sectoid_tempo_and_beats(sectoid_dir, song):
    """Tempo within 1 % of the MIDI tempo; >= 90 % of beats within 70 ms of the MIDI grid shifted
    by its best constant offset."""
    from dancegen.audio.beats import beats_for_file

    true_bpm = _midi_bpm(sectoid_dir / song / "notes.mid")
    assert round(true_bpm) == SECTOID_BPM[song]
    res = beats_for_file(sectoid_dir / song / "song.ogg")
    assert abs(res.tempo / true_bpm - 1) < 0.01, res.tempo
    hit, _ = grid_hit_rate(res.beats, 60.0 / true_bpm, 0.070)
    assert hit >= 0.90, hit
    # and the beats cover the song: at least 80 % of its beat count
    n_expected = sf.info(str(sectoid_dir / song / "song.ogg")).duration * true_bpm / 60
    assert len(res.beats) >= 0.8 * n_expected
    assert len(res.sections) == 1          # a steady song is never cut into tempo sections
