"""The core layer: OpenPose-18 layout, conversions, mirroring, normalisation and its exact inverse,
bones, body scale, joint speed, motion beats and the interpolators (each defined once, in skeleton)."""
import numpy as np
import pytest

from dancegen import skeleton as sk
from dancegen.errors import ConfigError, DataError


def test_layout_is_consistent():
    assert sk.J == 18 and len(sk.BONES) == 17 and sk.OPENPOSE18_JOINTS[1] == "Neck"
    for r, l in sk.LR_PAIRS:
        assert sk.OPENPOSE18_JOINTS[r][0] == "R" and sk.OPENPOSE18_JOINTS[l][0] == "L"
        assert sk.OPENPOSE18_JOINTS[r][1:] == sk.OPENPOSE18_JOINTS[l][1:]
    for rb, lb in sk.LR_BONE_PAIRS:  # paired bones are mirror images of each other
        a, b = sk.BONES[rb], sk.BONES[lb]
        assert [sk.MIRROR_PERM[a[0]], sk.MIRROR_PERM[a[1]]] == list(b)
    # the bone list is a tree over all 18 joints, in topological order from the neck
    seen = {1}
    for p, c in sk.BONES:
        assert p in seen and c not in seen
        seen.add(c)
    assert seen == set(range(18))


def test_coco17_conversion_maps_names_and_builds_the_neck():
    rng = np.random.default_rng(0)
    coco = rng.normal(size=(4, 17, 3))
    op = sk.from_coco17(coco)
    for j, name in enumerate(sk.OPENPOSE18_JOINTS):
        if name == "Neck":
            np.testing.assert_allclose(op[:, j], 0.5 * (coco[:, 5] + coco[:, 6]))
            continue
        side = {"R": "right_", "L": "left_"}.get(name[0], "")
        base = name[1:].lower() if side else name.lower()
        np.testing.assert_allclose(op[:, j], coco[:, sk.COCO17_JOINTS.index(side + base)])


def test_blazepose33_conversion():
    bp = np.arange(33 * 2, dtype=float).reshape(33, 2)
    op = sk.from_blazepose33(bp)
    np.testing.assert_allclose(op[2], bp[12])   # RShoulder = right_shoulder
    np.testing.assert_allclose(op[13], bp[27])  # LAnkle = left_ankle
    np.testing.assert_allclose(op[1], 0.5 * (bp[11] + bp[12]))
    with pytest.raises(ValueError):
        sk.from_blazepose33(np.zeros((17, 2)))


def test_mirror_is_an_involution_and_a_mirrored_pose_is_symmetric():
    rng = np.random.default_rng(1)
    kp = rng.normal(size=(5, 18, 2)).astype(np.float32)
    np.testing.assert_allclose(sk.mirror(sk.mirror(kp, 3.0), 3.0), kp, atol=1e-6)
    m = sk.mirror(kp, 0.0)
    np.testing.assert_allclose(m[:, 5, 0], -kp[:, 2, 0])  # left shoulder = mirrored right shoulder
    np.testing.assert_allclose(sk.bone_lengths(m), sk.bone_lengths(kp)[:, [3, 4, 5, 0, 1, 2, 9, 10, 11, 6, 7, 8, 12, 15, 16, 13, 14]], rtol=1e-5)


def test_normalize_denormalize_is_exact_and_scales_by_torso():
    rng = np.random.default_rng(2)
    kp = (rng.normal(size=(30, 18, 2)) * 50 + 500).astype(np.float32)
    norm, params = sk.normalize(kp)
    np.testing.assert_allclose(sk.root(norm), 0.0, atol=1e-5)
    assert np.median(sk.torso_length(norm)) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(sk.denormalize(norm, params), kp, atol=1e-3)
    with pytest.raises(ValueError):
        sk.normalize(np.zeros((3, 18, 2)))


def test_bone_stretched_by_ten_percent():
    kp = np.zeros((18, 2))
    kp[:, 1] = np.arange(18)
    L = sk.bone_lengths(kp)
    kp2 = kp.copy()
    kp2[3] = kp[2] + 1.1 * (kp[3] - kp[2])  # RShoulder->RElbow stretched, its subtree not moved
    assert sk.bone_lengths(kp2)[1] / L[1] == pytest.approx(1.1)


def test_bone_lengths_any_layout_numpy_and_torch_agree():
    import torch

    from dancegen import body3d as b3

    rng = np.random.default_rng(3)
    kp = rng.normal(size=(4, 18, 2))
    L = sk.bone_lengths(kp)
    assert L.shape == (4, 17)
    np.testing.assert_allclose(L, np.linalg.norm(sk.bone_vectors(kp), axis=-1))
    Lt = sk.bone_lengths(torch.tensor(kp, requires_grad=True), eps=1e-8)
    assert isinstance(Lt, torch.Tensor) and Lt.requires_grad
    np.testing.assert_allclose(Lt.detach().numpy(), L, rtol=1e-6)
    j3 = rng.normal(size=(5, b3.J3, 3))
    np.testing.assert_allclose(b3.bone_lengths(j3), sk.bone_lengths(j3, b3.BONES3D))
    assert b3.bone_lengths(j3).shape == (5, b3.NB3)


def test_body_scale_two_measures_and_bad_bodies():
    kp = np.zeros((3, 18, 2))
    kp[:, 8] = [-30.0, 160.0]
    kp[:, 11] = [30.0, 160.0]
    kp[1, 8:12:3, 1] = 200.0                                   # one frame with a longer torso
    assert sk.body_scale(kp) == pytest.approx(160.0)          # median over frames
    ref = sk.bone_lengths(kp[0])
    assert sk.body_scale(ref=ref) == pytest.approx(np.hypot(30, 160))
    np.testing.assert_allclose(sk.body_scale(ref=np.stack([ref, 2 * ref])), [np.hypot(30, 160), 2 * np.hypot(30, 160)])
    with pytest.raises(DataError, match="torso"):
        sk.body_scale(np.zeros((2, 18, 2)))
    with pytest.raises(TypeError):
        sk.body_scale(kp, ref=ref)


def test_joint_speed_central_and_steps_per_joint_and_scaled():
    fps = 25.0
    kp = np.zeros((10, 3, 2))
    kp[:, 2, 0] = 4.0 * np.arange(10)                          # joint 2: 4 px a frame = 100 px/s
    steps = sk.joint_speed(kp, fps, per_joint=True, difference="steps")
    assert steps.shape == (9, 3) and np.allclose(steps[:, 2], 100.0) and np.allclose(steps[:, :2], 0.0)
    central = sk.joint_speed(kp, fps)
    assert central.shape == (10,) and np.allclose(central, 100.0 / 3)
    assert np.allclose(sk.joint_speed(kp, fps, scale=50.0, per_joint=True)[:, 2], 2.0)   # 2 torsos/s
    smooth = sk.joint_speed(kp, fps, smooth_s=0.2)
    assert np.allclose(smooth, 100.0 / 3)                      # smoothing keeps a constant speed
    assert sk.joint_speed(kp[:1], fps, difference="steps").shape == (0,)
    with pytest.raises(DataError, match="2 frames"):
        sk.joint_speed(kp[:1], fps)
    with pytest.raises(ConfigError):
        sk.joint_speed(kp, fps, difference="forward")


def test_motion_beats_are_the_metric_definition_and_refuse_nan():
    from dancegen.metrics import beat

    assert beat.motion_beats is sk.motion_beats and beat.joint_speed is sk.joint_speed
    kp = np.zeros((120, 1, 2))
    kp[5, 0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        sk.motion_beats(kp, 60)


def test_resample_and_change_fps():
    x = np.arange(10, dtype=float)[:, None] * np.array([1.0, -2.0])
    np.testing.assert_allclose(sk.resample(x, [0.0, 2.5, 9.0, 12.0, -1.0])[:, 0], [0.0, 2.5, 9.0, 9.0, 0.0])
    up = sk.change_fps(x, 25.0, 50.0, 19)
    np.testing.assert_allclose(up[:, 0], np.arange(19) / 2.0)
    down = sk.change_fps(x, 30.0, 10.0, 4)
    np.testing.assert_allclose(down[:, 1], [0.0, -6.0, -12.0, -18.0])


def test_fill_gaps_linear_cubic_per_joint_and_whole_frames():
    t = np.arange(40, dtype=float)
    kp = np.zeros((40, 18, 2))
    kp[:, :, 0] = (0.01 * t ** 3 - 0.2 * t ** 2 + t)[:, None]
    kp[:, :, 1] = 3.0 * t[:, None]
    bad = np.zeros((40, 18), bool)
    bad[[5, 6, 20], 3] = True
    hurt = kp.copy()
    hurt[bad] = 1e4
    out, fixed = sk.fill_gaps(hurt, bad, method="cubic")
    assert np.array_equal(fixed, bad)
    assert np.allclose(out, kp, atol=1e-8)                     # a cubic is recovered exactly
    lin, _ = sk.fill_gaps(hurt, bad)
    assert np.allclose(lin[:, :, 1], kp[:, :, 1])              # a straight line too, linearly
    frames = np.zeros(40, bool)
    frames[[0, 1, 39]] = True                                  # whole frames, at the ends: held
    out2, fixed2 = sk.fill_gaps(kp, frames)
    assert np.allclose(out2[0], kp[2]) and np.allclose(out2[39], kp[38]) and fixed2.tolist() == frames.tolist()
    few = np.ones((40, 18), bool)
    few[0, :] = False                                          # one good frame per joint
    _, fixed3 = sk.fill_gaps(kp, few, min_good=2)
    assert not fixed3.any()
    with pytest.raises(DataError, match="mask"):
        sk.fill_gaps(kp, np.zeros(39, bool))
