"""Training the 3D generator on real Dance with Melody takes (real-data tests: ../shared): a short
run exports a loadable model that dances; a run stopped and resumed ends bit-identical to one that
ran through."""
import json

import numpy as np
import pytest
import torch

from dancegen import body3d as b3
from dancegen.model.bundle3d import Model3DBundle
from dancegen.model.generate3d import Generate3DOptions, generate_dance3d
from dancegen.train.train3d import Train3DConfig, train

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _cfg(dwm_dir, out, steps, stop=0, **kw):
    return Train3DConfig(**{**dict(stop_at_step=stop, data=str(dwm_dir), motion_only=None, out=str(out), limit_takes=2,
                                   window=24, stride=24, batch_size=4, max_steps=steps, max_minutes=5, enc_hidden=16,
                                   dec_hidden=32, n_mix=2, ckpt_every=2, log_every=2, sampling_ramp_epochs=0,
                                   threads=1), **kw})


def test_short_run_exports_a_model_that_dances(dwm_dir, tmp_path):
    path = train(_cfg(dwm_dir, tmp_path / "run", 4), progress=False)
    b = Model3DBundle.from_pretrained(path)
    assert b.info["steps"] == 4 and len(b.train_takes) == 2
    ref = b.ref_lengths
    assert ref.shape == (b3.NB3,) and 0.35 < ref[0] < 0.6        # MidHip-Neck, metres
    tk = b.train_takes[0]
    d = generate_dance3d(dwm_dir / tk / "audio.mp3", b, Generate3DOptions(start=30, duration=3, progress=False))
    assert d.joints3d.shape == (75, 17, 3) and np.abs(b3.bone_lengths(d.joints3d) / ref - 1).max() < 0.01
    # the training log travels in the model file: the report draws the curves without last.pt
    from dancegen.evaluate.experiments.fig_training import read_training

    assert [r["step"] for r in b.info["log"]] == [2, 4] and all(np.isfinite(r["nll"]) for r in b.info["log"])
    (tmp_path / "run" / "last.pt").unlink()
    curves = read_training(tmp_path / "run", info=b.info)["curves"]
    assert curves["loss"]["step"] == [2, 4] and curves["loss"]["value"] == [r["nll"] for r in b.info["log"]]


def test_fine_tune_starts_from_the_saved_weights(dwm_dir, tmp_path):
    from dancegen.errors import ConfigError

    base = train(_cfg(dwm_dir, tmp_path / "base", 4), progress=False)
    # a fine-tune at a vanishing learning rate keeps the saved weights; a fresh run with other seed does not
    ft = train(_cfg(dwm_dir, tmp_path / "ft", 2, init_from=str(base), lr=1e-12, lr_final=1e-12, seed=5), progress=False)
    fresh = train(_cfg(dwm_dir, tmp_path / "fresh", 2, lr=1e-12, lr_final=1e-12, seed=5), progress=False)
    wb, wf, wn = (Model3DBundle.from_pretrained(p).weights for p in (base, ft, fresh))
    assert all(np.allclose(wb[k], wf[k], atol=1e-3) for k in wb)
    assert not all(np.allclose(wb[k], wn[k], atol=1e-3) for k in wb)
    # the fine-tune keeps the source's pose statistics, also on data of other statistics (no mirror images)
    nm = train(_cfg(dwm_dir, tmp_path / "nomirror", 2, init_from=str(base), mirror=False), progress=False)
    b0, b1 = Model3DBundle.from_pretrained(base), Model3DBundle.from_pretrained(nm)
    assert np.array_equal(b0.pose_mean, b1.pose_mean) and np.array_equal(b0.pose_std, b1.pose_std)
    # a model of other takes (other pose statistics) is refused before training
    with pytest.raises(ConfigError, match="other data"):
        train(_cfg(dwm_dir, tmp_path / "bad", 2, init_from=str(base), limit_takes=3), progress=False)


def test_genre_balance_weights_windows_against_their_genre_share():
    from dancegen.train.train3d import window_weights

    clips = [{"genre": 0}, {"genre": 1}]
    wins = [(0, s) for s in range(9)] + [(1, 0)]                   # genre 0: 9 windows, genre 1: 1
    assert window_weights(clips, wins, 0.0) is None                 # uniform
    p = window_weights(clips, wins, 1.0)
    assert np.isclose(p[:9].sum(), 0.5) and np.isclose(p[9], 0.5)   # each genre equally often
    p = window_weights(clips, wins, 0.5)
    assert np.isclose(p[9] / p[0], 3.0)                             # (9 / 1) ** 0.5


def test_resumed_run_equals_uninterrupted_run(dwm_dir, tmp_path):
    through = train(_cfg(dwm_dir, tmp_path / "a", 6), progress=False)
    assert train(_cfg(dwm_dir, tmp_path / "b", 6, stop=3), progress=False) is None   # "killed" after step 3
    saved = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert json.loads(saved["state"])["step"] == 3
    resumed = train(_cfg(dwm_dir, tmp_path / "b", 6), progress=False)
    wa = Model3DBundle.from_pretrained(through).weights
    wb = Model3DBundle.from_pretrained(resumed).weights
    assert wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)


def test_bad_settings_are_refused_before_any_work():
    from dancegen.errors import ConfigError

    for bad in (dict(max_epochs=0), dict(max_minutes=-3), dict(lr=float("nan")), dict(genre_balance=2.0),
                dict(log_every=0)):
        with pytest.raises(ConfigError):
            Train3DConfig(out="run", **bad).validate()


def test_mirror_style_trains_the_mirror_images_as_their_own_genres(dwm_dir, tmp_path):
    from dancegen.train.train3d import build_dataset

    cfg = _cfg(dwm_dir, tmp_path / "style", 2, mirror_style=True)
    clips, meta = build_dataset(cfg, progress=False)
    G = len(meta["genres"])
    assert [c["genre"] >= G for c in clips] == [c["mirrored"] for c in clips] == [False, True] * 2
    assert all(c["genre"] - G * c["mirrored"] == meta["genres"].index("cha-cha") for c in clips)
    b = Model3DBundle.from_pretrained(train(cfg, progress=False))
    assert b.config.n_genres == 2 * G and b.genres == meta["genres"]   # generation asks for the real hold
    # each genre's mean body speed, over its takes' frames (here one genre: the same as all of them)
    assert set(b.genre_body_speed) == {"cha-cha"} and 0.1 < b.ref_body_speed < 2.0
    assert b.genre_body_speed["cha-cha"] == pytest.approx(b.ref_body_speed, rel=1e-9)
    tk = b.train_takes[0]
    d = generate_dance3d(dwm_dir / tk / "audio.mp3", b, Generate3DOptions(start=30, duration=2, progress=False))
    assert d.joints3d.shape == (50, 17, 3)
