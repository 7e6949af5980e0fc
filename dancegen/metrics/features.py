"""Motion features for FID, diversity and the genre classifier.

* :func:`kinetic_features` — the AIST++ kinetic features (Li et al. 2021, used by FACT and
  Bailando) of any ``(T, J, D)`` joint sequence: per joint, the average kinetic energy of the
  horizontal velocity, of the vertical velocity, and the average energy expenditure (mean norm of
  the acceleration), with the published 5-frame windowed finite differences. ``compat_aist_bug``
  reproduces the published acceleration term's operator-precedence error.
* :func:`kinetic_features_aist` — the same on 3D joints (metres, y up), AIST++/Bailando style.
* :func:`kinetic_features_2d` — our kinetic features of OpenPose-18 2D keypoints: the same formula
  on keypoints divided by the sequence's median torso length (body-size normalised,
  :func:`dancegen.skeleton.body_scale`).
* :func:`geometric_features_2d` — our geometric features of OpenPose-18 2D keypoints: statistics of
  joint angles, distances and boolean pose relations (defined in :data:`GEOMETRIC_FEATURE_NAMES`).

All are documented in docs/metrics.md.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
from ..skeleton import J as N_JOINTS
from ..skeleton import OPENPOSE18_JOINTS, body_scale, root

__all__ = [
    "kinetic_features", "kinetic_features_aist", "kinetic_features_2d", "geometric_features_2d",
    "motion_features", "KINETIC_FEATURE_NAMES", "GEOMETRIC_FEATURE_NAMES",
]

#: Half width of the AIST++ finite-difference window, frames (sliding_window=2 -> 5 frames).
AIST_WINDOW = 2


def _check(pos, min_frames=3, name="positions") -> np.ndarray:
    x = np.asarray(pos, dtype=np.float64)
    if x.ndim != 3:
        raise DataError(f"{name} must have shape (T, J, D), got {x.shape}")
    if x.shape[0] < min_frames:
        raise DataError(f"{name} needs at least {min_frames} frames, got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise DataError(f"{name} contains NaN or inf; fill or drop those frames first")
    return x


def _window_mean(vals: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of ``vals[lo[i]..hi[i]]`` (inclusive) along axis 0 for each i, by cumulative sums."""
    cs = np.concatenate([np.zeros((1,) + vals.shape[1:]), np.cumsum(vals, axis=0)], axis=0)
    n = (hi - lo + 1).astype(np.float64)
    return (cs[hi + 1] - cs[lo]) / n.reshape((-1,) + (1,) * (vals.ndim - 1))


def kinetic_features(pos: np.ndarray, fps: float, up_axis: int = 1, window: int = AIST_WINDOW,
                     compat_aist_bug: bool = False) -> np.ndarray:
    """AIST++ kinetic features of a joint sequence, 3 per joint.

    With ``dt = 1/fps``, frames ``i = 1..T-1`` and the window ``W_i = [i-w, i+w]``:

    * velocity ``v_i = mean_{k in W_i, 1<=k<=T-1} (p_k - p_{k-1}) / dt``;
    * ``KE_h = mean_i ||v_i without the up component||^2``, ``KE_v = mean_i (v_i[up])^2``;
    * acceleration ``a_i = mean_{k in W_i, 1<=k<=T-2} (p_{k+1} - 2 p_k + p_{k-1}) / dt^2``;
    * energy expenditure ``E = mean_i ||a_i||``.

    With ``compat_aist_bug=True`` the acceleration term is the published code's
    ``(v2 - v1) / dt`` with ``v2 = (p_{k+1} - p_k) / dt`` and ``v1 = p_k - p_{k-1} / dt`` (the
    division binds to ``p_{k-1}`` only), i.e. ``a_k = ((p_{k+1} - p_k) / dt - p_k + p_{k-1} / dt) / dt``,
    which is the correct term plus ``(fps - 1) * fps * p_k``: it keeps a multiple of the absolute
    position, so the energy term (and FID_k computed with it) depends on the coordinate origin and
    changes when the motion is translated. Use it only to reproduce a published table.

    Parameters
    ----------
    pos : (T, J, D) joint positions (any unit), ``T >= 3``.
    fps : frames per second (the published code assumes 60).
    up_axis : index of the vertical axis (AIST++ 3D: 1, y up; 2D image keypoints: 1, y down).
    window : half width ``w`` of the averaging window, frames (published: 2).
    compat_aist_bug : reproduce the published acceleration bug.

    Returns
    -------
    (3 J,) float64: ``[KE_h(j0), KE_v(j0), E(j0), KE_h(j1), ...]`` in unit^2/s^2, unit^2/s^2, unit/s^2.
    """
    x = _check(pos)
    fps = float(fps)
    if not fps > 0:
        raise ConfigError(f"fps must be positive, got {fps}")
    T, J, D = x.shape
    if not -D <= up_axis < D:
        raise ConfigError(f"up_axis {up_axis} out of range for {D}-D positions")
    up_axis %= D
    dt = 1.0 / fps
    i = np.arange(1, T)

    d = np.diff(x, axis=0)  # d[k-1] = p_k - p_{k-1}, k = 1..T-1
    lo = np.maximum(1, i - window) - 1
    hi = np.minimum(T - 1, i + window) - 1
    v = _window_mean(d, lo, hi) / dt  # (T-1, J, D)
    horiz = np.delete(v, up_axis, axis=-1)
    ke_h = (horiz ** 2).sum(axis=-1).mean(axis=0)
    ke_v = (v[..., up_axis] ** 2).mean(axis=0)

    k = np.arange(1, T - 1)
    p_next, p_k, p_prev = x[k + 1], x[k], x[k - 1]
    if compat_aist_bug:
        v2 = (p_next - p_k) / dt
        v1 = p_k - p_prev / dt
        acc = (v2 - v1) / dt
    else:
        acc = (p_next - 2 * p_k + p_prev) / dt ** 2
    lo = np.maximum(1, i - window) - 1
    hi = np.minimum(T - 2, i + window) - 1
    a = _window_mean(acc, lo, hi)  # (T-1, J, D)
    energy = np.linalg.norm(a, axis=-1).mean(axis=0)
    return np.stack([ke_h, ke_v, energy], axis=-1).reshape(-1)


def kinetic_features_aist(joints3d: np.ndarray, fps: float = 60.0, up_axis: int = 1,
                          compat_aist_bug: bool = False, subtract_first_root: bool = True,
                          root_index: int = 0) -> np.ndarray:
    """AIST++ kinetic features of 3D joints ``(T, K, 3)`` (metres, y up), ``(3 K,)``.

    Follows the AIST++/Bailando evaluation: the first frame's root joint (``root_index``) is
    subtracted from all positions (``subtract_first_root``), then :func:`kinetic_features` with
    ``window=2``. With the correct form the subtraction changes nothing (it is translation
    invariant); with ``compat_aist_bug=True`` it matters, as in the published numbers.
    """
    x = _check(joints3d, name="joints3d")
    if x.shape[-1] != 3:
        raise DataError(f"joints3d must have shape (T, K, 3), got {x.shape}")
    if subtract_first_root:
        x = x - x[:1, root_index:root_index + 1]
    return kinetic_features(x, fps, up_axis=up_axis, compat_aist_bug=compat_aist_bug)


def _check_op18(kp, min_frames=3) -> np.ndarray:
    x = _check(kp, min_frames, name="keypoints")
    if x.shape[1:] != (N_JOINTS, 2):
        raise DataError(f"keypoints must have shape (T, {N_JOINTS}, 2) (OpenPose-18), got {x.shape}")
    return x


KINETIC_FEATURE_NAMES = tuple(f"{j}:{f}" for j in OPENPOSE18_JOINTS for f in ("ke_h", "ke_v", "energy"))


def kinetic_features_2d(kp: np.ndarray, fps: float) -> np.ndarray:
    """Kinetic features of 2D OpenPose-18 keypoints, body-size normalised, ``(54,)``.

    :func:`kinetic_features` (correct form, window 2, vertical = image y) of ``kp / s`` with ``s``
    the median torso length (neck to mid-hip) of the sequence, so the units are torso lengths per
    second: per joint (``KINETIC_FEATURE_NAMES``) the mean squared horizontal and vertical speed
    (L^2/s^2) and the mean acceleration norm (L/s^2). The global translation is kept (travel and
    bounce are part of a dance); the canvas size and the dancer's size are not.
    """
    x = _check_op18(kp)
    return kinetic_features(x / body_scale(x), fps, up_axis=1)


# ---------------------------------------------------------------------------------------------
# geometric features
_RS, _RE, _RW, _LS, _LE, _LW = 2, 3, 4, 5, 6, 7
_RH, _RK, _RA, _LH, _LK, _LA = 8, 9, 10, 11, 12, 13
_NOSE, _NECK = 0, 1

_CONTINUOUS = (
    "elbow_angle_R", "elbow_angle_L", "knee_angle_R", "knee_angle_L",
    "shoulder_angle_R", "shoulder_angle_L", "hip_angle_R", "hip_angle_L",
    "wrist_distance", "ankle_distance", "wrist_height_R", "wrist_height_L",
    "foot_lift_R", "foot_lift_L", "torso_tilt", "wrist_reach_R", "wrist_reach_L",
    "shoulder_width", "hip_width", "ankle_spread_x",
)
_BOOLEAN = (
    "wrist_above_head_R", "wrist_above_head_L", "knee_bent_R", "knee_bent_L",
    "one_foot_lifted", "hands_wide", "feet_wide",
)
#: Names of the :func:`geometric_features_2d` entries, in order.
GEOMETRIC_FEATURE_NAMES = (
    tuple(f"mean:{n}" for n in _CONTINUOUS) + tuple(f"std:{n}" for n in _CONTINUOUS)
    + tuple(f"share:{n}" for n in _BOOLEAN)
)


def _angle(a, b, c) -> np.ndarray:
    """Angle at ``b`` between ``a - b`` and ``c - b``, radians in [0, pi]; (T, D) inputs (2D or 3D)."""
    u, v = a - b, c - b
    nu, nv = np.linalg.norm(u, axis=-1), np.linalg.norm(v, axis=-1)
    cos = (u * v).sum(-1) / np.maximum(nu * nv, 1e-9)
    return np.arccos(np.clip(cos, -1.0, 1.0))


def geometric_relations_2d(kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame pose relations of OpenPose-18 keypoints (image coordinates, y down).

    Positions are root-centred and divided by the sequence's median torso length ``L``. Continuous
    relations (``_CONTINUOUS``; angles in radians, lengths in ``L``): elbow and knee angles; shoulder
    angle (torso side to upper arm) and hip angle (torso to thigh); wrist-wrist and ankle-ankle
    distance; wrist height above the neck; foot lift (height of each ankle above the lower ankle);
    torso tilt from vertical (signed, neck right of mid-hip > 0); horizontal wrist reach from the
    neck; horizontal shoulder and hip width (a rotation cue); horizontal ankle spread. Boolean
    relations (``_BOOLEAN``): wrist above the nose; knee angle < 150 deg; one ankle above the other by
    > 0.3 L; wrists more than 1.5 L apart horizontally; ankles more than 0.75 L apart horizontally.

    Returns ``(cont (T, 20) float64, boolean (T, 7) bool)``.
    """
    x = _check_op18(kp, min_frames=1)
    q = (x - root(x)[:, None, :]) / body_scale(x)
    P = lambda j: q[:, j, :]  # noqa: E731
    mid_hip = 0.5 * (P(_RH) + P(_LH))
    up = lambda j: -P(j)[:, 1]  # noqa: E731  height, up positive
    lower_ankle = np.minimum(up(_RA), up(_LA))
    torso = P(_NECK) - mid_hip
    cont = np.stack([
        _angle(P(_RS), P(_RE), P(_RW)), _angle(P(_LS), P(_LE), P(_LW)),
        _angle(P(_RH), P(_RK), P(_RA)), _angle(P(_LH), P(_LK), P(_LA)),
        _angle(P(_RH), P(_RS), P(_RE)), _angle(P(_LH), P(_LS), P(_LE)),
        _angle(P(_NECK), P(_RH), P(_RK)), _angle(P(_NECK), P(_LH), P(_LK)),
        np.linalg.norm(P(_RW) - P(_LW), axis=-1), np.linalg.norm(P(_RA) - P(_LA), axis=-1),
        up(_RW) - up(_NECK), up(_LW) - up(_NECK),
        up(_RA) - lower_ankle, up(_LA) - lower_ankle,
        np.arctan2(torso[:, 0], -torso[:, 1]),
        np.abs(P(_RW)[:, 0] - P(_NECK)[:, 0]), np.abs(P(_LW)[:, 0] - P(_NECK)[:, 0]),
        np.abs(P(_LS)[:, 0] - P(_RS)[:, 0]), np.abs(P(_LH)[:, 0] - P(_RH)[:, 0]),
        np.abs(P(_LA)[:, 0] - P(_RA)[:, 0]),
    ], axis=-1)
    knee_bent = np.deg2rad(150.0)
    boolean = np.stack([
        up(_RW) > up(_NOSE), up(_LW) > up(_NOSE),
        cont[:, 2] < knee_bent, cont[:, 3] < knee_bent,
        np.abs(up(_RA) - up(_LA)) > 0.3,
        np.abs(P(_RW)[:, 0] - P(_LW)[:, 0]) > 1.5,
        np.abs(P(_RA)[:, 0] - P(_LA)[:, 0]) > 0.75,
    ], axis=-1)
    return cont, boolean


def geometric_features_2d(kp: np.ndarray) -> np.ndarray:
    """Geometric features of a 2D OpenPose-18 sequence, ``(47,)`` (``GEOMETRIC_FEATURE_NAMES``).

    The mean and the standard deviation over frames of the 20 continuous relations of
    :func:`geometric_relations_2d`, then the share of frames (0..1) where each of its 7 boolean
    relations holds. Invariant to translation and to the body's size on the canvas.
    """
    cont, boolean = geometric_relations_2d(kp)
    return np.concatenate([cont.mean(0), cont.std(0), boolean.mean(0)])


def motion_features(kp: np.ndarray, fps: float, kind: str = "kinetic") -> np.ndarray:
    """Feature vector of one 2D OpenPose-18 sequence: ``kind`` is ``"kinetic"`` (54),
    ``"geometric"`` (47) or ``"both"`` (101, kinetic then geometric)."""
    if kind == "kinetic":
        return kinetic_features_2d(kp, fps)
    if kind == "geometric":
        return geometric_features_2d(kp)
    if kind == "both":
        return np.concatenate([kinetic_features_2d(kp, fps), geometric_features_2d(kp)])
    raise ConfigError(f"unknown feature kind {kind!r}; use 'kinetic', 'geometric' or 'both'")
