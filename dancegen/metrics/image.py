"""Image similarity of rendered frames: SSIM and PSNR (from scikit-image), and a per-genre aggregation.

What is compared: the evaluation (:mod:`dancegen.evaluate.experiments.fig_ssim_psnr`) renders the
generated dance and the real dance of the same val take (same song, same span) with
:func:`dancegen.render.video.render_frames` on the take's canvas, without grid, floor line or
labels, and compares frame t of one with frame t of the other; the numbers are then averaged per
take and per genre (:func:`aggregate_by_genre`).

* :func:`ssim`: :func:`skimage.metrics.structural_similarity` (Wang, Bovik, Sheikh & Simoncelli
  2004) with an 11x11 Gaussian window (sigma 1.5), ``K1 = 0.01``, ``K2 = 0.03``, data range 255,
  population variances (``use_sample_covariance=False``), mean over the pixels whose window lies
  inside the image. Colour frames: the mean of the per-channel SSIMs (``channels="per_channel"``,
  the default, independent of RGB/BGR order) or the SSIM of the BT.601 luma
  ``0.299 R + 0.587 G + 0.114 B`` (``channels="grey"``).
* :func:`psnr`: :func:`skimage.metrics.peak_signal_noise_ratio`, ``10 log10(255^2 / MSE)`` dB over
  all pixels and channels; ``inf`` for identical frames.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence

import numpy as np

from ..errors import ConfigError, DataError

__all__ = ["ssim", "psnr", "frames_ssim_psnr", "aggregate_by_genre"]

_SIGMA = 1.5
_WINDOW = 11  # skimage: 2 * int(3.5 * sigma + 0.5) + 1 px for gaussian_weights


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        raise DataError(f"frames must have the same shape, got {a.shape} and {b.shape}")
    if a.ndim not in (2, 3):
        raise DataError(f"a frame must be (H, W) or (H, W, C), got shape {a.shape}")
    if min(a.shape[:2]) < _WINDOW:
        raise DataError(f"frames must be at least {_WINDOW} px on each side for SSIM, got {a.shape[:2]}")
    return a.astype(np.float64), b.astype(np.float64)


def _ssim(x: np.ndarray, y: np.ndarray, data_range: float, channel_axis=None) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(x, y, data_range=data_range, channel_axis=channel_axis,
                                       gaussian_weights=True, sigma=_SIGMA, use_sample_covariance=False))


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 255.0, channels: str = "per_channel",
         order: str = "rgb") -> float:
    """Structural similarity of two frames, by scikit-image (settings in the module docstring).

    Parameters
    ----------
    a, b : (H, W) or (H, W, C) frames, same shape, at least 11 px on each side, values in
        ``[0, data_range]`` (uint8: 255); in the evaluation, rendered skeleton frames of a
        generated and the real dance at the same time.
    data_range : ``L`` in the constants ``C1 = (0.01 L)^2``, ``C2 = (0.03 L)^2``.
    channels : ``"per_channel"`` (mean of the channels' SSIM) or ``"grey"`` (SSIM of the luma).
    order : channel order for ``"grey"``: ``"rgb"`` or ``"bgr"`` (OpenCV frames).

    Returns
    -------
    float in [-1, 1]; 1 for identical frames.
    """
    x, y = _pair(a, b)
    if x.ndim == 2:
        return _ssim(x, y, data_range)
    if channels == "per_channel":
        return _ssim(x, y, data_range, channel_axis=-1)
    if channels == "grey":
        if x.shape[-1] not in (3, 4):
            raise DataError(f"grey SSIM needs 3 or 4 channels, got {x.shape[-1]}")
        w = np.array([0.299, 0.587, 0.114])
        if order == "bgr":
            w = w[::-1]
        elif order != "rgb":
            raise ConfigError(f"order must be 'rgb' or 'bgr', got {order!r}")
        return _ssim(x[..., :3] @ w, y[..., :3] @ w, data_range)
    raise ConfigError(f"channels must be 'per_channel' or 'grey', got {channels!r}")


def psnr(a: np.ndarray, b: np.ndarray, max_value: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB, by scikit-image: ``10 log10(max_value^2 / MSE)``, MSE over
    all pixels and channels of two same-shape frames (in the evaluation, rendered skeleton frames
    of a generated and the real dance at the same time); ``inf`` when the frames are identical."""
    from skimage.metrics import peak_signal_noise_ratio

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise DataError(f"frames must have the same shape, got {a.shape} and {b.shape}")
    if np.array_equal(a, b):
        return float("inf")            # skimage divides by zero here (inf with a RuntimeWarning)
    return float(peak_signal_noise_ratio(a, b, data_range=max_value))


def frames_ssim_psnr(frames_a: Iterable[np.ndarray], frames_b: Iterable[np.ndarray], **ssim_kwargs) -> dict:
    """Mean SSIM and mean PSNR over paired frames (e.g. a generated and the real dance rendered on
    the same canvas, frame by frame; the shorter sequence sets the length).

    Returns ``{"ssim": mean, "psnr": mean of per-frame dB (inf if any pair is identical),
    "psnr_of_mean_mse": dB of the mean MSE (finite unless all pairs are identical), "n": pairs}``.
    """
    ss, ps, mses = [], [], []
    for fa, fb in zip(frames_a, frames_b):
        ss.append(ssim(fa, fb, **ssim_kwargs))
        ps.append(psnr(fa, fb))
        mses.append(float(np.mean((np.asarray(fa, np.float64) - np.asarray(fb, np.float64)) ** 2)))
    if not ss:
        raise DataError("no frame pairs to compare")
    m = float(np.mean(mses))
    return {
        "ssim": float(np.mean(ss)),
        "psnr": float(np.mean(ps)),
        "psnr_of_mean_mse": float("inf") if m == 0 else float(10 * np.log10(255.0 ** 2 / m)),
        "n": len(ss),
    }


def aggregate_by_genre(values: Sequence[float], genres: Sequence[str]) -> dict:
    """Group per-dance numbers by genre.

    Returns ``{genre: {"mean", "std", "n"}}`` (population std) plus an ``"all"`` entry over every
    value, genres in sorted order. Non-finite values (e.g. PSNR inf) are kept, so an ``inf`` shows.
    """
    values = list(values)
    genres = list(genres)
    if len(values) != len(genres):
        raise DataError(f"{len(values)} values but {len(genres)} genres")
    groups: dict[str, list[float]] = defaultdict(list)
    for v, g in zip(values, genres):
        groups[str(g)].append(float(v))
    out = {}
    with np.errstate(invalid="ignore"):          # std of values with an inf: nan, silently
        for g in sorted(groups):
            a = np.asarray(groups[g])
            out[g] = {"mean": float(a.mean()), "std": float(a.std()), "n": int(a.size)}
        if values:
            a = np.asarray(values, dtype=np.float64)
            out["all"] = {"mean": float(a.mean()), "std": float(a.std()), "n": int(a.size)}
    return out
