"""Frechet distance, diversity and the motion features (AIST++ kinetic, 2D kinetic/geometric)."""
import numpy as np
import pytest

from dancegen.metrics.features import (
    GEOMETRIC_FEATURE_NAMES, KINETIC_FEATURE_NAMES, geometric_features_2d, kinetic_features,
    kinetic_features_2d, kinetic_features_aist, motion_features,
)
from dancegen.metrics.fid import diversity, frechet_distance, normalize_features
from metrics_poses import base_pose, bounce, sway

RNG = np.random.default_rng(7)


def gaussian_set(n=400, f=12):
    A = RNG.normal(size=(f, f))
    return RNG.normal(size=(n, f)) @ A + RNG.normal(size=f) * 3


def whitened(n=300, f=6):
    """Samples with sample mean exactly 0 and unbiased sample covariance exactly I."""
    x = RNG.normal(size=(n, f))
    x -= x.mean(0)
    w = np.linalg.cholesky(np.cov(x, rowvar=False))
    return x @ np.linalg.inv(w).T


# ------------------------------------------------------------------------------------------ FID
def test_fid_of_identical_sets_is_zero():
    A = gaussian_set()
    scale = np.trace(np.cov(A, rowvar=False))
    assert frechet_distance(A, A) <= 1e-6 * scale


def test_fid_of_a_shifted_set_is_the_squared_shift():
    A = gaussian_set()
    d = RNG.normal(size=A.shape[1]) * 2
    assert frechet_distance(A, A + d) == pytest.approx(d @ d, rel=1e-6)


def test_fid_of_a_scaled_set_is_analytic():
    A = gaussian_set()
    s = 1.7
    mu, S = A.mean(0), np.cov(A, rowvar=False)
    # mu_b = s mu, S_b = s^2 S: ||(1-s) mu||^2 + tr S + s^2 tr S - 2 s tr S
    expected = (1 - s) ** 2 * (mu @ mu + np.trace(S))
    assert frechet_distance(A, s * A) == pytest.approx(expected, rel=1e-6)


def test_fid_of_gaussians_with_different_diagonal_covariances():
    X = whitened()
    s = np.array([0.5, 1.0, 2.0, 3.0, 0.1, 1.5])
    m = np.array([1.0, -2.0, 0.0, 0.5, 0.0, 3.0])
    # N(0, I) vs N(m, diag(s^2)): ||m||^2 + sum (1 - s)^2
    assert frechet_distance(X, X * s + m) == pytest.approx(m @ m + ((1 - s) ** 2).sum(), rel=1e-6)
    assert frechet_distance(X * s + m, X) == pytest.approx(frechet_distance(X, X * s + m), rel=1e-9)


def test_fid_with_fewer_samples_than_features_stays_finite():
    A = RNG.normal(size=(10, 54))
    d = np.full(54, 0.5)
    assert frechet_distance(A, A) < 1e-4 * np.trace(np.cov(A, rowvar=False))
    assert frechet_distance(A, A + d) == pytest.approx(d @ d, rel=1e-3)


def test_diversity_known_answers():
    assert diversity(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    tri = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    assert diversity(tri) == pytest.approx(1.0)
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)   # 4 sides 1, 2 diagonals sqrt 2
    assert diversity(square) == pytest.approx((4 + 2 * np.sqrt(2)) / 6)


def test_normalize_features_uses_the_real_set():
    real, gen = gaussian_set(), gaussian_set() + 5
    rn, gn = normalize_features(real, gen)
    np.testing.assert_allclose(rn.mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(rn.std(0), 1, atol=1e-9)
    np.testing.assert_allclose(gn, (gen - real.mean(0)) / (real.std(0) + 1e-10))


# ------------------------------------------------------------------------------ kinetic features
def published_kinetic_loop(pos, frame_time, up=1, w=2):
    """Straight transcription of the AIST++ formulas, one frame at a time, with the published
    acceleration term ``v1 = p[k] - p[k-1] / frame_time`` (the precedence bug)."""
    T, J, _ = pos.shape
    out = []
    for j in range(J):
        keh = kev = en = 0.0
        for i in range(1, T):
            v = np.zeros(3)
            n = 0
            for k in range(i - w, i + w + 1):
                if k - 1 < 0 or k >= T:
                    continue
                v += pos[k, j] - pos[k - 1, j]
                n += 1
            v = v / (n * frame_time)
            keh += v[0] ** 2 + v[2] ** 2
            kev += v[1] ** 2
            a = np.zeros(3)
            n = 0
            for k in range(i - w, i + w + 1):
                if k - 1 < 0 or k + 1 >= T:
                    continue
                v2 = (pos[k + 1, j] - pos[k, j]) / frame_time
                v1 = pos[k, j] - pos[k - 1, j] / frame_time
                a += (v2 - v1) / frame_time
                n += 1
            en += np.linalg.norm(a / n)
        out += [keh / (T - 1), kev / (T - 1), en / (T - 1)]
    return np.array(out)


def test_compat_form_reproduces_the_published_formula_exactly():
    pos = RNG.normal(size=(15, 3, 3)) + np.array([0.3, 1.0, -2.0])
    ours = kinetic_features(pos, fps=60, up_axis=1, compat_aist_bug=True)
    np.testing.assert_allclose(ours, published_kinetic_loop(pos, 1 / 60), rtol=1e-10)


def test_correct_form_is_translation_invariant_and_compat_is_not():
    pos = RNG.normal(size=(40, 5, 3)).cumsum(0) * 0.01
    shift = np.array([1.0, 0.0, -0.5])           # metres
    ok0 = kinetic_features(pos, 60)
    ok1 = kinetic_features(pos + shift, 60)
    np.testing.assert_allclose(ok0, ok1, rtol=1e-9, atol=1e-9)
    bug0 = kinetic_features(pos, 60, compat_aist_bug=True)
    bug1 = kinetic_features(pos + shift, 60, compat_aist_bug=True)
    energy = slice(2, None, 3)
    assert not np.allclose(bug0[energy], bug1[energy], rtol=1e-3)
    np.testing.assert_allclose(bug0[0::3], bug1[0::3])   # the velocity terms are unaffected
    # the bug adds (fps - 1) * fps * p_k to the acceleration: for a motionless joint at p the
    # energy is exactly (fps - 1) * fps * ||p|| instead of 0
    still = np.tile(shift, (10, 1, 1))
    assert kinetic_features(still, 60)[2] == 0.0
    assert kinetic_features(still, 60, compat_aist_bug=True)[2] == pytest.approx(59 * 60 * np.linalg.norm(shift))
    # the AIST++/Bailando pipeline subtracts the first frame's root, which hides a global shift
    aist0 = kinetic_features_aist(pos, compat_aist_bug=True)
    aist1 = kinetic_features_aist(pos + shift, compat_aist_bug=True)
    np.testing.assert_allclose(aist0, aist1, rtol=1e-9)


def test_kinetic_known_answers():
    fps, T = 30.0, 60
    t = np.arange(T) / fps
    pos = np.zeros((T, 2, 3))
    pos[:, 0, 0] = 2.0 * t                       # joint 0: 2 m/s horizontally
    pos[:, 1, 1] = 0.5 * 4.0 * t ** 2            # joint 1: 4 m/s^2 upwards from rest
    f = kinetic_features(pos, fps).reshape(2, 3)
    np.testing.assert_allclose(f[0], [4.0, 0.0, 0.0], atol=1e-9)
    assert f[1, 0] == 0.0
    assert f[1, 2] == pytest.approx(4.0, rel=1e-9)   # second differences of a parabola are exact


def test_2d_features_are_body_size_and_canvas_invariant():
    kp = bounce(100, 25.0)
    k0, g0 = kinetic_features_2d(kp, 25), geometric_features_2d(kp)
    assert k0.shape == (54,) == (len(KINETIC_FEATURE_NAMES),)
    assert g0.shape == (47,) == (len(GEOMETRIC_FEATURE_NAMES),)
    moved = kp * 0.5 + np.array([100.0, -50.0])      # a smaller dancer elsewhere on the canvas
    np.testing.assert_allclose(kinetic_features_2d(moved, 25), k0, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(geometric_features_2d(moved), g0, rtol=1e-9, atol=1e-12)
    assert motion_features(kp, 25, "both").shape == (101,)


def test_geometric_features_known_values():
    T = 20
    kp = np.repeat(base_pose()[None], T, axis=0)
    kp[10:, 4] = (900, 250)                       # right wrist above the head in half the frames
    g = dict(zip(GEOMETRIC_FEATURE_NAMES, geometric_features_2d(kp)))
    assert g["share:wrist_above_head_R"] == 0.5
    assert g["share:wrist_above_head_L"] == 0.0
    assert g["mean:shoulder_width"] == pytest.approx(120 / 150)
    assert g["mean:knee_angle_L"] == pytest.approx(np.pi)   # straight legs
    assert g["std:knee_angle_L"] == pytest.approx(0.0, abs=1e-9)
    assert g["mean:wrist_height_R"] == pytest.approx(0.5 * (-180 + 150) / 150)


def test_kinetic_features_separate_slow_and_fast_motion():
    slow = kinetic_features_2d(sway(100, 25.0), 25)
    fast = kinetic_features_2d(bounce(100, 25.0), 25)
    energy = slice(2, None, 3)
    assert fast[energy].mean() > 5 * slow[energy].mean()


@pytest.mark.realdata
def test_fid_k_separates_real_genres_and_compat_depends_on_origin(dwm_dir):
    from dancegen.data.dwm import load_dwm
    from dancegen.metrics.classify import window_features

    dances = load_dwm(dwm_dir, retime=False, progress=False)
    feats = {}
    for d in dances:
        feats.setdefault(d.genre, []).append(window_features(d.keypoints, d.fps, 8.0, 4.0, kind="kinetic"))
    waltz = feats["waltz"]
    wa, wb = np.concatenate(waltz[0::2]), np.concatenate(waltz[1::2])
    cha = np.concatenate(feats["cha-cha"])
    wa, wb, cha = normalize_features(wa, wb, cha)
    same, other = frechet_distance(wa, wb), frechet_distance(wa, cha)
    # measured (benchmarks/bench_metrics.py): about 5 between the two halves of the waltz takes,
    # 1600-1800 waltz vs cha-cha (the number moves a little with the data loader's camera)
    assert other > 20 * same
    assert diversity(cha) > 2 * diversity(wa)          # measured 30.0 vs 9.6
    # on the real 3D joints (metres), a 1-m shift changes nothing in the correct form and the
    # energy terms of the compat form
    j = dances[0].joints3d / 100.0
    ok0 = kinetic_features_aist(j, fps=25, subtract_first_root=False)
    ok1 = kinetic_features_aist(j + [1.0, 0, 0], fps=25, subtract_first_root=False)
    np.testing.assert_allclose(ok0, ok1, rtol=1e-6)
    bug0 = kinetic_features_aist(j, fps=25, compat_aist_bug=True, subtract_first_root=False)
    bug1 = kinetic_features_aist(j + [1.0, 0, 0], fps=25, compat_aist_bug=True, subtract_first_root=False)
    assert np.max(np.abs(bug1 - bug0) / np.abs(bug0)) > 0.1
