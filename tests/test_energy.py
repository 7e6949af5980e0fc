"""Motion-energy governor (model/energy.py): leaves energetic motion alone, lifts a near-still
stretch toward the floor, and never changes a bone's visible length."""
import numpy as np
import torch

from dancegen.model import posecode
from dancegen.model.energy import govern, params_speed


def _motion(T, fps, amp):
    torch.manual_seed(0)
    base = posecode.clamp_bones(torch.randn(1, 36)).numpy()[0]
    t = np.arange(T) / fps
    p = np.repeat(base[None], T, axis=0)
    v = p[:, 2:].reshape(T, 17, 2)
    ang = amp[:, None] * np.sin(2 * np.pi * 1.5 * t)[:, None]
    c, s = np.cos(ang), np.sin(ang)
    v2 = np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], -1)
    p[:, 2:] = v2.reshape(T, 34)
    return p.astype(np.float32)


def test_energetic_motion_is_unchanged_and_still_motion_is_lifted():
    fps, T = 25.0, 750
    ref = np.full(17, 0.6, np.float32)
    amp = np.where(np.arange(T) < 375, 0.6, 0.06)  # second half nearly still
    p = _motion(T, fps, amp)
    sp = params_speed(p, ref, fps)
    ref_speed = float(sp[:375].mean())
    out, gain = govern(p, ref, fps, ref_speed, floor=0.5, max_gain=4.0)
    assert gain.shape == (T,) and gain.min() >= 1.0
    assert np.allclose(gain[:300], 1.0)
    np.testing.assert_allclose(out[:300], p[:300], atol=1e-5)
    after = params_speed(out, ref, fps)
    assert after[450:700].mean() > 3 * sp[450:700].mean()
    # visible bone lengths are kept exactly
    np.testing.assert_allclose(np.linalg.norm(out[:, 2:].reshape(T, 17, 2), axis=-1),
                               np.linalg.norm(p[:, 2:].reshape(T, 17, 2), axis=-1), atol=1e-5)
