"""The comparison models (GAN-ST-GCN, Transformer-VQ-VAE): graph, shapes, valid bones, losses,
toy learning problems with known answers, long deterministic generation, model files, training
systems under a Lightning Trainer. Fast: random tensors and toy data only."""
import math

import numpy as np
import pytest
import torch

from dancegen.errors import ConfigError, ModelError
from dancegen.model import posecode
from dancegen.model.baselines import (BaselineBundle, generate_params, load_baseline, run_baseline)
from dancegen.model.bundle import BundleMeta
from dancegen.model.format import read_model, save_model
from dancegen.model.baselines.stgcn_gan import (GanConfig, GanSTGCN, partitioned_adjacency,
                                                skeleton_adjacency)
from dancegen.model.baselines.vqvae_transformer import VQConfig, VQVAETransformer
from dancegen.skeleton import BONES, bone_lengths
from roundtrip import assert_same_fields

torch.set_num_threads(1)

REF = np.array([0.45, 0.5, 0.45, 0.45, 0.5, 0.45, 1.0, 0.8, 0.8, 1.0, 0.8, 0.8, 0.35, 0.1, 0.12, 0.1, 0.12],
               np.float32)


def small_gan(F=12, n_genres=3, **kw):
    cfg = GanConfig(n_features=F, n_genres=n_genres, music_dim=8, noise_dim=4, joint_dim=4, g_channels=(16, 16),
                    d_channels=(16, 16, 16), t_kernel=5, context=8, window=48, **kw)
    return GanSTGCN(cfg, REF)


def small_vq(F=12, n_genres=3, **kw):
    base = dict(n_features=F, n_genres=n_genres, width=32, code_dim=16, n_codes=32, d_model=32, n_heads=2,
                n_layers=1, ff=64, dropout=0.0, max_codes=12)
    base.update(kw)
    return VQVAETransformer(VQConfig(**base))


def _meta(F, genres=("waltz", "rumba", "cha-cha")):
    return dict(n_features=F, genres=list(genres), ref_lengths=REF.tolist(), feature_config={"fps": 25.0},
                feature_stats={}, body_scale=120.0, canvas=[1920, 1080], seed_pose=[0.0] * 36,
                neck_bounds=[-0.5, 0.5, -0.4, 0.4])


def _bundle(model, F):
    m = _meta(F)
    return BaselineBundle(model=model, feature_config=m["feature_config"], feature_stats={}, ref_lengths=REF,
                          body_scale=120.0, canvas=(1920, 1080), genres=m["genres"], seed_pose=np.zeros(36, np.float32),
                          neck_bounds=np.array(m["neck_bounds"], np.float32), info={"name": "test"})


# --------------------------------------------------------------------------------------------- graph
def test_skeleton_adjacency_is_the_normalised_bone_graph_with_self_loops():
    raw = skeleton_adjacency(normalize=False)
    expected = np.eye(18, dtype=np.float32)
    for p, c in BONES:
        expected[p, c] = expected[c, p] = 1
    np.testing.assert_array_equal(raw, expected)
    A = skeleton_adjacency()
    np.testing.assert_allclose(A, A.T)
    # D^-1/2 (A+I) D^-1/2: neck (degree 5 + 1) to RShoulder (degree 2 + 1)
    assert A[1, 2] == pytest.approx(1 / math.sqrt(6 * 3))
    assert A[1, 1] == pytest.approx(1 / 6)
    assert A[4, 9] == 0.0
    assert np.max(np.abs(np.linalg.eigvalsh(A))) == pytest.approx(1.0, abs=1e-5)
    parts = partitioned_adjacency()
    assert parts.shape == (3, 18, 18)
    np.testing.assert_allclose(parts.sum(0), A, atol=1e-7)
    assert parts[1, 1, 2] > 0 and parts[1, 2, 1] == 0      # neck feeds RShoulder as its parent
    assert parts[2, 2, 1] > 0                               # RShoulder feeds the neck as a child


# --------------------------------------------------------------------------------------------- GAN
def test_gan_generator_shapes_and_bones_never_exceed_reference():
    torch.manual_seed(0)
    m = small_gan().eval()
    with torch.no_grad():
        m.generator.head_w.mul_(300.0)          # wild raw outputs
        for T in (48, 37):
            y = m.generate_window(torch.randn(3, T, 12) * 3, torch.randn(3, 4), torch.tensor([0, 1, 2]))
            assert y.shape == (3, T, 36)
            lengths = bone_lengths(posecode.decode_torch(y, torch.from_numpy(REF)).numpy())
            assert lengths.shape == (3, T, 17)
            assert np.all(lengths <= REF * (1 + 1e-5))
            assert lengths.max() > 0.99 * REF.max()    # the raw outputs were pushed to the limit
        scores = m.discriminate(y, torch.randn(3, 37, 12), torch.tensor([0, 1, 2]))
    assert scores.shape == (3, 10)                     # ceil(37 / 4) temporal patches


def test_hinge_losses_have_the_right_values_and_gradient_signs():
    from dancegen.train.baselines import hinge_d_loss, hinge_g_loss

    assert float(hinge_d_loss(torch.full((4,), 2.0), [torch.full((4,), -2.0)], [1.0])) == 0.0   # separated
    assert float(hinge_d_loss(torch.zeros(4), [torch.zeros(4), torch.zeros(4)], [1.0, 0.5])) == pytest.approx(2.0)
    real = torch.zeros(4, requires_grad=True)
    fake = torch.zeros(4, requires_grad=True)
    hinge_d_loss(real, [fake], [1.0]).backward()
    assert torch.all(real.grad < 0) and torch.all(fake.grad > 0)   # D: raise real scores, lower fake ones
    fake_g = torch.zeros(4, requires_grad=True)
    hinge_g_loss(fake_g).backward()
    assert torch.all(fake_g.grad < 0)                              # G: raise D's score of its output


def _paired_toy(n, T, F, g):
    """Music whose feature 0 is a sine of random frequency and phase; the dancer's neck x follows it."""
    t = torch.arange(T, dtype=torch.float32)
    freq = 0.05 + 0.25 * torch.rand(n, 1, generator=g)
    phase = 2 * math.pi * torch.rand(n, 1, generator=g)
    s = torch.sin(2 * math.pi * freq * t + phase)                   # (n, T)
    feats = 0.1 * torch.randn(n, T, F, generator=g)
    feats[..., 0] = s
    poses = torch.zeros(n, T, 36)
    poses[..., 0] = 0.5 * s
    poses[..., 2:] = 0.5 * posecode.clamp_bones(torch.ones(36))[2:]
    return feats, poses


def test_discriminator_learns_to_tell_matched_from_shuffled_music():
    """A few hinge steps on (poses, music) pairs vs the same poses with another sample's music."""
    from dancegen.train.baselines import hinge_d_loss

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    m = small_gan(F=4, n_genres=1)
    D = m.discriminator
    opt = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
    genre = torch.zeros(16, dtype=torch.long)
    for _ in range(40):
        f, p = _paired_toy(16, 32, 4, g)
        loss = hinge_d_loss(m.discriminate(p, f, genre), [m.discriminate(p, f.roll(1, 0), genre)], [1.0])
        opt.zero_grad()
        loss.backward()
        opt.step()
    f, p = _paired_toy(64, 32, 4, g)
    with torch.no_grad():
        g64 = torch.zeros(64, dtype=torch.long)
        real = m.discriminate(p, f, g64).mean(1)
        shuffled = m.discriminate(p, f.roll(1, 0), g64).mean(1)
    assert float((real > shuffled).float().mean()) > 0.85
    assert float(real.mean() - shuffled.mean()) > 0.5


def test_gan_long_generation_is_deterministic_per_seed_and_continuous():
    torch.manual_seed(1)
    m = small_gan()
    feats = np.random.default_rng(0).normal(size=(1000, 12)).astype(np.float32)
    a = generate_params(m, feats, 1, seed=5)
    b = generate_params(m, feats, 1, seed=5)
    c = generate_params(m, feats, 1, seed=6)
    assert a.shape == (1000, 36) and a.dtype == np.float32 and np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 1e-3
    assert m.training                                   # generate leaves the mode as it found it
    lengths = bone_lengths(posecode.decode(a, 1.0, (0, 0), REF))
    assert np.all(lengths <= REF * (1 + 1e-5))
    # window seams: the cross-fade over the context frames makes them much smaller than hard cuts
    with torch.no_grad():
        m.generator.head_w.mul_(20.0)                  # an untrained generator moves very little
    seam_jump = {}
    for ov in (8, 0):
        x = m.generate(feats, 1, seed=5, overlap=ov)
        step = np.abs(np.diff(x, axis=0)).mean(1)
        seams = np.arange(48, 1000, 48 - ov) - 1        # step from the last old to the first new frame
        seam_jump[ov] = step[seams].mean()
        inside = np.delete(step, seams).mean()
    assert seam_jump[0] > 3 * inside                    # hard cuts between independent windows jump
    assert seam_jump[8] < 0.5 * seam_jump[0]


# --------------------------------------------------------------------------------------------- VQ-VAE
def _sine_motion(n, T, g):
    """Smooth periodic dance-like motion in valid parameters: every bone swings around a rest
    direction with its own phase, the neck sways."""
    t = torch.arange(T, dtype=torch.float32)[None, :, None]
    period = 16 + 16 * torch.rand(n, 1, 1, generator=g)
    phase = 2 * math.pi * torch.rand(n, 1, 1, generator=g)
    k = torch.arange(17, dtype=torch.float32)[None, None]
    ang = 0.8 * torch.sin(2 * math.pi * t / period + phase + 0.5 * k) + 0.4 * k
    bones = 0.8 * torch.stack([torch.cos(ang), torch.sin(ang)], -1).reshape(n, T, 34)
    neck = 0.3 * torch.sin(2 * math.pi * t / period + phase).expand(n, T, 2)
    return torch.cat([neck, bones], -1)


def test_vqvae_learns_to_reconstruct_a_sine_motion_and_uses_many_codes():
    from dancegen.train.baselines import recon_losses

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    m = small_vq()
    vq = m.vqvae
    ref = torch.from_numpy(REF)
    opt = torch.optim.Adam(vq.parameters(), lr=2e-3)
    test = _sine_motion(16, 64, g)
    with torch.no_grad():
        vq.eval()
        first = float(recon_losses(vq(test)[0], test, ref)["pos"])   # before any training (codebook random)
        vq.train()
    for _ in range(150):
        x = _sine_motion(16, 64, g)
        recon, codes, commit = vq(x)
        loss = recon_losses(recon, x, ref)["loss"] + 0.25 * commit
        opt.zero_grad()
        loss.backward()
        opt.step()
    vq.eval()
    with torch.no_grad():
        recon, codes, _ = vq(test)
        last = float(recon_losses(recon, test, ref)["pos"])
    assert codes.shape == (16, 16)
    assert last < first / 5, (first, last)
    assert last < 0.1                                     # body units: well under a tenth of the torso
    assert codes.unique().numel() > 4                     # codebook usage: many codes, no collapse
    # the decoder of the codes alone gives the same reconstruction (what generation does)
    torch.testing.assert_close(vq.decode(codes), recon)


def test_transformer_predicts_a_deterministic_code_sequence_from_the_music():
    """Toy: every code-rate block of music holds one of 6 one-hot classes; the code is 5*class+1.
    After training, greedy decoding (top_k=1) recovers it, also past the training window."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    m = small_vq(F=6, n_codes=32, max_codes=12)
    gpt = m.gpt
    opt = torch.optim.Adam(gpt.parameters(), lr=3e-3)

    def toy(n, N):
        cls = torch.randint(0, 6, (n, N), generator=g)
        feats = Fn.one_hot(cls, 6).float().repeat_interleave(4, dim=1)      # (n, 4N, 6)
        return feats, 5 * cls + 1

    genre = torch.zeros(32, dtype=torch.long)
    for _ in range(120):
        f, codes = toy(32, 12)
        loss, acc = gpt.loss(f, codes, genre)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(acc) > 0.95
    f, codes = toy(1, 40)                                 # 40 codes > max_codes: sliding window
    m.eval()
    pred = m.sample_codes(f[0].numpy(), 0, seed=0, top_k=1)
    assert pred.shape == (40,)
    assert float((pred == codes[0]).float().mean()) > 0.95


Fn = torch.nn.functional


def test_vq_long_generation_is_deterministic_per_seed():
    torch.manual_seed(2)
    m = small_vq().eval()
    feats = np.random.default_rng(1).normal(size=(1001, 12)).astype(np.float32)   # not a multiple of 4
    a = generate_params(m, feats, 2, seed=11)
    b = generate_params(m, feats, 2, seed=11)
    c = generate_params(m, feats, 2, seed=12)
    assert a.shape == (1001, 36) and a.dtype == np.float32 and np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 1e-4
    lengths = bone_lengths(posecode.decode(a, 1.0, (0, 0), REF))
    assert np.all(lengths <= REF * (1 + 1e-5))
    ca = m.sample_codes(feats, 2, seed=11)
    assert ca.shape == (251,) and 0 <= int(ca.min()) and int(ca.max()) < 32
    with pytest.raises(ValueError):
        m.sample_codes(feats, 2, seed=0, temperature=0.0)


# --------------------------------------------------------------------------------------------- files
@pytest.mark.parametrize("kind", ["gan-stgcn", "vqvae-transformer"])
def test_model_file_roundtrip_and_errors(kind, tmp_path):
    torch.manual_seed(3)
    model = small_gan() if kind == "gan-stgcn" else small_vq()
    bundle = _bundle(model, 12)
    path = bundle.save(tmp_path / "model.safetensors", half=False)
    file_kind, sd, meta = read_model(path)
    assert file_kind == kind and meta["genres"] == bundle.genres
    assert not any(k.startswith("discriminator.") for k in sd)
    back = load_baseline(path)
    assert back.kind == kind and back.fps == 25.0
    assert_same_fields(bundle, back, BundleMeta)              # every metadata field, by value and dtype
    feats = np.random.default_rng(0).normal(size=(130, 12)).astype(np.float32)
    np.testing.assert_array_equal(generate_params(back, feats, 0, seed=1), generate_params(model, feats, 0, seed=1))
    half = load_baseline(bundle.save(tmp_path / "half.safetensors"))
    assert (tmp_path / "half.safetensors").stat().st_size < 0.7 * path.stat().st_size
    np.testing.assert_allclose(generate_params(half, feats, 0, seed=1), generate_params(back, feats, 0, seed=1), atol=0.05)
    # errors a user can cause
    with pytest.raises(ModelError, match="not found"):
        load_baseline(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a model file"):
        load_baseline(tmp_path / "junk.safetensors")
    save_model(tmp_path / "s2s.safetensors", "seq2seq2d", {}, {})
    with pytest.raises(ModelError, match="not a dancegen baseline model"):
        load_baseline(tmp_path / "s2s.safetensors")
    with pytest.raises(ModelError, match="expects 12 music features"):
        generate_params(back, feats[:, :10], 0)
    with pytest.raises(ConfigError, match="genre index 7"):
        generate_params(back, feats, 7)


def test_run_baseline_bounds_the_neck_and_runs_the_hgr_corrector():
    from dancegen.model.generate import GenerateOptions, make_corrector

    torch.manual_seed(4)
    bundle = _bundle(small_gan(), 12)
    with torch.no_grad():
        bundle.model.generator.head_b[1].fill_(5.0)       # push the neck far off the training range
    feats = np.random.default_rng(2).normal(size=(200, 12)).astype(np.float32)
    opts = GenerateOptions(seed=3, progress=False)
    raw = generate_params(bundle, feats, 0, seed=3)
    assert raw[:, 0].max() > 1.0
    out = run_baseline(bundle, feats, 0, opts)
    assert out.shape == (200, 36)
    assert out[:, 0].max() <= np.float32(0.5) and out[:, 1].max() <= np.float32(0.4)
    corr = make_corrector(bundle, 25.0)
    fixed = run_baseline(bundle, feats, 0, opts, corr)
    assert fixed.shape == (200, 36) and np.all(np.isfinite(fixed))
    assert np.all(bone_lengths(posecode.decode(fixed, 1.0, (0, 0), REF)) <= REF * (1 + 1e-3))


# --------------------------------------------------------------------------------------------- training
class _Windows(torch.utils.data.Dataset):
    """Items shaped like :class:`dancegen.train.system.PoseWindows` (toy sine motions)."""

    def __init__(self, n, T, F, seed):
        g = torch.Generator().manual_seed(seed)
        self.f = torch.randn(n, T, F, generator=g)
        self.p = _sine_motion(n, T, g)
        self.g = torch.randint(0, 3, (n,), generator=g)

    def __len__(self):
        return len(self.f)

    def __getitem__(self, i):
        return {"features": self.f[i], "poses": self.p[i], "genre": self.g[i]}


@pytest.mark.parametrize("kind", ["gan-stgcn", "vqvae-transformer"])
def test_training_system_runs_under_the_trainer_resumes_and_exports(kind, tmp_path):
    from dancegen.train.baselines import build_system, export_baseline, make_trainer
    from dancegen.train.config import TrainConfig
    from dancegen.train.system import DanceDataModule

    F = 12
    small = ({"music_dim": 8, "noise_dim": 4, "g_channels": [16, 16], "d_channels": [16, 16, 16], "t_kernel": 5}
             if kind == "gan-stgcn" else {"width": 32, "code_dim": 16, "n_codes": 32, "d_model": 32, "n_heads": 2,
                                         "n_layers": 1, "ff": 64})
    cfg = TrainConfig(out=str(tmp_path), window=32, batch_size=4, max_epochs=2, ckpt_every_steps=0,
                      extra={"baseline": {"model": small, "stage1_epochs": 1}})
    meta = _meta(F)
    system = build_system(kind, meta, cfg)
    before = {k: v.detach().clone() for k, v in system.model.state_dict().items()}
    dm = DanceDataModule(_Windows(8, 33, F, 0), _Windows(4, 33, F, 1), 4, 0, 0)
    trainer = make_trainer(kind, cfg, tmp_path, progress=False)
    trainer.fit(system, datamodule=dm)
    after = system.model.state_dict()
    changed = {k.split(".")[0] + "." + k.split(".")[1] for k in before
               if before[k].is_floating_point() and not torch.equal(before[k], after[k])}
    if kind == "gan-stgcn":
        assert {"generator.b1", "discriminator.blocks"} <= changed      # both players moved
    else:
        assert {"vqvae.encoder", "vqvae.decoder", "vqvae.quantizer", "gpt.dec"} <= changed   # both stages ran
        assert system.stage == 2
    assert "val/loss" in trainer.callback_metrics and np.isfinite(float(trainer.callback_metrics["val/loss"]))
    assert (tmp_path / "last.ckpt").exists()
    # resume from the atomic checkpoint for one more epoch
    cfg3 = TrainConfig(**{**cfg.to_dict(), "max_epochs": 3})
    system2 = build_system(kind, meta, cfg3)
    t2 = make_trainer(kind, cfg3, tmp_path, progress=False)
    t2.fit(system2, datamodule=dm, ckpt_path=str(tmp_path / "last.ckpt"), weights_only=True)
    assert t2.current_epoch == 3
    path = export_baseline(system2, meta, tmp_path / "model.safetensors", {"name": kind})
    feats = np.random.default_rng(0).normal(size=(300, F)).astype(np.float32)
    params = generate_params(load_baseline(path), feats, 1, seed=0)
    assert params.shape == (300, 36) and np.all(np.isfinite(params))


def test_unknown_baseline_settings_are_config_errors():
    from dancegen.train.baselines import build_system
    from dancegen.train.config import TrainConfig

    with pytest.raises(ConfigError, match="wrong_key"):
        build_system("gan-stgcn", _meta(12), TrainConfig(extra={"baseline": {"wrong_key": 1}}))
    with pytest.raises(ConfigError, match="n_layer"):
        build_system("vqvae-transformer", _meta(12), TrainConfig(extra={"baseline": {"model": {"n_layer": 2}}}))
    with pytest.raises(ConfigError, match="model kind"):
        build_system("diffusion", _meta(12), TrainConfig())


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gan-stgcn", "vqvae-transformer"])
def test_train_baseline_on_dance_with_melody(kind, dwm_dir, tmp_path):
    """The same data path as ``dancegen train``: prepare_data on one real clip, a tiny run, the
    exported model file carries the dataset's metadata and generates from its features."""
    import json

    from dancegen.train.baselines import train_baseline
    from dancegen.train.config import TrainConfig
    from dancegen.train.run import prepare_data

    cfg = TrainConfig(data=str(dwm_dir), out=str(tmp_path / "run"), window=120, stride=400, batch_size=4,
                      max_epochs=1 if kind == "gan-stgcn" else 2, limit_train_clips=1, augment_yaw=0.0,
                      ckpt_every_steps=0,
                      extra={"baseline": {"stage1_epochs": 1, "threads": 1}})
    path = train_baseline(kind, cfg, progress=False)
    assert path == tmp_path / "run" / "model.safetensors"
    info = json.loads((tmp_path / "run" / "train_info.json").read_text())
    assert info["kind"] == kind and info["epochs"] == cfg.max_epochs and info["global_step"] > 0
    tr, _, meta = prepare_data(cfg, progress=False)
    b = load_baseline(path)
    assert b.kind == kind and b.genres == meta["genres"] and b.model.cfg.n_features == meta["n_features"]
    np.testing.assert_allclose(b.ref_lengths, meta["ref_lengths"], rtol=1e-6)
    feats = np.concatenate([tr[i]["features"].numpy() for i in range(min(3, len(tr)))])
    params = generate_params(b, feats, int(tr[0]["genre"]), seed=0)
    assert params.shape == (len(feats), 36) and np.all(np.isfinite(params))
    kp = posecode.decode(params, b.body_scale, (b.canvas[0] / 2, b.canvas[1] / 2), b.ref_lengths)
    assert np.all(bone_lengths(kp) <= b.ref_lengths * b.body_scale * (1 + 1e-4))
