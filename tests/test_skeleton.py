"""OpenPose-18 layout, conversions, mirroring, normalisation and its exact inverse."""
import numpy as np
import pytest

from dancegen import skeleton as sk


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
