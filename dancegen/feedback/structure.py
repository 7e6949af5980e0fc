"""Structure analysis of 2D dances: the three checks of the HGR module (symmetry, bone length,
joint jumps) as pure functions on ``(T, 18, 2)`` OpenPose-18 keypoints, and :func:`analyze`, which
runs them all and lists the faulty frames of each kind.

Units. Positions may be in any length unit (pixels, torso-normalised, ...) as long as the reference
bone lengths are in the same unit. Speeds and accelerations are reported in *torso lengths* per
second (per second squared), where the torso length ``s`` is
:func:`dancegen.skeleton.body_scale` of the reference bone lengths (``body_scale(ref=ref)``); that
makes the human limits independent of the canvas and of the person's size. Bone lengths, the body
scale and joint speeds come from :mod:`dancegen.skeleton`, the one definition of each.

These checks are written once: ``dancegen check`` (:func:`analyze`), the online loop
(:mod:`dancegen.feedback.online`: the same :class:`Limits`, :func:`stance_symmetry` and
:func:`bone_ratio`, as clamps) and the training losses (:mod:`dancegen.feedback.losses`:
:func:`bone_stretch` on tensors) use them.

All formulas are restated, with the fault rules and where each limit comes from, in docs/hgr.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from ..skeleton import (
    BONE_NAMES, BONES, J, LR_BONE_PAIRS, LR_PAIRS, OPENPOSE18_JOINTS, is_tensor, body_scale, bone_lengths,
    joint_speed,
)

N_BONES = len(BONES)
_PARENT = np.array([a for a, _ in BONES])
_CHILD = np.array([b for _, b in BONES])
_R = np.array([r for r, _ in LR_PAIRS])
_L = np.array([l for _, l in LR_PAIRS])
_NECK, _RHIP, _LHIP = 1, 8, 11

FAULT_KINDS = ("asymmetry", "bone_stretch", "jump")


# ------------------------------------------------------------------------------------ limits
@dataclass(frozen=True)
class Limits:
    """Thresholds of the fault rules. Where each number comes from is measured by
    ``scripts/eval_feedback.py --measure`` on the clean Dance with Melody takes (36 sequences, the
    jittery DANCE_T_5 left out, projected by :func:`dancegen.data.dwm.load_dwm`) and restated in
    docs/hgr.md.

    Attributes
    ----------
    stretch_tol : a bone is *stretched* when ``L_b / ref_b - 1 > stretch_tol``. Against the
        95th-percentile reference, 2.0% of clean frames have a bone more than 12% too long (3.2%
        at 10%, 1.1% at 15%); injected stretches are 15-40%.
    max_speed : human speed limit of any joint, torso lengths per second: the fastest joint of the
        clean takes moves 15.6 torso lengths/s (25 fps), plus a 15% margin.
    max_accel : human acceleration limit of any joint, torso lengths per second squared (central
        second difference): clean maximum 315, plus a 15% margin.
    min_outlier : a joint whose acceleration is above ``max_accel`` is a jump only where it is
        also at least this far (torso lengths) from where its neighbours put it
        (:func:`temporal_outlier`): this localises the jump to the displaced frame rather than its
        neighbours.
    sym_drop : an asymmetry fault is a frame whose symmetry is at least ``sym_drop`` below the
        median symmetry of its neighbourhood (``sym_window`` frames, the frame itself excluded) ...
        (clean takes: the 99th percentile of this drop is 0.02-0.05 in waltz, 0.06-0.11 in cha-cha
        and rumba) ...
    sym_stance : ... while that neighbourhood median is at least ``sym_stance`` (the stance around
        the frame is symmetric; the clean takes' median symmetry is 0.60-0.71).
    sym_window : neighbourhood (frames, odd) of the symmetry baseline.
    """

    stretch_tol: float = 0.12
    max_speed: float = 18.0
    max_accel: float = 360.0
    min_outlier: float = 0.05
    sym_drop: float = 0.10
    sym_stance: float = 0.5
    sym_window: int = 9

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


DEFAULT_LIMITS = Limits()


# ------------------------------------------------------------------------------------ helpers
def _check_kp(kp, name: str = "keypoints", min_frames: int = 1) -> np.ndarray:
    kp = np.asarray(kp)
    if kp.ndim < 2 or kp.shape[-2:] != (J, 2):
        raise DataError(f"{name} must have shape (..., {J}, 2), got {kp.shape}")
    kp = kp.astype(np.float64, copy=False)
    if not np.all(np.isfinite(kp)):
        bad = np.unique(np.nonzero(~np.isfinite(kp.reshape(kp.shape[0], -1)) if kp.ndim == 3 else
                                   ~np.isfinite(kp.reshape(1, -1)))[0])
        raise DataError(f"{name} contain NaN or inf (frames {bad[:10].tolist()}...); "
                        "fill or drop those frames first")
    if kp.ndim == 3 and kp.shape[0] < min_frames:
        raise DataError(f"{name}: need at least {min_frames} frames, got {kp.shape[0]}")
    return kp


def _descendants() -> np.ndarray:
    """(17, 18) bool: ``D[b, j]`` is True when joint j is the child of bone b or below it."""
    children = {a: [] for a in range(J)}
    for a, b in BONES:
        children[a].append(b)
    out = np.zeros((N_BONES, J), dtype=bool)
    for i, (_, b) in enumerate(BONES):
        stack = [b]
        while stack:
            j = stack.pop()
            out[i, j] = True
            stack.extend(children[j])
    return out


BONE_DESCENDANTS = _descendants()
"""(17, 18) bool: joints that move with the child of each bone (the child and its subtree)."""


# ------------------------------------------------------------------------------------ symmetry
def body_axis(kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The body's own vertical axis of each pose: the line through the neck and the mid-hip.

    Parameters
    ----------
    kp : (..., 18, 2) keypoints.

    Returns
    -------
    origin : (..., 2) the neck.
    direction : (..., 2) unit vector from the neck to the mid-hip; ``(0, 1)`` (image down) where
        neck and mid-hip coincide.
    """
    neck, u, _ = _axis(np.asarray(kp, dtype=np.float64))
    return neck, u


_DOWN = np.array([0.0, 1.0])


def _axis(kp: np.ndarray):
    """:func:`body_axis` of float64 keypoints plus the torso length (neck to mid-hip) ``(...)``."""
    neck = kp[..., _NECK, :]
    d = 0.5 * (kp[..., _RHIP, :] + kp[..., _LHIP, :]) - neck
    n = np.sqrt((d * d).sum(axis=-1))
    u = np.where((n > 1e-9)[..., None], d / np.maximum(n, 1e-12)[..., None], _DOWN)
    return neck, u, n


def reflect(points: np.ndarray, origin: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Reflect ``points (..., K, 2)`` across the line through ``origin (..., 2)`` along the unit
    vector ``direction (..., 2)``: ``p' = o + 2((p - o).u) u - (p - o)``."""
    rel = points - origin[..., None, :]
    along = (rel * direction[..., None, :]).sum(axis=-1)
    return origin[..., None, :] + 2.0 * along[..., None] * direction[..., None, :] - rel


def _mirror_distance(kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(||p_k^L - mirror(p_k^R)|| (..., 8), torso length (...))`` of float64 keypoints
    ``(..., 18, 2)``: :func:`reflect` across :func:`body_axis` (the online loop calls this for
    every generated pose, so it stays lean)."""
    neck, u, n = _axis(kp)
    diff = kp[..., _L, :] - reflect(kp[..., _R, :], neck, u)
    return np.sqrt((diff * diff).sum(axis=-1)), n


def symmetry_terms(kp: np.ndarray, scale=None) -> np.ndarray:
    """Per-pair asymmetry ``||p_k^L - mirror(p_k^R)|| / c`` for the 8 left/right pairs.

    Parameters
    ----------
    kp : (..., 18, 2) keypoints.
    scale : the reference length ``c``: None for the torso length of each pose (neck to mid-hip,
        floored at 1e-6), or a scalar / array broadcastable to ``kp.shape[:-2]``.

    Returns
    -------
    (..., 8) float64, in units of ``c``, ordered as :data:`dancegen.skeleton.LR_PAIRS`.
    """
    kp = np.asarray(kp, dtype=np.float64)
    dist, torso = _mirror_distance(kp)
    c = torso if scale is None else np.broadcast_to(np.asarray(scale, dtype=np.float64), kp.shape[:-2])
    return dist / np.maximum(c, 1e-6)[..., None]


def symmetry_score(kp: np.ndarray, scale=None, clip: bool = True) -> np.ndarray:
    """Symmetry score S_sym of each pose (paper Eq. 3).

    ``S_sym = 1 - mean_k ||p_k^L - mirror(p_k^R)|| / c`` over the 8 left/right joint pairs k
    (shoulders, elbows, wrists, hips, knees, ankles, eyes, ears). ``mirror`` reflects a point
    across the body's own vertical axis, the line through the neck and the mid-hip of the same
    pose (:func:`body_axis`), so a leaning body is judged in its own frame. ``c`` is the torso
    length (neck to mid-hip) of the same pose unless ``scale`` is given.

    A pose whose every left joint is the mirror image of its right partner scores exactly 1.
    With ``clip`` (default) the score is clipped to ``[0, 1]`` (it never exceeds 1; it goes
    below 0 when the mean pair distance exceeds a torso length).

    Parameters
    ----------
    kp : (..., 18, 2) keypoints, any length unit.
    scale : None, or the reference length ``c`` (scalar or shaped like ``kp.shape[:-2]``).
    clip : clip to ``[0, 1]``.

    Returns
    -------
    (...) float64, dimensionless; ``(T,)`` for a sequence. The sequence score is its mean.

    Examples
    --------
    >>> from dancegen.skeleton import LR_PAIRS
    >>> pose = np.random.default_rng(0).normal(size=(18, 2)) * 50
    >>> pose[[0, 1], 0] = 0.0; pose[1, 1] = -200.0          # nose and neck on the axis x = 0
    >>> for r, l in LR_PAIRS:                               # each left joint mirrors its right one
    ...     pose[l] = [-pose[r, 0], pose[r, 1]]
    >>> float(symmetry_score(pose))
    1.0
    """
    s = 1.0 - symmetry_terms(kp, scale).mean(axis=-1)
    return np.clip(s, 0.0, 1.0) if clip else s


def stance_symmetry(kp: np.ndarray, scale: float) -> np.ndarray:
    """S_sym as :func:`analyze` uses it: ``c`` is the pose's own torso length (neck to mid-hip),
    floored at ``0.5 * scale`` so that a body bent toward the camera (torso foreshortened to almost
    nothing) does not blow the score up. ``kp (..., 18, 2)``, ``scale`` the reference torso length
    (``dancegen.skeleton.body_scale(ref=ref)``); returns ``(...)`` in ``[0, 1]``."""
    kp = np.asarray(kp, dtype=np.float64)
    dist, torso = _mirror_distance(kp)
    c = np.maximum(np.maximum(torso, 0.5 * float(scale)), 1e-6)
    return (1.0 - (dist / c[..., None]).mean(axis=-1)).clip(0.0, 1.0)


def _neighbour_median(x: np.ndarray, window: int) -> np.ndarray:
    """Median of ``x[t-w..t+w]`` without ``x[t]`` itself (w = window // 2), edges replicated."""
    w = max(1, int(window) // 2)
    T = x.shape[0]
    pad = np.pad(x, (w, w), mode="edge")
    idx = np.arange(T)[:, None] + np.concatenate([np.arange(0, w), np.arange(w + 1, 2 * w + 1)])[None]
    return np.median(pad[idx], axis=1)


def asymmetry_faults(sym: np.ndarray, limits: Limits = DEFAULT_LIMITS) -> tuple[np.ndarray, np.ndarray]:
    """Frames that suddenly lose the symmetry of their stance.

    Rule: with ``m_t`` the median symmetry of the ``sym_window - 1`` neighbours of frame t (the frame
    itself excluded), frame t is an asymmetry fault when ``m_t >= sym_stance`` (the stance around it
    is symmetric) and ``m_t - S_t >= sym_drop`` (it is markedly less symmetric than its
    neighbours). Asymmetric dance figures are not faults: an asymmetric stance has low ``m_t``, and
    a gradual change moves ``m_t`` with it.

    Parameters
    ----------
    sym : (T,) symmetry scores (:func:`symmetry_score`).

    Returns
    -------
    mask : (T,) bool.
    drop : (T,) float64, ``m_t - S_t``.
    """
    sym = np.asarray(sym, dtype=np.float64)
    if sym.shape[0] < 3:
        return np.zeros(sym.shape, bool), np.zeros(sym.shape)
    m = _neighbour_median(sym, limits.sym_window)
    drop = m - sym
    return (m >= limits.sym_stance) & (drop >= limits.sym_drop), drop


# ------------------------------------------------------------------------------------ bones
def reference_bone_lengths(kp, q: float = 97.0, share_lr: bool = True) -> np.ndarray:
    """Reference ("true") length of each bone from observed poses.

    In 2D a bone looks shorter when it turns toward the camera but never longer than its true
    length, so a high percentile of its observed length estimates the true length while ignoring
    the rare glitch (the maximum would take any stretched fault as the truth).

    Parameters
    ----------
    kp : (T, 18, 2) keypoints of one sequence, or a list of such arrays (pooled), same unit.
    q : percentile, default 97 (scripts/eval_feedback.py: false positives on clean takes 2.06% pooled and
        6.1% on the worst take at 95, 0.59% / 3.04% at 97, 0.21% / 1.53% at 99; 99 also lifts the body
        scale and with it the jump limits, so fewer real glitches of DANCE_T_5 are flagged).
    share_lr : give a left bone and its right partner the same reference, the larger of the two.

    Returns
    -------
    (17,) float64, same unit as ``kp``, ordered as :data:`dancegen.skeleton.BONES`.
    """
    if isinstance(kp, (list, tuple)):
        lengths = np.concatenate([bone_lengths(_check_kp(k)).reshape(-1, N_BONES) for k in kp])
    else:
        lengths = bone_lengths(_check_kp(kp)).reshape(-1, N_BONES)
    if lengths.shape[0] == 0:
        raise DataError("cannot compute reference bone lengths of an empty sequence")
    ref = np.percentile(lengths, q, axis=0)
    if share_lr:
        for r, l in LR_BONE_PAIRS:
            ref[r] = ref[l] = max(ref[r], ref[l])
    return ref


def bone_ratio(kp, ref, eps: float = 0.0):
    """``L_b / ref_b`` for each bone, shape ``(..., 17)``, dimensionless. numpy, or torch tensors
    (``ref`` broadcast against ``(..., 17)``; ``eps`` as in :func:`dancegen.skeleton.bone_lengths`)."""
    if not is_tensor(kp):
        kp = np.asarray(kp, dtype=np.float64)
        ref = np.asarray(ref, dtype=np.float64)
    return bone_lengths(kp, eps=eps) / ref.clip(min=1e-12)


def bone_deviation(kp: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Bone-length deviation D_bone of each pose (paper Eq. 4).

    ``D_bone = mean_b |L_b - ref_b| / ref_b`` over the 17 bones, with ``L_b`` the bone's length in
    this pose and ``ref_b`` its reference length (:func:`reference_bone_lengths`). A pose whose every
    bone is 10% too long has ``D_bone = 0.10``. This two-sided form is the paper's; it also counts
    foreshortening (a bone turned toward the camera), so it is a score, not a fault rule: faults use
    :func:`bone_stretch`.

    Parameters
    ----------
    kp : (..., 18, 2) keypoints; ref : (17,) same unit.

    Returns
    -------
    (...) float64, dimensionless (fraction of the reference length).
    """
    return np.abs(bone_ratio(kp, ref) - 1.0).mean(axis=-1)


def bone_stretch(kp, ref, eps: float = 0.0):
    """One-sided stretch of each bone, ``max(0, L_b / ref_b - 1)``, shape ``(..., 17)``.

    Foreshortening (a bone shorter than its reference) gives 0: it is not a fault. A bone 10%
    longer than its reference gives 0.10. numpy or torch (the training loss
    :func:`dancegen.feedback.losses.bone_stretch_loss` is its mean), as :func:`bone_ratio`."""
    return (bone_ratio(kp, ref, eps) - 1.0).clip(min=0.0)


# ------------------------------------------------------------------------------------ jumps
def joint_acceleration(kp: np.ndarray, fps: float, scale: float = 1.0) -> np.ndarray:
    """Acceleration magnitude of every joint, ``||p_{t+1} - 2 p_t + p_{t-1}|| * fps^2 / scale``,
    shape ``(T, 18)`` (central second difference; the first and last samples are 0).
    Units: ``scale`` lengths per second squared."""
    kp = np.asarray(kp, dtype=np.float64)
    a = np.zeros(kp.shape[:2])
    if kp.shape[0] > 2:
        a[1:-1] = np.linalg.norm(kp[2:] - 2.0 * kp[1:-1] + kp[:-2], axis=-1)
    return a * (float(fps) ** 2 / float(scale))


def temporal_outlier(kp: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """How far every joint is from where its neighbours put it, shape ``(T, 18)``, in ``scale``
    units: the smaller of the two one-sided constant-velocity extrapolation errors,
    ``min(||p_t - (2 p_{t-1} - p_{t-2})||, ||p_t - (2 p_{t+1} - p_{t+2})||) / scale``
    (one side only within two frames of an end; 0 for T < 3).

    A joint displaced in one frame, or held displaced for two, scores about its displacement (the
    frames on at least one side of it are clean), while its clean neighbours score about their
    natural extrapolation error (one side of them is clean), which localises a fault to the frames
    that moved."""
    kp = np.asarray(kp, dtype=np.float64)
    T = kp.shape[0]
    if T < 3:
        return np.zeros(kp.shape[:2])
    fwd = np.full(kp.shape[:2], np.inf)
    bwd = np.full(kp.shape[:2], np.inf)
    fwd[2:] = np.linalg.norm(kp[2:] - 2.0 * kp[1:-1] + kp[:-2], axis=-1)
    bwd[:-2] = np.linalg.norm(kp[:-2] - 2.0 * kp[1:-1] + kp[2:], axis=-1)
    return np.minimum(fwd, bwd) / float(scale)


def jump_faults(speed: np.ndarray, accel: np.ndarray, outlier: np.ndarray,
                limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """Joint jumps, ``(T, 18)`` bool.

    Rule (all in torso lengths): joint j jumps at frame t when

    * its acceleration exceeds ``max_accel``, it is at least ``min_outlier`` from where its
      neighbours put it (:func:`temporal_outlier`), and at least half as far as in the frames just
      before and after (a spike: the displaced frame, not the neighbours whose second difference
      it also raises; a displacement held for two frames flags both), or
    * its speed into frame t exceeds ``max_speed`` and frame t-1 is not already a jump of joint j
      (a step: the joint teleports and stays; the return from a spike is not counted twice).
    """
    nb = np.zeros_like(outlier)
    if outlier.shape[0] > 1:
        nb[1:] = outlier[:-1]
        nb[:-1] = np.maximum(nb[:-1], outlier[1:])
    spike = (accel > limits.max_accel) & (outlier >= limits.min_outlier) & (outlier >= 0.5 * nb)
    fast = speed > limits.max_speed
    step = fast.copy()
    step[1:] &= ~spike[:-1]
    return spike | step


# ------------------------------------------------------------------------------------ report
@dataclass
class StructureReport:
    """Everything :func:`analyze` measured on a sequence.

    Per-frame arrays have T rows. Units: symmetry and bone ratios are dimensionless; speed and
    acceleration are torso lengths per second (squared), torso length = ``scale``.
    """

    fps: float
    scale: float                     # torso length (unit of kp) used for speed/acceleration
    ref: np.ndarray                  # (17,) reference bone lengths, unit of kp
    symmetry: np.ndarray             # (T,) S_sym
    symmetry_drop: np.ndarray        # (T,) neighbourhood median minus S_sym
    bone_deviation: np.ndarray       # (T,) D_bone (paper, two-sided)
    bone_stretch: np.ndarray         # (T, 17) one-sided stretch
    speed: np.ndarray                # (T, 18)
    accel: np.ndarray                # (T, 18)
    outlier: np.ndarray              # (T, 18) temporal_outlier, torso lengths
    masks: dict = field(default_factory=dict)   # kind -> (T, 18) bool joints blamed
    limits: Limits = DEFAULT_LIMITS

    @property
    def n_frames(self) -> int:
        return int(self.symmetry.shape[0])

    def frames(self, kind: str) -> np.ndarray:
        """Sorted faulty frame indices of one kind (``asymmetry``, ``bone_stretch``, ``jump``) or
        ``any``."""
        if kind == "any":
            m = np.zeros(self.n_frames, bool)
            for k in FAULT_KINDS:
                m |= self.masks[k].any(axis=1)
            return np.nonzero(m)[0]
        return np.nonzero(self.masks[kind].any(axis=1))[0]

    @property
    def faulty_frames(self) -> dict:
        return {k: self.frames(k).tolist() for k in (*FAULT_KINDS, "any")}

    @property
    def joint_mask(self) -> np.ndarray:
        """(T, 18) bool: joints blamed by any check."""
        m = np.zeros((self.n_frames, J), bool)
        for k in FAULT_KINDS:
            m |= self.masks[k]
        return m

    def totals(self) -> dict:
        return {
            "frames": self.n_frames,
            "symmetry_mean": float(self.symmetry.mean()) if self.n_frames else float("nan"),
            "bone_deviation_mean": float(self.bone_deviation.mean()) if self.n_frames else float("nan"),
            "max_stretch": float(self.bone_stretch.max()) if self.n_frames else 0.0,
            "max_speed": float(self.speed.max()) if self.n_frames else 0.0,
            "max_accel": float(self.accel.max()) if self.n_frames else 0.0,
            **{f"n_{k}": int(len(self.frames(k))) for k in (*FAULT_KINDS, "any")},
        }

    def to_dict(self, per_frame: bool = True) -> dict:
        """JSON-able summary with exactly the keys ``symmetry``, ``bone_deviation``, ``jumps``,
        ``faulty_frames`` (``dancegen check --json``)."""
        r6 = lambda a: np.round(np.asarray(a, dtype=np.float64), 6).tolist()  # noqa: E731
        jm = self.masks["jump"]
        events = [
            {"frame": int(t), "joint": OPENPOSE18_JOINTS[j], "speed": round(float(self.speed[t, j]), 4),
             "accel": round(float(self.accel[t, j]), 3)}
            for t, j in zip(*np.nonzero(jm))
        ]
        sym = {"mean": float(self.symmetry.mean()), "min": float(self.symmetry.min()),
               "stance_threshold": self.limits.sym_stance, "drop_threshold": self.limits.sym_drop}
        bone = {"mean": float(self.bone_deviation.mean()), "max_stretch": float(self.bone_stretch.max()),
                "stretch_tol": self.limits.stretch_tol,
                "reference": {n: round(float(v), 4) for n, v in zip(BONE_NAMES, self.ref)}}
        jumps = {"max_speed": float(self.speed.max()), "max_accel": float(self.accel.max()),
                 "speed_limit": self.limits.max_speed, "accel_limit": self.limits.max_accel,
                 "unit": "torso lengths per second (squared)", "torso_length": self.scale,
                 "events": events}
        if per_frame:
            sym["per_frame"] = r6(self.symmetry)
            bone["per_frame"] = r6(self.bone_deviation)
            bone["max_stretch_per_frame"] = r6(self.bone_stretch.max(axis=1))
            jumps["max_speed_per_frame"] = r6(self.speed.max(axis=1))
            jumps["max_accel_per_frame"] = r6(self.accel.max(axis=1))
        return {"symmetry": sym, "bone_deviation": bone, "jumps": jumps, "faulty_frames": self.faulty_frames}


def _asymmetry_joints(frames: np.ndarray, outlier: np.ndarray, min_outlier: float) -> np.ndarray:
    """Blame, at each asymmetry fault frame and for each left/right pair, the member farther from
    where its neighbours put it (:func:`temporal_outlier`), when that is at least ``min_outlier``."""
    mask = np.zeros(outlier.shape, bool)
    if len(frames) == 0:
        return mask
    side_r = outlier[np.ix_(frames, _R)]
    side_l = outlier[np.ix_(frames, _L)]
    moved = np.maximum(side_r, side_l) >= min_outlier
    blame_r = moved & (side_r > side_l)
    blame_l = moved & ~blame_r
    mask[np.ix_(frames, _R)] = blame_r
    mask[np.ix_(frames, _L)] = blame_l
    return mask


def analyze(kp, fps: float, ref=None, limits: Limits = DEFAULT_LIMITS) -> StructureReport:
    """Run the three structural checks on a sequence.

    Parameters
    ----------
    kp : (T, 18, 2) keypoints, any length unit (pixels for a :class:`~dancegen.dance.Dance`).
    fps : frames per second.
    ref : (17,) reference bone lengths in the unit of ``kp``; None computes them from ``kp`` itself
        (:func:`reference_bone_lengths`, 95th percentile, left/right shared).
    limits : thresholds of the fault rules.

    Returns
    -------
    :class:`StructureReport`: per-frame symmetry (the torso length per frame as ``c``, floored at
    half the reference torso length so a body bent toward the camera does not blow it up), its drop
    against the neighbourhood, D_bone, per-bone stretch, per-joint speed/acceleration/outlier, and
    per kind a ``(T, 18)`` mask of the joints blamed:

    * ``asymmetry``: :func:`asymmetry_faults` frames; blamed joints are, for each left/right pair,
      the member with the larger :func:`temporal_outlier` when that is at least ``min_outlier``;
    * ``bone_stretch``: bones with stretch above ``stretch_tol``; the joint blamed is the one of the
      bone's two ends with the larger :func:`temporal_outlier` (the child when tied);
    * ``jump``: :func:`jump_faults`.
    """
    fps = float(fps)
    if not fps > 0:
        raise DataError(f"fps must be positive, got {fps}")
    kp = _check_kp(kp, min_frames=1)
    if kp.ndim != 3:
        raise DataError(f"keypoints must have shape (T, {J}, 2), got {kp.shape}")
    if ref is None:
        ref = reference_bone_lengths(kp)
    ref = np.asarray(ref, dtype=np.float64)
    if ref.shape != (N_BONES,) or not np.all(ref > 0):
        raise DataError(f"reference bone lengths must be {N_BONES} positive numbers, got shape {ref.shape}")
    scale = body_scale(ref=ref)

    sym = stance_symmetry(kp, scale)
    asym_frames, drop = asymmetry_faults(sym, limits)

    ratio = bone_ratio(kp, ref)
    stretch = np.maximum(ratio - 1.0, 0.0)
    dev = np.abs(ratio - 1.0).mean(axis=-1)

    # every joint's speed over the step into frame t, torso lengths/s; nothing moves into frame 0
    speed = np.zeros(kp.shape[:2])
    speed[1:] = joint_speed(kp, fps, scale=scale, per_joint=True, difference="steps")
    accel = joint_acceleration(kp, fps, scale)
    outlier = temporal_outlier(kp, scale)

    jump = jump_faults(speed, accel, outlier, limits)

    st_mask = np.zeros_like(jump)
    tt, bb = np.nonzero(stretch > limits.stretch_tol)
    if len(tt):
        par, chi = _PARENT[bb], _CHILD[bb]
        blame = np.where(outlier[tt, par] > outlier[tt, chi], par, chi)
        st_mask[tt, blame] = True

    asym_mask = _asymmetry_joints(np.nonzero(asym_frames)[0], outlier, limits.min_outlier)

    return StructureReport(
        fps=fps, scale=scale, ref=ref, symmetry=sym, symmetry_drop=drop, bone_deviation=dev,
        bone_stretch=stretch, speed=speed, accel=accel, outlier=outlier,
        masks={"asymmetry": asym_mask, "bone_stretch": st_mask, "jump": jump}, limits=limits,
    )
