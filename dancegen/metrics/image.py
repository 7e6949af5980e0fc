"""Image similarity of rendered frames: SSIM and PSNR, and a per-genre aggregation helper.

* SSIM (Wang, Bovik, Sheikh & Simoncelli 2004): local statistics under an 11x11 Gaussian window
  (sigma 1.5 px, truncated at radius 5), ``C1 = (0.01 L)^2``, ``C2 = (0.03 L)^2`` with ``L = 255``
  the data range, population (not sample) variances,
  ``SSIM = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))``,
  averaged over the pixels whose window lies inside the image (a 5-px border is dropped). Colour
  frames: the mean of the per-channel SSIMs (``channels="per_channel"``, the default, independent
  of RGB/BGR order) or the SSIM of the BT.601 luma ``0.299 R + 0.587 G + 0.114 B``
  (``channels="grey"``).
* PSNR in dB: ``10 log10(255^2 / MSE)`` over all pixels and channels; ``inf`` for identical frames.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence

import numpy as np
from scipy.ndimage import gaussian_filter

from ..errors import ConfigError, DataError

__all__ = ["ssim", "psnr", "frames_ssim_psnr", "aggregate_by_genre"]

_SIGMA = 1.5
_RADIUS = 5  # 11x11 window
_K1, _K2 = 0.01, 0.03


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        raise DataError(f"frames must have the same shape, got {a.shape} and {b.shape}")
    if a.ndim not in (2, 3):
        raise DataError(f"a frame must be (H, W) or (H, W, C), got shape {a.shape}")
    if min(a.shape[:2]) < 2 * _RADIUS + 1:
        raise DataError(f"frames must be at least {2 * _RADIUS + 1} px on each side for SSIM, got {a.shape[:2]}")
    return a.astype(np.float64), b.astype(np.float64)


def _ssim_grey(x: np.ndarray, y: np.ndarray, data_range: float) -> float:
    f = lambda im: gaussian_filter(im, _SIGMA, mode="reflect", truncate=_RADIUS / _SIGMA)  # noqa: E731
    mx, my = f(x), f(y)
    sxx = f(x * x) - mx * mx
    syy = f(y * y) - my * my
    sxy = f(x * y) - mx * my
    c1, c2 = (_K1 * data_range) ** 2, (_K2 * data_range) ** 2
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    r = _RADIUS
    return float(s[r:-r, r:-r].mean())


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 255.0, channels: str = "per_channel",
         order: str = "rgb") -> float:
    """Structural similarity of two frames (Wang et al. 2004; see the module docstring).

    Parameters
    ----------
    a, b : (H, W) or (H, W, C) frames, same shape, values in ``[0, data_range]`` (uint8: 255).
    data_range : ``L`` in the constants.
    channels : ``"per_channel"`` (mean of the channels' SSIM) or ``"grey"`` (SSIM of the luma).
    order : channel order for ``"grey"``: ``"rgb"`` or ``"bgr"`` (OpenCV frames).

    Returns
    -------
    float in [-1, 1]; 1 for identical frames.
    """
    x, y = _pair(a, b)
    if x.ndim == 2:
        return _ssim_grey(x, y, data_range)
    if channels == "per_channel":
        return float(np.mean([_ssim_grey(x[..., c], y[..., c], data_range) for c in range(x.shape[-1])]))
    if channels == "grey":
        if x.shape[-1] not in (3, 4):
            raise DataError(f"grey SSIM needs 3 or 4 channels, got {x.shape[-1]}")
        w = np.array([0.299, 0.587, 0.114])
        if order == "bgr":
            w = w[::-1]
        elif order != "rgb":
            raise ConfigError(f"order must be 'rgb' or 'bgr', got {order!r}")
        return _ssim_grey(x[..., :3] @ w, y[..., :3] @ w, data_range)
    raise ConfigError(f"channels must be 'per_channel' or 'grey', got {channels!r}")


def psnr(a: np.ndarray, b: np.ndarray, max_value: float = 255.0) -> float:
    """Peak signal-to-noise ratio, dB: ``10 log10(max_value^2 / MSE)``, MSE over all pixels and
    channels; ``inf`` when the frames are identical."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise DataError(f"frames must have the same shape, got {a.shape} and {b.shape}")
    mse = float(np.mean((a - b) ** 2))
    if mse == 0:
        return float("inf")
    return float(10.0 * np.log10(max_value ** 2 / mse))


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
    for g in sorted(groups):
        a = np.asarray(groups[g])
        out[g] = {"mean": float(a.mean()), "std": float(a.std()), "n": int(a.size)}
    if values:
        a = np.asarray(values, dtype=np.float64)
        out["all"] = {"mean": float(a.mean()), "std": float(a.std()), "n": int(a.size)}
    return out
