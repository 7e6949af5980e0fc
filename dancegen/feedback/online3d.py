"""The HGR loop in 3D: every sampled pose is checked before it is fed back, and the loop acts when a
rule is broken.

Rules (world joints in metres, :mod:`dancegen.body3d` layout), with the limits measured on the
Dance with Melody train takes on the reference skeleton (docs/hgr.md, "3D loop"):

* **bones**: every bone within ``bone_tol`` (1%) of its reference length. The pose vector places
  bones by forward kinematics, so this holds by construction; the check stays as a guard.
* **symmetry**: each left bone equals its right twin (the reference skeleton is symmetric); also by
  construction, also a guard.
* **jump**: no joint faster than ``max_speed`` (7.5 m/s; real dances: 99.9th percentile of a
  frame's fastest joint 6.4 m/s, maximum 8.5). Action: *resample* the pose from the model's
  distribution up to ``max_resample`` times; if every draw breaks it, *blend* the bone directions
  toward the previous pose until the limit holds.
* **foot sliding**: a foot in contact in this frame and the previous one moves at most
  ``slide_tol`` (1.2 cm) on the floor per frame (real: 99th percentile 1.17 cm). Action: shift the
  root on the floor so that the contact foot (the mean of the feet in contact) stays where it was.
* **floor**: the lowest foot point no lower than ``floor_tol`` (3 cm) below the floor (real: 1st
  percentile -2.9 cm). Action: lift the root.

``counts`` records how often each rule was broken and each action taken; ``frames`` how many poses
were checked.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import body3d as b3


@dataclass
class Rules3D:
    bone_tol: float = 0.01
    max_speed: float = 7.5        # m/s
    slide_tol: float = 0.012      # m per frame
    floor_tol: float = 0.03       # m
    max_resample: int = 2


@dataclass
class Corrector3D:
    ref_lengths: np.ndarray
    fps: float
    rules: Rules3D = field(default_factory=Rules3D)
    counts: dict = field(default_factory=dict)
    frames: int = 0

    def _count(self, k: str, n: int = 1):
        self.counts[k] = self.counts.get(k, 0) + n

    def structure_faults(self, world: np.ndarray) -> dict:
        L = b3.bone_lengths(world)
        dev = np.abs(L / self.ref_lengths - 1.0)
        sym = max(abs(L[r] - L[l]) / self.ref_lengths[r] for r, l in b3.LR_BONE_PAIRS3D)
        return {"bones": bool(dev.max() > self.rules.bone_tol), "symmetry": bool(sym > self.rules.bone_tol)}

    def jump(self, world: np.ndarray, prev: np.ndarray | None) -> bool:
        if prev is None:
            return False
        return bool(np.linalg.norm(world - prev, axis=-1).max() * self.fps > self.rules.max_speed)

    def fix_floor_and_slide(self, world, prev, contact, prev_contact, count: bool = True):
        """Return ``(root shift (3,), acted rules)`` for the floor and sliding rules (counted in
        :attr:`counts` when ``count``; the generator counts the pose it keeps, see :meth:`commit`)."""
        shift = np.zeros(3)
        acted = []
        feet = [list(p) for p in ((11, 12), (15, 16))]
        if prev is not None:
            moves = []
            for k, fj in enumerate(feet):
                if contact[k] > 0.5 and prev_contact is not None and prev_contact[k] > 0.5:
                    d = world[fj].mean(0) - prev[fj].mean(0)
                    d[1] = 0.0
                    if np.linalg.norm(d) > self.rules.slide_tol:
                        moves.append(d)
            if moves:
                acted.append("foot_slide")
                shift -= np.mean(moves, axis=0)
        low = min(world[11, 1], world[12, 1], world[15, 1], world[16, 1])
        if low < -self.rules.floor_tol:
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


def check3d(joints: np.ndarray, fps: float, ref_lengths: np.ndarray | None = None,
            rules: Rules3D | None = None, contacts: np.ndarray | None = None) -> dict:
    """The 3D rules over a whole dance (the same rules the generator's loop enforces): per-frame
    boolean masks ``(T,)`` for ``bones``, ``symmetry``, ``jump``, ``foot_slide``, ``below_floor``.

    ``joints (T, 17, 3)`` metres; ``ref_lengths`` default: the dance's own median bone lengths;
    ``contacts (T, 2)`` default: :func:`dancegen.model.motion3d.foot_contacts` on the height alone
    (a foot within 6 cm of the floor is taken as planted)."""
    r = rules or Rules3D()
    j = np.asarray(joints, np.float64)
    L = b3.bone_lengths(j)
    ref = np.median(L, axis=0) if ref_lengths is None else np.asarray(ref_lengths, np.float64)
    out = {"bones": (np.abs(L / ref - 1.0) > r.bone_tol).any(1)}
    sym = np.stack([np.abs(L[:, a] - L[:, b]) / ref[a] for a, b in b3.LR_BONE_PAIRS3D], 1)
    out["symmetry"] = (sym > r.bone_tol).any(1)
    jump = np.zeros(len(j), bool)
    jump[1:] = np.linalg.norm(np.diff(j, axis=0), axis=-1).max(1) * fps > r.max_speed + 1e-6
    out["jump"] = jump
    if contacts is None:
        contacts = np.stack([np.minimum(j[:, a, 1], j[:, t, 1]) < 0.06 for a, t in ((11, 12), (15, 16))], 1)
    slide = np.zeros(len(j), bool)
    for k, fj in enumerate(((11, 12), (15, 16))):
        mid = j[:, list(fj)].mean(1)[:, [0, 2]]
        d = np.r_[0.0, np.linalg.norm(np.diff(mid, axis=0), axis=-1)]
        both = np.r_[False, (contacts[1:, k] > 0.5) & (contacts[:-1, k] > 0.5)]
        slide |= both & (d > r.slide_tol)
    out["foot_slide"] = slide
    out["below_floor"] = j[:, [11, 12, 15, 16], 1].min(1) < -r.floor_tol
    return out
