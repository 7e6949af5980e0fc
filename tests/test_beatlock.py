"""The generator's beat lock (model/beatlock.py): lock_to_beats moves accents onto the beats; beat
accents: beats are fixed points, the speed dips on every beat by the
requested depth, and the warp is bounded and monotone."""
import numpy as np
import pytest

from dancegen.metrics import beat_metrics
from dancegen.model.beatlock import accent_beats, accent_time_map


def test_beats_are_fixed_points_and_the_map_is_monotone():
    fps = 100.0
    beats = np.arange(0.5, 9.6, 0.5)
    pos = accent_time_map(1000, fps, beats, depth=0.4)
    assert np.all(np.diff(pos) > 0)
    for b in beats:
        assert abs(pos[int(round(b * fps))] - b * fps) < 1e-6
    rate = np.diff(pos)
    assert rate.min() == pytest.approx(0.6 / np.mean(1 - 0.4 * np.exp(-0.5 * (np.minimum(
        np.linspace(0, 0.5, 500), 0.5 - np.linspace(0, 0.5, 500)) / 0.08) ** 2)), rel=0.02)
    assert rate.max() < 1.25


def test_constant_speed_motion_gets_a_motion_beat_on_every_music_beat():
    fps = 25.0
    T = 500
    x = np.linspace(0, 2000, T)  # steady walk: no motion beats at all
    kp = np.zeros((T, 18, 2), np.float32)
    kp[..., 0] = x[:, None]
    beats = np.arange(0.6, 19.5, 0.6)
    before = beat_metrics(kp, fps, beats)
    after = beat_metrics(accent_beats(kp, fps, beats, depth=0.4), fps, beats)
    assert before["n_motion_beats"] == 0
    assert after["beat_alignment_error"] < 0.02 and after["bas_bailando"] > 0.95
    # speed on a beat is (1 - depth) / mean-rate of the steady speed
    v = np.abs(np.diff(accent_beats(kp, fps, beats, depth=0.4)[:, 0, 0])) * fps
    steady = (x[1] - x[0]) * fps
    on_beat = v[int(round(3.0 * fps))]
    assert on_beat < 0.75 * steady


def test_depth_zero_is_identity():
    kp = np.random.default_rng(0).normal(size=(50, 18, 2)).astype(np.float32)
    np.testing.assert_allclose(accent_beats(kp, 25.0, [0.5, 1.0, 1.5], depth=0.0), kp, atol=1e-6)


def test_lock_to_beats_moves_off_beat_accents_onto_the_beats_and_keeps_the_length():
    from dancegen.model.beatlock import lock_to_beats

    fps = 25.0
    t = np.arange(int(20 * fps)) / fps
    beats = np.arange(0.5, 19.6, 0.5)
    acc = beats + 0.12 * np.sin(2 * np.pi * beats / 5.0) + 0.03          # accents up to 150 ms off
    d = np.min(np.abs(t[:, None] - acc[None, :]), axis=1)
    x = np.cumsum(20.0 + 400.0 * d) / fps                                 # speed minima on the accents
    kp = np.zeros((len(t), 18, 2), np.float32)
    kp[..., 0] = x[:, None] + np.arange(18)[None, :]
    before = beat_metrics(kp, fps, beats)["bas_bailando"]
    locked = lock_to_beats(kp, fps, beats, max_rate_change=0.25)
    after = beat_metrics(locked, fps, beats)["bas_bailando"]
    assert locked.shape == kp.shape and locked.dtype == np.float32
    assert before < 0.5 < 0.85 < after
    accented = lock_to_beats(kp, fps, beats, accent=0.3)
    assert beat_metrics(accented, fps, beats)["bas_bailando"] >= after - 0.05


def test_fast_songs_are_danced_on_every_second_beat_the_stronger_one():
    from dancegen.model.beatlock import MAX_DANCE_BPM, dance_beat_grid

    beats = np.arange(40) * 60 / 190.0
    strength = np.where(np.arange(40) % 2, 0.2, 1.0)         # the even beats are the accented ones
    assert np.allclose(dance_beat_grid(beats, 190.0, strength), beats[0::2])
    assert np.allclose(dance_beat_grid(beats, 190.0, 1.2 - strength), beats[1::2])
    assert np.allclose(dance_beat_grid(beats, MAX_DANCE_BPM, strength), beats)   # up to 160 BPM: all
