"""Online closed-loop correction: check and correct every new pose *before* it is fed back to the
decoder, so that one bad step cannot snowball through the autoregressive loop.

Every check is a clamp onto the set of sound poses, continuous in the input (a pose that passes is
returned unchanged; one slightly over a limit moves slightly):

1. **Jumps.** With the two previous (already corrected) poses, the constant-velocity prediction is
   ``q = 2 p_{t-1} - p_{t-2}``; a joint whose acceleration ``||p_t - q|| fps^2 / s`` exceeds
   ``max_accel`` is pulled straight toward ``q`` until it equals ``max_accel``. A joint whose speed
   ``||p_t - p_{t-1}|| fps / s`` then exceeds ``max_speed`` is pulled further along the same line
   toward ``q`` until its speed equals ``max_speed`` (both limits then hold; with a single previous
   pose, ``q = p_{t-1}``).
2. **Asymmetry.** When the median symmetry of the last ``sym_window - 1`` output poses is at least
   ``sym_stance`` (a symmetric stance) and the new pose's S_sym is more than ``sym_drop`` below
   the previous pose's (online there is no future: the previous frame is the baseline; on clean
   Dance with Melody motion S_sym falls by more than 0.10 from one frame to the next in 0.1% of
   frames, against 8% for a drop below the median of the past 8 frames), the member of each
   left/right pair farther from the prediction is blended toward the prediction by ``alpha = 1 - sym_drop / drop``: the symmetry may fall by at most ``sym_drop``
   per frame (to first order), so an arm may still rise out of a symmetric stance, just not in one
   frame.
3. **Bone lengths.** A bone longer than ``(1 + tol) * ref`` is shortened to that length along its
   direction, its subtree moving with it (default ``tol = 0``: a bone never exceeds its reference).

Units: anything (pixels, torso-normalised), as long as ``ref_lengths`` is in the same unit;
speeds are judged in torso lengths (``scale``, default
``dancegen.skeleton.body_scale(ref=ref_lengths)``). Cost: about 0.05 ms per pose on the 2-core
development CPU (``benchmarks/bench_feedback.py``).

The rules are those of :mod:`dancegen.feedback.structure`, not a copy: the same :class:`Limits`,
the symmetry :func:`~dancegen.feedback.structure.stance_symmetry` and the bone ratio
:func:`~dancegen.feedback.structure.bone_ratio`; what differs is that online there is no future
frame (the asymmetry baseline is the past) and every rule is a clamp rather than a flag.

:func:`correct_batch` is the same jump + bone clamp on torch tensors ``(B, 18, 2)`` (no asymmetry
step: that needs each sequence's symmetry history), differentiable almost everywhere.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from ..errors import ConfigError, DataError
from ..skeleton import J, body_scale, bone_vectors
from .structure import BONE_DESCENDANTS, DEFAULT_LIMITS, N_BONES, Limits, _L, _R, bone_ratio, stance_symmetry

_DESC = BONE_DESCENDANTS.astype(np.float64)          # (17, 18)
_DESC_T = np.ascontiguousarray(_DESC.T)               # (18, 17)


def _clamp_motion(p, p1, pred, r_acc, r_vel):
    """Clamp joints ``p (18, 2)`` into the acceleration disc ``|p - pred| <= r_acc`` (skipped when
    ``r_acc`` is None) and the speed disc ``|p - p1| <= r_vel``. A joint over the acceleration limit
    is pulled straight toward ``pred``; one then over the speed limit is pulled further along the
    same segment toward ``pred`` (which lies inside the speed disc when the previous step obeyed
    it) until its speed equals the limit, so both limits hold. Returns ``(p, n_joints_changed)``."""
    n = 0
    if r_acc is not None:
        e = p - pred
        a = np.sqrt((e * e).sum(axis=1))
        over = a > r_acc
        if over.any():
            p = pred + e * np.where(over, r_acc / np.maximum(a, 1e-12), 1.0)[:, None]
            n = int(over.sum())
    e = p - p1
    v = np.sqrt((e * e).sum(axis=1))
    over = v > r_vel
    if over.any():
        d = p - pred
        w = pred - p1
        dd = (d * d).sum(axis=1)
        dw = (d * w).sum(axis=1)
        ww = (w * w).sum(axis=1)
        disc = dw * dw - dd * (ww - r_vel * r_vel)
        ok = over & (ww <= r_vel * r_vel) & (dd > 1e-24)
        lam = np.where(ok, (-dw + np.sqrt(np.maximum(disc, 0.0))) / np.maximum(dd, 1e-24), 1.0)
        toward_pred = pred + d * np.clip(lam, 0.0, 1.0)[:, None]
        toward_p1 = p1 + e * (r_vel / np.maximum(v, 1e-12))[:, None]
        p = np.where(ok[:, None], toward_pred, np.where(over[:, None], toward_p1, p))
        n = max(n, int(over.sum()))
    return p, n


class OnlineCorrector:
    """Per-frame structural correction for an autoregressive generator.

    Parameters
    ----------
    ref_lengths : (17,) reference bone lengths, in the unit of the poses.
    fps : frames per second of the generated poses.
    scale : torso length in that unit; default ``body_scale(ref=ref_lengths)``.
    limits : :class:`~dancegen.feedback.structure.Limits` (``max_speed``, ``max_accel``,
        ``sym_drop``, ``sym_stance``, ``sym_window`` are used).
    tol : bone stretch tolerated before shortening (0: never longer than the reference).
    jumps, asymmetry, bones : switch each step on or off (ablations).

    Usage::

        corr = OnlineCorrector(ref, fps=25)
        for t in range(T):
            pose = decoder_step(...)            # (18, 2)
            pose = corr.step(pose)              # checked and corrected
            feed_back(pose)

    ``step(pose, prev)`` may be given the previous poses explicitly (``(K, 18, 2)``, most recent
    last) instead of relying on the corrector's own history of outputs. ``last`` holds what the
    last step changed; ``counts`` the totals since :meth:`reset`.
    """

    def __init__(self, ref_lengths, fps: float, scale: float | None = None,
                 limits: Limits = DEFAULT_LIMITS, tol: float = 0.0, jumps: bool = True,
                 asymmetry: bool = True, bones: bool = True):
        ref = np.asarray(ref_lengths, dtype=np.float64)
        if ref.shape != (N_BONES,) or not np.all(np.isfinite(ref)) or not np.all(ref > 0):
            raise ConfigError(f"ref_lengths must be {N_BONES} positive numbers, got shape {ref.shape}")
        if not float(fps) > 0:
            raise ConfigError(f"fps must be positive, got {fps}")
        self.ref = ref
        self.fps = float(fps)
        self.scale = float(scale) if scale is not None else body_scale(ref=ref)
        if not self.scale > 0:
            raise ConfigError(f"scale must be positive, got {self.scale}")
        self.limits = limits
        self.tol = float(tol)
        self.do_jumps, self.do_asym, self.do_bones = bool(jumps), bool(asymmetry), bool(bones)
        # limits converted to the pose unit per frame
        self._dmax_acc = limits.max_accel * self.scale / self.fps ** 2
        self._dmax_vel = limits.max_speed * self.scale / self.fps
        self.reset()

    def reset(self) -> None:
        """Forget the history (start of a new sequence)."""
        self._hist = deque(maxlen=2)
        self._sym = deque(maxlen=max(2, self.limits.sym_window - 1))
        self.last = {"jump": 0, "asymmetry": False, "bones": 0}
        self.counts = {"frames": 0, "jump": 0, "asymmetry": 0, "bones": 0}

    # -------------------------------------------------------------------------------- step
    def step(self, pose, prev=None) -> np.ndarray:
        """Check and correct one pose.

        Parameters
        ----------
        pose : (18, 2) the new pose.
        prev : optional (K, 18, 2) previous poses, most recent last (K >= 0); default: this
            corrector's own previous outputs.

        Returns
        -------
        (18, 2) float64, the corrected pose (``pose`` itself, as float64, when nothing is wrong).
        """
        p = np.array(pose, dtype=np.float64)          # copy
        if p.shape != (J, 2):
            raise DataError(f"pose must have shape ({J}, 2), got {p.shape}")
        if prev is not None:
            prev = np.asarray(prev, dtype=np.float64).reshape(-1, J, 2)
            hist = [prev[-2], prev[-1]] if len(prev) >= 2 else list(prev[-1:])
            sym_hist = stance_symmetry(prev[-self._sym.maxlen:], self.scale) if len(prev) else []
        else:
            hist = list(self._hist)
            sym_hist = self._sym
        last = {"jump": 0, "asymmetry": False, "bones": 0}

        pred = None
        if hist:
            p1 = hist[-1]
            pred = 2.0 * p1 - hist[-2] if len(hist) == 2 else p1
            if self.do_jumps:
                p, last["jump"] = _clamp_motion(p, p1, pred, self._dmax_acc if len(hist) == 2 else None,
                                                self._dmax_vel)

        if self.do_asym:
            s = float(stance_symmetry(p, self.scale))
            if pred is not None and len(sym_hist) >= 2:
                m = float(np.median(sym_hist))
                drop = float(sym_hist[-1]) - s
                if m >= self.limits.sym_stance and drop > self.limits.sym_drop:
                    er = pred[_R] - p[_R]
                    el = pred[_L] - p[_L]
                    dr = (er * er).sum(axis=1)
                    dl = (el * el).sum(axis=1)
                    alpha = 1.0 - self.limits.sym_drop / drop
                    blame_r = dr > dl
                    p[_R] += alpha * er * blame_r[:, None]
                    p[_L] += alpha * el * (~blame_r)[:, None]
                    last["asymmetry"] = True
                    s = float(stance_symmetry(p, self.scale))
            if prev is None:
                self._sym.append(s)

        if self.do_bones:
            ratio = bone_ratio(p, self.ref)
            over = ratio > 1.0 + self.tol
            if over.any():
                f = np.where(over, (1.0 + self.tol) / np.maximum(ratio, 1e-12) - 1.0, 0.0)
                p = p + _DESC_T @ (f[:, None] * bone_vectors(p))
                last["bones"] = int(over.sum())

        if prev is None:
            self._hist.append(p)
        self.last = last
        c = self.counts
        c["frames"] += 1
        c["jump"] += last["jump"] > 0
        c["asymmetry"] += last["asymmetry"]
        c["bones"] += last["bones"] > 0
        return p

    def run(self, kp) -> np.ndarray:
        """Correct a whole sequence ``(T, 18, 2)`` frame by frame as a generator would (after
        :meth:`reset`); returns ``(T, 18, 2)`` float64."""
        kp = np.asarray(kp, dtype=np.float64)
        if kp.ndim != 3 or kp.shape[1:] != (J, 2):
            raise DataError(f"keypoints must have shape (T, {J}, 2), got {kp.shape}")
        self.reset()
        return np.stack([self.step(pose) for pose in kp]) if len(kp) else kp.copy()


def correct_batch(pose, prev1=None, prev2=None, ref=None, fps: float = 25.0, scale=None,
                  limits: Limits = DEFAULT_LIMITS, tol: float = 0.0):
    """Torch version of the jump and bone clamps of :class:`OnlineCorrector`, for a batch.

    Parameters
    ----------
    pose : (B, 18, 2) tensor, new poses.
    prev1, prev2 : (B, 18, 2) tensors, the poses one and two steps back (either may be None: no
        acceleration clamp without ``prev2``, no jump clamp at all without ``prev1``).
    ref : (17,) or (B, 17) reference bone lengths (tensor or array), same unit.
    fps : frames per second; scale : torso length (default from ``ref``, per batch item when
        ``ref`` is ``(B, 17)``).
    limits, tol : as :class:`OnlineCorrector`.

    Returns
    -------
    (B, 18, 2) tensor, corrected; gradients flow through the clamps (scale factors).
    """
    import torch

    if ref is None:
        raise ConfigError("correct_batch needs the reference bone lengths `ref`")
    p = pose
    ref_t = torch.as_tensor(ref, dtype=p.dtype, device=p.device)
    if ref_t.ndim == 1:
        ref_t = ref_t.unsqueeze(0)
    if scale is None:
        s = body_scale(ref=ref_t)                           # (1,) or (B,)
    else:
        s = torch.as_tensor(scale, dtype=p.dtype, device=p.device).reshape(-1)
    s = s.reshape(-1, 1)
    eps = 1e-12
    if prev1 is not None:
        pred = 2.0 * prev1 - prev2 if prev2 is not None else prev1
        if prev2 is not None:
            e = p - pred
            a = e.norm(dim=-1).clamp_min(eps)
            amax = limits.max_accel * s / fps ** 2
            p = pred + e * torch.clamp(amax / a, max=1.0).unsqueeze(-1)
        vmax = limits.max_speed * s / fps                      # (B or 1, 1)
        e = p - prev1
        v = e.norm(dim=-1)
        over = v > vmax
        d = p - pred
        w = pred - prev1
        dd = (d * d).sum(-1)
        dw = (d * w).sum(-1)
        ww = (w * w).sum(-1)
        ok = over & (ww <= vmax * vmax) & (dd > 1e-24)
        disc = (dw * dw - dd * (ww - vmax * vmax)).clamp_min(0.0)
        lam = torch.where(ok, (-dw + torch.sqrt(disc + eps)) / dd.clamp_min(1e-24), torch.ones_like(dd))
        toward_pred = pred + d * lam.clamp(0.0, 1.0).unsqueeze(-1)
        toward_p1 = prev1 + e * (vmax / v.clamp_min(eps)).unsqueeze(-1)
        p = torch.where(ok.unsqueeze(-1), toward_pred, torch.where(over.unsqueeze(-1), toward_p1, p))
    ratio = bone_ratio(p, ref_t, eps=eps * eps)             # (B, 17), lengths floored at eps
    f = torch.clamp((1.0 + tol) / ratio, max=1.0) - 1.0     # <= 0, 0 when not stretched
    v = bone_vectors(p)                                     # (B, 17, 2)
    desc = torch.as_tensor(_DESC, dtype=p.dtype, device=p.device)
    return p + torch.einsum("bkd,kj->bjd", f.unsqueeze(-1) * v, desc)
