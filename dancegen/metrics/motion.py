"""Joint position error against the real dance, and motion smoothness.

See docs/metrics.md for the definitions and the two ways the position error is used.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
from ..skeleton import joint_speed

__all__ = ["joint_position_error", "smoothness", "window_speed"]


def window_speed(kp: np.ndarray, fps: float, window_s: float = 10.0) -> np.ndarray:
    """Mean joint speed in consecutive ``window_s`` windows (the last partial one when it is at least
    half a window), in the unit of ``kp`` per second: 2D pixels (the README's "every 10-s window's
    speed / real") or 3D metres (the whole-song figures of :mod:`dancegen.evaluate.longform`).

    The speed is :func:`dancegen.skeleton.joint_speed` with frame-to-frame steps, averaged over the
    joints and then over the steps of each window.

    >>> kp = np.zeros((51, 2, 2)); kp[:, :, 0] = np.arange(51)[:, None] * 4.0   # 4 px a frame
    >>> window_speed(kp, 25.0, window_s=1.0)                                  # 100 px/s
    array([100., 100.])
    """
    sp = joint_speed(kp, fps, difference="steps")
    n = int(round(window_s * fps))
    return np.asarray([sp[s:s + n].mean() for s in range(0, len(sp), n) if len(sp[s:s + n]) >= n // 2])


def joint_position_error(pred: np.ndarray, true: np.ndarray, confidence: np.ndarray | None = None,
                         per_frame: bool = False):
    """Mean Euclidean distance per joint per frame between a predicted and the real motion.

    ``JPE = 1/(T J) sum_t sum_j ||pred[t, j] - true[t, j]||``, in the units of the inputs (pixels
    for 2D keypoints on a canvas; compare both on the same canvas).

    The caller chooses what ``pred`` is:

    * **free-running**: the model generates the whole sequence from the music (and a seed pose) on
      its own outputs; the error grows with drift, so report it with the sequence length;
    * **one-step-ahead**: each ``pred[t]`` is predicted from the *real* frames before ``t``
      (teacher forcing), which measures the single-step prediction quality.

    Parameters
    ----------
    pred, true : (T, J, D) positions, same shape.
    confidence : optional (T, J) weights (e.g. pose-estimation confidence of ``true``); joints with
        weight 0 are ignored and the mean becomes a weighted mean.
    per_frame : return the (T,) per-frame mean instead of the overall mean.

    Returns
    -------
    float (or (T,) float64 with ``per_frame``), units of the inputs.
    """
    p = np.asarray(pred, dtype=np.float64)
    q = np.asarray(true, dtype=np.float64)
    if p.shape != q.shape or p.ndim != 3:
        raise DataError(f"pred and true must have the same (T, J, D) shape, got {p.shape} and {q.shape}")
    d = np.linalg.norm(p - q, axis=-1)  # (T, J)
    if confidence is None:
        return d.mean(axis=1) if per_frame else float(d.mean())
    w = np.asarray(confidence, dtype=np.float64)
    if w.shape != d.shape:
        raise DataError(f"confidence must have shape {d.shape}, got {w.shape}")
    if per_frame:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (d * w).sum(axis=1) / w.sum(axis=1)
    if not w.sum() > 0:
        raise DataError("all confidences are zero; nothing to compare")
    return float((d * w).sum() / w.sum())


def smoothness(kp: np.ndarray, fps: float) -> dict:
    """Mean joint speed, acceleration and jerk magnitudes by finite differences.

    With ``dt = 1 / fps``:
    ``v_t = (x_{t+1} - x_t) / dt``, ``a_t = (x_{t+1} - 2 x_t + x_{t-1}) / dt^2``,
    ``j_t = (x_{t+2} - 3 x_{t+1} + 3 x_t - x_{t-1}) / dt^3``, and each figure is the mean of
    ``||.||`` over all valid frames and joints (the speed is :func:`dancegen.skeleton.joint_speed`,
    frame-to-frame steps). Lower acceleration/jerk means smoother motion;
    compare motions at the same scale (pixels of the same canvas). For ``x = a t^2 / 2`` the
    acceleration is exactly ``a`` and the jerk 0.

    Parameters
    ----------
    kp : (T, J, D) positions (pixels), ``T >= 4``.
    fps : frames per second.

    Returns
    -------
    dict ``{"speed": px/s, "acceleration": px/s^2, "jerk": px/s^3}`` (floats).
    """
    x = np.asarray(kp, dtype=np.float64)
    if x.ndim != 3:
        raise DataError(f"kp must have shape (T, J, D), got {x.shape}")
    if x.shape[0] < 4:
        raise DataError(f"smoothness needs at least 4 frames, got {x.shape[0]}")
    fps = float(fps)
    if not fps > 0:
        raise ConfigError(f"fps must be positive, got {fps}")
    d2 = np.diff(x, n=2, axis=0) * fps ** 2
    d3 = np.diff(x, n=3, axis=0) * fps ** 3
    return {
        "speed": float(joint_speed(x, fps, difference="steps").mean()),
        "acceleration": float(np.linalg.norm(d2, axis=-1).mean()),
        "jerk": float(np.linalg.norm(d3, axis=-1).mean()),
    }
