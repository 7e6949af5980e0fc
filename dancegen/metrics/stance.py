"""Named dance stances (the paper's Table 3) and the symmetry score on the frames of each.

A rule-based detector on OpenPose-18 2D keypoints (image coordinates: x right, y down). Every
threshold is in units of ``L``, the torso length of the same frame (neck to mid-hip), so the rules
do not depend on the canvas or the dancer's size. "Height" below means ``-y`` (up is positive).
Rotation about the vertical axis is read from foreshortening: with the frontal widths of an adult
body ``W_S = 0.75 L`` (shoulder to shoulder) and ``W_H = 0.45 L`` (hip joint to hip joint),
``yaw_S = arccos(min(1, |x_LShoulder - x_RShoulder| / W_S))`` and likewise ``yaw_H`` for the hips
(0 deg = square to the camera, 90 deg = side on).

=============================  ===============================================================
stance                         rule (all conditions must hold)
=============================  ===============================================================
lift_and_rotate                a wrist higher than the nose, and ``yaw_S >= 45 deg``
straddle_forward               ankles ``> 1.0 L`` apart horizontally, ankle heights within
                               ``0.25 L`` (both feet down), torso tilted ``>= 15 deg`` from vertical
alternate_arms_and_legs        one wrist ``> 0.4 L`` higher than the other, and the ankle on the
                               *opposite* side ``> 0.15 L`` higher than its partner
single_leg_support             one ankle ``> 0.3 L`` higher than the other
extended_transverse_spread     wrists on opposite sides of the neck, each ``> 0.9 L`` from it
                               horizontally, each within ``0.5 L`` of the shoulders' height
diagonal_arm_sweep             wrists on opposite sides of the neck, each ``> 0.9 L`` from it
                               horizontally, one ``> 0.5 L`` above the shoulders' height and the
                               other ``> 0.5 L`` below it
torso_twist_step               ``|yaw_S - yaw_H| >= 30 deg`` and ankles ``> 0.5 L`` apart
=============================  ===============================================================

Stances may overlap (a frame can be single-leg support and alternate arms and legs). A frame with
a zero torso length has no stance.

The symmetry score is :func:`dancegen.feedback.structure.symmetry_score` (the HGR module's, paper
Eq. 3): ``S_sym = clip(1 - mean_k ||p_k^L - mirror(p_k^R)|| / c, 0, 1)`` over the 8 left/right
pairs, ``c`` the torso length, the mirror axis being the line through the neck and the mid-hip of
that frame (the vertical line through them when the torso is upright).
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
from ..feedback.structure import symmetry_score
from ..skeleton import J as N_JOINTS

__all__ = ["STANCES", "STANCE_THRESHOLDS", "detect_stances", "symmetry_per_stance", "symmetry_score"]

STANCES = (
    "lift_and_rotate", "straddle_forward", "alternate_arms_and_legs", "single_leg_support",
    "extended_transverse_spread", "diagonal_arm_sweep", "torso_twist_step",
)

#: The thresholds of the rules (lengths in torso lengths L, angles in degrees).
STANCE_THRESHOLDS = {
    "frontal_shoulder_width": 0.75, "frontal_hip_width": 0.45,
    "rotate_yaw_deg": 45.0,
    "straddle_spread": 1.0, "straddle_feet_level": 0.25, "straddle_tilt_deg": 15.0,
    "alternate_wrist_dy": 0.4, "alternate_ankle_dy": 0.15,
    "single_leg_dy": 0.3,
    "spread_reach": 0.9, "spread_height": 0.5,
    "diagonal_reach": 0.9, "diagonal_dy": 0.5,
    "twist_deg": 30.0, "twist_step": 0.5,
}

_NOSE, _NECK, _RS, _RW, _LS, _LW = 0, 1, 2, 4, 5, 7
_RH, _RA, _LH, _LA = 8, 10, 11, 13


def detect_stances(kp: np.ndarray, thresholds: dict | None = None) -> np.ndarray:
    """Which of the :data:`STANCES` each frame shows (rules in the module docstring).

    Parameters
    ----------
    kp : (T, 18, 2) OpenPose-18 keypoints, pixels (y down).
    thresholds : overrides of :data:`STANCE_THRESHOLDS`.

    Returns
    -------
    (T, 7) bool, columns in the order of :data:`STANCES`.
    """
    x = np.asarray(kp, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (N_JOINTS, 2):
        raise DataError(f"keypoints must have shape (T, {N_JOINTS}, 2), got {np.shape(kp)}")
    th = dict(STANCE_THRESHOLDS)
    if thresholds:
        unknown = set(thresholds) - set(th)
        if unknown:
            raise ConfigError(f"unknown stance thresholds {sorted(unknown)}; known: {sorted(th)}")
        th.update(thresholds)

    P = lambda j: x[:, j, :]  # noqa: E731
    h = lambda j: -x[:, j, 1]  # noqa: E731  height (up positive)
    mid_hip = 0.5 * (P(_RH) + P(_LH))
    torso = P(_NECK) - mid_hip
    L = np.linalg.norm(torso, axis=-1)
    ok = L > 1e-6
    Ls = np.where(ok, L, 1.0)

    def yaw(a, b, ref):
        w = np.abs(P(a)[:, 0] - P(b)[:, 0]) / (ref * Ls)
        return np.degrees(np.arccos(np.clip(w, 0.0, 1.0)))

    yaw_s = yaw(_LS, _RS, th["frontal_shoulder_width"])
    yaw_h = yaw(_LH, _RH, th["frontal_hip_width"])
    tilt = np.degrees(np.arctan2(np.abs(torso[:, 0]), -torso[:, 1]))  # 0 = upright, 180 = upside down
    shoulder_h = 0.5 * (h(_RS) + h(_LS))
    neck_x = P(_NECK)[:, 0]
    dxr, dxl = P(_RW)[:, 0] - neck_x, P(_LW)[:, 0] - neck_x
    opposite = dxr * dxl < 0
    ankle_dx = np.abs(P(_RA)[:, 0] - P(_LA)[:, 0]) / Ls
    ankle_dy = (h(_RA) - h(_LA)) / Ls            # > 0: right ankle higher
    wrist_dy = (h(_RW) - h(_LW)) / Ls            # > 0: right wrist higher
    ankle_dist = np.linalg.norm(P(_RA) - P(_LA), axis=-1) / Ls

    lift_rotate = (np.maximum(h(_RW), h(_LW)) > h(_NOSE)) & (yaw_s >= th["rotate_yaw_deg"])
    straddle = ((ankle_dx > th["straddle_spread"]) & (np.abs(ankle_dy) < th["straddle_feet_level"])
                & (tilt >= th["straddle_tilt_deg"]))
    alternate = (((wrist_dy > th["alternate_wrist_dy"]) & (ankle_dy < -th["alternate_ankle_dy"]))
                 | ((wrist_dy < -th["alternate_wrist_dy"]) & (ankle_dy > th["alternate_ankle_dy"])))
    single_leg = np.abs(ankle_dy) > th["single_leg_dy"]
    reach_r, reach_l = np.abs(dxr) / Ls, np.abs(dxl) / Ls
    rel_r, rel_l = (h(_RW) - shoulder_h) / Ls, (h(_LW) - shoulder_h) / Ls
    spread = (opposite & (reach_r > th["spread_reach"]) & (reach_l > th["spread_reach"])
              & (np.abs(rel_r) < th["spread_height"]) & (np.abs(rel_l) < th["spread_height"]))
    diagonal = (opposite & (reach_r > th["diagonal_reach"]) & (reach_l > th["diagonal_reach"])
                & (((rel_r > th["diagonal_dy"]) & (rel_l < -th["diagonal_dy"]))
                   | ((rel_l > th["diagonal_dy"]) & (rel_r < -th["diagonal_dy"]))))
    twist = (np.abs(yaw_s - yaw_h) >= th["twist_deg"]) & (ankle_dist > th["twist_step"])
    out = np.stack([lift_rotate, straddle, alternate, single_leg, spread, diagonal, twist], axis=-1)
    return out & ok[:, None]


def symmetry_per_stance(kp: np.ndarray, fps: float, thresholds: dict | None = None) -> dict:
    """Mean symmetry score on the frames of each stance (the paper's Table 3).

    Parameters
    ----------
    kp : (T, 18, 2) keypoints; fps : frames per second (for the durations).
    thresholds : overrides of :data:`STANCE_THRESHOLDS`.

    Returns
    -------
    ``{stance: {"symmetry": mean S_sym over its frames (nan if none), "frames": n,
    "seconds": n / fps, "share": n / T}}`` for every name in :data:`STANCES`, plus ``"all"`` over
    every frame.
    """
    fps = float(fps)
    if not fps > 0:
        raise ConfigError(f"fps must be positive, got {fps}")
    x = np.asarray(kp, dtype=np.float64)
    st = detect_stances(x, thresholds)
    s = symmetry_score(x)
    T = len(s)
    out = {}
    for i, name in enumerate(STANCES + ("all",)):
        m = st[:, i] if i < len(STANCES) else np.ones(T, bool)
        n = int(m.sum())
        out[name] = {"symmetry": float(s[m].mean()) if n else float("nan"), "frames": n,
                     "seconds": n / fps, "share": n / T if T else 0.0}
    return out
