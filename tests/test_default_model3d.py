"""The bundled 3D default model (dancegen/models/default3d.safetensors) on the bundled example song:
it loads, dances the requested span in 3D on the reference skeleton, from every camera on the canvas,
moves like the real dances (3D joint speed of the Dance with Melody takes), acts through its HGR
loop, and puts motion beats on the music's beats."""
from pathlib import Path

import numpy as np
import pytest

from dancegen import body3d as b3
from dancegen.audio.beats import beats_for_file
from dancegen.camera import CAMERAS, CameraConfig, film
from dancegen.evaluate.longform import window_speed
from dancegen.metrics import beat_metrics
from dancegen.model.bundle3d import DEFAULT_MODEL3D, Model3DBundle
from dancegen.model.generate3d import Generate3DOptions, generate_dance3d, load_generator

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "music" / "metal_madness.ogg"
# mean 3D joint speed of the real Dance with Melody takes on the reference skeleton (m/s), printed
# by scripts/long_song3d.py (docs/MODEL_CARD.md)
GT_SPEED3D = 0.671


@pytest.fixture(scope="module")
def bundle():
    return load_generator(None)


@pytest.fixture(scope="module")
def dance(bundle):
    return generate_dance3d(EXAMPLE, bundle, Generate3DOptions(start=10.0, duration=40.0, progress=False))


def test_the_3d_model_is_the_bundled_default_small_and_documented(bundle):
    assert isinstance(bundle, Model3DBundle)
    assert DEFAULT_MODEL3D.stat().st_size < 12e6
    assert bundle.fps == 25.0 and set(bundle.genres) >= {"waltz", "cha-cha", "rumba"}
    assert "seq2seq3d" in (Path(__file__).resolve().parents[1] / "docs" / "MODEL_CARD.md").read_text()


def test_the_bundled_model_keeps_each_genres_pace_and_the_dance_uses_it(bundle, dance):
    # each genre's training body speed (scripts/stamp_genre_speeds.py; docs/generation3d.md): a
    # cha-cha livelier than a rumba livelier than a waltz, all genres' mean between them
    gs = bundle.genre_body_speed
    assert set(gs) == set(bundle.genres)
    assert gs["waltz"] < bundle.ref_body_speed < gs["cha-cha"] and gs["waltz"] < gs["rumba"] < gs["cha-cha"]
    assert dance.meta["ref_body_speed"] == round(gs[dance.genre], 4)


def test_dances_the_span_in_3d_on_the_reference_skeleton(bundle, dance):
    assert dance.joints3d.shape == (1000, 17, 3) and dance.keypoints.shape == (1000, 18, 2)
    assert np.abs(b3.bone_lengths(dance.joints3d) / bundle.ref_lengths - 1).max() < 0.01
    low = np.minimum(dance.joints3d[:, 11, 1], dance.joints3d[:, 15, 1])
    # on the floor, not floating: the real takes' lowest foot point has a median of 0.05 m; this model
    # keeps its feet about 5 cm higher (0.10 m on this song, docs/MODEL_CARD.md)
    assert low.min() > -0.05 and np.median(low) < 0.15
    assert dance.meta["hgr3d_final"]["below_floor"] == 0   # the final dance too (after the governor and beat lock)


@pytest.mark.parametrize("mode", CAMERAS)
def test_on_the_canvas_from_every_camera(dance, mode):
    kp, _ = film(dance.joints3d, dance.fps, CameraConfig(mode=mode))
    assert kp[..., 0].min() >= 0 and kp[..., 0].max() <= 1920 and kp[..., 1].min() >= 0 and kp[..., 1].max() <= 1080


def test_moves_like_a_dancer_neither_frozen_nor_wild(dance):
    w = window_speed(dance.joints3d, dance.fps) / GT_SPEED3D
    assert w.min() >= 0.5 and w.max() <= 2.0, w


def test_hits_the_beat(dance):
    beats = beats_for_file(str(EXAMPLE)).beats
    m = beat_metrics(dance.joints3d, dance.fps, beats, offset=dance.offset)
    assert m["bas_bailando"] >= 0.25 and m["beat_alignment_error"] <= 0.12, m


def test_seeds_give_different_dances_and_the_loop_reports_what_it_did(bundle, dance):
    other = generate_dance3d(EXAMPLE, bundle, Generate3DOptions(start=10.0, duration=8.0, seed=1, progress=False))
    assert np.abs(other.joints3d[:200] - dance.joints3d[:200]).mean() > 0.05
    assert dance.meta["hgr3d"]["frames"] == 1000 and set(dance.meta["hgr2d"]) >= {"jump", "any"}
