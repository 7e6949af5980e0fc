"""Minimal music-motion sync measures used by the data pipeline (the metrics package owns the
official copies): motion beats and the Bailando beat-align score."""
from __future__ import annotations

import numpy as np


def joint_speed(keypoints: np.ndarray, fps: float, sigma_s: float = 0.08) -> np.ndarray:
    """Mean joint speed per frame, ``(T,)`` in units of ``keypoints`` per second, Gaussian-smoothed
    with sigma ``sigma_s`` seconds. ``keypoints``: ``(T, J, D)`` (2D pixels or 3D cm)."""
    from scipy.ndimage import gaussian_filter1d

    k = np.asarray(keypoints, dtype=np.float64)
    if k.ndim != 3 or k.shape[0] < 2:
        raise ValueError(f"keypoints must be (T>=2, J, D), got {k.shape}")
    v = np.linalg.norm(np.diff(k, axis=0), axis=-1).mean(axis=1) * fps
    v = np.concatenate([v[:1], v])
    if sigma_s > 0:
        v = gaussian_filter1d(v, sigma=max(sigma_s * fps, 1e-3), mode="nearest")
    return v


def motion_beats(keypoints: np.ndarray, fps: float, sigma_s: float = 0.08) -> np.ndarray:
    """Motion beats, seconds from frame 0: the local minima of the smoothed mean joint speed
    (:func:`joint_speed`), the moments where the movement stops or turns (Bailando's kinematic
    beats). ``keypoints``: ``(T, J, D)``. Returns sorted ``(B,)`` float64 seconds."""
    v = joint_speed(keypoints, fps, sigma_s)
    i = np.flatnonzero((v[1:-1] < v[:-2]) & (v[1:-1] <= v[2:])) + 1
    return i / float(fps)


def beat_align_score(motion_beats: np.ndarray, music_beats: np.ndarray, sigma: float = 0.05) -> float:
    """Beat-align score, Bailando form: mean over *music* beats of ``exp(-d^2 / (2 sigma^2))``,
    ``d`` = distance (s) to the nearest motion beat. Both inputs in seconds. 1 is perfect; with
    no motion beats it is 0; NaN when there are no music beats."""
    mb = np.sort(np.asarray(motion_beats, dtype=np.float64).ravel())
    bb = np.asarray(music_beats, dtype=np.float64).ravel()
    if bb.size == 0:
        return float("nan")
    if mb.size == 0:
        return 0.0
    idx = np.clip(np.searchsorted(mb, bb), 1, max(mb.size - 1, 1))
    d = np.minimum(np.abs(bb - mb[idx - 1]), np.abs(bb - mb[np.minimum(idx, mb.size - 1)]))
    return float(np.mean(np.exp(-(d ** 2) / (2 * sigma ** 2))))
