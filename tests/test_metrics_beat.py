"""Motion beats, beat alignment error and the two beat-align scores, on known answers."""
import numpy as np
import pytest

from dancegen.errors import DataError
from dancegen.metrics.beat import (
    DEFAULT_SIGMA_S, beat_align_score_bailando, beat_align_score_fact, beat_alignment_error,
    beat_metrics, joint_speed, motion_beats,
)


def stop_on_beats(fps: float, seconds: float = 4.0, beat_s: float = 0.5, joints: int = 18) -> np.ndarray:
    """Every joint swings sinusoidally with period 2 * beat_s, so it stops (turns) at
    t = beat_s/2 + k beat_s: 0.25, 0.75, ... for 0.5-s beats. (T, J, 2) px."""
    t = np.arange(int(round(seconds * fps))) / fps
    amp = np.linspace(50, 120, joints)
    kp = np.zeros((len(t), joints, 2))
    kp[..., 0] = amp * np.sin(np.pi * t / beat_s)[:, None] + 500
    kp[..., 1] = 0.3 * amp * np.sin(np.pi * t / beat_s)[:, None] + 300
    return kp


MUSIC = 0.25 + 0.5 * np.arange(8)  # a 120 BPM click track, beats inside the 4-s motion


def test_motion_beats_at_the_stops_60fps():
    mb = motion_beats(stop_on_beats(60), 60)
    np.testing.assert_allclose(mb, MUSIC, atol=1e-3)


@pytest.mark.parametrize("fps", [25.0, 30.0, 24.0])
def test_motion_beats_do_not_depend_on_fps(fps):
    # 0.25 s is 6.25 frames at 25 fps: the parabolic refinement puts the beat between frames.
    mb = motion_beats(stop_on_beats(fps), fps)
    assert len(mb) == 8
    np.testing.assert_allclose(mb, MUSIC, atol=0.002)


def test_motion_beats_offset_and_static_motion():
    mb = motion_beats(stop_on_beats(60), 60, offset=10.0)
    np.testing.assert_allclose(mb, MUSIC + 10.0, atol=1e-3)
    still = np.full((120, 18, 2), 300.0)
    assert motion_beats(still, 60).size == 0


def test_noise_does_not_add_beats():
    rng = np.random.default_rng(0)
    kp = stop_on_beats(60) + rng.normal(scale=0.3, size=(240, 18, 2))
    mb = motion_beats(kp, 60)
    assert len(mb) == 8
    np.testing.assert_allclose(mb, MUSIC, atol=0.01)


def test_joint_speed_units():
    # one joint moving at 90 px/s to the right: speed 90 px/s everywhere
    kp = np.zeros((50, 1, 2))
    kp[:, 0, 0] = 90.0 * np.arange(50) / 30.0
    np.testing.assert_allclose(joint_speed(kp, 30), 90.0)


def test_stopping_on_every_beat_scores_perfectly():
    kp = stop_on_beats(60)
    mb = motion_beats(kp, 60)
    assert beat_alignment_error(mb, MUSIC) < 1e-3
    assert beat_align_score_bailando(mb, MUSIC) > 0.999
    assert beat_align_score_fact(mb, MUSIC) > 0.999


def test_shift_of_one_sigma_gives_exp_minus_half():
    mb = MUSIC + 0.05
    assert beat_alignment_error(mb, MUSIC) == pytest.approx(0.05)
    assert beat_align_score_bailando(mb, MUSIC) == pytest.approx(np.exp(-0.5))
    assert beat_align_score_fact(mb, MUSIC) == pytest.approx(np.exp(-0.5))
    assert DEFAULT_SIGMA_S == pytest.approx(3 / 60)  # the published 3 frames at 60 fps


def test_sigma_in_seconds_matches_published_frames_formula():
    # Published (60 fps, frame indices): exp(-d_frames^2 / (2 * 9)).
    music_f = np.array([10, 40, 70, 100])
    motion_f = np.array([12, 41, 75, 99, 130])
    d = np.array([min(abs(m - motion_f)) for m in music_f])
    published = np.mean(np.exp(-d ** 2 / 18.0))
    ours = beat_align_score_bailando(motion_f / 60.0, music_f / 60.0)
    assert ours == pytest.approx(published)


def test_fact_and_bailando_differ():
    music = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    # a motion beat on every other music beat: Bailando finds 3 of 5 music beats, FACT all 3 motion beats
    half = np.array([0.0, 1.0, 2.0])
    assert beat_align_score_bailando(half, music) == pytest.approx(3 / 5, abs=1e-9)
    assert beat_align_score_fact(half, music) == pytest.approx(1.0)
    # extra motion beats halfway between music beats: FACT pays, Bailando does not
    extra = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    assert beat_align_score_bailando(extra, music) == pytest.approx(1.0)
    assert beat_align_score_fact(extra, music) == pytest.approx(5 / 9, abs=1e-5)
    assert beat_alignment_error(half, music) == pytest.approx(0.2)  # (0 + .5 + 0 + .5 + 0) / 5


def test_only_music_beats_inside_the_motion_span_count():
    kp = stop_on_beats(60)                 # 4 s of motion starting at offset 2 s
    music = np.concatenate([[0.5, 1.0, 1.5], MUSIC + 2.0, [7.0, 8.0, 9.0]])
    m = beat_metrics(kp, 60, music, offset=2.0)
    assert m["n_music_beats"] == 8 and m["n_motion_beats"] == 8
    assert m["bas_bailando"] > 0.999 and m["bas_fact"] > 0.999
    assert m["beat_alignment_error"] < 1e-3
    # without the span the outside beats would count as misses
    assert beat_align_score_bailando(m["motion_beats"], music) < 0.6


def test_no_motion_beats_and_no_music_beats():
    assert beat_alignment_error([], MUSIC) == float("inf")
    assert beat_align_score_bailando([], MUSIC) == 0.0
    assert beat_align_score_fact([], MUSIC) == 0.0
    with pytest.raises(DataError, match="no music beats inside"):
        beat_align_score_bailando(MUSIC, [100.0], span=(0.0, 4.0))


def test_danced_beats_every_beat_every_second_or_none():
    from dancegen.metrics.beat import danced_beats

    music = np.arange(0, 10, 1 / 3.0)                      # 180 BPM
    assert len(danced_beats(music, music + 0.03)) == len(music)
    half = danced_beats(music, music[1::2] - 0.05)           # a grid at 90 BPM on the odd beats
    assert np.allclose(half, music[1::2])
    assert len(danced_beats(music, music + 1 / 6.0)) == 0    # on the off-beats: nothing danced


def test_danced_beat_error_over_the_beats_a_half_time_dance_set_out_to_hit():
    from dancegen.metrics.beat import danced_beat_error

    music = np.arange(0, 10, 1 / 3.0)                      # 180 BPM
    grid = music[0::2]                                     # danced at 90 BPM
    motion = grid + 0.02                                   # 20 ms late on each danced beat
    err, share = danced_beat_error(motion, music, grid, (0.0, 10.0))
    assert abs(err - 0.02) < 1e-9 and abs(share - 0.5) < 0.02
    assert danced_beat_error(motion, music, music + 1 / 6.0, (0.0, 10.0))[0] == float("inf")
