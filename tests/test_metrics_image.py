"""SSIM and PSNR of frames: known answers, and SSIM cross-checked against scikit-image."""
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


def test_ssim_of_flat_frames_is_the_luminance_term():
    mu, c = 100.0, 30.0
    a = np.full((32, 32), mu)
    b = np.full((32, 32), mu + c)
    c1 = (0.01 * 255) ** 2
    expected = (2 * mu * (mu + c) + c1) / (mu ** 2 + (mu + c) ** 2 + c1)
    assert ssim(a, b) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("noise", [5.0, 25.0])
def test_ssim_matches_scikit_image(noise):
    from skimage.metrics import structural_similarity

    a = frame()
    b = np.clip(a + RNG.normal(scale=noise, size=a.shape), 0, 255).astype(np.uint8)
    ref = structural_similarity(a, b, data_range=255, channel_axis=-1, gaussian_weights=True,
                                sigma=1.5, use_sample_covariance=False)
    assert ssim(a, b) == pytest.approx(ref, abs=1e-6)
    g = lambda x: x.astype(float) @ np.array([0.299, 0.587, 0.114])  # noqa: E731
    ref_g = structural_similarity(g(a), g(b), data_range=255, gaussian_weights=True, sigma=1.5,
                                  use_sample_covariance=False)
    assert ssim(a, b, channels="grey") == pytest.approx(ref_g, abs=1e-6)
    assert ssim(a[..., ::-1], b[..., ::-1], channels="grey", order="bgr") == pytest.approx(ref_g, abs=1e-6)
    assert ssim(a, b) < 0.99


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
