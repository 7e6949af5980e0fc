"""The NumPy inference engine of the 3D generator (dancegen.model.infer3d) computes what the torch
model computes: encoder (short and in chunks), attention memory, start state, every decoder step,
for each attention kind; the mixture draw picks the component by the inverse CDF like
seq2seq3d.mdn_sample; and a bundle read from a file generates without importing torch."""
import subprocess
import sys

import numpy as np
import pytest
import torch

from dancegen.errors import ModelError
from dancegen.model.generate import encode_chunked
from dancegen.model.infer3d import Engine3D, check_weights, erf, mdn_sample
from dancegen.model.seq2seq3d import Model3DConfig, Seq2Seq3D
from dancegen.model.seq2seq3d import mdn_sample as mdn_sample_torch

torch.set_num_threads(1)


def _model(attention, seed=0):
    torch.manual_seed(seed)
    cfg = Model3DConfig(n_features=7, enc_hidden=8, enc_layers=2, dec_hidden=16, attn_dim=8, n_mix=3, window=4,
                        attention=attention, n_genres=4, dropout=0.0)
    m = Seq2Seq3D(cfg).eval()
    with torch.no_grad():                      # larger weights than the init: the gates leave their linear range
        for p in m.parameters():
            p.mul_(2.0)
    return m, Engine3D.from_weights({k: v.numpy() for k, v in m.state_dict().items()}, cfg)


def test_erf_matches_the_library():
    x = np.linspace(-6, 6, 20001).astype(np.float32)
    assert np.abs(erf(x) - torch.erf(torch.from_numpy(x)).numpy()).max() < 2e-7


@pytest.mark.parametrize("attention", ["additive", "general", "none"])
def test_every_piece_and_step_equals_the_torch_model(attention):
    m, eng = _model(attention)
    rng = np.random.default_rng(1)
    T = 300
    feats = rng.normal(size=(T, 7)).astype(np.float32)
    with torch.inference_mode():
        f = torch.from_numpy(feats)[None]
        enc_t = encode_chunked(m, f, 100, 20)                       # chunked like generation
        enc_n = eng.encode(feats, 100, 20)
        assert np.abs(enc_n - enc_t[0].numpy()).max() < 1e-5
        assert np.abs(eng.encoder(feats[:50]) - m.encoder(f[:, :50])[0].numpy()).max() < 1e-5
        mem_t, mem_n = m.memory(enc_t), eng.memory(enc_t[0].numpy())
        prev = rng.normal(size=m.cfg.pose_dim).astype(np.float32)
        st_t = m.start({"summary": enc_t[:, :40].mean(1)}, torch.from_numpy(prev)[None])
        st_n = eng.start(enc_t[0, :40].mean(0).numpy(), prev)
        assert np.abs(np.concatenate(st_n) - torch.cat([st_t[0][0][0, 0], st_t[0][1][0, 0], st_t[1][0][0, 0],
                                                         st_t[1][1][0, 0]]).numpy()).max() < 1e-6
        ge_t, ge_n = m.genre(torch.tensor([2])), eng.genre(2)
        worst = 0.0
        for t in range(0, T, 7):                                    # the edges of the sequence included
            (lt, mt, st), st_t = m.step(mem_t, t, torch.from_numpy(prev)[None], st_t, ge_t)
            (ln, mn, sn), st_n = eng.step(mem_n, t, prev, st_n, ge_n)
            for a, b in ((ln, lt[0]), (mn, mt[0]), (sn, st[0])):
                worst = max(worst, float(np.abs(a - b.numpy()).max()))
            prev = mn[0]
        assert worst < 1e-4, worst


def test_mixture_draw_is_the_inverse_cdf_pick_of_the_torch_sampler():
    rng = np.random.default_rng(0)
    logit = rng.normal(size=5).astype(np.float32)
    mu = rng.normal(size=(5, 3)).astype(np.float32)
    ls = rng.normal(size=(5, 3)).astype(np.float32) * 0.3
    eps = rng.normal(size=3).astype(np.float32)
    for u in (0.01, 0.3, 0.5, 0.77, 0.999):
        for temp in (0.5, 1.0, 2.0):
            ref = mdn_sample_torch(torch.from_numpy(logit)[None], torch.from_numpy(mu)[None], torch.from_numpy(ls)[None],
                                   temp, None, 0.7, torch.from_numpy(eps)[None], u=torch.tensor([u]))[0].numpy()
            assert np.allclose(mdn_sample(logit, mu, ls, temp, 0.7, eps, u), ref, atol=1e-6)
    assert np.allclose(mdn_sample(logit, mu, ls, 0.0, 1.0, eps, None), mu[np.argmax(logit)])


def test_weights_that_do_not_fit_the_settings_are_refused_in_one_line():
    m, _ = _model("additive")
    sd = {k: v.numpy() for k, v in m.state_dict().items()}
    with pytest.raises(ModelError, match="missing head.bias"):
        check_weights({k: v for k, v in sd.items() if k != "head.bias"}, m.cfg, "x.safetensors")
    with pytest.raises(ModelError, match="weight head.weight has shape"):
        check_weights({**sd, "head.weight": sd["head.weight"][:, :3]}, m.cfg, "x.safetensors")
    bad = sd["fuse.0.bias"].copy()
    bad[0] = np.nan
    with pytest.raises(ModelError, match="NaN"):
        check_weights({**sd, "fuse.0.bias": bad}, m.cfg, "x.safetensors")


def test_generation_with_the_bundled_model_does_not_import_torch(tmp_path):
    code = ("import sys; from dancegen.cli import main; "
            "rc = main(['generate', sys.argv[1], '-o', sys.argv[2], '--duration', '3', '--no-video']); "
            "assert rc == 0; print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')")
    from pathlib import Path

    song = Path(__file__).resolve().parents[1] / "examples" / "music" / "metal_madness.ogg"
    r = subprocess.run([sys.executable, "-c", code, str(song), str(tmp_path / "out")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "NO-TORCH"
