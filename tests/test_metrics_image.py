"""SSIM and PSNR of frames (thin wrappers of scikit-image): known answers."""
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from dancegen.errors import DataError
from dancegen.metrics.image import aggregate_by_genre, frames_ssim_psnr, psnr, ssim

RNG = np.random.default_rng(3)


def frame(h=64, w=80, c=3):
    x = gaussian_filter(RNG.uniform(0, 255, size=(h, w, c)), sigma=(2, 2, 0))
    x = (x - x.min()) / (x.max() - x.min()) * 255
    return x.round().astype(np.uint8)


def test_identical_frames():
    a = frame()
    assert ssim(a, a) == pytest.approx(1.0, abs=1e-12)
    assert ssim(a, a, channels="grey") == pytest.approx(1.0, abs=1e-12)
    assert psnr(a, a) == float("inf")


def test_psnr_known_mse():
    a = np.full((20, 20, 3), 100, np.uint8)
    b = a + np.uint8(10)                          # MSE 100
    assert psnr(a, b) == pytest.approx(10 * np.log10(255 ** 2 / 100))


@pytest.mark.parametrize("noise", [2.0, 5.0, 25.0])
def test_psnr_of_a_known_noise_level(noise):
    """+-noise on every pixel (signs at random): MSE = noise^2 exactly, PSNR = 10 log10(255^2 / MSE)."""
    a = np.full((40, 50, 3), 120.0)
    b = a + noise * RNG.choice([-1.0, 1.0], size=a.shape)
    assert psnr(a, b) == pytest.approx(10 * np.log10(255 ** 2 / noise ** 2), rel=1e-12)
    assert psnr(a.astype(np.uint8), b.astype(np.uint8)) == pytest.approx(10 * np.log10(255 ** 2 / noise ** 2))


def test_ssim_of_flat_frames_is_the_luminance_term():
    mu, c = 100.0, 30.0
    a = np.full((32, 32), mu)
    b = np.full((32, 32), mu + c)
    c1 = (0.01 * 255) ** 2
    expected = (2 * mu * (mu + c) + c1) / (mu ** 2 + (mu + c) ** 2 + c1)
    assert ssim(a, b) == pytest.approx(expected, rel=1e-9)
    rgb = np.stack([a, a, a], -1), np.stack([b, b, b], -1)
    assert ssim(*rgb) == pytest.approx(expected, rel=1e-9)
    assert ssim(*rgb, channels="grey") == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("noise", [5.0, 25.0])
def test_ssim_falls_with_noise_and_ignores_channel_order(noise):
    a = frame()
    b = np.clip(a + RNG.normal(scale=noise, size=a.shape), 0, 255).astype(np.uint8)
    s = ssim(a, b)
    assert 0 < s < 0.99
    assert ssim(a[..., ::-1], b[..., ::-1]) == pytest.approx(s, abs=1e-12)          # per-channel mean
    assert ssim(a[..., ::-1], b[..., ::-1], channels="grey", order="bgr") == \
        pytest.approx(ssim(a, b, channels="grey"), abs=1e-9)
    with pytest.raises(DataError, match="at least 11 px"):
        ssim(a[:10], b[:10])


def test_frames_and_genre_aggregation():
    a = [frame() for _ in range(3)]
    b = [x.copy() for x in a]
    b[1] = np.clip(b[1].astype(int) + 10, 0, 255).astype(np.uint8)
    r = frames_ssim_psnr(a, b)
    assert r["n"] == 3 and r["psnr"] == float("inf") and np.isfinite(r["psnr_of_mean_mse"])
    assert r["ssim"] < 1.0
    agg = aggregate_by_genre([1.0, 3.0, 10.0], ["waltz", "waltz", "cha-cha"])
    assert agg["waltz"] == {"mean": 2.0, "std": 1.0, "n": 2}
    assert agg["cha-cha"]["n"] == 1 and agg["all"]["mean"] == pytest.approx(14 / 3)
    with pytest.raises(DataError, match="same shape"):
        ssim(a[0], a[0][:, :40])
