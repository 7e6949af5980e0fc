"""Frechet distance (FID_k / FID_g on motion features) and diversity.

* ``FID = ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2))`` — the Frechet (2-Wasserstein)
  distance between the Gaussians fitted to two feature sets (Heusel et al. 2017; Dowson & Landau
  1982). ``FID_k`` uses kinetic features, ``FID_g`` geometric ones (:mod:`dancegen.metrics.features`).
* ``diversity`` — mean Euclidean distance over all unordered pairs of feature vectors in a set
  (the Bailando/AIST++ "Div_k"/"Div_g").

Bailando standardises both sets with the mean and standard deviation of the *real* set before both
numbers (:func:`normalize_features`); say whether a number was computed that way.
"""
from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.spatial.distance import pdist

from ..errors import DataError

__all__ = ["frechet_distance", "diversity", "normalize_features", "gaussian_stats"]


def _feats(x, name) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise DataError(f"{name} must have shape (N, F), got {x.shape}")
    if x.shape[0] < 2:
        raise DataError(f"{name} needs at least 2 feature vectors to estimate a covariance, got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise DataError(f"{name} contains NaN or inf")
    return x


def gaussian_stats(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(F,)`` and unbiased covariance ``(F, F)`` of ``(N, F)`` features (N >= 2)."""
    x = _feats(feats, "feats")
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray, eps: float = 1e-6) -> float:
    """Frechet distance between the Gaussians fitted to two feature sets.

    ``d^2 = ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` with sample means and unbiased
    covariances (``numpy.cov``). The matrix square root is ``scipy.linalg.sqrtm``; when it is not
    finite (singular product, e.g. fewer samples than features) ``eps`` is added to both diagonals
    and it is recomputed; imaginary parts from round-off are dropped (an imaginary part larger than
    1e-3 relative to the trace means the input is broken and raises). The result is clipped at 0.

    Parameters
    ----------
    feats_a, feats_b : (N_a, F) and (N_b, F) feature vectors (one per sequence or window).
    eps : diagonal offset used only when the square root fails.

    Returns
    -------
    float, squared feature units. Known answers: ``d(A, A) = 0``; ``d(A, A + c) = ||c||^2``;
    ``d(A, s A) = (1 - s)^2 (||mu_A||^2 + tr S_A)``.
    """
    mu_a, s_a = gaussian_stats(feats_a)
    mu_b, s_b = gaussian_stats(feats_b)
    if mu_a.shape != mu_b.shape:
        raise DataError(f"feature sets have different dimensions: {mu_a.shape[0]} and {mu_b.shape[0]}")
    diff = mu_a - mu_b
    covmean = linalg.sqrtm(s_a @ s_b)
    if not np.all(np.isfinite(covmean)):
        off = eps * np.eye(s_a.shape[0])
        covmean = linalg.sqrtm((s_a + off) @ (s_b + off))
    if np.iscomplexobj(covmean):
        scale = max(1.0, float(np.trace(s_a) + np.trace(s_b)))
        if np.max(np.abs(np.diag(covmean).imag)) > 1e-3 * scale:
            raise DataError("Frechet distance: the covariance square root has a large imaginary part; "
                            "check the features for degenerate or broken values")
        covmean = covmean.real
    d = float(diff @ diff + np.trace(s_a) + np.trace(s_b) - 2.0 * np.trace(covmean))
    return max(d, 0.0)


def diversity(feats: np.ndarray) -> float:
    """Mean Euclidean distance over all unordered pairs: ``2 / (N (N-1)) sum_{i<j} ||f_i - f_j||``.

    Parameters
    ----------
    feats : (N, F), N >= 2 (one feature vector per generated sequence).

    Returns
    -------
    float in feature units (higher = more varied motions).
    """
    x = _feats(feats, "feats")
    return float(pdist(x, metric="euclidean").mean())


def normalize_features(real: np.ndarray, *others: np.ndarray, eps: float = 1e-10):
    """Standardise feature sets with the per-dimension mean and (population) std of ``real``:
    ``(x - mean_real) / (std_real + eps)`` (as Bailando does before FID and diversity).
    Returns a tuple ``(real_n, *others_n)``."""
    r = _feats(real, "real")
    mean, std = r.mean(axis=0), r.std(axis=0)
    out = [(r - mean) / (std + eps)]
    for i, o in enumerate(others):
        o = np.asarray(o, dtype=np.float64)
        if o.ndim != 2 or o.shape[1] != r.shape[1]:
            raise DataError(f"feature set {i + 1} has shape {o.shape}, expected (N, {r.shape[1]})")
        out.append((o - mean) / (std + eps))
    return tuple(out)
