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
