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


def _cfg(dwm_dir, out, steps, stop=0):
    return Train3DConfig(stop_at_step=stop, data=str(dwm_dir), motion_only=None, out=str(out), limit_takes=2, window=24, stride=24,
                         batch_size=4, max_steps=steps, max_minutes=5, enc_hidden=16, dec_hidden=32, n_mix=2,
                         ckpt_every=2, sampling_ramp_epochs=0, threads=1)


def test_short_run_exports_a_model_that_dances(dwm_dir, tmp_path):
    path = train(_cfg(dwm_dir, tmp_path / "run", 4), progress=False)
    b = Model3DBundle.from_pretrained(path)
    assert b.info["steps"] == 4 and len(b.train_takes) == 2
    ref = b.ref_lengths
    assert ref.shape == (b3.NB3,) and 0.35 < ref[0] < 0.6        # MidHip-Neck, metres
    tk = b.train_takes[0]
    d = generate_dance3d(dwm_dir / tk / "audio.mp3", b, Generate3DOptions(start=30, duration=3, progress=False))
    assert d.joints3d.shape == (75, 17, 3) and np.abs(b3.bone_lengths(d.joints3d) / ref - 1).max() < 0.01


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

    for bad in (dict(max_epochs=0), dict(max_minutes=-3), dict(lr=float("nan"))):
        with pytest.raises(ConfigError):
            Train3DConfig(**bad).validate()
