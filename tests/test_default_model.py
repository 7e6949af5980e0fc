"""The bundled default model (dancegen/models/default.safetensors) on the bundled example song: it loads,
dances the requested span on the canvas, moves like the real dances, never draws a bone longer
than its reference, and puts motion beats on the music's beats."""
from pathlib import Path

import numpy as np
import pytest

from dancegen.audio.beats import beats_for_file
from dancegen.metrics.motion import window_speed
from dancegen.metrics import beat_metrics
from dancegen.model.bundle import DEFAULT_MODEL, ModelBundle
from dancegen.model.generate import GenerateOptions, generate_dance
from dancegen.skeleton import bone_lengths

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "music" / "metal_madness.ogg"
# mean joint speed of the real Dance with Melody val takes (px/s on the 1920x1080 canvas), measured
# by `dancegen evaluate` (docs/MODEL_CARD.md)
GT_SPEED = 164.15


@pytest.fixture(scope="module")
def bundle():
    return ModelBundle.load()


@pytest.fixture(scope="module")
def dance(bundle):
    return generate_dance(EXAMPLE, bundle, GenerateOptions(start=10.0, duration=40.0, progress=False))


def test_default_model_is_small_and_documented(bundle):
    assert DEFAULT_MODEL.stat().st_size < 8e6
    assert bundle.fps == 25.0 and "waltz" in bundle.genres and len(bundle.feature_stats["mean"]) == bundle.model.cfg.n_features
    assert (Path(__file__).resolve().parents[1] / "docs" / "MODEL_CARD.md").exists()


def test_dances_the_whole_span_on_the_canvas(dance):
    assert dance.keypoints.shape == (1000, 18, 2) and dance.offset == 10.0
    kp = dance.keypoints
    assert np.isfinite(kp).all()
    assert kp[..., 0].min() >= 0 and kp[..., 0].max() <= 1920 and kp[..., 1].min() >= 0 and kp[..., 1].max() <= 1080


def test_bones_never_longer_than_reference(bundle, dance):
    ratio = bone_lengths(dance.keypoints) / (bundle.ref_lengths * bundle.body_scale)
    assert ratio.max() <= 1.05


def test_moves_like_a_dancer_neither_frozen_nor_wild(dance):
    w = window_speed(dance.keypoints, dance.fps, 10.0) / GT_SPEED
    assert w.min() >= 0.5 and w.max() <= 2.0, w


def test_hits_the_beat(dance):
    beats = beats_for_file(str(EXAMPLE)).beats
    m = beat_metrics(dance.keypoints, dance.fps, beats, offset=dance.offset)
    assert m["bas_bailando"] >= 0.25 and m["beat_alignment_error"] <= 0.12, m


def test_hgr_loop_catches_glitches_a_faulty_generator_would_draw(bundle):
    """The closed loop with a generator that breaks the rules: on 3% of decoder steps a fault (jump,
    asymmetry, bone stretch) is put into the raw output before the check. With the feedback on, the
    structure check finds almost none of them in the drawn dance; without it, they are drawn (and fed
    back). The same faults at the same steps in both runs."""
    from dancegen.feedback.structure import analyze
    from dancegen.metrics import smoothness

    ref_px = bundle.ref_lengths * bundle.body_scale
    res = {}
    for fb in (True, False):
        opts = GenerateOptions(start=10.0, duration=30.0, progress=False, feedback=fb, glitch_rate=0.03)
        d = generate_dance(EXAMPLE, bundle, opts)
        rep = analyze(d.keypoints, d.fps, ref=ref_px)
        res[fb] = (len(rep.frames("any")), smoothness(d.keypoints, d.fps)["jerk"], sum(opts.timings["glitches"].values()))
    assert res[True][2] == res[False][2] >= 10, res           # same glitches injected
    assert res[False][0] >= 8 and res[True][0] <= res[False][0] / 4, res
    assert res[True][1] < 0.85 * res[False][1], res
