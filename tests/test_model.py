"""The Seq2Seq generator's modules and pose parameterisation (fast, no data)."""
import numpy as np
import pytest
import torch

from dancegen.model import posecode
from dancegen.model.seq2seq import ModelConfig, Seq2SeqDance
from dancegen.skeleton import BONES, bone_lengths

torch.set_num_threads(1)


def _pose(rng, T=5):
    base = np.array([[960, 300], [960, 360], [900, 360], [880, 450], [870, 530], [1020, 360], [1040, 450],
                     [1050, 530], [920, 560], [915, 700], [910, 840], [1000, 560], [1005, 700], [1010, 840],
                     [950, 290], [970, 290], [935, 300], [985, 300]], np.float32)
    return base[None] + rng.normal(0, 5, (T, 18, 2)).astype(np.float32)


def test_encode_decode_roundtrip_is_exact_for_unclipped_bones():
    rng = np.random.default_rng(0)
    kp = _pose(rng)
    ref = bone_lengths(kp).max(0) / 100.0 * 1.2  # every bone shorter than its reference
    p = posecode.encode(kp, 100.0, (960, 540), ref)
    back = posecode.decode(p, 100.0, (960, 540), ref)
    np.testing.assert_allclose(back, kp, atol=1e-3)


def test_decoded_bones_never_exceed_reference_length():
    torch.manual_seed(0)
    ref = torch.rand(len(BONES)) + 0.3
    raw = torch.randn(1000, posecode.POSE_DIM) * 5  # wild network outputs
    joints = posecode.decode_torch(posecode.clamp_bones(raw), ref)
    lengths = bone_lengths(joints.numpy())
    assert lengths.shape == (1000, len(BONES))
    assert np.all(lengths <= ref.numpy() * (1 + 1e-5))  # float32 rounding of positions
    # and they can be foreshortened (shorter) freely
    assert lengths.min() < 0.5 * ref.numpy().max()


def test_stretched_targets_are_clipped_to_reference():
    rng = np.random.default_rng(1)
    kp = _pose(rng, 1)
    ref = bone_lengths(kp)[0] / 100.0 / 1.1  # data bones 10% longer than reference
    back = posecode.decode(posecode.encode(kp, 100.0, (0, 0), ref), 100.0, (0, 0), ref)
    np.testing.assert_allclose(bone_lengths(back)[0], ref * 100 * 0.999, rtol=1e-4)


def test_unclamp_inverts_clamp():
    raw = torch.randn(10, posecode.POSE_DIM)
    again = posecode.clamp_bones(posecode.unclamp_bones(posecode.clamp_bones(raw)))
    torch.testing.assert_close(again, posecode.clamp_bones(raw), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("attention", ["additive", "general", "dot", "none"])
def test_forward_and_step_agree(attention):
    """Teacher-forced forward() and the step-by-step generation path compute the same thing."""
    torch.manual_seed(0)
    cfg = ModelConfig(n_features=12, enc_hidden=16, dec_hidden=32, attn_dim=16, window=3, attention=attention,
                      dropout=0.0)
    m = Seq2SeqDance(cfg).eval()
    feats = torch.randn(2, 9, 12)
    poses = posecode.clamp_bones(torch.randn(2, 9, posecode.POSE_DIM))
    genre = torch.tensor([0, 2])
    with torch.no_grad():
        full = m(feats, poses, genre, sampling_p=0.0)
        mem = m.encode(feats)
        state, ge = m.start(mem, poses[:, 0], genre)
        outs = []
        for t in range(1, 9):
            pred, state, alpha = m.step(mem, t, poses[:, t - 1], state, ge)
            outs.append(pred)
            if attention != "none":
                assert alpha.shape == (2, 7)
                torch.testing.assert_close(alpha.sum(-1), torch.ones(2))
    assert full.shape == (2, 8, posecode.POSE_DIM)
    torch.testing.assert_close(full, torch.stack(outs, 1), atol=1e-5, rtol=1e-5)


def test_attention_is_local_and_masked_at_the_edges():
    torch.manual_seed(0)
    cfg = ModelConfig(n_features=4, enc_hidden=8, dec_hidden=16, attn_dim=8, window=2)
    m = Seq2SeqDance(cfg).eval()
    mem = m.encode(torch.randn(1, 6, 4))
    _, alpha = m.context(mem, 0, torch.randn(1, 16))  # window covers frames -2..2
    assert torch.all(alpha[0, :2] < 1e-6) and abs(float(alpha.sum()) - 1) < 1e-5


def test_scheduled_sampling_changes_inputs_only_when_asked():
    torch.manual_seed(0)
    m = Seq2SeqDance(ModelConfig(n_features=4, enc_hidden=8, dec_hidden=16, attn_dim=8, window=2, dropout=0.0))
    f, p, g = torch.randn(3, 10, 4), posecode.clamp_bones(torch.randn(3, 10, 36)), torch.zeros(3, dtype=torch.long)
    a = m(f, p, g, 0.0)
    b = m(f, p, g, 0.0)
    c = m(f, p, g, 1.0)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a[:, 2:], c[:, 2:])
    torch.testing.assert_close(a[:, 0], c[:, 0])  # the first prediction only sees the seed
