"""The comparison models on the 3D pose vector (gan-stgcn3d, vqvae-transformer3d): the graph view of
a pose vector, and (real data, ../shared) a short training run of each kind that writes a model file
which loads back whole, generates through the 3D path (bones at reference length, same seed same
dance, another seed another dance), resumes bit-identically, and is refused by the 2D loaders (as a
2D comparison model file is by the 3D one)."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from dancegen import body3d as b3
from dancegen.cli import main
from dancegen.dance import Dance
from dancegen.errors import ConfigError, ModelError
from dancegen.model import motion3d
from dancegen.model.baselines import BaselineBundle, load_baseline
from dancegen.model.baselines.bundle3d import Baseline3DBundle, Meta3D
from dancegen.model.baselines.models3d import GAN3D, GRAPH_INDEX, KINDS3D, VQ3D, from_graph, to_graph
from dancegen.model.baselines.stgcn_gan import GanConfig, GanSTGCN, partitioned_adjacency, skeleton_adjacency
from dancegen.model.bundle3d import Model3DBundle
from dancegen.model.format import load_any, read_kind
from dancegen.model.generate3d import Generate3DOptions, generate_dance3d, load_generator
from dancegen.train.baselines3d import Baseline3DConfig, train
from roundtrip import assert_same_fields

torch.set_num_threads(1)
CONFIGS = Path(__file__).resolve().parents[1] / "configs"

#: small networks: the tests check the plumbing, not what a trained model learns
TINY = {GAN3D: dict(music_dim=8, noise_dim=4, joint_dim=4, g_channels=[16, 16], d_channels=[16, 16, 16], t_kernel=5,
                    context=8),
        VQ3D: dict(width=16, code_dim=8, n_codes=16, d_model=16, n_heads=2, n_layers=1, ff=32, dropout=0.0)}


# ------------------------------------------------------------------------------ graph view (fast)
def test_graph_view_puts_each_bone_on_its_child_joint_and_the_root_on_midhip():
    x = torch.randn(3, 7, motion3d.DIM, dtype=torch.float64)
    g = to_graph(x)
    assert g.shape == (3, 7, b3.J3, 6)
    assert torch.equal(from_graph(g), x)
    dirs = x[..., motion3d.SL_DIRS].unflatten(-1, (b3.NB3, 3))
    for b, (_, child) in enumerate(b3.BONES3D):
        assert torch.equal(g[..., child, :3], dirs[..., b, :]) and not g[..., child, 3:].any()
    root = [motion3d.SL_ROOT_Y, 1, 2, motion3d.SL_DYAW, 52, 53]     # height, floor displacement, turn, contacts
    assert torch.equal(g[..., 0, :], x[..., root])
    assert sorted(GRAPH_INDEX[GRAPH_INDEX < motion3d.DIM].tolist()) == list(range(motion3d.DIM))   # each column once


def test_3d_graph_partition_sums_to_the_normalised_body_graph():
    A = skeleton_adjacency(bones=b3.BONES3D, n_joints=b3.J3)
    parts = partitioned_adjacency(b3.BONES3D, b3.J3)
    assert parts.shape == (3, 17, 17)
    np.testing.assert_allclose(parts.sum(0), A, atol=1e-7)
    assert np.max(np.abs(np.linalg.eigvalsh(A))) == pytest.approx(1.0, abs=1e-5)
    neck, head = b3.JOINT3D_INDEX["Neck"], b3.JOINT3D_INDEX["Head"]
    assert parts[1, 0, neck] > 0 and parts[1, neck, 0] == 0     # MidHip feeds the neck as its parent
    assert parts[2, head, neck] > 0                             # the head feeds the neck as a child


def test_config_needs_a_step_budget_and_a_3d_comparison_kind(tmp_path):
    with pytest.raises(ConfigError, match="max_steps"):
        Baseline3DConfig(out=str(tmp_path)).validate()
    with pytest.raises(ConfigError, match="model_kind"):
        Baseline3DConfig(out=str(tmp_path), max_steps=5, model_kind="gan-stgcn").validate()
    with pytest.raises(ConfigError, match="stage1_steps"):
        Baseline3DConfig(out=str(tmp_path), max_steps=5, model_kind=VQ3D, stage1_steps=5).validate()
    for name in ("gan3d", "vq3d"):
        cfg = Baseline3DConfig.from_json(CONFIGS / f"{name}.json")
        cfg.validate()
        assert cfg.model_kind in KINDS3D and cfg.max_steps > 0 and cfg.threads == 1


# ------------------------------------------------------------------------------ real data
def _cfg(dwm_dir, out, kind, steps, stop=0):
    return Baseline3DConfig(model_kind=kind, data=str(dwm_dir), motion_only=None, out=str(out), limit_takes=2,
                            window=24, stride=24, batch_size=4, max_steps=steps, ckpt_every=2, log_every=2,
                            threads=1, stop_at_step=stop, model=TINY[kind])


@pytest.fixture(scope="module", params=KINDS3D)
def trained(request, dwm_dir, tmp_path_factory):
    """``(kind, model file, the bundle the trainer saved)`` after a 4-step run."""
    saved = []
    real_save = Baseline3DBundle.save_pretrained

    def spy(self, path, half=True):
        saved.append(self)
        return real_save(self, path, half=half)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Baseline3DBundle, "save_pretrained", spy)
        path = train(_cfg(dwm_dir, tmp_path_factory.mktemp(request.param), request.param, 4), progress=False)
    return request.param, path, saved[0]


@pytest.mark.realdata
@pytest.mark.slow
def test_short_run_writes_a_model_file_that_loads_back_whole(trained, tmp_path):
    kind, path, written = trained
    assert read_kind(path) == kind
    b = load_any(path)
    assert isinstance(b, Baseline3DBundle) and b.kind == kind and b.is_3d
    assert_same_fields(written, b, Meta3D)                      # every metadata field, by value and dtype
    assert b.info["steps"] == 4 and len(b.train_takes) == 2 and b.genres
    assert b.ref_lengths.shape == (b3.NB3,) and b.pose_mean.shape == b.pose_std.shape == (motion3d.DIM,)
    assert b.model.cfg.pose_dim == motion3d.DIM
    sd = b.model.state_dict()
    for k, v in written.state_dict_to_save().items():           # float16 in the file
        torch.testing.assert_close(sd[k], v.half().float() if v.is_floating_point() else v, rtol=0, atol=0)
    if kind == GAN3D:
        assert not any(k.startswith("discriminator.") for k in written.state_dict_to_save())
    again = Baseline3DBundle.from_pretrained(b.save_pretrained(tmp_path / "again.safetensors"))
    assert_same_fields(b, again, Meta3D)


@pytest.mark.realdata
@pytest.mark.slow
def test_generates_a_3d_dance_on_the_reference_skeleton_deterministically(trained, dwm_dir):
    kind, path, _ = trained
    b = load_generator(path)
    song = dwm_dir / b.train_takes[0] / "audio.mp3"

    def dance(seed, **kw):
        return generate_dance3d(song, b, Generate3DOptions(start=30, duration=3, seed=seed, progress=False, **kw))

    d1, d2, d3 = dance(1), dance(1), dance(2)
    assert d1.joints3d.shape == (75, 17, 3) and d1.keypoints.shape == (75, 18, 2)
    assert np.abs(b3.bone_lengths(d1.joints3d) / b.ref_lengths - 1).max() < 0.01
    np.testing.assert_array_equal(d1.joints3d, d2.joints3d)
    np.testing.assert_array_equal(d1.keypoints, d2.keypoints)
    assert np.abs(d1.joints3d - d3.joints3d).max() > 1e-3
    assert d1.meta["hgr3d"]["frames"] == 75 and "beat_lock" in d1.meta and d1.meta["model"] == b.info["name"]
    off = dance(1, feedback=False)
    assert off.meta["hgr3d"] == {} and np.abs(b3.bone_lengths(off.joints3d) / b.ref_lengths - 1).max() < 0.01


@pytest.mark.realdata
@pytest.mark.slow
def test_generate_command_takes_the_model_file(trained, dwm_dir, tmp_path):
    kind, path, _ = trained
    song = dwm_dir / load_any(path).train_takes[0] / "audio.mp3"
    out = tmp_path / "out"
    assert main(["generate", str(song), "--model", str(path), "-o", str(out), "--start", "30", "--duration", "2",
                 "--no-video", "-q"]) == 0
    d = Dance.load(out / "dance.npz")
    assert d.joints3d.shape == (50, 17, 3) and d.meta["model"] == load_any(path).info["name"]


@pytest.mark.realdata
@pytest.mark.slow
def test_3d_and_2d_comparison_model_files_are_refused_by_the_other_loader(trained, tmp_path):
    _, path, _ = trained
    with pytest.raises(ModelError, match="not a dancegen baseline model"):
        load_baseline(path)
    with pytest.raises(ModelError, match="not a 3D generator"):
        Model3DBundle.from_pretrained(path)
    cfg = GanConfig(n_features=12, n_genres=2, music_dim=8, noise_dim=4, joint_dim=4, g_channels=(16, 16),
                    d_channels=(16, 16, 16), t_kernel=5, context=8, window=48)
    ref = np.full(17, 0.5, np.float32)
    b2d = BaselineBundle(model=GanSTGCN(cfg, ref), feature_config={"fps": 25.0}, feature_stats={}, ref_lengths=ref,
                         body_scale=120.0, canvas=(1920, 1080), genres=["waltz", "rumba"],
                         seed_pose=np.zeros(36, np.float32))
    p2d = b2d.save(tmp_path / "gan2d.safetensors")
    assert isinstance(load_any(p2d), BaselineBundle)
    with pytest.raises(ModelError, match="not a 3D comparison model"):
        Baseline3DBundle.from_pretrained(p2d)


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS3D)
def test_resumed_run_equals_uninterrupted_run(kind, dwm_dir, tmp_path):
    through = train(_cfg(dwm_dir, tmp_path / "a", kind, 6), progress=False)
    assert train(_cfg(dwm_dir, tmp_path / "b", kind, 6, stop=3), progress=False) is None    # "killed" after step 3
    saved = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert json.loads(saved["state"])["step"] == 3
    resumed = train(_cfg(dwm_dir, tmp_path / "b", kind, 6), progress=False)
    assert Baseline3DBundle.from_pretrained(resumed).info["steps"] == 6
    a, b = (torch.load(p.parent / "last.pt", weights_only=True) for p in (through, resumed))
    assert a.keys() == b.keys()
    for part in a:        # every weight (float32, the discriminator's too), buffer and optimiser state
        if part != "state":
            torch.testing.assert_close(a[part], b[part], rtol=0, atol=0)
