"""Differentiable structure losses for training on poses ``(B, T, 18, 2)`` (any length unit, the
reference lengths in the same unit). Each returns a scalar tensor; formulas are restated in
docs/hgr.md.

* :func:`bone_stretch_loss`: one-sided stretch against the reference lengths,
  ``mean_{b,t,bone} relu(L / ref - 1)``: the mean of the HGR check's
  :func:`dancegen.feedback.structure.bone_stretch` (the same function, on tensors). Foreshortening
  costs nothing. Every bone 10% too long gives exactly 0.10.
* :func:`bone_symmetry_loss`: left/right bone-length equality, ``mean_{b,pair} |Q(L_R) - Q(L_L)| /
  ref``, where ``Q`` is the ``q``-quantile over time of each bone's length (its apparent "true"
  length in the sequence). This is *not* pose symmetry (which would penalise every asymmetric dance
  figure); and it is not per-frame equality either, because in 2D one arm turned toward the camera
  legitimately looks shorter than the other in that frame.
* :func:`bone_length_loss`: the two above, ``stretch + w_lr * symmetry``.
* :func:`smoothness_loss`: mean squared ``order``-th finite difference over time (2: acceleration,
  3: jerk), per frame (``fps=None``) or per second.
"""
from __future__ import annotations

import torch

from ..errors import ConfigError
from ..skeleton import BONES, LR_BONE_PAIRS, bone_lengths
from .structure import bone_stretch

#: added under the square root of every bone length so the gradient exists for a zero-length bone
EPS = 1e-8
_RB = [r for r, _ in LR_BONE_PAIRS]
_LB = [l for _, l in LR_BONE_PAIRS]


def _check(poses: torch.Tensor) -> torch.Tensor:
    if poses.ndim != 4 or poses.shape[-2:] != (18, 2):
        raise ConfigError(f"poses must have shape (B, T, 18, 2), got {tuple(poses.shape)}")
    return poses


def _ref(ref, like: torch.Tensor) -> torch.Tensor:
    r = torch.as_tensor(ref, dtype=like.dtype, device=like.device)
    if r.shape[-1] != len(BONES) or r.ndim > 2:
        raise ConfigError(f"ref must have shape (17,) or (B, 17), got {tuple(r.shape)}")
    return r if r.ndim == 1 else r[:, None, :]        # broadcast over (B, T, 17)


def _masked_mean(x: torch.Tensor, mask) -> torch.Tensor:
    """Mean of ``x (B, T, ...)`` over the frames where ``mask (B, T)`` is True (all when None)."""
    if mask is None:
        return x.mean()
    m = torch.as_tensor(mask, device=x.device).to(x.dtype)
    m = m.reshape(m.shape + (1,) * (x.ndim - 2)).expand_as(x)
    return (x * m).sum() / m.sum().clamp_min(1.0)


def bone_stretch_loss(poses: torch.Tensor, ref, mask=None) -> torch.Tensor:
    """One-sided stretch penalty ``mean relu(L_b / ref_b - 1)`` over batch, frames and bones.

    Parameters
    ----------
    poses : (B, T, 18, 2); ref : (17,) or (B, 17) reference lengths, same unit.
    mask : optional (B, T) bool, frames that count (padding excluded).

    Returns
    -------
    scalar tensor, dimensionless (fraction of the reference length). All bones 10% too long: 0.10.
    """
    poses = _check(poses)
    return _masked_mean(bone_stretch(poses, _ref(ref, poses), eps=EPS), mask)


def bone_symmetry_loss(poses: torch.Tensor, ref=None, q: float = 0.95) -> torch.Tensor:
    """Left/right bone-length equality, ``mean_{b, pair} |Q_t(L_R) - Q_t(L_L)| / d``.

    ``Q_t`` is the ``q``-quantile over the T frames of a bone's length (``torch.quantile``,
    differentiable); ``d`` is the pair's shared reference length (``ref``, ``(17,)`` or ``(B, 17)``)
    or, when ``ref`` is None, the mean of the two quantiles. The 8 pairs are
    :data:`dancegen.skeleton.LR_BONE_PAIRS`. A right upper arm 10% longer than the left one (and all
    else equal) gives ``0.10 / 8``.

    Returns a scalar tensor, dimensionless.
    """
    poses = _check(poses)
    if not 0.0 <= q <= 1.0:
        raise ConfigError(f"q must be in [0, 1], got {q}")
    L = bone_lengths(poses, eps=EPS)                            # (B, T, 17)
    Q = torch.quantile(L, q, dim=1)                             # (B, 17)
    diff = (Q[:, _RB] - Q[:, _LB]).abs()
    if ref is None:
        d = 0.5 * (Q[:, _RB] + Q[:, _LB])
    else:
        r = torch.as_tensor(ref, dtype=poses.dtype, device=poses.device)
        r = r if r.ndim == 2 else r.unsqueeze(0)
        d = torch.maximum(r[:, _RB], r[:, _LB])
    return (diff / d.clamp_min(1e-8)).mean()


def bone_length_loss(poses: torch.Tensor, ref, w_lr: float = 1.0, q: float = 0.95,
                     mask=None) -> torch.Tensor:
    """``bone_stretch_loss(poses, ref) + w_lr * bone_symmetry_loss(poses, ref, q)``: scalar."""
    return bone_stretch_loss(poses, ref, mask) + w_lr * bone_symmetry_loss(poses, ref, q)


def smoothness_loss(poses: torch.Tensor, order: int = 2, fps: float | None = None,
                    mask=None) -> torch.Tensor:
    """Mean squared ``order``-th time difference of every joint: ``mean ||Delta^order p||^2``.

    Parameters
    ----------
    poses : (B, T, 18, 2), ``T > order``.
    order : 1 velocity, 2 acceleration (default), 3 jerk.
    fps : None: per-frame differences (unit^2 per frame^(2 order)); a number: multiplied by
        ``fps^order`` first (unit^2 per s^(2 order)).
    mask : optional (B, T) bool; a difference counts when all the frames it uses are True.

    Returns
    -------
    scalar tensor. ``p_t = a t^2 / 2`` gives ``|a|^2`` for order 2 and 0 for order 3.
    """
    poses = _check(poses)
    if order < 1:
        raise ConfigError(f"order must be >= 1, got {order}")
    if poses.shape[1] <= order:
        raise ConfigError(f"need more than {order} frames for an order-{order} difference, got {poses.shape[1]}")
    d = torch.diff(poses, n=order, dim=1)
    if fps is not None:
        d = d * float(fps) ** order
    sq = (d * d).sum(dim=-1)                                    # (B, T - order, 18)
    m = None
    if mask is not None:
        mk = torch.as_tensor(mask, device=poses.device).bool()
        m = mk[:, order:].clone()
        for k in range(order):
            m &= mk[:, k:mk.shape[1] - order + k]
    return _masked_mean(sq, m)
