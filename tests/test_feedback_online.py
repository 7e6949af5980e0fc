"""Online closed-loop corrector (numpy) and its torch batch path."""
import numpy as np
import pytest
import torch

from dancegen.errors import ConfigError, DataError
from dancegen.feedback.inject import rotate_side, stretch_bone, synthetic_dance
from dancegen.feedback.online import OnlineCorrector, correct_batch
from dancegen.feedback.structure import DEFAULT_LIMITS, Limits, reference_bone_lengths, symmetry_score
from dancegen.skeleton import bone_lengths

torch.set_num_threads(1)
FPS = 25.0


def _setup(T=120, **kw):
    kp = synthetic_dance(T, fps=FPS, **kw)
    return kp, reference_bone_lengths(kp)


def test_clean_dance_passes_unchanged():
    kp, ref = _setup()
    out = OnlineCorrector(ref, FPS).run(kp)
    assert np.allclose(out, kp, atol=1e-9)


def test_jump_is_clamped_to_the_acceleration_limit():
    kp, ref = _setup()
    corr = OnlineCorrector(ref, FPS, asymmetry=False, bones=False)     # the jump clamp alone
    out = [corr.step(p) for p in kp[:60]]
    s = corr.scale
    glitch = kp[60].copy()
    glitch[0] += [200.0, 0.0]                         # the nose (slow) jumps 200 px
    fixed = corr.step(glitch)
    assert corr.last["jump"] == 1
    pred = 2 * out[-1] - out[-2]
    acc = np.linalg.norm(fixed[0] - pred[0]) * FPS ** 2 / s
    assert acc == pytest.approx(DEFAULT_LIMITS.max_accel, rel=1e-9)
    assert np.allclose(np.delete(fixed, 0, 0), np.delete(kp[60], 0, 0))   # other joints untouched
    # a fast joint (the wrist) thrown 300 px: both limits hold after the clamp
    out.append(fixed)
    glitch = kp[61].copy()
    glitch[4] += [300.0, 0.0]
    fixed = corr.step(glitch)
    pred = 2 * out[-1] - out[-2]
    acc = np.linalg.norm(fixed[4] - pred[4]) * FPS ** 2 / s
    speed = np.linalg.norm(fixed[4] - out[-1][4]) * FPS / s
    assert acc <= DEFAULT_LIMITS.max_accel + 1e-6 and speed <= DEFAULT_LIMITS.max_speed + 1e-6
    assert np.linalg.norm(fixed[4] - kp[61, 4]) < 120.0     # pulled back from 300 px to the accel disc


def test_stretched_bone_is_saturated_with_its_subtree():
    kp, ref = _setup()
    corr = OnlineCorrector(ref, FPS, jumps=False, asymmetry=False)
    bad = stretch_bone(kp[10], 0, 1.5)                   # neck-RShoulder: the whole right arm moves
    out = corr.step(bad)
    L = bone_lengths(out)
    assert np.allclose(L, bone_lengths(kp[10]))
    assert np.allclose(out, kp[10])


def test_asymmetry_drop_is_rate_limited_in_a_symmetric_stance():
    kp, ref = _setup()
    corr = OnlineCorrector(ref, FPS, jumps=False, bones=False)
    for p in kp[:50]:
        corr.step(p)
    s_prev = symmetry_score(kp[49])
    bad = rotate_side(kp[50], "L", np.deg2rad(80))
    assert s_prev - symmetry_score(bad) > 0.3
    out = corr.step(bad)
    assert corr.last["asymmetry"]
    assert symmetry_score(out) > symmetry_score(bad) + 0.1
    assert np.allclose(out[[2, 3, 4, 9, 10]], bad[[2, 3, 4, 9, 10]])   # the right side kept
    # an always-asymmetric dance is left alone
    asym, ref2 = _setup(symmetric=False)
    c2 = OnlineCorrector(ref2, FPS)
    assert np.allclose(c2.run(asym), asym) and c2.counts["asymmetry"] == 0


def test_explicit_prev_matches_own_history_and_units_do_not_matter():
    kp, ref = _setup(80)
    bad = kp.copy()
    bad[40, 7] += [0.0, 250.0]
    bad[55] = stretch_bone(bad[55], 5, 1.4)
    a = OnlineCorrector(ref, FPS).run(bad)
    # same result when the caller passes its own history of corrected poses
    out = []
    corr = OnlineCorrector(ref, FPS)
    for t in range(80):
        out.append(corr.step(bad[t], prev=np.asarray(out[-8:]).reshape(-1, 18, 2)))
    assert np.allclose(np.stack(out), a)
    assert not np.allclose(a, bad)
    # torso-normalised units: same correction, scaled
    s = 190.0
    c = kp.reshape(-1, 2).mean(0)
    n = OnlineCorrector(ref / s, FPS).run((bad - c) / s)
    assert np.allclose(n * s + c, a, atol=1e-6)


def test_torch_batch_matches_numpy():
    kp, ref = _setup(60)
    bad = kp.copy()
    bad[30, 4] += [200.0, 50.0]
    bad[30] = stretch_bone(bad[30], 7, 1.3)
    corr = OnlineCorrector(ref, FPS, asymmetry=False)
    out = corr.run(bad)
    p = torch.tensor(bad[30][None])
    got = correct_batch(p, torch.tensor(out[29][None]), torch.tensor(out[28][None]), ref=ref, fps=FPS)
    assert np.allclose(got[0].numpy(), out[30], atol=1e-9)
    # batched, with gradients
    x = torch.tensor(np.stack([bad[30], kp[30]]), requires_grad=True)
    y = correct_batch(x, torch.tensor(np.stack([out[29], kp[29]])), torch.tensor(np.stack([out[28], kp[28]])),
                      ref=ref, fps=FPS)
    assert np.allclose(y[1].detach().numpy(), kp[30])
    y.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_bad_arguments():
    kp, ref = _setup(10)
    with pytest.raises(ConfigError):
        OnlineCorrector(ref[:5], FPS)
    with pytest.raises(ConfigError):
        OnlineCorrector(ref, 0)
    with pytest.raises(DataError):
        OnlineCorrector(ref, FPS).step(np.zeros((17, 2)))
    with pytest.raises(ConfigError):
        correct_batch(torch.zeros(1, 18, 2))
    assert Limits().max_speed == DEFAULT_LIMITS.max_speed
