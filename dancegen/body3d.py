"""The 3D body: one joint layout, one bone tree, one reference skeleton, forward kinematics, and the
conversion to the 2D OpenPose-18 layout.

Conventions: joints ``(T, J3, 3)`` float32 **metres**, right-handed, **y up**, the floor at y = 0.
The layout (:data:`JOINTS3D`) uses OpenPose BODY_25 names for every joint the 2D layouts share
(``Neck``, ``RShoulder`` ... ``LAnkle``, ``MidHip``, ``RBigToe``, ``LBigToe``) plus ``Head`` (the
centre of the head). The tree is rooted at ``MidHip``; :data:`BONES3D` lists ``(parent, child)``
index pairs in an order where a parent always comes before its child, so forward kinematics is a
single pass.

This module is pure numpy (no torch, no files) and, with :mod:`dancegen.skeleton` (whose bone
arithmetic, speeds and interpolators it uses), the base layer for the 3D generator, the 3D HGR
checks, the camera and every 3D export (BVH, the browser player).
"""
from __future__ import annotations

import numpy as np

from . import skeleton as _sk

JOINTS3D = (
    "MidHip", "Neck", "Head",
    "RShoulder", "RElbow", "RWrist",
    "LShoulder", "LElbow", "LWrist",
    "RHip", "RKnee", "RAnkle", "RBigToe",
    "LHip", "LKnee", "LAnkle", "LBigToe",
)
J3 = len(JOINTS3D)
JOINT3D_INDEX = {n: i for i, n in enumerate(JOINTS3D)}
PARENTS3D = (-1, 0, 1, 1, 3, 4, 1, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15)
BONES3D = tuple((p, c) for c, p in enumerate(PARENTS3D) if p >= 0)   # 16 bones, parents first
NB3 = len(BONES3D)
BONE3D_NAMES = tuple(f"{JOINTS3D[a]}-{JOINTS3D[b]}" for a, b in BONES3D)
LR_PAIRS3D = ((3, 6), (4, 7), (5, 8), (9, 13), (10, 14), (11, 15), (12, 16))
# (right bone, left bone) index pairs of BONES3D (bone i ends at joint i + 1)
LR_BONE_PAIRS3D = tuple((r - 1, l - 1) for r, l in LR_PAIRS3D)
MIRROR3D = np.arange(J3)
for _r, _l in LR_PAIRS3D:
    MIRROR3D[_r], MIRROR3D[_l] = _l, _r
FOOT3D = (11, 12, 15, 16)          # RAnkle, RBigToe, LAnkle, LBigToe
UP = np.array([0.0, 1.0, 0.0])

# Dance with Melody 23 -> this layout (see dancegen.data.dwm for the DwM joint reading); a pair
# means the midpoint of the two DwM joints.
_FROM_DWM23 = ((7, 16), (3, 12), (0, 1), 3, 4, 6, 12, 13, 15, 7, 8, 10, 11, 16, 17, 19, 20)


def from_dwm23(points: np.ndarray, scale: float = 0.01) -> np.ndarray:
    """Dance-with-Melody-23 joints ``(..., 23, 3)`` (cm) -> :data:`JOINTS3D` ``(..., 17, 3)`` in
    metres (``scale`` = metres per input unit)."""
    p = np.asarray(points, dtype=np.float64)
    if p.shape[-2:] != (23, 3):
        raise ValueError(f"DwM-23 input must be (..., 23, 3), got {p.shape}")
    out = np.empty(p.shape[:-2] + (J3, 3))
    for j, src in enumerate(_FROM_DWM23):
        out[..., j, :] = 0.5 * (p[..., src[0], :] + p[..., src[1], :]) if isinstance(src, tuple) else p[..., src, :]
    return (out * scale).astype(np.float32)


def mirror3d(joints: np.ndarray) -> np.ndarray:
    """Left/right mirror image ``(..., J3, 3)``: x -> -x and the left and right joints swapped
    (a valid body: the mirrored dancer of a right-handed frame)."""
    j = np.array(joints, dtype=np.float32, copy=True)[..., MIRROR3D, :]
    j[..., 0] *= -1.0
    return j


def bone_vectors(joints: np.ndarray) -> np.ndarray:
    """``(..., J3, 3) -> (..., NB3, 3)``: child minus parent for each bone of :data:`BONES3D`
    (:func:`dancegen.skeleton.bone_vectors` on this layout)."""
    return _sk.bone_vectors(joints, BONES3D)


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """``(..., J3, 3) -> (..., NB3)`` bone lengths, units of the input
    (:func:`dancegen.skeleton.bone_lengths` on this layout)."""
    return _sk.bone_lengths(joints, BONES3D)


def reference_lengths(joints_list) -> np.ndarray:
    """One reference skeleton for many takes: the median length of each bone over every frame,
    left and right averaged (the body is symmetric by construction). ``(NB3,)`` float32."""
    L = np.concatenate([bone_lengths(np.asarray(j, np.float64)).reshape(-1, NB3) for j in joints_list])
    med = np.median(L, axis=0)
    for r, l in LR_BONE_PAIRS3D:
        med[r] = med[l] = 0.5 * (med[r] + med[l])
    return med.astype(np.float32)


def _fk_paths() -> np.ndarray:
    """``(J3, NB3)`` 0/1: bone b lies on the path from the root to joint j (:data:`BONES3D`)."""
    A = np.zeros((J3, NB3))
    for b, (p, c) in enumerate(BONES3D):   # parents come before their children in BONES3D
        A[c] = A[p]
        A[c, b] = 1.0
    return A


_FK_PATHS = _fk_paths()


def fk(root: np.ndarray, dirs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Forward kinematics: root position ``(..., 3)``, bone directions ``(..., NB3, 3)`` (normalised
    here) and lengths ``(NB3,)`` -> joints ``(..., J3, 3)``. Every bone has exactly its length.
    Each joint is the root plus the bones on its path from the root (``length * direction``), one
    product for all joints (a frame at a time in the generator's loop: one NumPy call, not one per
    tree depth)."""
    d = np.asarray(dirs, dtype=np.float64)
    d = d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-9)
    v = np.asarray(lengths, np.float64)[:, None] * d
    out = _FK_PATHS @ v
    out += np.asarray(root, np.float64)[..., None, :]
    return out.astype(np.float32)


def retarget(joints: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The same motion on the reference skeleton: keep the root and every bone's direction, set
    every bone to ``lengths`` ``(NB3,)``. ``(..., J3, 3) -> (..., J3, 3)``."""
    j = np.asarray(joints, dtype=np.float64)
    return fk(j[..., 0, :], bone_vectors(j), np.asarray(lengths, np.float64))


def heading(joints: np.ndarray) -> np.ndarray:
    """Facing angle about the vertical axis, radians ``(...,)``: the horizontal direction of
    ``up x (RHip - LHip) + up x (RShoulder - LShoulder)``; 0 faces +z, pi/2 faces +x."""
    j = np.asarray(joints, dtype=np.float64)
    side = (j[..., 9, :] - j[..., 13, :]) + (j[..., 3, :] - j[..., 6, :])
    f = np.cross(UP, side)
    return np.arctan2(f[..., 0], f[..., 2])


def rot_y(angle) -> np.ndarray:
    """Rotation matrices about +y, ``(..., 3, 3)``, for angles (radians) ``(...,)``:
    ``[[c, 0, s], [0, 1, 0], [-s, 0, c]]``."""
    a = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(a.shape + (3, 3))
    R[..., 0, 0] = c
    R[..., 0, 2] = s
    R[..., 1, 1] = 1.0
    R[..., 2, 0] = -s
    R[..., 2, 2] = c
    return R


# face geometry (metres, relative to Head, in the body's (forward, up, right) frame)
_NOSE = (0.095, -0.03, 0.0)
_EYE = (0.08, 0.01, 0.032)
_EAR = (0.0, 0.0, 0.075)
# OpenPose-18 index -> JOINTS3D index (None: the face, synthesised)
_OP18_FROM_3D = (None, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, None, None, None, None)


def to_openpose18(joints: np.ndarray) -> np.ndarray:
    """:data:`JOINTS3D` ``(..., 17, 3)`` -> OpenPose-18 ``(..., 18, 3)`` (same units, metres
    expected for the face): body joints copied, the face (nose, eyes, ears) placed around ``Head``
    along the body's facing direction (:func:`heading`)."""
    j = np.asarray(joints, dtype=np.float64)
    out = np.empty(j.shape[:-2] + (18, 3))
    for k, src in enumerate(_OP18_FROM_3D):
        if src is not None:
            out[..., k, :] = j[..., src, :]
    h = heading(j)
    f = np.stack([np.sin(h), np.zeros_like(h), np.cos(h)], -1)
    r = np.cross(f, UP)
    head = j[..., 2, :]

    def at(fw, up, rt):
        return head + fw * f + up * UP + rt * r

    out[..., 0, :] = at(*_NOSE)
    out[..., 14, :] = at(_EYE[0], _EYE[1], _EYE[2])
    out[..., 15, :] = at(_EYE[0], _EYE[1], -_EYE[2])
    out[..., 16, :] = at(_EAR[0], _EAR[1], _EAR[2])
    out[..., 17, :] = at(_EAR[0], _EAR[1], -_EAR[2])
    return out.astype(np.float32)
