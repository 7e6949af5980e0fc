"""HGR structure checks: symmetry, bone length, jumps, analyze() (fast, synthetic data)."""
import numpy as np
import pytest

from dancegen.errors import DataError
from dancegen.feedback.inject import rotate_side, stretch_bone, synthetic_dance
from dancegen.feedback.structure import (
    Limits, analyze, bone_deviation, bone_stretch, joint_acceleration, reference_bone_lengths, reflect,
    symmetry_score,
)
from dancegen.skeleton import LR_BONE_PAIRS, LR_PAIRS, body_scale, bone_lengths


def _rot(p, ang, about):
    c, s = np.cos(ang), np.sin(ang)
    d = p - about
    return about + np.stack([c * d[..., 0] - s * d[..., 1], s * d[..., 0] + c * d[..., 1]], -1)


def test_mirrored_pose_scores_exactly_one():
    rng = np.random.default_rng(1)
    pose = rng.normal(size=(18, 2)) * 80 + 500
    pose[1] = [500, 300]
    pose[0] = [500, 240]
    pose[8], pose[11] = [470, 500], [530, 500]
    for r, l in LR_PAIRS:                    # each left joint: mirror of the right about x = 500
        pose[l] = [1000 - pose[r, 0], pose[r, 1]]
    assert symmetry_score(pose) == pytest.approx(1.0, abs=1e-12)
    # a leaning body (rotated 30 degrees) is judged about its own axis: still exactly 1
    leaning = _rot(pose, np.deg2rad(30), np.array([500.0, 300.0]))
    assert symmetry_score(leaning) == pytest.approx(1.0, abs=1e-12)
    # move one wrist by one torso length: the pair term is 1, the mean over 8 pairs 1/8
    torso = 200.0
    bent = pose.copy()
    bent[7, 0] += torso
    assert symmetry_score(bent) == pytest.approx(1 - 1 / 8, abs=1e-9)
    # unclipped scores go below 0 for absurd poses; clipped ones stop at 0
    wild = pose.copy()
    wild[[5, 6, 7, 12, 13], 0] += 5000
    assert symmetry_score(wild, clip=False) < 0 and symmetry_score(wild) == 0.0


def test_reflect_twice_is_identity():
    rng = np.random.default_rng(2)
    p = rng.normal(size=(5, 8, 2))
    o = rng.normal(size=(5, 2))
    u = rng.normal(size=(5, 2))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    assert np.allclose(reflect(reflect(p, o, u), o, u), p)


def test_ten_percent_stretch_gives_point_one():
    kp = synthetic_dance(60)
    ref = reference_bone_lengths(kp)
    assert np.allclose(bone_lengths(kp), ref[None])            # synthetic bones never change
    # every bone 10% longer: scale the pose about the neck
    big = kp[0][1] + 1.1 * (kp[0] - kp[0][1])
    assert bone_deviation(big, ref) == pytest.approx(0.10, abs=1e-9)
    assert np.allclose(bone_stretch(big, ref), 0.10)
    # one forearm 10% longer: its stretch 0.10, the pose's D_bone 0.10 / 17
    one = stretch_bone(kp[0], 2, 1.1)
    st = bone_stretch(one, ref)
    assert st[2] == pytest.approx(0.10, abs=1e-9) and np.allclose(np.delete(st, 2), 0, atol=1e-9)
    assert bone_deviation(one, ref) == pytest.approx(0.10 / 17, abs=1e-9)


def test_foreshortened_bone_is_not_a_fault():
    kp = synthetic_dance(100)
    ref = reference_bone_lengths(kp)
    short = kp.copy()
    short[50] = stretch_bone(kp[50], 1, 0.6)                  # upper arm turned toward the camera
    assert bone_stretch(short[50], ref)[1] == 0.0
    assert bone_deviation(short[50], ref) == pytest.approx(0.4 / 17, abs=1e-9)   # the paper's score counts it
    # ... and as a sustained foreshortening (smooth, over 20 frames) nothing is flagged
    f = np.ones(100)
    f[40:60] = 1 - 0.4 * np.sin(np.linspace(0, np.pi, 20))
    smooth = np.stack([stretch_bone(kp[t], 1, f[t]) for t in range(100)])
    rep = analyze(smooth, 25, ref=ref)
    assert rep.frames("bone_stretch").size == 0 and rep.frames("any").size == 0
    # while a 20% stretch of the same bone in one frame is
    bad = kp.copy()
    bad[50] = stretch_bone(kp[50], 1, 1.2)
    assert 50 in analyze(bad, 25, ref=ref).frames("bone_stretch")


def test_reference_lengths_share_left_right():
    kp = synthetic_dance(50)
    kp[:, 7] = kp[:, 6] + 1.5 * (kp[:, 7] - kp[:, 6])          # left forearm 50% longer throughout
    ref = reference_bone_lengths(kp)
    for r, l in LR_BONE_PAIRS:
        assert ref[r] == ref[l]
    assert ref[5] == pytest.approx(150.0, rel=1e-6)
    assert reference_bone_lengths(kp, share_lr=False)[2] == pytest.approx(100.0, rel=1e-6)


def test_speed_and_acceleration_units():
    T, fps = 50, 25.0
    kp = np.zeros((T, 18, 2))
    kp[:, :, 0] = 100.0 * np.arange(T)[:, None] / fps        # 100 px/s to the right
    v = analyze(kp, fps, ref=np.full(17, 200.0)).speed          # the HGR speed: torso = 200 px
    assert v[0, 0] == 0 and np.allclose(v[1:], 0.5)            # 0.5 torso lengths per second
    kp[:, :, 1] = 0.5 * 400.0 * (np.arange(T)[:, None] / fps) ** 2   # 400 px/s^2 downward
    a = joint_acceleration(kp, fps, scale=200.0)
    assert np.allclose(a[1:-1], 2.0) and a[0, 0] == 0


def test_injected_jump_detected_at_its_frame_and_joint():
    kp = synthetic_dance(150)
    bad = kp.copy()
    bad[70, 4] += [90.0, -40.0]                                # right wrist glitch, ~0.5 torso
    rep = analyze(bad, 25)
    assert rep.frames("jump").tolist() == [70]
    assert np.nonzero(rep.masks["jump"][70])[0].tolist() == [4]
    assert analyze(kp, 25).frames("any").size == 0             # the clean dance is clean
    # a step (the wrist teleports and stays) is found too, at its first frame
    step = kp.copy()
    step[90:, 4] += 400.0
    assert 90 in analyze(step, 25).frames("jump")


def test_asymmetry_rule_is_relative_to_the_stance():
    kp = synthetic_dance(150)                                  # symmetric in every frame
    bad = kp.copy()
    bad[60] = rotate_side(kp[60], "L", np.deg2rad(70))
    rep = analyze(bad, 25)
    assert rep.frames("asymmetry").tolist() == [60]
    assert set(np.nonzero(rep.masks["asymmetry"][60])[0]) <= {6, 7, 12, 13}
    # a dance that is asymmetric all along (left arm lags) has no asymmetry faults
    asym = synthetic_dance(150, symmetric=False)
    rep2 = analyze(asym, 25)
    assert rep2.symmetry.mean() < 0.9 and rep2.frames("asymmetry").size == 0


def test_report_json_keys_and_limits():
    kp = synthetic_dance(80)
    bad = kp.copy()
    bad[40, 10] += 200
    d = analyze(bad, 25).to_dict()
    assert list(d) == ["symmetry", "bone_deviation", "jumps", "faulty_frames"]
    assert len(d["symmetry"]["per_frame"]) == 80
    assert d["faulty_frames"]["jump"] == [40] and 40 in d["faulty_frames"]["any"]
    assert d["jumps"]["events"][0]["joint"] == "RAnkle"
    # tighter limits flag more: a speed limit below the dance's own speed flags many frames
    assert len(analyze(kp, 25, limits=Limits(max_speed=1.0)).frames("jump")) > 10


def test_body_scale_and_bad_input():
    kp = synthetic_dance(20)
    assert body_scale(ref=reference_bone_lengths(kp)) == pytest.approx(np.hypot(35, 190))
    bad = kp.copy()
    bad[3, 2] = np.nan
    with pytest.raises(DataError, match="NaN"):
        analyze(bad, 25)
    with pytest.raises(DataError, match="shape"):
        analyze(kp[:, :17], 25)
    with pytest.raises(DataError, match="fps"):
        analyze(kp, 0)
