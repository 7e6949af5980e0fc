"""Retiming onto beats (the beat warp of dancegen.timewarp, the time base of the training takes) and
the motion beats it moves, on synthetic motion with known accents."""
from __future__ import annotations

import numpy as np
import pytest

from dancegen.data.retime import time_base_map
from dancegen.errors import ConfigError
from dancegen.metrics.beat import beat_align_score_bailando as beat_align_score
from dancegen.skeleton import joint_speed, motion_beats, resample
from dancegen.timewarp import align_beats, anchors_to_map, bound_map, retime_to_beats

FPS = 25.0


def accented_motion(accents_s, duration_s, fps=FPS, joints=4):
    """Motion (T, J, 2) whose mean joint speed has V-shaped minima exactly at ``accents_s``:
    every joint travels along x with speed 20 + 400 * (distance to the nearest accent, s)."""
    t = np.arange(int(round(duration_s * fps))) / fps
    d = np.min(np.abs(t[:, None] - np.asarray(accents_s)[None, :]), axis=1)
    v = 20.0 + 400.0 * d
    x = np.cumsum(v) / fps
    m = np.zeros((t.size, joints, 2))
    m[:, :, 0] = x[:, None] + np.arange(joints)[None, :] * 10.0
    m[:, :, 1] = np.arange(joints)[None, :] * 5.0
    return m


def test_motion_beats_find_the_accents():
    acc = np.arange(0.5, 9.6, 0.6)
    mb = motion_beats(accented_motion(acc, 10.0), FPS)
    assert mb.size == acc.size
    assert np.max(np.abs(mb - acc)) <= 1.0 / FPS + 1e-9
    v = joint_speed(accented_motion(acc, 10.0), FPS)
    assert v.min() == pytest.approx(20.0, abs=400.0 / FPS)


def test_resample_and_time_base():
    m = np.arange(10, dtype=float)[:, None, None] * np.ones((1, 2, 2))
    out = resample(m, [0.0, 2.5, 9.0, 12.0])
    assert out[:, 0, 0] == pytest.approx([0.0, 2.5, 9.0, 9.0])
    tb = time_base_map(100, 110)
    assert tb[0] == 0 and tb[-1] == 99 and tb.size == 110
    assert np.diff(tb) == pytest.approx(np.full(109, 99 / 109))


def test_retime_moves_accents_onto_beats_with_bounded_smooth_rate():
    beats = np.arange(0.5, 19.6, 0.5)                      # 120 BPM
    off = 0.15 * np.sin(2 * np.pi * beats / 5.0) + 0.03   # accents drift up to 180 ms off the beat
    acc = beats + off
    motion = accented_motion(acc, 20.0)
    before = beat_align_score(motion_beats(motion, FPS), beats)
    warped, tmap = retime_to_beats(motion, FPS, beats, max_rate_change=0.25)
    after = beat_align_score(motion_beats(warped, FPS), beats)
    assert before < 0.45
    assert after > 0.85
    assert warped.shape == motion.shape and warped.dtype == np.float32
    rate = np.diff(tmap)
    assert tmap[0] == pytest.approx(0.0) and tmap[-1] == pytest.approx(motion.shape[0] - 1)
    assert rate.min() >= 0.8 - 1e-6 and rate.max() <= 1.25 + 1e-6
    assert np.abs(np.diff(rate)).max() < 0.1                 # the rate changes smoothly
    # the joints are resampled on the map: frame i is the source at tmap[i]
    assert warped[7] == pytest.approx(resample(motion, tmap[7:8])[0].astype(np.float32))


def test_retime_output_length_and_identity_when_on_beat():
    beats = np.arange(0.5, 9.6, 0.5)
    motion = accented_motion(beats, 10.0)
    warped, tmap = retime_to_beats(motion, FPS, beats)
    assert np.max(np.abs(tmap - np.arange(motion.shape[0]))) < 0.75  # already aligned: within a frame
    w2, t2 = retime_to_beats(motion, FPS, beats, n_out=motion.shape[0] + 20)
    assert w2.shape[0] == motion.shape[0] + 20 and t2[-1] == pytest.approx(motion.shape[0] - 1)
    with pytest.raises(ConfigError):
        retime_to_beats(motion, FPS, beats, max_rate_change=1.5)


def test_align_beats_respects_slope_constraint():
    mo = np.array([10.0, 22.0, 40.0, 51.0, 70.0])
    mu = np.array([12.0, 24.0, 36.0, 48.0, 60.0, 72.0])
    a = align_beats(mo, mu, 100, 100, rate_range=(0.8, 1.25), max_shift=8)
    assert a[0].tolist() == [0.0, 0.0] and a[-1].tolist() == [99.0, 99.0]
    r = np.diff(a[:, 1]) / np.diff(a[:, 0])
    assert (r >= 0.8 - 1e-9).all() and (r <= 1.25 + 1e-9).all()
    # 3 is the most pairs any path can match here: (36,40)->(48,51) forbids (72,70) and vice versa
    assert len(a) - 2 == 3
    tm = anchors_to_map(a, 100, (0.8, 1.25))
    # through the anchors (the rate bound may move them by a small fraction of a frame)
    assert np.interp(a[:, 0], np.arange(100), tm) == pytest.approx(a[:, 1], abs=0.05)


def test_bound_map_clips_rate_and_keeps_ends():
    t = np.concatenate([np.linspace(0, 10, 11), 10 + np.linspace(0, 30, 11)[1:]])  # rates 1 then 3
    b = bound_map(t, (0.5, 2.0))
    assert b[0] == 0 and b[-1] == pytest.approx(t[-1])
    assert np.diff(b).max() <= 2.0 + 1e-9
