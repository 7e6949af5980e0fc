"""Fault injection: put the paper's three structural faults (left/right asymmetry in a symmetric
stance, joint jumps, bone stretching) into a clean dance at random, isolated frames, and remember
exactly what was done, so that the checker and the repair can be scored against ground truth
(``scripts/eval_feedback.py``).

Magnitudes (``m`` drawn uniformly from ``magnitude``, default 15-40%):

* ``bone_stretch``: one bone (uniform over the 17) is set to ``(1 + m)`` times its *reference*
  length along its current direction; the child and its subtree move with it. A stretch relative
  to the current (maybe foreshortened) length would often still be a possible pose, not a fault.
* ``jump``: one joint (uniform over the 18) is displaced by ``m * H`` in a uniformly random
  direction, ``H`` the body height, taken as 3 torso lengths (about 540 px for a 600-px person);
  only that joint moves (a keypoint glitch).
* ``asymmetry``: at a frame whose stance is symmetric (the clean symmetry of it and its neighbours
  is at least ``stance``), the arm and the leg of one side (elbow+wrist about the shoulder,
  knee+ankle about the hip) are rotated, by the same angle, so that the frame's symmetry score
  S_sym drops by ``m`` (found by bisection over 0-180 degrees; the achieved drop is recorded).

Each fault occupies one frame; faults are at least ``min_gap`` frames from each other and from the
ends, so every fault has clean neighbours.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ConfigError, DataError
from ..skeleton import BONES, J, body_scale, motion_beats
from .structure import (
    BONE_DESCENDANTS, FAULT_KINDS, _neighbour_median, reference_bone_lengths, stance_symmetry,
)

BODY_HEIGHT_TORSOS = 3.0
"""Body height in torso lengths used to size injected jumps."""

# (root, moved joints) of the limbs rotated by an asymmetry fault, per side
_SIDE_LIMBS = {"R": ((2, (3, 4)), (8, (9, 10))), "L": ((5, (6, 7)), (11, (12, 13)))}


@dataclass
class Fault:
    """One injected fault: ``kind``, ``frame``, the ``joints`` that moved, the drawn ``magnitude``
    (fraction, see the module doc), and the ``achieved`` size (stretch ratio minus 1, displacement
    in torso lengths, or symmetry drop)."""

    kind: str
    frame: int
    joints: tuple
    magnitude: float
    achieved: float
    detail: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["joints"] = list(self.joints)
        return d


def _rot(v: np.ndarray, ang: float) -> np.ndarray:
    c, s = np.cos(ang), np.sin(ang)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], axis=-1)


def stretch_bone(pose: np.ndarray, bone: int, ratio: float) -> np.ndarray:
    """Copy of ``pose (18, 2)`` with bone ``bone`` scaled to ``ratio`` times its current length along
    its direction; the child's subtree moves with the child (its own bones keep their lengths)."""
    a, b = BONES[bone]
    out = np.array(pose, dtype=np.float64, copy=True)
    delta = (ratio - 1.0) * (out[b] - out[a])
    out[BONE_DESCENDANTS[bone]] += delta
    return out


def rotate_side(pose: np.ndarray, side: str, angle: float, signs=(1.0, -1.0)) -> np.ndarray:
    """Rotate the arm (about the shoulder) and the leg (about the hip) of ``side`` ('R' or 'L') by
    ``angle`` radians (times ``signs`` for arm and leg). Returns a copy of ``pose (18, 2)``."""
    out = np.array(pose, dtype=np.float64, copy=True)
    for (root, moved), sg in zip(_SIDE_LIMBS[side], signs):
        idx = list(moved)
        out[idx] = out[root] + _rot(out[idx] - out[root], sg * angle)
    return out


def inject_faults(kp, fps: float, rng=None, n_per_kind: int = 10, kinds=FAULT_KINDS,
                  magnitude=(0.15, 0.40), ref=None, min_gap: int = 8, stance: float = 0.6):
    """Inject isolated single-frame faults into a clean sequence.

    Parameters
    ----------
    kp : (T, 18, 2) clean keypoints, any unit.
    fps : frames per second (unused by the faults themselves; kept for symmetry with the checker).
    rng : numpy Generator or seed.
    n_per_kind : faults of each kind (fewer when the sequence is too short or has no symmetric
        stance for asymmetry faults).
    kinds : subset of ``("asymmetry", "bone_stretch", "jump")``.
    magnitude : (low, high) of the uniform magnitude draw (see the module doc for each kind's unit).
    ref : (17,) reference bone lengths; None: :func:`reference_bone_lengths` of the clean ``kp``.
    min_gap : minimum distance in frames between faults and from the sequence ends.
    stance : minimum clean symmetry of a frame and of its neighbourhood median for an asymmetry
        fault.

    Returns
    -------
    faulty : (T, 18, 2) float64 copy with the faults.
    faults : list of :class:`Fault`, sorted by frame.
    """
    kp = np.asarray(kp, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (J, 2):
        raise DataError(f"keypoints must have shape (T, {J}, 2), got {kp.shape}")
    for k in kinds:
        if k not in FAULT_KINDS:
            raise ConfigError(f"unknown fault kind {k!r}; choose from {', '.join(FAULT_KINDS)}")
    lo, hi = float(magnitude[0]), float(magnitude[1])
    if not 0 < lo <= hi:
        raise ConfigError(f"magnitude must be 0 < low <= high, got {magnitude}")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    ref = reference_bone_lengths(kp) if ref is None else np.asarray(ref, dtype=np.float64)
    scale = body_scale(ref=ref)
    T = kp.shape[0]

    sym = stance_symmetry(kp, scale)
    sym_ok = (sym >= stance) & (_neighbour_median(sym, 9) >= stance)

    # draw isolated frames: kinds interleaved so each gets its share
    taken = np.zeros(T, bool)
    taken[:min_gap] = taken[T - min_gap:] = True
    plan = [k for _ in range(n_per_kind) for k in kinds]
    frames = []
    for kind in plan:
        free = ~taken if kind != "asymmetry" else (~taken & sym_ok)
        cand = np.nonzero(free)[0]
        if len(cand) == 0:
            continue
        t = int(rng.choice(cand))
        frames.append((kind, t))
        taken[max(0, t - min_gap):t + min_gap + 1] = True

    out = kp.copy()
    faults = []
    for kind, t in frames:
        m = float(rng.uniform(lo, hi))
        pose = out[t]
        if kind == "bone_stretch":
            b = int(rng.integers(len(BONES)))
            a, c = BONES[b]
            L = float(np.linalg.norm(pose[c] - pose[a]))
            if L < 1e-6 * scale:
                continue
            ratio = (1.0 + m) * ref[b] / L
            out[t] = stretch_bone(pose, b, ratio)
            joints = tuple(np.nonzero(BONE_DESCENDANTS[b])[0].tolist())
            faults.append(Fault(kind, t, joints, m, m, f"bone {b}"))
        elif kind == "jump":
            j = int(rng.integers(J))
            ang = rng.uniform(0, 2 * np.pi)
            d = m * BODY_HEIGHT_TORSOS * scale
            out[t, j] = pose[j] + d * np.array([np.cos(ang), np.sin(ang)])
            faults.append(Fault(kind, t, (j,), m, m * BODY_HEIGHT_TORSOS, f"joint {j}"))
        else:  # asymmetry
            side = "R" if rng.random() < 0.5 else "L"
            signs = tuple(float(s) for s in rng.choice([-1.0, 1.0], size=2))
            s0 = float(stance_symmetry(pose, scale))

            def drop(angle):
                return s0 - float(stance_symmetry(rotate_side(pose, side, angle, signs), scale))

            a_lo, a_hi = 0.0, np.pi
            if drop(a_hi) < m:  # take the best angle on a coarse grid
                grid = np.linspace(0, np.pi, 37)
                a_hi = float(grid[int(np.argmax([drop(g) for g in grid]))])
            else:
                for _ in range(30):
                    mid = 0.5 * (a_lo + a_hi)
                    if drop(mid) < m:
                        a_lo = mid
                    else:
                        a_hi = mid
            out[t] = rotate_side(pose, side, a_hi, signs)
            moved = tuple(sorted(j for _, mv in _SIDE_LIMBS[side] for j in mv))
            faults.append(Fault(kind, t, moved, m, drop(a_hi), f"side {side}, {np.degrees(a_hi):.1f} deg"))
    faults.sort(key=lambda f: f.frame)
    return out, faults


def detection_scores(flagged_frames, faults, n_frames: int) -> dict:
    """Score a checker against injected faults.

    Parameters
    ----------
    flagged_frames : iterable of frame indices the checker called faulty (any kind).
    faults : the :class:`Fault` list of :func:`inject_faults`.
    n_frames : T.

    Returns
    -------
    dict: ``detection`` (kind -> fraction of that kind's injected frames flagged), ``n_injected``
    (kind -> count), ``false_positive_rate`` (flagged frames among the frames nothing was injected
    into, divided by their number; the neighbours of a fault count as clean).
    """
    flagged = np.zeros(n_frames, bool)
    flagged[np.asarray(list(flagged_frames), dtype=int)] = True
    injected = np.zeros(n_frames, bool)
    det, n = {}, {}
    for kind in FAULT_KINDS:
        fr = [f.frame for f in faults if f.kind == kind]
        n[kind] = len(fr)
        det[kind] = float(flagged[fr].mean()) if fr else float("nan")
        injected[fr] = True
    clean = ~injected
    fpr = float(flagged[clean].mean()) if clean.any() else float("nan")
    return {"detection": det, "n_injected": n, "false_positive_rate": fpr}


def _beat_match(a: np.ndarray, b: np.ndarray, tol: float) -> float:
    """Fraction of beats in ``a`` with a beat of ``b`` within ``tol`` (same unit); 1 when a is empty."""
    if len(a) == 0:
        return 1.0
    if len(b) == 0:
        return 0.0
    d = np.abs(np.asarray(a)[:, None] - np.asarray(b)[None, :]).min(axis=1)
    return float((d <= tol + 1e-9).mean())


def evaluate_injection(kp, fps: float, rng=None, n_per_kind: int = 10, magnitude=(0.15, 0.40),
                       limits=None, min_gap: int = 8) -> dict:
    """Inject faults into a clean sequence, check and repair it, and score both against the truth.

    The checker and the repair see only the faulty sequence (their reference bone lengths come
    from it); the scores use the clean one.

    Parameters
    ----------
    kp : (T, 18, 2) clean keypoints, pixels.
    fps : frames per second.
    rng, n_per_kind, magnitude, min_gap : see :func:`inject_faults`.
    limits : :class:`~dancegen.feedback.structure.Limits` (default thresholds when None).

    Returns
    -------
    dict with
    ``detection`` (kind -> fraction of injected frames flagged by any check),
    ``detection_own`` (kind -> fraction flagged by the check of that kind),
    ``n_injected`` (kind -> count), ``false_positive_rate`` (flagged among un-injected frames of the
    faulty sequence), ``clean_flag_rate`` (frames the checker flags in the untouched sequence),
    ``dbone_clean`` / ``dbone_faulty`` / ``dbone_repaired`` (sequence-mean D_bone against the clean
    sequence's reference), ``jpe_fault_px`` (mean joint position error, repaired vs clean, over the
    joints that were moved at injected frames), ``jpe_fault_max_px``, ``jpe_fault_all_px`` (over
    all 18 joints of injected frames), ``jpe_other_px`` (mean over all other frames: damage done
    elsewhere), ``jpe_faulty_px`` (the moved joints before repair, for scale), ``beats_kept`` (fraction
    of the clean sequence's motion beats with a repaired-sequence beat within one frame; motion
    beats of :func:`dancegen.skeleton.motion_beats`, ``refine=False``), ``beats_kept_faulty``
    (same for the unrepaired faulty sequence), ``jpe_online_px`` / ``jpe_online_other_px`` (the same
    errors after :class:`~dancegen.feedback.online.OnlineCorrector` ran causally over the faulty
    sequence instead of the offline repair), ``n_moved`` (joint-frames moved by the faults),
    ``n_frames``.
    """
    from .online import OnlineCorrector
    from .repair import repair
    from .structure import DEFAULT_LIMITS, analyze, bone_deviation

    limits = DEFAULT_LIMITS if limits is None else limits
    clean = np.asarray(kp, dtype=np.float64)
    T = clean.shape[0]
    faulty, faults = inject_faults(clean, fps, rng=rng, n_per_kind=n_per_kind, magnitude=magnitude,
                                   min_gap=min_gap)
    rep = analyze(faulty, fps, limits=limits)
    sc = detection_scores(rep.frames("any"), faults, T)
    own = {}
    for kind in FAULT_KINDS:
        fr = [f.frame for f in faults if f.kind == kind]
        flagged = set(rep.frames(kind).tolist())
        own[kind] = float(np.mean([t in flagged for t in fr])) if fr else float("nan")
    fixed, info = repair(faulty, fps, report=rep)
    fixed = fixed.astype(np.float64)

    ref_clean = reference_bone_lengths(clean)
    err = np.linalg.norm(fixed - clean, axis=-1)               # (T, 18) px
    err_before = np.linalg.norm(faulty - clean, axis=-1)
    moved = np.zeros((T, J), bool)
    for f in faults:
        moved[f.frame, list(f.joints)] = True
    inj = moved.any(axis=1)
    clean_rep = analyze(clean, fps, limits=limits)
    online = OnlineCorrector(rep.ref, fps, limits=limits).run(faulty)
    err_online = np.linalg.norm(online - clean, axis=-1)

    tol = 1.0 / fps
    b_clean = motion_beats(clean, fps, refine=False)
    b_fixed = motion_beats(fixed, fps, refine=False)
    b_faulty = motion_beats(faulty, fps, refine=False)
    return {
        **sc,
        "detection_own": own,
        "clean_flag_rate": float(len(clean_rep.frames("any")) / T),
        "dbone_clean": float(bone_deviation(clean, ref_clean).mean()),
        "dbone_faulty": float(bone_deviation(faulty, ref_clean).mean()),
        "dbone_repaired": float(bone_deviation(fixed, ref_clean).mean()),
        "jpe_fault_px": float(err[moved].mean()) if moved.any() else float("nan"),
        "jpe_fault_max_px": float(err[moved].max()) if moved.any() else float("nan"),
        "jpe_fault_all_px": float(err[inj].mean()) if inj.any() else float("nan"),
        "jpe_other_px": float(err[~inj].mean()),
        "jpe_faulty_px": float(err_before[moved].mean()) if moved.any() else float("nan"),
        "jpe_online_px": float(err_online[moved].mean()) if moved.any() else float("nan"),
        "jpe_online_other_px": float(err_online[~inj].mean()),
        "n_moved": int(moved.sum()),
        "beats_kept": _beat_match(b_clean, b_fixed, tol),
        "beats_kept_faulty": _beat_match(b_clean, b_faulty, tol),
        "n_beats": int(len(b_clean)),
        "n_frames": int(T),
        "repair": {k: info[k] for k in ("n_joint_frames", "n_bones_shortened", "unrepaired_joints")},
    }


# rest pose of the synthetic dancer: bone vectors (pixels, image y down) in BONES order
_REST_BONES = np.array([
    (-60, 10), (0, 110), (0, 100),          # neck->RShoulder->RElbow->RWrist (R on image left)
    (60, 10), (0, 110), (0, 100),           # left arm
    (-35, 190), (0, 150), (0, 140),         # neck->RHip->RKnee->RAnkle
    (35, 190), (0, 150), (0, 140),          # left leg
    (0, -60), (-12, -10), (-15, 8),         # neck->nose->REye->REar
    (12, -10), (15, 8),                     # nose->LEye->LEar
], dtype=np.float64)


def synthetic_dance(n_frames: int = 200, fps: float = 25.0, bpm: float = 120.0, symmetric: bool = True,
                    seed: int | None = 0, center=(960.0, 540.0)) -> np.ndarray:
    """A clean synthetic dance for tests and benchmarks: ``(T, 18, 2)`` float64 pixels.

    A 560-px figure (torso 190 px) built by forward kinematics from :data:`_REST_BONES`: the arms
    swing about the shoulders (amplitude 60 degrees) and bend at the elbows, the legs swing
    (12 degrees), and the body sways sideways by 40 px; every swing is a sinusoid
    whose turning points fall on the beats of ``bpm`` (so the motion beats, minima of joint speed,
    sit every ``60 / bpm`` s). Bone lengths are exactly constant. With ``symmetric`` the left limbs
    are the mirror image of the right ones about the body's axis (S_sym = 1 in every frame);
    otherwise the left arm lags by a quarter period. ``seed`` picks the phase.
    """
    T = int(n_frames)
    rng = np.random.default_rng(seed)
    phase = float(rng.uniform(0, 2 * np.pi)) if seed is not None else 0.0
    t = np.arange(T) / float(fps)
    w = np.pi * bpm / 60.0                     # half a period per beat: turning points on the beats
    s = np.sin(w * t + phase)
    s_l = s if symmetric else np.sin(w * t + phase + np.pi / 2)
    ang = np.zeros((T, len(BONES)))            # angle of each bone relative to its parent's frame
    ang[:, 1] = np.deg2rad(60) * s             # right shoulder
    ang[:, 2] = np.deg2rad(30) * (1 + s) / 2   # right elbow
    ang[:, 4] = -np.deg2rad(60) * s_l          # left shoulder (mirrored)
    ang[:, 5] = -np.deg2rad(30) * (1 + s_l) / 2
    ang[:, 7] = np.deg2rad(12) * s
    ang[:, 10] = -np.deg2rad(12) * s
    kp = np.zeros((T, J, 2))
    kp[:, 1] = np.asarray(center, dtype=np.float64) + np.stack([40.0 * np.sin(w * t / 2 + phase), np.zeros(T)], -1) \
        - np.array([0.0, 150.0])
    total = np.zeros((T, J))                   # accumulated angle at each joint
    for i, (a, b) in enumerate(BONES):
        total[:, b] = total[:, a] + ang[:, i]
        kp[:, b] = kp[:, a] + _rot(np.broadcast_to(_REST_BONES[i], (T, 2)), total[:, b])
    return kp
