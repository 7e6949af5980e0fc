"""Known, hand-built poses for tests, benchmarks and docs of the renderer (no data needed).

The person faces the camera, so their right side is on the image's left.
"""
from __future__ import annotations

import numpy as np

from ..dance import Dance

# Standing pose, (dx, y) on a 1920x1080 canvas: x relative to the body centre, y down; about 600 px
# from the top of the head (y ~ 240) to the ankles (y = 840).
_STAND = np.array([
    (0, 290),      # Nose
    (0, 350),      # Neck
    (-75, 350),    # RShoulder
    (-95, 470),    # RElbow
    (-105, 580),   # RWrist
    (75, 350),     # LShoulder
    (95, 470),     # LElbow
    (105, 580),    # LWrist
    (-50, 590),    # RHip
    (-55, 720),    # RKnee
    (-58, 840),    # RAnkle
    (50, 590),     # LHip
    (55, 720),     # LKnee
    (58, 840),     # LAnkle
    (-15, 275),    # REye
    (15, 275),     # LEye
    (-35, 285),    # REar
    (35, 285),     # LEar
], dtype=np.float32)


def standing_pose(center_x: float = 960.0, dy: float = 0.0) -> np.ndarray:
    """A standing OpenPose-18 pose, (18, 2) float32 canvas pixels, ankles at ``y = 840 + dy``."""
    p = _STAND.copy()
    p[:, 0] += center_x
    p[:, 1] += dy
    return p


def arms_pose(left_angle: float, right_angle: float, center_x: float = 960.0) -> np.ndarray:
    """Standing pose with straight arms swung out sideways: angle 0 = hanging down, pi/2 =
    horizontal, radians. Upper arm and forearm are 120 and 110 px. Returns (18, 2) float32."""
    p = standing_pose(center_x)
    for sh, el, wr, sign, ang in ((2, 3, 4, -1.0, right_angle), (5, 6, 7, 1.0, left_angle)):
        d = np.array([sign * np.sin(ang), np.cos(ang)], dtype=np.float32)
        p[el] = p[sh] + 120 * d
        p[wr] = p[el] + 110 * d
    return p


def swaying_dance(n_frames: int, fps: float = 25.0, bpm: float = 120.0, name: str = "sway",
                  music: str | None = None, offset: float = 0.0) -> Dance:
    """A simple periodic dance: arms swing out and in, alternating, once per beat at ``bpm``;
    the body bobs 20 px and sways 80 px sideways once per bar (4 beats). (T, 18, 2) on 1920x1080."""
    t = np.arange(n_frames) / float(fps)
    ph = 2 * np.pi * t * bpm / 60.0
    kp = np.empty((n_frames, 18, 2), np.float32)
    for i in range(n_frames):
        a = 0.35 + 0.9 * (0.5 + 0.5 * np.sin(ph[i]))
        b = 0.35 + 0.9 * (0.5 - 0.5 * np.sin(ph[i]))
        p = arms_pose(a, b, center_x=960.0 + 80.0 * np.sin(ph[i] / 4))
        p[:, 1] += 10.0 * np.cos(ph[i] * 2) * (np.arange(18) != 10) * (np.arange(18) != 13)
        kp[i] = p
    return Dance(keypoints=kp, fps=fps, music=music, offset=offset, name=name, genre=None)


# Standing body in the dancegen.body3d layout (metres, y up, floor at 0), facing +z: the dancer's
# right side is at -x.
_STAND3D = np.array([
    (0.0, 0.95, 0.0),        # MidHip
    (0.0, 1.45, 0.0),        # Neck
    (0.0, 1.62, 0.02),       # Head
    (-0.18, 1.42, 0.0), (-0.20, 1.14, 0.0), (-0.21, 0.88, 0.02),   # RShoulder, RElbow, RWrist
    (0.18, 1.42, 0.0), (0.20, 1.14, 0.0), (0.21, 0.88, 0.02),      # LShoulder, LElbow, LWrist
    (-0.10, 0.95, 0.0), (-0.11, 0.52, 0.01), (-0.11, 0.08, 0.0), (-0.11, 0.02, 0.16),  # R leg, toe
    (0.10, 0.95, 0.0), (0.11, 0.52, 0.01), (0.11, 0.08, 0.0), (0.11, 0.02, 0.16),      # L leg, toe
], dtype=np.float32)


def swaying_dance_3d(n_frames: int, fps: float = 25.0, bpm: float = 120.0, name: str = "sway3d",
                     music: str | None = None, offset: float = 0.0, turn: float = 0.6) -> Dance:
    """A 3D version of :func:`swaying_dance` with ``joints3d`` in the :mod:`dancegen.body3d`
    layout: arms swing out sideways once per beat, the body bobs, sways and turns ``turn``
    radians back and forth once every two bars. The 2D keypoints are a front view of it
    (about 600 px tall on 1920x1080)."""
    from ..body3d import JOINTS3D, rot_y, to_openpose18

    t = np.arange(n_frames) / float(fps)
    ph = 2 * np.pi * t * bpm / 60.0
    j = np.repeat(_STAND3D[None], n_frames, axis=0).astype(np.float64)
    for sh, el, wr, sign, amp in ((3, 4, 5, -1.0, np.sin(ph)), (6, 7, 8, 1.0, -np.sin(ph))):
        ang = 0.3 + 0.9 * (0.5 + 0.5 * amp)              # 0 = hanging, pi/2 = horizontal
        d = np.stack([sign * np.sin(ang), -np.cos(ang), np.zeros_like(ang)], -1)
        j[:, el] = j[:, sh] + 0.28 * d
        j[:, wr] = j[:, el] + 0.26 * d
    rot = rot_y(turn * np.sin(ph / 8))                  # (T, 3, 3) about the hips
    root = j[:, :1].copy()
    j = np.einsum("tij,tkj->tki", rot, j - root) + root
    bob = 0.03 * np.cos(2 * ph)
    j[:, :, 1] += np.where(np.isin(np.arange(17), [11, 12, 15, 16]), 0.0, bob[:, None])
    j[:, :, 0] += 0.25 * np.sin(ph / 4)[:, None]
    op = to_openpose18(j)                               # (T, 18, 3) metres
    kp = np.stack([960.0 + op[..., 0] * 360.0, 880.0 - op[..., 1] * 360.0], -1).astype(np.float32)
    return Dance(keypoints=kp, fps=fps, music=music, offset=offset, name=name, genre=None,
                 joints3d=j.astype(np.float32), joint3d_names=JOINTS3D)
