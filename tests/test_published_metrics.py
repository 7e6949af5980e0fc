"""The published AIST++/FACT/Bailando forms (dancegen.metrics.published): SMPL-24 mappings, kinetic
features with the acceleration-bug switch, the 32 geometric relations, FID and both BAS forms."""
import numpy as np
import pytest

from dancegen import body3d as b3
from dancegen.errors import DataError
from dancegen.metrics import published as P
from motion3d_synth import synthetic_dance3d

RNG = np.random.default_rng(11)


def dancer24(T=240, fps=60.0, seed=0):
    """A synthetic SMPL-24 dancer at ``fps`` (metres, y up), from the body3d test dancer."""
    j = synthetic_dance3d(int(T * 25 / fps) + 2, 25.0, seed=seed)
    return P.resample_fps(P.smpl24_from_body3d(j), 25.0, fps)[:T]


# ------------------------------------------------------------------------------------ layouts
def test_body3d_mapping_copies_the_shared_joints_and_fills_the_rest():
    j = synthetic_dance3d(30, 25.0).astype(np.float64)
    s = P.smpl24_from_body3d(j)
    assert s.shape == (30, 24, 3) and np.isfinite(s).all()
    S, B = {n: i for i, n in enumerate(P.SMPL24_JOINTS)}, b3.JOINT3D_INDEX
    for smpl, ours in (("pelvis", "MidHip"), ("left_wrist", "LWrist"), ("right_knee", "RKnee"),
                       ("left_foot", "LBigToe"), ("head", "Head"), ("neck", "Neck")):
        np.testing.assert_array_equal(s[:, S[smpl]], j[:, B[ours]])
    np.testing.assert_allclose(s[:, S["spine2"]], 0.5 * (j[:, B["MidHip"]] + j[:, B["Neck"]]))
    np.testing.assert_allclose(s[:, S["left_hand"]] - j[:, B["LWrist"]],
                               0.35 * (j[:, B["LWrist"]] - j[:, B["LElbow"]]))
    assert set(P.SMPL24_FROM_BODY3D) == set(P.SMPL24_JOINTS) == set(P.SMPL24_FROM_COCO17)


def test_coco_mapping_puts_the_synthesised_feet_ahead_of_the_ankles():
    # a COCO-17 body facing +z (its left towards +x, y up)
    k = np.zeros((1, 17, 3))
    k[0, [5, 6]] = [[0.2, 1.4, 0], [-0.2, 1.4, 0]]
    k[0, [7, 8]] = [[0.25, 1.15, 0], [-0.25, 1.15, 0]]
    k[0, [9, 10]] = [[0.3, 0.9, 0], [-0.3, 0.9, 0]]
    k[0, [11, 12]] = [[0.1, 0.9, 0], [-0.1, 0.9, 0]]
    k[0, [13, 14]] = [[0.1, 0.5, 0], [-0.1, 0.5, 0]]
    k[0, [15, 16]] = [[0.1, 0.1, 0], [-0.1, 0.1, 0]]
    k[0, [3, 4]] = [[0.07, 1.6, 0], [-0.07, 1.6, 0]]
    s = P.smpl24_from_coco17(k)[0]
    S = {n: i for i, n in enumerate(P.SMPL24_JOINTS)}
    np.testing.assert_allclose(s[S["left_foot"]], [0.1, 0.05, 0.12])
    np.testing.assert_allclose(s[S["right_foot"]], [-0.1, 0.05, 0.12])
    np.testing.assert_allclose(s[S["pelvis"]], [0, 0.9, 0])
    np.testing.assert_allclose(s[S["neck"]], [0, 1.4, 0])
    np.testing.assert_allclose(s[S["head"]], [0, 1.6, 0])
    with pytest.raises(DataError):
        P.smpl24_from_coco17(np.zeros((3, 18, 3)))


def test_resample_fps_is_exact_on_cubics_and_keeps_the_span():
    t = np.arange(26) / 25.0
    x = np.stack([1 + 2 * t - t ** 2 + 0.5 * t ** 3, np.sin(0 * t)], -1)[:, None, :]
    y = P.resample_fps(x, 25.0, 60.0)
    assert y.shape == (61, 1, 2)                      # 1 s at 60 fps, both ends included
    tt = np.arange(61) / 60.0
    np.testing.assert_allclose(y[:, 0, 0], 1 + 2 * tt - tt ** 2 + 0.5 * tt ** 3, atol=1e-12)
    np.testing.assert_array_equal(P.resample_fps(x, 60, 60), x)


# ----------------------------------------------------------------------------------- kinetic
def test_kinetic_correct_form_is_translation_invariant_and_bug_form_is_not():
    j = dancer24()
    shift = np.array([1.5, 0.0, -2.0])
    ok0 = P.kinetic_features_published(j, subtract_first_root=False)
    ok1 = P.kinetic_features_published(j + shift, subtract_first_root=False)
    assert ok0.shape == (72,) == (len(P.KINETIC_PUBLISHED_NAMES),)
    np.testing.assert_allclose(ok0, ok1, rtol=1e-9, atol=1e-9)
    bug0 = P.kinetic_features_published(j, compat_accel_bug=True, subtract_first_root=False)
    bug1 = P.kinetic_features_published(j + shift, compat_accel_bug=True, subtract_first_root=False)
    energy = slice(2, None, 3)
    np.testing.assert_allclose(bug0[0::3], ok0[0::3])          # velocity terms are unaffected
    assert np.min(np.abs(bug1[energy] - bug0[energy]) / bug0[energy]) > 0.05
    # with the pipeline's first-pelvis subtraction a global shift is hidden ...
    np.testing.assert_allclose(P.kinetic_features_published(j + shift, compat_accel_bug=True),
                               P.kinetic_features_published(j, compat_accel_bug=True), rtol=1e-9)


def test_kinetic_bug_known_answer_for_a_motionless_body():
    # motionless body: true energy 0; the bug reads (fps - 1) fps ||p_j - pelvis_0|| = 3540 * distance
    pose = dancer24(T=3)[0]
    still = np.repeat(pose[None], 20, axis=0)
    ok = P.kinetic_features_published(still)
    bug = P.kinetic_features_published(still, compat_accel_bug=True)
    np.testing.assert_array_equal(ok, 0.0)
    dist = np.linalg.norm(pose - pose[0], axis=-1)
    np.testing.assert_allclose(bug[2::3], 59 * 60 * dist, rtol=1e-9)
    np.testing.assert_array_equal(bug[0::3], 0.0)
    # moving the origin by c (without the subtraction) moves every energy to 3540 ||p_j + c||
    c = np.array([0.0, 0.0, 1.0])
    raw = P.kinetic_features_published(still + c, compat_accel_bug=True, subtract_first_root=False)
    np.testing.assert_allclose(raw[2::3], 3540 * np.linalg.norm(pose + c, axis=-1), rtol=1e-9)


# --------------------------------------------------------------------------------- geometric
def test_geometric_features_shape_range_and_translation_invariance():
    j = dancer24()
    g = P.geometric_features_published(j)
    assert g.shape == (32,) == (len(P.GEOMETRIC_PUBLISHED_NAMES),) == (len(P.GEOMETRIC_RELATIONS),)
    assert ((g >= 0) & (g <= 1)).all()
    np.testing.assert_array_equal(P.geometric_features_published(j + [3.0, -1.0, 2.0]), g)
    rel = P.geometric_relations_published(j)
    assert rel.shape == (len(j) - 1, 32) and rel.dtype == bool


def test_geometric_relations_known_answers():
    names = P.GEOMETRIC_PUBLISHED_NAMES
    S = {n: i for i, n in enumerate(P.AIST_JOINT_NAMES)}
    pose = dancer24(T=3)[0]
    still = np.repeat(pose[None], 10, axis=0)
    r = dict(zip(names, P.geometric_features_published(still)))
    for n in names:                                   # nothing moves: no velocity relation holds
        if n.startswith(("fast", "move", "nmove")):
            assert r[n] == 0.0, n
    assert r["angle(neck,root,zero,y_unit)(70,110)deg"] == 0.0      # upright torso
    # the right wrist moves 1 m/s upwards (scaled x2 by the published 1/120-s frame time):
    # 2 m/s > 2.5 hl = 0.642 m/s, so fast(rwrist) holds in every frame
    moving = still.copy()
    moving[:, S["rwrist"], 1] += np.arange(10) / 60.0
    r = dict(zip(names, P.geometric_features_published(moving)))
    assert r["fast(rwrist)>2.5hl"] == 1.0 and r["fast(lwrist)>2.5hl"] == 0.0
    # elbow: straight arm (180 deg) is not in (0, 110); a right angle is
    arm = still.copy()
    sh, el = arm[:, S["rshoulder"]], arm[:, S["relbow"]]
    arm[:, S["rwrist"]] = el - (sh - el)                                   # straight
    assert dict(zip(names, P.geometric_features_published(arm)))["angle(relbow,rshoulder,relbow,rwrist)(0,110)deg"] == 0.0
    u = sh[0] - el[0]
    perp = np.cross(u, [0.0, 0.0, 1.0])
    arm[:, S["rwrist"]] = el + 0.25 * perp / np.linalg.norm(perp)           # 90 deg
    assert dict(zip(names, P.geometric_features_published(arm)))["angle(relbow,rshoulder,relbow,rwrist)(0,110)deg"] == 1.0
    # an ankle 0.5 m above the lowest joint (> 1.2 hl = 0.31 m)
    lift = still.copy()
    lift[:, S["rankle"], 1] = lift[:, :, 1].min(axis=1) + 0.5
    assert dict(zip(names, P.geometric_features_published(lift)))["nplane(zero,y_unit,y_min,rankle)>1.2hl"] == 1.0


# ---------------------------------------------------------------------------------------- FID
def test_fid_published_of_a_set_with_itself_is_zero_and_a_shift_is_known():
    A = RNG.normal(size=(200, 8)) @ RNG.normal(size=(8, 8)) + 5.0
    assert P.fid_published(A, A) == pytest.approx(0.0, abs=1e-6)
    c = RNG.normal(size=8)
    # standardised by A's std: the shift becomes c / std and the covariances stay equal
    assert P.fid_published(A, A + c) == pytest.approx(np.sum((c / A.std(0)) ** 2), rel=1e-6)
    assert P.zero_std_dims(np.c_[A, np.ones(200)]) == 1


# ---------------------------------------------------------------------------------------- BAS
def test_bas_forms_on_constructed_beat_frames():
    music = [0, 30, 60, 90, 120]                      # a beat every 0.5 s at 60 fps
    on_every_other = [0, 60, 120]
    # Bailando averages over music beats: 3 hit, 2 missed by 30 frames (exp(-900/18) ~ 0)
    assert P.beat_align_score_frames(on_every_other, music, "bailando") == pytest.approx(0.6, abs=1e-12)
    # FACT averages over motion beats: all 3 hit
    assert P.beat_align_score_frames(on_every_other, music, "fact") == pytest.approx(1.0)
    late = [3, 33, 63, 93, 123]                       # every motion beat 3 frames (= sigma) late
    for form in ("bailando", "fact"):
        assert P.beat_align_score_frames(late, music, form) == pytest.approx(np.exp(-0.5))
    extra = [0, 15, 30, 45, 60, 75, 90, 105, 120]     # extra motion beats halfway
    assert P.beat_align_score_frames(extra, music, "bailando") == pytest.approx(1.0)
    assert P.beat_align_score_frames(extra, music, "fact") == pytest.approx((5 + 4 * np.exp(-225 / 18)) / 9)
    assert P.beat_align_score_frames([], music, "fact") == 0.0
    with pytest.raises(Exception):
        P.beat_align_score_frames(music, music, "edge")


def test_published_motion_beats_find_the_turns_and_score_their_music():
    fps, T = 60.0, 300
    t = np.arange(T) / fps
    x = np.zeros((T, 3, 3))
    x[:, :, 0] = np.sin(2 * np.pi * (t - 0.0042))[:, None]   # turns (speed minima) every 0.5 s
    turns = 0.25 + 0.0042 + 0.5 * np.arange(10)
    turns = turns[(turns > 0.1) & (turns < (T - 1) / fps - 0.1)]
    for form in ("bailando", "fact"):
        mb = P.motion_beats_published(x, form) / fps
        assert len(mb) == len(turns), form
        np.testing.assert_allclose(mb, turns, atol=1.01 / fps)
        # music on the turns: near 1; music halfway between: near 0
        assert P.beat_align_score_published(x, turns, form) > 0.85
        assert P.beat_align_score_published(x, turns - 0.25, form) < 0.01
        # an offset (song time of frame 0) shifts the music beats
        assert P.beat_align_score_published(x, turns + 10.0, form, offset=10.0) == pytest.approx(
            P.beat_align_score_published(x, turns, form))
    with pytest.raises(DataError):
        P.beat_align_score_published(x, [100.0], "bailando")


# ----------------------------------------------------------------------------------- realdata
AIST_SEQS = {"gBR_sBM_cAll_d04_mBR2_ch08": 576, "gBR_sBM_cAll_d06_mBR2_ch06": 576,
             "gJS_sBM_cAll_d03_mJS2_ch07": 576, "gJS_sFM_cAll_d02_mJS4_ch09": 1919}


@pytest.mark.realdata
def test_aist_fragment_published_features(aist_dir):
    from dancegen.data.aist import load_keypoints3d

    for seq, n in AIST_SEQS.items():
        k3, scaling = load_keypoints3d(aist_dir, seq)
        assert k3.shape == (n, 17, 3) and np.isfinite(k3).all()
        # centimetres: head (mean of the ears) to the ankles about a body length (break dancers
        # spend much time on the floor, so the 90th percentile, not the median)
        body = np.linalg.norm(0.5 * (k3[:, 3] + k3[:, 4]) - 0.5 * (k3[:, 15] + k3[:, 16]), axis=-1)
        assert 100 < np.percentile(body, 90) < 200, seq
        # y up: the head is above the ankles in most frames of every sequence
        assert np.mean(k3[:, 3, 1] > k3[:, 15, 1]) > 0.6, seq
        assert 80 < scaling < 110
        j = P.smpl24_from_coco17(k3 / scaling)
        assert j.shape == (n, 24, 3)
        for bug in (False, True):
            kf = P.kinetic_features_published(j, compat_accel_bug=bug)
            assert kf.shape == (72,) and np.isfinite(kf).all() and (kf >= 0).all()
        g = P.geometric_features_published(j)
        assert g.shape == (32,) and np.isfinite(g).all() and ((g >= 0) & (g <= 1)).all()
        assert 0.0 < g.mean() < 1.0
        for form in ("bailando", "fact"):
            assert len(P.motion_beats_published(j, form)) > n / 60 * 0.5      # >= 1 beat per 2 s
        # the correct form ignores a shift of the whole recording; the bug form (without the
        # pipeline's first-pelvis subtraction) does not
        ok0 = P.kinetic_features_published(j, subtract_first_root=False)
        ok1 = P.kinetic_features_published(j + [1.0, 0, 0], subtract_first_root=False)
        np.testing.assert_allclose(ok0, ok1, rtol=1e-7, atol=1e-9)
        b0 = P.kinetic_features_published(j, compat_accel_bug=True, subtract_first_root=False)
        b1 = P.kinetic_features_published(j + [1.0, 0, 0], compat_accel_bug=True, subtract_first_root=False)
        assert np.max(np.abs(b1 - b0) / b0) > 0.1
