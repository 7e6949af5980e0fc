"""The HGR loop in 3D: every sampled pose is checked before it is fed back, and the loop acts when a
rule is broken.

Rules (world joints in metres, :mod:`dancegen.body3d` layout), with the limits measured on the
Dance with Melody train takes on the reference skeleton (docs/hgr.md, "3D loop"):

* **bones**: every bone within ``bone_tol`` (1%) of its reference length. The pose vector places
  bones by forward kinematics, so this holds by construction; the check stays as a guard.
* **symmetry**: each left bone equals its right twin (the reference skeleton is symmetric); also by
  construction, also a guard.
* **jump**: no joint faster than ``max_speed`` (7.5 m/s; real dances: 99.9th percentile of a
  frame's fastest joint 6.4 m/s, maximum 8.5) and none accelerating harder than ``max_accel``
  (250 m/s^2; real val takes: median of a frame's largest joint acceleration 12.8, 99.9th
  percentile 124, maximum 221). Action: *resample* the pose from the model's
  distribution up to ``max_resample`` times; if every draw breaks it, *blend* the bone directions
  toward the previous pose until the limit holds.
* **foot sliding**: a foot in contact in this frame and the previous one moves at most
  ``slide_tol`` (1.2 cm) on the floor per frame (real: 99th percentile 1.17 cm). Action: shift the
  root on the floor by the least that brings the contact foot's move (the mean of the feet in
  contact) back to ``slide_tol`` (pinning the foot, cutting the move to zero, is no better in realism:
  docs/generation3d.md, "The HGR loop in 3D").
* **floor**: the lowest foot point no lower than ``floor_tol`` (3 cm) below the floor (real: 1st
  percentile -2.9 cm). Action: lift the root.

``counts`` records how often each rule was broken and each action taken; ``frames`` how many poses
were checked.

Each rule is written once, as a function on ``(T, J3, 3)`` joints (:func:`bone_faults`,
:func:`symmetry_faults`, :func:`jump_faults`, :func:`foot_slides`, :func:`below_floor`): the
generator's loop (:class:`Corrector3D`, on the previous and the new pose) and the whole-dance check
(:func:`check3d`, ``dancegen check``, the dance's meta) call the same functions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import body3d as b3
from ..skeleton import joint_speed

#: (ankle, big toe) of the right and the left foot
FEET3D = ((11, 12), (15, 16))
_FEET3D = np.array(FEET3D)
#: the right and the left bone of each pair of :data:`dancegen.body3d.LR_BONE_PAIRS3D`
_R_BONES, _L_BONES = (np.array(side) for side in zip(*b3.LR_BONE_PAIRS3D))


@dataclass
class Rules3D:
    bone_tol: float = 0.01
    max_speed: float = 7.5        # m/s
    max_accel: float = 250.0      # m/s^2
    slide_tol: float = 0.012      # m per frame
    floor_tol: float = 0.03       # m
    max_resample: int = 2


# ------------------------------------------------------------------------------------ the rules
def bone_faults(lengths: np.ndarray, ref: np.ndarray, tol: float) -> np.ndarray:
    """``(..., NB3)`` bone lengths -> ``(...)`` bool: some bone off its reference by more than
    ``tol`` (relative)."""
    return (np.abs(lengths / ref - 1.0) > tol).any(axis=-1)


def symmetry_faults(lengths: np.ndarray, ref: np.ndarray, tol: float) -> np.ndarray:
    """``(..., NB3)`` bone lengths -> ``(...)`` bool: some left bone differs from its right twin by
    more than ``tol`` of the right bone's reference length."""
    return (np.abs(lengths[..., _R_BONES] - lengths[..., _L_BONES]) / np.asarray(ref)[_R_BONES] > tol).any(axis=-1)


def jump_faults(joints: np.ndarray, fps: float, max_speed: float, max_accel: float | None = None) -> np.ndarray:
    """``(T, J3, 3)`` metres -> ``(T,)`` bool: some joint faster than ``max_speed`` (m/s, 1 um/s of
    slack) over the step into the frame (:func:`dancegen.skeleton.joint_speed`, steps, per joint),
    or (``max_accel``, m/s^2) accelerating harder than that (second difference into the frame);
    frame 0 never jumps."""
    out = np.zeros(len(joints), bool)
    if len(joints) > 1:
        out[1:] = joint_speed(joints, fps, per_joint=True, difference="steps").max(axis=1) > max_speed + 1e-6
    if max_accel is not None and len(joints) > 2:
        j = np.asarray(joints, np.float64)
        out[2:] |= np.linalg.norm(j[2:] - 2 * j[1:-1] + j[:-2], axis=-1).max(axis=1) * fps ** 2 > max_accel + 1e-6
    return out


def foot_slides(joints: np.ndarray, contacts: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Feet in contact in a frame and the one before that move more than ``tol`` (m) on the floor.

    ``joints (T, J3, 3)``, ``contacts (T, 2)`` (right, left; > 0.5 planted). Returns ``(slide (T, 2)
    bool, moves (T, 2, 3))``: the foot's (ankle and toe mean) horizontal move into each frame (y
    set to 0; frame 0: none)."""
    j = np.asarray(joints, np.float64)
    c = np.asarray(contacts) > 0.5
    moves = np.zeros((len(j), 2, 3))
    moves[1:] = np.diff(0.5 * (j[:, _FEET3D[:, 0]] + j[:, _FEET3D[:, 1]]), axis=0)   # each foot's mean
    moves[..., 1] = 0.0
    slide = np.zeros((len(j), 2), bool)
    slide[1:] = c[1:] & c[:-1] & (np.linalg.norm(moves[1:], axis=-1) > tol)
    return slide, moves


def below_floor(joints: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """``(..., J3, 3)`` -> ``(mask (...), lowest foot height (...))``: the lowest foot point
    (:data:`dancegen.body3d.FOOT3D`) more than ``tol`` (m) below the floor (y = 0)."""
    low = np.asarray(joints)[..., list(b3.FOOT3D), 1].min(axis=-1)
    return low < -tol, low


# ------------------------------------------------------------------------------------ the loop
@dataclass
class Corrector3D:
    """The rules applied to one pose at a time, inside the generator's loop (see the module doc)."""

    ref_lengths: np.ndarray
    fps: float
    rules: Rules3D = field(default_factory=Rules3D)
    counts: dict = field(default_factory=dict)
    frames: int = 0

    def _count(self, k: str, n: int = 1):
        self.counts[k] = self.counts.get(k, 0) + n

    def structure_faults(self, world: np.ndarray) -> dict:
        """``world (..., J3, 3)`` -> ``{"bones", "symmetry"}``: bool masks ``(...)``."""
        L = b3.bone_lengths(world)
        return {"bones": bone_faults(L, self.ref_lengths, self.rules.bone_tol),
                "symmetry": symmetry_faults(L, self.ref_lengths, self.rules.bone_tol)}

    def jump(self, world: np.ndarray, prev: np.ndarray | None, prev2: np.ndarray | None = None) -> bool:
        """A joint faster than ``max_speed`` since ``prev`` or, with ``prev2``, accelerating harder
        than ``max_accel``."""
        if prev is None:
            return False
        if prev2 is None:
            return bool(jump_faults(np.array([prev, world]), self.fps, self.rules.max_speed)[1])
        return bool(jump_faults(np.array([prev2, prev, world]), self.fps, self.rules.max_speed, self.rules.max_accel)[2])

    def fix_floor_and_slide(self, world, prev, contact, prev_contact, count: bool = True):
        """Return ``(root shift (3,), acted rules)`` for the floor and sliding rules (counted in
        :attr:`counts` when ``count``; the generator counts the pose it keeps, see :meth:`commit`)."""
        shift = np.zeros(3)
        acted = []
        if prev is not None and prev_contact is not None:
            slide, moves = foot_slides(np.array([prev, world]), np.array([prev_contact, contact]),
                                       self.rules.slide_tol)
            if slide[1].any():
                # the least correction: the sliding feet's mean move is cut back to the tolerance
                # (not to zero), so the rule holds and the root keeps the rest of its travel
                acted.append("foot_slide")
                m = moves[1][slide[1]].mean(axis=0)
                n = float(np.linalg.norm(m))
                if n > self.rules.slide_tol:
                    shift -= m * (1.0 - self.rules.slide_tol / n)
        low_mask, low = below_floor(world, self.rules.floor_tol)
        if low_mask:
            acted.append("below_floor")
            shift[1] += -low
        if count:
            for a in acted:
                self._count(a)
        return shift, acted

    def commit(self):
        """Count the floor/sliding actions taken on the pose that is kept."""
        for a in getattr(self, "last_acted", ()):
            self._count(a)
        self.last_acted = []


# ------------------------------------------------------------------------------------ a whole dance
def check3d(joints: np.ndarray, fps: float, ref_lengths: np.ndarray | None = None,
            rules: Rules3D | None = None, contacts: np.ndarray | None = None) -> dict:
    """The 3D rules over a whole dance (the same rule functions the generator's loop enforces):
    per-frame boolean masks ``(T,)`` for ``bones``, ``symmetry``, ``jump``, ``foot_slide``,
    ``below_floor``.

    ``joints (T, 17, 3)`` metres; ``ref_lengths`` default: the dance's own median bone lengths;
    ``contacts (T, 2)`` default: a foot within 6 cm of the floor (ankle or toe) is taken as planted
    (:func:`dancegen.model.motion3d.foot_contacts` on the height alone)."""
    r = rules or Rules3D()
    j = np.asarray(joints, np.float64)
    L = b3.bone_lengths(j)
    ref = np.median(L, axis=0) if ref_lengths is None else np.asarray(ref_lengths, np.float64)
    if contacts is None:
        contacts = np.stack([np.minimum(j[:, a, 1], j[:, t, 1]) < 0.06 for a, t in FEET3D], 1)
    return {"bones": bone_faults(L, ref, r.bone_tol),
            "symmetry": symmetry_faults(L, ref, r.bone_tol),
            "jump": jump_faults(j, fps, r.max_speed, r.max_accel),
            "foot_slide": foot_slides(j, contacts, r.slide_tol)[0].any(axis=1),
            "below_floor": below_floor(j, r.floor_tol)[0]}
