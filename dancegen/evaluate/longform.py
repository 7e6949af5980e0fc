"""Whole-song figures of a 3D dance: does it keep moving, avoid loops, stay on the floor, and follow
the music's loudness?

* ``window_speed``: mean joint speed (m/s, all joints, 3D) of every 10-s window (the last partial
  one when >= 5 s), to be divided by the real dances' mean speed
  (:func:`dancegen.metrics.motion.window_speed`);
* ``repetition``: share of 2-s windows (hop 0.5 s) whose body motion nearly repeats a window that
  started at least 2 s earlier: mean joint distance below ``REPEAT_TOL`` (5 cm) between the two
  windows' joints in the body's own frame (root at the origin, heading turned to +z per frame);
* ``root_height``: the root's mean height per minute (drift shows as a trend);
* ``loudness_corr``: Pearson correlation, over 2-s windows, of the music's RMS loudness (dB) and
  the dance's mean joint speed (:func:`dancegen.skeleton.joint_speed`, frame-to-frame steps).
"""
from __future__ import annotations

import numpy as np

from .. import body3d as b3
from ..metrics.motion import window_speed  # noqa: F401  (one of this module's figures)
from ..skeleton import joint_speed

REPEAT_TOL = 0.05


def body_frame(j) -> np.ndarray:
    """Joints relative to the root with the heading turned to +z, ``(T, 17, 3)``."""
    j = np.asarray(j, np.float64)
    R = b3.rot_y(-b3.heading(j))
    return np.einsum("tij,tkj->tki", R, j - j[:, :1])


def repetition(j, fps, win_s=2.0, hop_s=0.5, min_gap_s=2.0, tol=REPEAT_TOL) -> float:
    b = body_frame(j)
    w, h, gap = int(round(win_s * fps)), int(round(hop_s * fps)), int(round(min_gap_s * fps))
    starts = list(range(0, len(b) - w + 1, h))
    if len(starts) < 2:
        return 0.0
    W = np.stack([b[s:s + w] for s in starts])                   # (N, w, 17, 3)
    W = W[:, ::2].reshape(len(starts), -1, 3)                     # every second frame
    hits = 0
    for i in range(1, len(starts)):
        earlier = [k for k in range(i) if starts[i] - starts[k] >= gap]
        if not earlier:
            continue
        d = np.linalg.norm(W[earlier] - W[i][None], axis=-1).mean(1)
        hits += bool(d.min() < tol)
    return hits / len(starts)


def loudness_corr(j, fps, music, offset, win_s=2.0) -> float:
    from ..audio.io import load_audio

    dur = len(j) / fps
    y, sr = load_audio(music, sr=22050, start=offset, duration=dur)
    sp = joint_speed(j, fps, difference="steps")
    n, m = int(round(win_s * fps)), int(round(win_s * sr))
    k = min(len(sp) // n, len(y) // m)
    if k < 3:
        return float("nan")
    loud = [10 * np.log10(np.mean(y[i * m:(i + 1) * m] ** 2) + 1e-10) for i in range(k)]
    mot = [sp[i * n:(i + 1) * n].mean() for i in range(k)]
    return float(np.corrcoef(loud, mot)[0, 1])


def root_height_per_minute(j, fps) -> list:
    n = int(60 * fps)
    return [float(np.asarray(j)[s:s + n, 0, 1].mean()) for s in range(0, len(j), n) if len(j) - s >= n // 2]
