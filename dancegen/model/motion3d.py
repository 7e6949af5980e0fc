"""The 3D motion representation of the sampling generator (pure numpy).

One frame is a vector of :data:`DIM` = 54 numbers (units before standardisation):

====================  =====  =========================================================================
columns               n      meaning
====================  =====  =========================================================================
``0``                 1      root (MidHip) height above the floor, m
``1:3``               2      root displacement on the floor since the previous frame, in the previous
                             frame's heading frame (x: the dancer's left, z: forward), m/frame
``3``                 1      heading change since the previous frame, rad/frame (about +y)
``4:52``              48     the 16 bone directions (unit vectors) of :data:`dancegen.body3d.BONES3D`
                             in the heading frame (the body turned to face +z)
``52:54``             2      foot contacts (right, left), 0 or 1
====================  =====  =========================================================================

Decoding integrates heading and floor displacement from a start position and places every bone at
its reference length (:func:`dancegen.body3d.fk`): in 3D every bone has its true length by
construction, whatever the network outputs.
"""
from __future__ import annotations

import numpy as np

from .. import body3d as b3
from ..skeleton import joint_speed

DIM = 4 + 3 * b3.NB3 + 2
SL_ROOT_Y = 0
SL_VEL = slice(1, 3)
SL_DYAW = 3
SL_DIRS = slice(4, 4 + 3 * b3.NB3)
SL_CONTACT = slice(4 + 3 * b3.NB3, DIM)
# contact rule on the data: the foot's lower point (ankle or toe) under CONTACT_HEIGHT above the
# floor and moving slower than CONTACT_SPEED horizontally
CONTACT_HEIGHT = 0.06   # m
CONTACT_SPEED = 0.30    # m/s
FEET = ((11, 12), (15, 16))   # (ankle, toe) of the right and the left foot


def _unwrap_heading(j: np.ndarray) -> np.ndarray:
    from scipy.ndimage import gaussian_filter1d

    h = np.unwrap(b3.heading(j))
    return gaussian_filter1d(h, 1.0, mode="nearest") if len(h) > 2 else h


def foot_contacts(joints: np.ndarray, fps: float) -> np.ndarray:
    """Contacts ``(T, 2)`` float32 (right, left) from world joints ``(T, J3, 3)`` m: the lower of
    ankle and toe below :data:`CONTACT_HEIGHT` and its horizontal speed below :data:`CONTACT_SPEED`."""
    j = np.asarray(joints, np.float64)
    out = np.zeros((len(j), 2), np.float32)
    for k, (a, t) in enumerate(FEET):
        low = np.minimum(j[:, a, 1], j[:, t, 1])
        mid = 0.5 * (j[:, a] + j[:, t])
        v = np.zeros(len(j))
        if len(j) > 1:
            v[1:] = joint_speed(mid[:, None, [0, 2]], fps, difference="steps")   # horizontal
            v[0] = v[1]
        out[:, k] = (low < CONTACT_HEIGHT) & (v < CONTACT_SPEED)
    return out


def encode(joints: np.ndarray, fps: float) -> np.ndarray:
    """World joints ``(T, J3, 3)`` m (y up, floor 0) -> features ``(T, DIM)`` float32.
    Frame 0's displacement and turn copy frame 1's."""
    j = np.asarray(joints, np.float64)
    T = len(j)
    h = _unwrap_heading(j)
    R_inv = b3.rot_y(-h)                                 # world -> heading frame
    out = np.zeros((T, DIM), np.float64)
    out[:, SL_ROOT_Y] = j[:, 0, 1]
    if T > 1:
        d = np.diff(j[:, 0], axis=0)
        d[:, 1] = 0.0
        local = np.einsum("tij,tj->ti", R_inv[:-1], d)
        out[1:, SL_VEL] = local[:, [0, 2]]
        out[1:, SL_DYAW] = np.diff(h)
        out[0, SL_VEL] = out[1, SL_VEL]
        out[0, SL_DYAW] = out[1, SL_DYAW]
    bv = b3.bone_vectors(j)
    bv = bv / np.maximum(np.linalg.norm(bv, axis=-1, keepdims=True), 1e-9)
    out[:, SL_DIRS] = np.einsum("tij,tbj->tbi", R_inv, bv).reshape(T, -1)
    out[:, SL_CONTACT] = foot_contacts(j, fps)
    return out.astype(np.float32)


def body_pose(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Joints in the heading frame relative to the root ``(..., J3, 3)`` from features ``(..., DIM)``."""
    x = np.asarray(x)
    dirs = x[..., SL_DIRS].reshape(x.shape[:-1] + (b3.NB3, 3))
    return b3.fk(np.zeros(x.shape[:-1] + (3,)), dirs, lengths)


def decode(x: np.ndarray, lengths: np.ndarray, start_xz=(0.0, 0.0), start_heading: float = 0.0) -> np.ndarray:
    """Features ``(T, DIM)`` -> world joints ``(T, J3, 3)`` float32 m: heading and floor position
    integrated from ``start_heading`` (rad) and ``start_xz`` (m), every bone at ``lengths``."""
    x = np.asarray(x, np.float64)
    T = len(x)
    h = start_heading + np.cumsum(np.r_[0.0, x[1:, SL_DYAW]])
    R_prev = b3.rot_y(np.r_[h[:1], h[:-1]])
    step = np.zeros((T, 3))
    step[1:, 0] = x[1:, 1]
    step[1:, 2] = x[1:, 2]
    root = np.cumsum(np.einsum("tij,tj->ti", R_prev, step), axis=0)
    root[:, 0] += start_xz[0]
    root[:, 2] += start_xz[1]
    root[:, 1] = x[:, SL_ROOT_Y]
    local = body_pose(x, lengths)
    world = np.einsum("tij,tkj->tki", b3.rot_y(h), local) + root[:, None, :]
    return world.astype(np.float32)


class Integrator:
    """Frame-by-frame :func:`decode` for generation: ``step(x) -> world joints (J3, 3)``; keeps the
    heading and floor position. ``peek`` decodes without committing (the HGR loop tries a pose,
    corrects it, then commits)."""

    def __init__(self, lengths: np.ndarray, start_xz=(0.0, 0.0), start_heading: float = 0.0):
        self.lengths = np.asarray(lengths, np.float64)
        self.h = float(start_heading)
        self.xz = np.array(start_xz, np.float64)
        self.first = True

    def peek(self, x: np.ndarray):
        x = np.asarray(x, np.float64)
        if self.first:
            h, xz = self.h, self.xz.copy()
        else:
            c, s = np.cos(self.h), np.sin(self.h)
            vx, vz = x[1], x[2]
            xz = self.xz + np.array([c * vx + s * vz, -s * vx + c * vz])
            h = self.h + x[SL_DYAW]
        root = np.array([xz[0], x[SL_ROOT_Y], xz[1]])
        local = body_pose(x, self.lengths)
        world = local @ b3.rot_y(h).T + root
        return world, h, xz

    def commit(self, h, xz):
        self.h, self.xz, self.first = float(h), np.asarray(xz, np.float64), False
