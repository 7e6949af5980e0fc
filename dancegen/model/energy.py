"""Motion-energy governor: keeps a generated dance from settling into near-stillness in quiet
passages, without touching its bone lengths or timing.

A free-running decoder can drift into low-energy stretches (measured on the bundled model: some
10-s windows of a 5-minute ballad at 30% of the real dances' mean speed). The governor measures
the joint speed over a sliding window (``window_s``); where it falls below ``floor`` times the
reference speed of the training dances, it scales the motion's deviations from its own moving
average (``mean_s``) by a smooth gain up to ``max_gain``:

* bones: each bone's direction angle ``theta_b(t)`` deviates from its circular moving average by
  ``gain(t)`` times as much; the bone's visible length ``|v_b|`` is kept, so no bone gets longer;
* neck position: likewise around its moving average.

Timing (and so the beat lock after it) is untouched; a dance already at or above the floor is
returned unchanged (gain 1).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..skeleton import joint_speed
from . import posecode


def params_speed(params: np.ndarray, ref: np.ndarray, fps: float) -> np.ndarray:
    """Mean joint speed per frame (body units per second) of pose parameters ``(T, 36)``:
    :func:`dancegen.skeleton.joint_speed` of the decoded joints, frame-to-frame steps (the
    definition of the model's ``ref_speed``), the first step repeated for frame 0."""
    if len(params) < 2:
        return np.zeros(len(params))
    v = joint_speed(posecode.decode(params, 1.0, (0.0, 0.0), ref), fps, difference="steps")
    return np.concatenate([v[:1], v])


def governor_gain(speed: np.ndarray, fps: float, ref_speed: float, floor: float = 0.65, max_gain: float = 2.5,
                  window_s: float = 4.0) -> np.ndarray:
    """Per-frame gain ``(T,)`` >= 1: ``clip(floor * ref_speed / local_speed, 1, max_gain)``, smoothed."""
    n = max(1, int(round(window_s * fps)))
    local = uniform_filter1d(speed, n, mode="nearest")
    g = np.clip(floor * ref_speed / np.maximum(local, 1e-6), 1.0, max_gain)
    return uniform_filter1d(g, max(1, n // 2), mode="nearest")


def govern(params: np.ndarray, ref: np.ndarray, fps: float, ref_speed: float, floor: float = 0.8,
           max_gain: float = 4.0, mean_s: float = 2.0, window_s: float = 4.0):
    """Apply the governor to pose parameters ``(T, 36)``; returns ``(params, gain)``."""
    p = np.asarray(params, np.float64)
    g = governor_gain(params_speed(p, ref, fps), fps, ref_speed, floor, max_gain, window_s)
    if np.all(g <= 1.0 + 1e-6):
        return p.astype(np.float32), g
    m = max(1, int(round(mean_s * fps)))
    out = p.copy()
    neck = p[:, :2]
    neck_mean = uniform_filter1d(neck, m, axis=0, mode="nearest")
    out[:, :2] = neck_mean + g[:, None] * (neck - neck_mean)
    v = p[:, 2:].reshape(len(p), -1, 2)
    length = np.linalg.norm(v, axis=-1)
    theta = np.arctan2(v[..., 1], v[..., 0])
    # circular moving average of each bone's angle
    c = uniform_filter1d(np.cos(theta), m, axis=0, mode="nearest")
    s = uniform_filter1d(np.sin(theta), m, axis=0, mode="nearest")
    mean = np.arctan2(s, c)
    dev = np.angle(np.exp(1j * (theta - mean)))
    th2 = mean + g[:, None] * dev
    out[:, 2:] = np.stack([length * np.cos(th2), length * np.sin(th2)], axis=-1).reshape(len(p), -1)
    return out.astype(np.float32), g
