"""Beat accents (model/beatlock.py): beats are fixed points, the speed dips on every beat by the
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
