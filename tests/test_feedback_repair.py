"""Offline repair (its interpolation is skeleton.fill_gaps, tested in test_skeleton.py): bone shortening with the kinematic tree, motion beats kept."""
import numpy as np
import pytest

from dancegen.feedback.inject import inject_faults, rotate_side, stretch_bone, synthetic_dance
from dancegen.feedback.repair import repair, shorten_stretched
from dancegen.feedback.structure import analyze, reference_bone_lengths
from dancegen.skeleton import bone_lengths, motion_beats


def test_shorten_stretched_moves_the_subtree_and_never_lengthens():
    pose = synthetic_dance(1)[0]
    ref = bone_lengths(pose)
    bad = stretch_bone(pose, 1, 1.3)                 # right upper arm 30% long: elbow + wrist moved
    bad = stretch_bone(bad, 8, 0.7)                  # right shin foreshortened: must stay short
    out, shortened = shorten_stretched(bad, ref)
    L = bone_lengths(out)
    assert L[1] == pytest.approx(ref[1])
    assert L[2] == pytest.approx(ref[2])             # the forearm moved with the elbow, same length
    assert L[8] == pytest.approx(0.7 * ref[8])       # not lengthened
    assert shortened.tolist() == [i == 1 for i in range(17)]
    assert np.allclose(out[[3, 4]], pose[[3, 4]])    # elbow and wrist back where they were
    assert np.array_equal(np.delete(out, [3, 4], 0), np.delete(bad, [3, 4], 0))


def test_injected_jump_is_repaired_within_tolerance():
    kp = synthetic_dance(150)
    bad = kp.copy()
    bad[70, 4] += [90.0, -40.0]
    bad[100, 13] += [-60.0, 120.0]
    fixed, info = repair(bad, 25)
    assert {70, 100} <= set(info["frames"])
    assert info["after"]["n_any"] == 0
    err = np.linalg.norm(fixed - kp, axis=-1)
    assert err[70, 4] < 2.0 and err[100, 13] < 2.0  # px, from ~100 px
    assert err.max() < 2.0
    untouched = np.ones(150, bool)
    untouched[info["frames"]] = False
    assert np.allclose(fixed[untouched], kp[untouched], atol=1e-4)   # float32 output


def test_stretch_and_asymmetry_are_repaired():
    kp = synthetic_dance(150)
    bad = kp.copy()
    bad[40] = stretch_bone(kp[40], 4, 1.35)          # left upper arm
    bad[90] = rotate_side(kp[90], "R", np.deg2rad(60))
    rep = analyze(bad, 25, ref=reference_bone_lengths(kp))
    assert 40 in rep.frames("bone_stretch") and 90 in rep.frames("asymmetry")
    fixed, info = repair(bad, 25, report=rep)
    err = np.linalg.norm(fixed - kp, axis=-1)
    assert err[40].max() < 2.0 and err[90].max() < 2.0
    assert info["after"]["n_any"] == 0


def test_motion_beats_are_kept_within_one_frame():
    fps = 25.0
    kp = synthetic_dance(250, fps=fps, bpm=100, seed=3)
    b_clean = np.round(motion_beats(kp, fps, refine=False) * fps).astype(int)
    assert len(b_clean) >= 15
    # glitch wrists and ankles just after every other beat: the speed bump moves those beats
    faulty = kp.copy()
    rng = np.random.default_rng(0)
    for b in b_clean[1:-1:2]:
        faulty[b + 1, [4, 7, 10, 13]] += rng.normal(size=(4, 2)) * 120
    b_faulty = np.round(motion_beats(faulty, fps, refine=False) * fps)
    assert len(b_faulty) == len(b_clean) and np.abs(b_faulty - b_clean).max() >= 2
    fixed, _ = repair(faulty, fps)
    b_fixed = np.round(motion_beats(fixed, fps, refine=False) * fps)
    assert len(b_fixed) == len(b_clean)
    assert np.abs(b_fixed - b_clean).max() <= 1
    # and with the random faults of the injector
    faulty2, faults = inject_faults(kp, fps, rng=5, n_per_kind=4)
    assert len(faults) >= 10
    b2 = np.round(motion_beats(repair(faulty2, fps)[0], fps, refine=False) * fps)
    assert len(b2) == len(b_clean) and np.abs(b2 - b_clean).max() <= 1


def test_repair_of_a_clean_dance_changes_nothing():
    kp = synthetic_dance(120)
    fixed, info = repair(kp, 25)
    assert info["frames"] == [] and info["n_joint_frames"] == 0
    assert np.allclose(fixed, kp, atol=1e-4)
