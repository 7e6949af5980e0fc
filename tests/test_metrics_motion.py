"""Joint position error, smoothness and the inference-time helper, on known answers."""
import time

import numpy as np
import pytest

from dancegen.errors import ConfigError, DataError
from dancegen.metrics.motion import joint_position_error, smoothness
from dancegen.metrics.timing import time_per_frame


def test_joint_position_error_known_distance():
    true = np.zeros((10, 18, 2))
    pred = true.copy()
    pred[..., 0] += 3.0
    pred[..., 1] += 4.0                      # every joint 5 px off
    assert joint_position_error(pred, true) == pytest.approx(5.0)
    pred[5:] = true[5:]                      # second half exact
    assert joint_position_error(pred, true) == pytest.approx(2.5)
    np.testing.assert_allclose(joint_position_error(pred, true, per_frame=True), [5] * 5 + [0] * 5)


def test_joint_position_error_confidence_weights_and_errors():
    true = np.zeros((4, 18, 2))
    pred = true.copy()
    pred[:, 0, 0] = 100.0                    # only the nose is wrong...
    conf = np.ones((4, 18))
    conf[:, 0] = 0.0                         # ...and it is not trusted
    assert joint_position_error(pred, true, confidence=conf) == 0.0
    assert joint_position_error(pred, true) == pytest.approx(100 / 18)
    with pytest.raises(DataError, match="same"):
        joint_position_error(pred[:3], true)


def test_smoothness_of_constant_acceleration():
    fps, a = 30.0, 200.0                     # px/s^2
    t = np.arange(90) / fps
    kp = np.zeros((90, 18, 2))
    kp[..., 1] = (0.5 * a * t ** 2)[:, None]  # x = a t^2 / 2 on every joint
    s = smoothness(kp, fps)
    assert s["acceleration"] == pytest.approx(a, rel=1e-9)
    assert s["jerk"] == pytest.approx(0.0, abs=1e-6)
    # mean speed of the forward differences: a * mean(t_k + dt/2)
    assert s["speed"] == pytest.approx(a * (t[:-1] + 0.5 / fps).mean(), rel=1e-9)


def test_smoothness_of_constant_jerk_and_fps_units():
    fps, j = 25.0, 60.0
    t = np.arange(50) / fps
    kp = np.zeros((50, 2, 2))
    kp[..., 0] = (j * t ** 3 / 6)[:, None]
    assert smoothness(kp, fps)["jerk"] == pytest.approx(j, rel=1e-6)
    with pytest.raises(DataError, match="4 frames"):
        smoothness(kp[:3], fps)


def test_time_per_frame_measures_a_known_sleep():
    calls = []

    def fn():
        calls.append(1)
        time.sleep(0.02)

    ms = time_per_frame(fn, n_frames=10, repeats=3, warmup=2)
    assert len(calls) == 5                   # 2 warm-up + 3 timed
    assert 1.9 <= ms < 4.0                   # 20 ms / 10 frames = 2 ms/frame
    r = time_per_frame(fn, n_frames=4, repeats=2, warmup=0, return_all=True)
    assert len(r["runs_ms_per_frame"]) == 2 and r["ms_per_frame"] >= 4.9
    with pytest.raises(ConfigError):
        time_per_frame(fn, n_frames=0)
