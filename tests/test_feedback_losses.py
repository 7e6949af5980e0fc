"""Differentiable structure losses: known values and gradients."""
import numpy as np
import pytest
import torch

from dancegen.errors import ConfigError
from dancegen.feedback.inject import stretch_bone, synthetic_dance
from dancegen.feedback.losses import (
    bone_length_loss, bone_stretch_loss, bone_symmetry_loss, smoothness_loss,
)
from dancegen.feedback.structure import reference_bone_lengths

torch.set_num_threads(1)


def _batch(T=30):
    kp = synthetic_dance(T)
    ref = reference_bone_lengths(kp)
    return torch.tensor(kp[None]), torch.tensor(ref)


def test_ten_percent_stretch_gives_expected_loss():
    x, ref = _batch()
    assert bone_stretch_loss(x, ref).item() == pytest.approx(0.0, abs=1e-6)
    neck = x[:, :, 1:2]
    big = neck + 1.1 * (x - neck)                                  # every bone 10% long
    assert bone_stretch_loss(big, ref).item() == pytest.approx(0.10, abs=1e-6)
    small = neck + 0.7 * (x - neck)                                # foreshortened: free
    assert bone_stretch_loss(small, ref).item() == pytest.approx(0.0, abs=1e-9)
    one = torch.tensor(np.stack([stretch_bone(p, 2, 1.1) for p in x[0].numpy()])[None])
    assert bone_stretch_loss(one, ref).item() == pytest.approx(0.10 / 17, abs=1e-6)
    # batch of two with per-item references, and a mask that drops the stretched item
    two = torch.cat([x, big])
    assert bone_stretch_loss(two, torch.stack([ref, ref])).item() == pytest.approx(0.05, abs=1e-6)
    mask = torch.tensor([[True] * 30, [False] * 30])
    assert bone_stretch_loss(two, ref, mask=mask).item() == pytest.approx(0.0, abs=1e-6)


def test_left_right_length_loss():
    x, ref = _batch()
    assert bone_symmetry_loss(x, ref).item() == pytest.approx(0.0, abs=1e-6)
    longer = torch.tensor(np.stack([stretch_bone(p, 1, 1.1) for p in x[0].numpy()])[None])   # right upper arm
    assert bone_symmetry_loss(longer, ref).item() == pytest.approx(0.10 / 8, abs=1e-6)
    assert bone_symmetry_loss(longer).item() == pytest.approx((0.1 / 1.05) / 8, abs=1e-6)
    # it looks at the sequence, not a frame: one arm foreshortened in some frames costs nothing
    fs = x[0].numpy().copy()
    fs[:10] = np.stack([stretch_bone(p, 4, 0.6) for p in fs[:10]])
    assert bone_symmetry_loss(torch.tensor(fs[None]), ref).item() == pytest.approx(0.0, abs=1e-6)
    total = bone_length_loss(longer, ref, w_lr=2.0)
    assert total.item() == pytest.approx(0.10 / 17 + 2 * 0.10 / 8, abs=1e-6)


def test_smoothness_known_values():
    T = 20
    t = torch.arange(T, dtype=torch.float64)
    a = torch.tensor([3.0, -4.0], dtype=torch.float64)             # |a| = 5 px / frame^2
    x = (0.5 * t[:, None, None] ** 2 * a).expand(T, 18, 2)[None].clone()
    assert smoothness_loss(x, order=2).item() == pytest.approx(25.0)
    assert smoothness_loss(x, order=3).item() == pytest.approx(0.0, abs=1e-9)
    assert smoothness_loss(x, order=2, fps=10).item() == pytest.approx(25.0 * 1e4)
    mask = torch.ones(1, T, dtype=torch.bool)
    mask[0, 10:] = False
    assert smoothness_loss(x, order=2, mask=mask).item() == pytest.approx(25.0)
    with pytest.raises(ConfigError):
        smoothness_loss(x[:, :2], order=2)


def test_gradients_flow_and_reduce_the_losses():
    x, ref = _batch()
    neck = x[:, :, 1:2]
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(0), dtype=x.dtype)
    y = (neck + 1.2 * (x - neck) + 0.5 * noise).clone().requires_grad_(True)
    loss = bone_length_loss(y, ref) + 1e-3 * smoothness_loss(y)
    loss.backward()
    assert y.grad is not None and torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0
    with torch.no_grad():
        y2 = y - 5.0 * y.grad
    assert (bone_length_loss(y2, ref) + 1e-3 * smoothness_loss(y2)).item() < loss.item()
    # a zero-length bone still has a finite gradient
    z = torch.zeros(1, 3, 18, 2, requires_grad=True)
    bone_stretch_loss(z, ref).backward()
    assert torch.isfinite(z.grad).all()


def test_shape_errors():
    with pytest.raises(ConfigError):
        bone_stretch_loss(torch.zeros(3, 18, 2), torch.ones(17))
    with pytest.raises(ConfigError):
        bone_stretch_loss(torch.zeros(1, 3, 18, 2), torch.ones(16))
