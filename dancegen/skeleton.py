"""Joint layouts, bones, left/right pairs, conversions to OpenPose-18 and normalisation.

Conventions (see docs/ARCHITECTURE.md): keypoints are ``(T, J, 2)`` float32 in pixels of a canvas,
x to the right, y downward (image coordinates). The canonical layout is OpenPose-18 (COCO order of
OpenPose's ``COCO`` model, 18 joints).
"""
from __future__ import annotations

import numpy as np

OPENPOSE18_JOINTS = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
)
J = len(OPENPOSE18_JOINTS)
JOINT_INDEX = {name: i for i, name in enumerate(OPENPOSE18_JOINTS)}

# 17 bones (parent, child) of the OpenPose-18 tree rooted at the neck.
BONES = (
    (1, 2), (2, 3), (3, 4),        # right arm
    (1, 5), (5, 6), (6, 7),        # left arm
    (1, 8), (8, 9), (9, 10),       # right leg (neck-hip is the right torso side)
    (1, 11), (11, 12), (12, 13),   # left leg
    (1, 0), (0, 14), (14, 16),     # head, right eye, right ear
    (0, 15), (15, 17),             # left eye, left ear
)
BONE_NAMES = tuple(f"{OPENPOSE18_JOINTS[a]}-{OPENPOSE18_JOINTS[b]}" for a, b in BONES)

# (right, left) joint pairs that a left-right mirror swaps.
LR_PAIRS = ((2, 5), (3, 6), (4, 7), (8, 11), (9, 12), (10, 13), (14, 15), (16, 17))
# (right bone index, left bone index) pairs of BONES.
LR_BONE_PAIRS = ((0, 3), (1, 4), (2, 5), (6, 9), (7, 10), (8, 11), (13, 15), (14, 16))

RIGHT_JOINTS = tuple(r for r, _ in LR_PAIRS)
LEFT_JOINTS = tuple(l for _, l in LR_PAIRS)
CENTER_JOINTS = (0, 1)

# Limb sides for drawing: 'R', 'L' or 'C' per bone.
BONE_SIDE = tuple(
    "R" if (b in RIGHT_JOINTS) else ("L" if (b in LEFT_JOINTS) else "C") for _, b in BONES
)

MIRROR_PERM = np.arange(J)
for _r, _l in LR_PAIRS:
    MIRROR_PERM[_r], MIRROR_PERM[_l] = _l, _r

# ---------------------------------------------------------------------------------------------
# Other layouts
COCO17_JOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# OpenPose-18 index -> COCO-17 index (Neck is the mean of the shoulders).
_OP_FROM_COCO = (0, None, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3)

BLAZEPOSE33_JOINTS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
_OP_FROM_BLAZE = (0, None, 12, 14, 16, 11, 13, 15, 24, 26, 28, 23, 25, 27, 5, 2, 8, 7)


def _convert(points: np.ndarray, table, neck_pair, n_src: int, name: str) -> np.ndarray:
    pts = np.asarray(points)
    if pts.shape[-2] != n_src:
        raise ValueError(f"{name} input must have {n_src} joints on axis -2, got shape {pts.shape}")
    out = np.empty(pts.shape[:-2] + (J,) + pts.shape[-1:], dtype=np.result_type(pts.dtype, np.float32))
    for j, src in enumerate(table):
        if src is None:
            out[..., j, :] = 0.5 * (pts[..., neck_pair[0], :] + pts[..., neck_pair[1], :])
        else:
            out[..., j, :] = pts[..., src, :]
    return out


def from_coco17(points: np.ndarray) -> np.ndarray:
    """COCO-17 (AIST++ ``keypoints2d``/``keypoints3d``) ``(..., 17, D)`` -> OpenPose-18 ``(..., 18, D)``.

    Neck = midpoint of the shoulders. Works for any trailing dimension D (2D, 3D, or with a
    confidence column, where the neck's confidence is the mean of the shoulders')."""
    return _convert(points, _OP_FROM_COCO, (5, 6), 17, "COCO-17")


def from_blazepose33(points: np.ndarray) -> np.ndarray:
    """MediaPipe BlazePose-33 ``(..., 33, D)`` -> OpenPose-18 ``(..., 18, D)``; neck = mid-shoulders."""
    return _convert(points, _OP_FROM_BLAZE, (11, 12), 33, "BlazePose-33")


def from_dwm23(points: np.ndarray) -> np.ndarray:
    """Dance with Melody 23-joint skeleton ``(..., 23, D)`` -> OpenPose-18 ``(..., 18, D)``.

    The mapping (which chain is left and right, where face points come from) is documented and
    implemented in :mod:`dancegen.data.dwm`."""
    from .data.dwm import dwm23_to_openpose18

    return dwm23_to_openpose18(points)


# ---------------------------------------------------------------------------------------------
# Geometry helpers
def mirror(kp: np.ndarray, axis_x: float | np.ndarray = 0.0) -> np.ndarray:
    """Left-right mirror of ``(..., 18, 2)`` keypoints about the vertical line ``x = axis_x``:
    x -> 2*axis_x - x, and left and right joints swap labels. Mirroring twice is the identity."""
    kp = np.asarray(kp)
    out = kp[..., MIRROR_PERM, :].copy()
    ax = np.asarray(axis_x, dtype=kp.dtype)
    out[..., 0] = 2 * ax[..., None] - out[..., 0] if ax.ndim else 2 * ax - out[..., 0]
    return out


def bone_lengths(kp: np.ndarray) -> np.ndarray:
    """Lengths of the 17 :data:`BONES` of ``(..., 18, D)`` keypoints, shape ``(..., 17)``, same units."""
    kp = np.asarray(kp)
    a = kp[..., [b[0] for b in BONES], :]
    b = kp[..., [b[1] for b in BONES], :]
    return np.linalg.norm(b - a, axis=-1)


def root(kp: np.ndarray) -> np.ndarray:
    """The root joint: midpoint of RHip and LHip, shape ``(..., D)``."""
    kp = np.asarray(kp)
    return 0.5 * (kp[..., 8, :] + kp[..., 11, :])


def torso_length(kp: np.ndarray) -> np.ndarray:
    """Neck to mid-hip distance per frame, shape ``(...)``."""
    kp = np.asarray(kp)
    return np.linalg.norm(kp[..., 1, :] - root(kp), axis=-1)


def normalize(kp: np.ndarray, scale: float | None = None):
    """Root-centre and scale a sequence ``(T, 18, 2)`` by its torso length.

    Returns ``(norm, params)``: ``norm = (kp - root_t) / scale`` with ``root_t`` the per-frame
    mid-hip ``(T, 2)`` and ``scale`` the median torso length of the sequence (pixels) unless
    given. ``params = {"root": (T, 2), "scale": float}``; :func:`denormalize` is its exact inverse.
    """
    kp = np.asarray(kp, dtype=np.float32)
    r = root(kp)
    if scale is None:
        scale = float(np.median(torso_length(kp)))
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"cannot normalise: torso length is {scale}")
    norm = (kp - r[..., None, :]) / np.float32(scale)
    return norm.astype(np.float32), {"root": r.astype(np.float32), "scale": float(scale)}


def denormalize(norm: np.ndarray, params: dict) -> np.ndarray:
    """Inverse of :func:`normalize`: ``norm * scale + root_t`` back to canvas pixels."""
    norm = np.asarray(norm, dtype=np.float32)
    return (norm * np.float32(params["scale"]) + np.asarray(params["root"], np.float32)[..., None, :]).astype(np.float32)
