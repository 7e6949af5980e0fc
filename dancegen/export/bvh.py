"""BVH (Biovision hierarchy) export of a 3D dance: ``joints3d`` in the :mod:`dancegen.body3d`
layout -> a skeleton with fixed bone lengths and one rotation per joint per frame.

The skeleton (:data:`BVH_JOINTS`) is the body3d tree plus four zero-offset joints at the two
branch points (``RCollar``/``LCollar`` at ``Neck``, ``RPelvis``/``LPelvis`` at ``MidHip``). A BVH
joint has one rotation for all its children, and the data's collar and hip bones move
independently of the spine and head, so each of them gets a joint of its own; with them the file
reproduces every body3d joint exactly (to the rounding of the text), not only the chains.

Rest pose (the OFFSETs): a T-pose facing +z, y up, metres scaled to the file's unit: spine, neck
and head straight up, collars, arms and hip bones horizontal along -x (right) and +x (left), legs
straight down, feet pointing forward (+z). Bone lengths are the median over the frames of each
body3d bone of the dance (exact for a dance on a fixed skeleton such as ``body3d.retarget``
output).

Rotations are solved from the joint positions (:func:`solve_rotations`):

* ``MidHip`` (root) and ``Neck``: the primary bone (spine, resp. neck-to-head) exactly, the twist
  about it from the sibling vector (LHip - RHip, resp. LShoulder - RShoulder) as the local +x.
* collars, pelvis halves, elbows, knees, ankles: the swing (minimal rotation) from the rest
  direction of the joint's bone to its direction in the parent's frame; no twist of their own.
* shoulders and hips (limb roots): the swing of the upper arm / thigh is parallel-transported
  from frame to frame (the minimal rotation taking the previous bone direction to the new one, in
  the parent's frame), and the twist about the bone is set from the bend plane (upper x lower
  bone) wherever the elbow / knee is bent by 20 degrees or more (and not folded back to within 20
  degrees of 180), so the elbow / knee is a hinge
  about one local axis (right arm +y, left arm -y, legs +x). Where the limb is nearly straight the
  bend plane is undefined or noisy: between 5 and 20 degrees of bend it is blended in by the
  bend, and across straight stretches the twist goes linearly in time, the short way, from the
  last bent frame's twist to the next one's. No flips, no sudden twists when a straight limb
  bends.
* ``Head``, wrists and big toes have an End Site and zero rotation.

Euler angles in degrees, intrinsic, in the joint's channel order (the first channel is the
outermost rotation, ``R = R1 R2 R3``), chosen per joint so that the middle angle (where Euler
angles lock at +-90 degrees) is one that stays small for that joint: ``Y Z X`` for the root, spine
and head (turning is the outer Y), ``Z X Y`` for collars, pelvis halves, elbows and wrists (their
swing has no X part; the elbow hinge is Y), ``Z Y X`` for the shoulders and knees (the knee hinge
is X), ``X Z Y`` for the hips, ankles and toes (flexion is the outer X). Consecutive frames take
the Euler solution nearest the previous frame's angles (no 360-degree wraps, no flips between the
two equivalent solutions).
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import body3d
from ..errors import DataError
from .target import UNITS, check_file_target

DEFAULT_UNITS = "cm"

_X, _Y, _Z = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)
_NX, _NY = (-1.0, 0.0, 0.0), (0.0, -1.0, 0.0)
# channel orders (intrinsic, first channel outermost); see the module docstring
_TRUNK, _SWING, _SHOULDER, _HIP, _KNEE = "YZX", "ZXY", "ZYX", "XZY", "ZYX"

# name, parent (BVH index), body3d joint at this joint's position, rest direction of the offset
# (None: zero offset), channel rotation order, End Site offset in metres (None: no End Site)
_SPEC = (
    ("MidHip", -1, "MidHip", None, _TRUNK, None),
    ("Neck", 0, "Neck", _Y, _TRUNK, None),
    ("Head", 1, "Head", _Y, _TRUNK, (0.0, 0.10, 0.0)),
    ("RCollar", 1, "Neck", None, _SWING, None),
    ("RShoulder", 3, "RShoulder", _NX, _SHOULDER, None),
    ("RElbow", 4, "RElbow", _NX, _SWING, None),
    ("RWrist", 5, "RWrist", _NX, _SWING, (-0.08, 0.0, 0.0)),
    ("LCollar", 1, "Neck", None, _SWING, None),
    ("LShoulder", 7, "LShoulder", _X, _SHOULDER, None),
    ("LElbow", 8, "LElbow", _X, _SWING, None),
    ("LWrist", 9, "LWrist", _X, _SWING, (0.08, 0.0, 0.0)),
    ("RPelvis", 0, "MidHip", None, _SWING, None),
    ("RHip", 11, "RHip", _NX, _HIP, None),
    ("RKnee", 12, "RKnee", _NY, _KNEE, None),
    ("RAnkle", 13, "RAnkle", _NY, _HIP, None),
    ("RBigToe", 14, "RBigToe", _Z, _HIP, (0.0, 0.0, 0.04)),
    ("LPelvis", 0, "MidHip", None, _SWING, None),
    ("LHip", 16, "LHip", _X, _HIP, None),
    ("LKnee", 17, "LKnee", _NY, _KNEE, None),
    ("LAnkle", 18, "LAnkle", _NY, _HIP, None),
    ("LBigToe", 19, "LBigToe", _Z, _HIP, (0.0, 0.0, 0.04)),
)
BVH_JOINTS = tuple(s[0] for s in _SPEC)
BVH_PARENTS = tuple(s[1] for s in _SPEC)
NJ = len(_SPEC)
#: body3d joint index at each BVH joint
BVH_SOURCE = tuple(body3d.JOINT3D_INDEX[s[2]] for s in _SPEC)
ROT_ORDERS = tuple(s[4] for s in _SPEC)
_REST = np.array([s[3] if s[3] is not None else (0.0, 0.0, 0.0) for s in _SPEC])
_IDX = {n: i for i, n in enumerate(BVH_JOINTS)}
# the BVH joint whose rotation places each joint (its parent), for the joints with an offset
_DRIVER = {i: BVH_PARENTS[i] for i, s in enumerate(_SPEC) if s[3] is not None}
# limb roots: (joint, its driven child, the grandchild; hinge axis of the child in the joint's rest frame)
_LIMBS = (("RShoulder", "RElbow", "RWrist", _Y), ("LShoulder", "LElbow", "LWrist", (0.0, -1.0, 0.0)),
          ("RHip", "RKnee", "RAnkle", _X), ("LHip", "LKnee", "LAnkle", _X))
BEND_RAMP_DEG = (5.0, 20.0)    # bend angle where the bend plane starts to / fully sets a limb's twist


# ------------------------------------------------------------------------------------ rotations
def _unit(v, eps=1e-12):
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, eps)


def swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minimal rotation matrices taking unit vectors ``a`` to ``b`` ``(..., 3) -> (..., 3, 3)``
    (Rodrigues; for opposite vectors a half turn about an axis perpendicular to ``a``)."""
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    v = np.cross(a, b)
    c = np.sum(a * b, axis=-1)
    opposite = c < -1.0 + 1e-9
    if np.any(opposite):   # rotate by pi about a perpendicular axis: v = 2-vector, 1/(1+c) -> 1/2 * ...
        alt = np.cross(a, np.array([1.0, 0.0, 0.0]))
        alt = np.where(np.linalg.norm(alt, axis=-1, keepdims=True) < 1e-6, np.cross(a, np.array([0.0, 1.0, 0.0])), alt)
        alt = _unit(alt)
    K = _skew(v)
    R = np.eye(3) + K + (K @ K) / np.maximum(1.0 + c, 1e-12)[..., None, None]
    if np.any(opposite):
        R = np.where(opposite[..., None, None], axis_angle(alt, np.pi), R)
    return R


def _skew(v):
    z = np.zeros(v.shape[:-1])
    x, y, w = v[..., 0], v[..., 1], v[..., 2]
    return np.stack([np.stack([z, -w, y], -1), np.stack([w, z, -x], -1), np.stack([-y, x, z], -1)], -2)


def axis_angle(axis: np.ndarray, angle) -> np.ndarray:
    """Rotation matrices about unit ``axis`` ``(..., 3)`` by ``angle`` radians ``(...)``."""
    K = _skew(np.asarray(axis, np.float64))
    a = np.asarray(angle, np.float64)[..., None, None]
    return np.eye(3) + np.sin(a) * K + (1.0 - np.cos(a)) * (K @ K)


def _frame(primary, side):
    """Orientation whose +y is ``primary`` and whose +x is ``side`` made perpendicular to it,
    ``(T, 3)`` each -> ``(T, 3, 3)`` (columns x, y, z). Degenerate frames (side along primary)
    keep the previous frame's +x."""
    y = _unit(primary)
    x = side - np.sum(side * y, -1, keepdims=True) * y
    n = np.linalg.norm(x, axis=-1)
    bad = n < 1e-6
    if bad.any():
        good = np.flatnonzero(~bad)
        prev = np.maximum.accumulate(np.where(~bad, np.arange(len(n)), -1))
        fill = np.where(prev >= 0, prev, good[0] if good.size else 0)
        x = x[fill] if good.size else np.tile([1.0, 0.0, 0.0], (len(n), 1))
        x = x - np.sum(x * y, -1, keepdims=True) * y
    x = _unit(x)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def _bend_weight(bend):
    lo, hi = np.deg2rad(BEND_RAMP_DEG)
    s = np.clip((bend - lo) / (hi - lo), 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def _twist_track(theta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The twist of a limb root over time ``(T,)`` radians, relative to its parallel-transported
    frame: the bend-plane twist ``theta`` where the limb is fully bent (``w`` = 1), linear in time
    between such frames (and held before the first and after the last), blended by ``w`` where
    the bend is partial. ``theta`` is unwrapped over the frames with a bend plane, so across a
    straight stretch the twist turns the short way."""
    valid = np.flatnonzero(w > 0)
    if valid.size == 0:
        return np.zeros_like(theta)
    th = np.full_like(theta, np.nan)
    th[valid] = np.unwrap(theta[valid])
    anchors = valid[w[valid] >= 1.0 - 1e-9]
    if anchors.size == 0:
        anchors = valid
    t = np.arange(theta.size)
    base = np.interp(t, anchors, th[anchors])
    return np.where(w > 0, w * np.nan_to_num(th) + (1.0 - w) * base, base)


def solve_rotations(joints: np.ndarray) -> np.ndarray:
    """World orientation of every BVH joint, ``(T, 17, 3) -> (T, NJ, 3, 3)`` (float64): rotating
    the rest offsets of a joint's children by its orientation gives their directions in the frame
    (see the module docstring for the twist rules)."""
    j = np.asarray(joints, np.float64)
    T = j.shape[0]
    G = np.empty((T, NJ, 3, 3))

    def pos(i):
        return j[:, BVH_SOURCE[i]]

    def bone_dir(child):          # unit direction of the bone ending at BVH joint `child`
        return _unit(pos(child) - pos(BVH_PARENTS[child]))

    def from_parent(i, child):    # swing rule: G_i = G_parent @ swing(rest of child, child dir in parent frame)
        P = G[:, BVH_PARENTS[i]]
        local = np.einsum("tji,tj->ti", P, bone_dir(child))
        G[:, i] = P @ swing(_REST[child], local)

    I = _IDX
    G[:, I["MidHip"]] = _frame(pos(I["Neck"]) - pos(I["MidHip"]), pos(I["LHip"]) - pos(I["RHip"]))
    G[:, I["Neck"]] = _frame(pos(I["Head"]) - pos(I["Neck"]), pos(I["LShoulder"]) - pos(I["RShoulder"]))
    G[:, I["Head"]] = G[:, I["Neck"]]
    for side in "RL":
        from_parent(I[side + "Collar"], I[side + "Shoulder"])
        from_parent(I[side + "Pelvis"], I[side + "Hip"])
    # limb roots: transported twist, pulled onto the bend plane where the limb is bent
    roots = [I[a] for a, _, _, _ in _LIMBS]
    kids = [I[b] for _, b, _, _ in _LIMBS]
    grand = [I[c] for _, _, c, _ in _LIMBS]
    hinge = np.array([h for _, _, _, h in _LIMBS])
    rest = _REST[kids]                                            # (4, 3)
    P = G[:, [BVH_PARENTS[r] for r in roots]]                      # (T, 4, 3, 3)
    up = np.stack([bone_dir(k) for k in kids], 1)                  # (T, 4, 3) upper bone, world
    low = np.stack([bone_dir(g) for g in grand], 1)                # lower bone, world
    l = np.einsum("tkji,tkj->tki", P, up)                          # in the parent's frame
    f = np.einsum("tkji,tkj->tki", P, low)
    n = np.cross(l, f)
    sb = np.linalg.norm(n, axis=-1)
    bend = np.arctan2(sb, np.sum(l * f, -1))
    # the bend plane is defined where the bones are not in line: neither straight nor folded back
    w = np.where(sb > 1e-6, _bend_weight(np.minimum(bend, np.pi - bend)), 0.0)
    n = n / np.maximum(sb, 1e-12)[..., None]
    tr = np.empty((T, 4, 3, 3))                                    # parallel transport of the rest frame
    cur = np.broadcast_to(np.eye(3), (4, 3, 3)).copy()
    for t in range(T):
        cur = swing(np.einsum("kij,kj->ki", cur, rest), l[t]) @ cur  # minimal rotation from the previous frame
        tr[t] = cur
    a = np.einsum("tkij,kj->tki", tr, hinge)                        # the transported hinge axis
    theta = np.arctan2(np.sum(np.cross(a, n) * l, -1), np.sum(a * n, -1))   # twist putting it on the bend plane
    psi = np.stack([_twist_track(theta[:, k], w[:, k]) for k in range(4)], 1)
    L = axis_angle(l, psi) @ tr
    G[:, roots] = P @ L
    for a, b, c, _ in _LIMBS:
        from_parent(I[b], I[c])                                    # elbow / knee: hinge
    for side in "RL":
        from_parent(I[side + "Ankle"], I[side + "BigToe"])
        G[:, I[side + "Wrist"]] = G[:, I[side + "Elbow"]]
        G[:, I[side + "BigToe"]] = G[:, I[side + "Ankle"]]
    return G


def local_rotations(G: np.ndarray) -> np.ndarray:
    """World orientations ``(T, NJ, 3, 3)`` -> BVH joint rotations relative to the parent (the root's
    is its world orientation)."""
    R = np.empty_like(G)
    R[:, 0] = G[:, 0]
    par = np.array(BVH_PARENTS[1:])
    R[:, 1:] = np.swapaxes(G[:, par], -1, -2) @ G[:, 1:]
    return R


def to_euler(R: np.ndarray, orders=ROT_ORDERS) -> np.ndarray:
    """Local rotations ``(T, NJ, 3, 3)`` -> intrinsic Euler angles in degrees ``(T, NJ, 3)`` in each
    joint's channel order, continuous in time: each frame takes, of the two Euler solutions shifted
    by whole turns, the one nearest the previous frame's angles."""
    from scipy.spatial.transform import Rotation

    T, nj = R.shape[:2]
    e = np.empty((T, nj, 3))
    with warnings.catch_warnings():     # "gimbal lock detected": the angles still compose to R
        warnings.simplefilter("ignore", UserWarning)
        for k, order in enumerate(orders):
            e[:, k] = Rotation.from_matrix(R[:, k]).as_euler(order.upper(), degrees=True)
    alt = np.stack([e[..., 0] + 180.0, 180.0 - e[..., 1], e[..., 2] + 180.0], -1)
    out = np.empty_like(e)
    out[0] = e[0]
    for t in range(1, T):
        prev = out[t - 1]
        c1 = e[t] + 360.0 * np.round((prev - e[t]) / 360.0)
        c2 = alt[t] + 360.0 * np.round((prev - alt[t]) / 360.0)
        d1 = np.abs(c1 - prev).sum(-1)
        d2 = np.abs(c2 - prev).sum(-1)
        out[t] = np.where((d2 < d1)[:, None], c2, c1)
    return out


def from_euler(angles: np.ndarray, orders=ROT_ORDERS) -> np.ndarray:
    """Inverse of :func:`to_euler`: ``(T, NJ, 3)`` degrees -> ``(T, NJ, 3, 3)``."""
    from scipy.spatial.transform import Rotation

    T, nj = angles.shape[:2]
    R = np.empty((T, nj, 3, 3))
    for k, order in enumerate(orders):
        R[:, k] = Rotation.from_euler(order.upper(), angles[:, k], degrees=True).as_matrix()
    return R


def bvh_fk(root: np.ndarray, R: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Forward kinematics of the BVH skeleton: root positions ``(T, 3)``, local rotations
    ``(T, NJ, 3, 3)``, offsets ``(NJ, 3)`` -> joint positions ``(T, NJ, 3)``."""
    T = R.shape[0]
    G = np.empty_like(R)
    p = np.empty((T, NJ, 3))
    G[:, 0], p[:, 0] = R[:, 0], root
    for i in range(1, NJ):
        q = BVH_PARENTS[i]
        G[:, i] = G[:, q] @ R[:, i]
        p[:, i] = p[:, q] + G[:, q] @ offsets[i]
    return p


# ------------------------------------------------------------------------------------- the file
def check_joints3d(dance) -> np.ndarray:
    """``dance.joints3d`` as float64 after checking it is a finite body3d-layout ``(T, 17, 3)``
    array with one frame per keypoint frame; DataError saying what to do otherwise."""
    j = getattr(dance, "joints3d", None)
    if j is None:
        raise DataError(f"dance {dance.name!r} has no joints3d: BVH needs a 3D dance (generate one with a 3D "
                        "model, or build joints3d with dancegen.body3d.from_dwm23 + retarget)")
    j = np.asarray(j, np.float64)
    if dance.joint3d_names is None and j.shape[1:] == (23, 3):
        raise DataError(f"dance {dance.name!r}: joints3d is in the Dance-with-Melody source layout (23 joints, cm); "
                        "convert it with dancegen.body3d.from_dwm23 (+ retarget) before exporting")
    if j.ndim != 3 or j.shape[1:] != (body3d.J3, 3):
        raise DataError(f"dance {dance.name!r}: joints3d has shape {j.shape}; expected (T, {body3d.J3}, 3) in the "
                        "dancegen.body3d layout")
    if dance.joint3d_names is not None and tuple(dance.joint3d_names) != body3d.JOINTS3D:
        raise DataError(f"dance {dance.name!r}: joint3d_names {tuple(dance.joint3d_names)} are not the "
                        "dancegen.body3d layout; convert the joints to body3d.JOINTS3D first")
    if j.shape[0] != dance.n_frames:
        raise DataError(f"dance {dance.name!r}: joints3d has {j.shape[0]} frames but keypoints {dance.n_frames}; "
                        "they must match")
    if j.shape[0] == 0:
        raise DataError(f"dance {dance.name!r}: no frames to export")
    if not np.isfinite(j).all():
        bad = np.flatnonzero(~np.isfinite(j).all(axis=(1, 2)))
        raise DataError(f"dance {dance.name!r}: joints3d is not finite in {bad.size} frames (first {bad[0]}); "
                        "repair or interpolate those frames first")
    return j


def skeleton_offsets(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rest offsets ``(NJ, 3)`` metres (the T-pose directions times the median length over frames of
    each bone) and the largest deviation of a frame's bone length from that median, metres."""
    j = np.asarray(joints, np.float64)
    off = np.zeros((NJ, 3))
    dev = 0.0
    for i in range(1, NJ):
        if _SPEC[i][3] is None:
            continue
        L = np.linalg.norm(j[:, BVH_SOURCE[i]] - j[:, BVH_SOURCE[BVH_PARENTS[i]]], axis=-1)
        med = float(np.median(L))
        dev = max(dev, float(np.abs(L - med).max()))
        off[i] = med * _REST[i]
    return off, dev


def bvh_motion(joints: np.ndarray) -> dict:
    """Everything a BVH file holds, in metres: ``offsets (NJ, 3)``, ``root (T, 3)``, ``euler
    (T, NJ, 3)`` degrees, plus ``max_error_m`` (largest distance between a body3d joint and the
    same joint in the forward kinematics of the solved motion) and ``length_dev_m``."""
    j = np.asarray(joints, np.float64)
    offsets, dev = skeleton_offsets(j)
    euler = to_euler(local_rotations(solve_rotations(j)))
    p = bvh_fk(j[:, 0], from_euler(euler), offsets)
    err = float(np.linalg.norm(p - j[:, list(BVH_SOURCE)], axis=-1).max())
    return dict(offsets=offsets, root=j[:, 0].copy(), euler=euler, max_error_m=err, length_dev_m=dev)


def _channels(i: int) -> list[str]:
    rot = [f"{a}rotation" for a in ROT_ORDERS[i]]
    return (["Xposition", "Yposition", "Zposition"] + rot) if i == 0 else rot


def hierarchy_text(offsets: np.ndarray, scale: float) -> str:
    """The HIERARCHY section for ``offsets`` (metres) written in units of ``scale`` per metre."""
    children = {i: [k for k in range(NJ) if BVH_PARENTS[k] == i] for i in range(NJ)}
    lines = ["HIERARCHY"]

    def vec(v):
        return " ".join(f"{x * scale:.6f}" for x in v)

    def walk(i, depth):
        ind = "\t" * depth
        lines.append(f"{ind}{'ROOT' if i == 0 else 'JOINT'} {BVH_JOINTS[i]}")
        lines.append(f"{ind}{{")
        lines.append(f"{ind}\tOFFSET {vec(offsets[i])}")
        ch = _channels(i)
        lines.append(f"{ind}\tCHANNELS {len(ch)} {' '.join(ch)}")
        for k in children[i]:
            walk(k, depth + 1)
        if _SPEC[i][5] is not None:
            lines.extend([f"{ind}\tEnd Site", f"{ind}\t{{", f"{ind}\t\tOFFSET {vec(_SPEC[i][5])}", f"{ind}\t}}"])
        lines.append(f"{ind}}}")

    walk(0, 0)
    return "\n".join(lines) + "\n"


def write_bvh(dance, path, units: str = DEFAULT_UNITS, overwrite: bool = False) -> dict:
    """Write ``dance`` (with body3d ``joints3d``) as a BVH file at ``path`` (atomically; DataError if
    it exists and not ``overwrite``). ``units``: "cm" (default) or "m". Returns a summary dict
    (path, frames, fps, units, max_error_m, length_dev_m)."""
    from ..fileio import atomic_write

    path = check_file_target(path, units, ".bvh", overwrite)
    j = check_joints3d(dance)
    m = bvh_motion(j)
    scale = UNITS[units]
    T = j.shape[0]
    data = np.concatenate([m["root"] * scale, m["euler"].reshape(T, -1)], axis=1)
    data[np.abs(data) < 5e-7] = 0.0          # no "-0.000000" in the file

    def write(tmp):
        with open(tmp, "w", encoding="ascii", newline="\n") as f:
            f.write(hierarchy_text(m["offsets"], scale))
            f.write(f"MOTION\nFrames: {T}\nFrame Time: {1.0 / dance.fps:.8f}\n")
            np.savetxt(f, data, fmt="%.6f", delimiter=" ")

    atomic_write(path, write)
    return dict(path=path, frames=T, fps=dance.fps, units=units, joints=NJ,
                max_error_m=m["max_error_m"], length_dev_m=m["length_dev_m"])
