"""Realism of 3D dances against real ones, on windows of a few seconds.

Every figure is computed the same way for generated and real dances (real: the Dance with Melody
takes, retimed, drift-free, on the reference skeleton), per window of ``WINDOW_S`` = 5 s (hop
2.5 s), then averaged over windows:

* ``wrist_above_shoulder``: share of frames in which a wrist is higher than its shoulder;
* ``knee_angle_std``: standard deviation over the window of each knee's angle (degrees), mean of both;
* ``feet_distance``: mean ankle-to-ankle distance in torso lengths (Neck-MidHip);
* ``travel_speed``: mean speed (m/s) of the root on the floor, smoothed over 0.5 s (sway removed);
* ``foot_sliding``: mean horizontal speed (m/s) of a foot while its lower point is within 6 cm of
  the floor (the foot should be planted then; the same rule for real and generated dances);
* ``FID_k`` / ``FID_g``: Frechet distance between the 2D kinetic / geometric features
  (:func:`dancegen.metrics.features.motion_features`) of the windows filmed by the default camera
  (:mod:`dancegen.camera`, ``front``), standardised on the real set; ``div_k`` / ``div_g``: mean
  pairwise distance of the same standardised features (diversity).
"""
from __future__ import annotations

import numpy as np

from .. import body3d as b3
from ..skeleton import joint_speed

WINDOW_S, HOP_S = 5.0, 2.5
PLANTED_HEIGHT = 0.06


def _angle(a, b, c):
    """Angle at ``b`` in degrees (:func:`dancegen.metrics.features._angle`, any dimension)."""
    from ..metrics.features import _angle as angle_rad

    return np.degrees(angle_rad(a, b, c))


def window_stats(j: np.ndarray, fps: float) -> dict:
    """The per-window figures of one window of world joints ``(T, 17, 3)`` m."""
    from scipy.ndimage import gaussian_filter1d

    I = b3.JOINT3D_INDEX
    wr = ((j[:, I["RWrist"], 1] > j[:, I["RShoulder"], 1]) | (j[:, I["LWrist"], 1] > j[:, I["LShoulder"], 1])).mean()
    kr = _angle(j[:, I["RHip"]], j[:, I["RKnee"]], j[:, I["RAnkle"]])
    kl = _angle(j[:, I["LHip"]], j[:, I["LKnee"]], j[:, I["LAnkle"]])
    torso = np.linalg.norm(j[:, I["Neck"]] - j[:, I["MidHip"]], axis=-1).mean()
    feet = np.linalg.norm(j[:, I["RAnkle"]] - j[:, I["LAnkle"]], axis=-1).mean() / torso
    root = gaussian_filter1d(j[:, 0, [0, 2]].astype(np.float64), 0.5 * fps, axis=0, mode="nearest")
    travel = joint_speed(root[:, None], fps, difference="steps").mean()
    slides = []
    for a, t in ((I["RAnkle"], I["RBigToe"]), (I["LAnkle"], I["LBigToe"])):
        low = np.minimum(j[:, a, 1], j[:, t, 1])
        mid = 0.5 * (j[:, a, [0, 2]] + j[:, t, [0, 2]])
        v = joint_speed(mid[:, None], fps, difference="steps")
        planted = (low[1:] < PLANTED_HEIGHT) & (low[:-1] < PLANTED_HEIGHT)
        if planted.any():
            slides.append(v[planted])
    slide = float(np.concatenate(slides).mean()) if slides else np.nan
    return {"wrist_above_shoulder": float(wr), "knee_angle_std": float(0.5 * (kr.std() + kl.std())),
            "feet_distance": float(feet), "travel_speed": float(travel), "foot_sliding": slide}


def windows(n: int, fps: float):
    w, h = int(round(WINDOW_S * fps)), int(round(HOP_S * fps))
    return [(s, s + w) for s in range(0, n - w + 1, h)]


def set_figures(dances3d: list, fps: float, camera=None) -> dict:
    """Mean per-window figures and the 2D window features of a set of 3D dances (list of
    ``(T, 17, 3)`` arrays)."""
    from ..camera import CameraConfig, film
    from ..metrics.features import motion_features

    rows, fk, fg = [], [], []
    for j in dances3d:
        kp, _ = film(j, fps, camera or CameraConfig())
        for a, b in windows(len(j), fps):
            rows.append(window_stats(j[a:b], fps))
            fk.append(motion_features(kp[a:b], fps, "kinetic"))
            fg.append(motion_features(kp[a:b], fps, "geometric"))
    keys = rows[0].keys()
    stats = {k: float(np.nanmean([r[k] for r in rows])) for k in keys}
    return {"stats": stats, "kinetic": np.asarray(fk), "geometric": np.asarray(fg), "n_windows": len(rows)}


def compare(gen: dict, real: dict) -> dict:
    """FID/diversity of ``gen`` against ``real`` (outputs of :func:`set_figures`) and the ratio of
    every per-window figure (generated / real)."""
    from ..metrics.fid import diversity, frechet_distance, normalize_features

    out = {"n_windows": gen["n_windows"]}
    for kind, tag in (("kinetic", "k"), ("geometric", "g")):
        r, g = normalize_features(real[kind], gen[kind])
        out[f"FID_{tag}"] = frechet_distance(g, r)
        out[f"div_{tag}"] = diversity(g)
        out[f"div_{tag}_real"] = diversity(r)
    for k, v in gen["stats"].items():
        out[k] = v
        out[f"{k}_real"] = real["stats"][k]
        out[f"{k}_ratio"] = v / real["stats"][k] if real["stats"][k] else np.nan
    return out


def real_takes(root, split: str, ref_lengths) -> list:
    """Real takes of a split on the reference skeleton, retimed: list of dicts (name, joints,
    music, offset, genre)."""
    from ..data.motion3d_data import load_takes

    tk = load_takes(root, split=split, progress=False)
    for t in tk:
        t["joints"] = b3.retarget(t["joints"], ref_lengths)
    return tk
