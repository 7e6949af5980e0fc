"""3D dances in the :mod:`dancegen.body3d` layout for tests and benchmarks of the exports:
a synthetic one (smooth, on a fixed skeleton, no data needed) and one made from a real Dance with
Melody take."""
from __future__ import annotations

import numpy as np

from .. import body3d

# bone lengths (metres) in BONES3D order (bone b ends at joint b + 1)
SYNTH_LENGTHS = np.array([0.45, 0.20, 0.17, 0.30, 0.25, 0.17, 0.30, 0.25,
                          0.10, 0.42, 0.40, 0.15, 0.10, 0.42, 0.40, 0.15])


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _bend(upper, toward, angle):
    """Rotate ``upper`` by ``angle`` toward the part of ``toward`` perpendicular to it."""
    p = _unit(toward - np.sum(toward * upper, -1, keepdims=True) * upper)
    return np.cos(angle)[:, None] * upper + np.sin(angle)[:, None] * p


def synthetic_joints3d(T: int, fps: float = 25.0, seed: int = 0) -> np.ndarray:
    """A smooth dance ``(T, 17, 3)`` float32 metres on a fixed skeleton (:data:`SYNTH_LENGTHS`):
    the body turns and travels, leans, swings its arms and legs, and bends elbows (0-90 degrees,
    passing through straight) and knees (0-60). Angular speeds stay under about 200 deg/s."""
    rng = np.random.default_rng(seed)
    t = np.arange(T) / float(fps)
    ph = rng.uniform(0, 2 * np.pi, 16)

    def s(w, k):
        return np.sin(w * t + ph[k])

    d = np.empty((T, body3d.NB3, 3))
    z = np.zeros(T)
    d[:, 0] = _unit(np.stack([0.12 * s(1.1, 0), np.ones(T), 0.15 * s(0.9, 1)], -1))     # spine
    d[:, 1] = _unit(np.stack([0.15 * s(1.3, 2), np.ones(T), 0.25 * s(1.7, 3)], -1))     # neck-head
    d[:, 2] = _unit(np.stack([-np.ones(T), 0.08 * s(1.5, 4), 0.10 * s(1.2, 5)], -1))    # collars
    d[:, 5] = _unit(np.stack([np.ones(T), 0.06 * s(1.4, 6), -0.12 * s(1.1, 7)], -1))
    d[:, 8] = _unit(np.stack([-np.ones(T), 0.05 * s(1.6, 8), 0.06 * s(0.8, 9)], -1))    # pelvis halves
    d[:, 12] = _unit(np.stack([np.ones(T), -0.04 * s(1.2, 10), -0.05 * s(0.7, 11)], -1))
    fwd = np.tile([0.0, 0.0, 1.0], (T, 1))
    for side, (ua, fa, k) in ((-1.0, (3, 4, 0)), (1.0, (6, 7, 5))):
        elev = np.deg2rad(-50.0 + 45.0 * s(2.0, k + 1))                 # arm elevation from horizontal
        azim = np.deg2rad(35.0 * s(1.3, k + 2))                          # forward swing
        up = np.stack([side * np.cos(elev) * np.cos(azim), np.sin(elev), np.cos(elev) * np.sin(azim)], -1)
        d[:, ua] = up
        twist = np.deg2rad(40.0 * s(0.9, k + 3))
        toward = np.stack([z, np.sin(twist), np.cos(twist)], -1)          # bend forward, tilted by the twist
        d[:, fa] = _bend(up, toward + 1e-3 * up, np.deg2rad(45.0 + 45.0 * s(2.5, k + 4)))
    for side, (th, sh, ft, k) in ((-1.0, (9, 10, 11, 0)), (1.0, (13, 14, 15, 8))):
        thigh = _unit(np.stack([0.12 * side + 0.08 * s(1.0, k + 1), -np.ones(T), 0.45 * s(1.8, k + 2)], -1))
        d[:, th] = thigh
        d[:, sh] = _bend(thigh, -fwd, np.deg2rad(30.0 + 30.0 * s(2.2, k + 3)))
        d[:, ft] = _unit(np.stack([0.1 * side * np.ones(T), -0.35 + 0.2 * s(1.9, k + 4), np.ones(T)], -1))
    yaw = 1.2 * t + 0.4 * np.sin(0.7 * t)
    R = body3d.rot_y(yaw)                                                 # (T, 3, 3)
    d = np.einsum("tij,tbj->tbi", R, d)
    root = np.stack([0.6 * np.sin(0.35 * t), 0.95 + 0.03 * np.sin(2.0 * t), 0.6 * np.cos(0.35 * t) - 0.6], -1)
    return body3d.fk(root, d, SYNTH_LENGTHS)


def dance3d(joints3d: np.ndarray, fps: float = 25.0, name: str = "dance3d", **kw):
    """A :class:`~dancegen.dance.Dance` carrying body3d ``joints3d`` (metres) with 2D keypoints
    from a camera in front (:func:`dancegen.data.dwm.project` of the OpenPose-18 view)."""
    from ..dance import Dance
    from ..data.dwm import project

    j = np.asarray(joints3d, np.float32)
    kp = project(body3d.to_openpose18(j) * 100.0, fps=fps)
    return Dance(keypoints=kp, fps=fps, joints3d=j, joint3d_names=body3d.JOINTS3D, name=name, **kw)


def synthetic_dance3d(T: int, fps: float = 25.0, seed: int = 0, name: str = "synthetic3d"):
    """:func:`synthetic_joints3d` as a Dance (see :func:`dance3d`)."""
    return dance3d(synthetic_joints3d(T, fps, seed), fps, name=name)


def dwm_dance3d(folder, frames: int | None = None):
    """A real Dance with Melody take (folder ``DANCE_*``) as a body3d Dance: repaired world joints
    (:func:`~dancegen.data.dwm.prepare_sequence`) -> :func:`~dancegen.body3d.from_dwm23` ->
    :func:`~dancegen.body3d.retarget` onto the take's reference lengths; first ``frames`` only
    when given."""
    from pathlib import Path

    from ..data.dwm import load_dwm_sequence, prepare_sequence

    seq = load_dwm_sequence(folder)
    world, _ = prepare_sequence(seq)
    j = body3d.from_dwm23(world)
    j = body3d.retarget(j, body3d.reference_lengths([j]))
    if frames is not None:
        j = j[:frames]
    return dance3d(j, seq.fps, name=Path(folder).name, genre=seq.genre)
