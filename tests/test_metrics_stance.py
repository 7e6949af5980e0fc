"""The rule-based stance detector fires on constructed poses, and symmetry per stance."""
import numpy as np
import pytest

from dancegen.errors import ConfigError
from dancegen.metrics.stance import STANCES, detect_stances, symmetry_per_stance
from metrics_poses import L, base_pose


def rotate_about(p, idx, centre, deg):
    a = np.radians(deg)
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    p = p.copy()
    p[idx] = (p[idx] - centre) @ R.T + centre
    return p


def lift_and_rotate():
    p = base_pose()                                  # turned ~64 deg: shoulders and hips narrow
    p[2], p[5], p[8], p[11] = (935, 400), (985, 400), (945, 550), (975, 550)
    p[3], p[4] = (930, 320), (930, 250)              # right arm raised above the head
    return p


def straddle_forward():
    p = base_pose()
    p[9], p[10], p[12], p[13] = (890, 700), (850, 850), (1030, 700), (1070, 850)   # feet 1.47 L apart
    upper = [0, 1, 2, 3, 4, 5, 6, 7, 14, 15, 16, 17]
    return rotate_about(p, upper, np.array([960.0, 550.0]), 20.0)                  # leaning 20 deg


def alternate_arms_and_legs():
    p = base_pose()
    p[3], p[4] = (880, 360), (870, 330)              # right arm up
    p[12], p[13] = (1000, 690), (1000, 820)          # left foot 0.2 L off the floor
    return p


def single_leg_support():
    p = base_pose()
    p[12], p[13] = (1020, 680), (1010, 775)          # left ankle 0.5 L up
    return p


def extended_transverse_spread():
    p = base_pose()
    p[3], p[4], p[6], p[7] = (840, 405), (780, 410), (1080, 405), (1140, 410)
    return p


def diagonal_arm_sweep():
    p = base_pose()
    p[3], p[4], p[6], p[7] = (850, 325), (800, 250), (1070, 475), (1120, 550)
    return p


def torso_twist_step():
    p = base_pose()
    p[2], p[5] = (935, 400), (985, 400)              # shoulders turned, hips square
    p[9], p[10], p[12], p[13] = (910, 700), (890, 850), (1010, 700), (1030, 850)
    return p


BUILDERS = dict(
    lift_and_rotate=lift_and_rotate, straddle_forward=straddle_forward,
    alternate_arms_and_legs=alternate_arms_and_legs, single_leg_support=single_leg_support,
    extended_transverse_spread=extended_transverse_spread, diagonal_arm_sweep=diagonal_arm_sweep,
    torso_twist_step=torso_twist_step,
)


def test_base_pose_has_no_stance():
    assert not detect_stances(base_pose()[None]).any()


@pytest.mark.parametrize("name", STANCES)
def test_each_stance_fires_alone_on_its_pose(name):
    pose = BUILDERS[name]()
    got = detect_stances(pose[None])[0]
    assert dict(zip(STANCES, got)) == {s: s == name for s in STANCES}
    # size and position on the canvas do not matter
    small = pose * 0.4 + np.array([50.0, 80.0])
    np.testing.assert_array_equal(detect_stances(small[None])[0], got)


def test_thresholds_are_the_documented_ones():
    # single-leg support is "one ankle > 0.3 L above the other"
    p = base_pose()
    p[13, 1] = 850 - 0.29 * L
    assert not detect_stances(p[None])[0, STANCES.index("single_leg_support")]
    p[13, 1] = 850 - 0.31 * L
    assert detect_stances(p[None])[0, STANCES.index("single_leg_support")]
    assert not detect_stances(p[None], {"single_leg_dy": 0.35})[0, STANCES.index("single_leg_support")]
    with pytest.raises(ConfigError, match="unknown"):
        detect_stances(p[None], {"nope": 1})


def test_symmetry_per_stance_known_values():
    kp = np.stack([base_pose()] * 10 + [single_leg_support()] * 5)
    r = symmetry_per_stance(kp, fps=25)
    # mirror about x = 960: right knee -> (995, 700) vs (1020, 680); right ankle -> (995, 850) vs (1010, 775)
    expected = 1 - (np.hypot(25, 20) + np.hypot(15, 75)) / 8 / L
    leg = r["single_leg_support"]
    assert leg["frames"] == 5 and leg["seconds"] == pytest.approx(0.2) and leg["share"] == pytest.approx(1 / 3)
    assert leg["symmetry"] == pytest.approx(expected)
    assert r["all"]["symmetry"] == pytest.approx((10 * 1.0 + 5 * expected) / 15)
    assert np.isnan(r["diagonal_arm_sweep"]["symmetry"]) and r["diagonal_arm_sweep"]["frames"] == 0
