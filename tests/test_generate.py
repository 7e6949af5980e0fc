"""Generation: frame counts, canvas, bone lengths, options and errors (a tiny untrained model built
here, so these run without the bundled weights; the bundled model is exercised in
test_default_model.py)."""

import numpy as np
import pytest
import soundfile as sf
import torch

from dancegen.audio.features import FeatureConfig
from dancegen.cli import main
from dancegen.dance import Dance
from dancegen.model import posecode
from dancegen.model.bundle import BundleMeta, ModelBundle
from dancegen.model.generate import GenerateOptions, auto_genre, generate_dance, keep_on_canvas
from dancegen.model.seq2seq import ModelConfig, Seq2SeqDance
from dancegen.skeleton import bone_lengths
from roundtrip import assert_same_fields

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny() -> ModelBundle:
    torch.manual_seed(0)
    fc = FeatureConfig(fps=25.0)
    F = fc.dim
    model = Seq2SeqDance(ModelConfig(n_features=F, enc_hidden=8, dec_hidden=16, dec_layers=1, attn_dim=8, n_genres=4))
    ref = np.full(17, 0.6, np.float32)
    b = ModelBundle(model=model.eval(), feature_config=fc.to_dict(),
                    feature_stats={"mean": [0.0] * F, "std": [1.0] * F, "names": fc.names()},
                    ref_lengths=ref, body_scale=180.0, canvas=(1920, 1080),
                    genres=["cha-cha", "rumba", "tango", "waltz"], seed_pose=np.zeros(36, np.float32),
                    seed_poses=posecode.clamp_bones(torch.randn(8, 36)).numpy())
    return b


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory, tiny):
    path = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    tiny.save(path)
    return path


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    sr = 22050
    t = np.arange(int(12.3 * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 220 * t) * (np.mod(t, 0.5) < 0.05)  # 120 BPM tone bursts
    p = tmp_path_factory.mktemp("song") / "song.wav"
    sf.write(p, y.astype(np.float32), sr)
    return p


def test_bundle_roundtrip(tiny_bundle, tiny):
    b = ModelBundle.load(tiny_bundle)
    assert b.fps == 25.0 and b.genres[0] == "cha-cha" and b.ref_lengths.shape == (17,)
    assert_same_fields(tiny, b, BundleMeta)                 # every metadata field, by value and dtype


@pytest.mark.parametrize("fps,duration", [(25.0, 4.0), (30.0, 3.33), (29.97, 5.0), (60.0, 1.01)])
def test_frame_count_is_round_duration_times_fps(tiny_bundle, song, fps, duration):
    d = generate_dance(song, ModelBundle.load(tiny_bundle),
                       GenerateOptions(duration=duration, fps=fps, progress=False))
    assert d.n_frames == round(duration * fps)
    assert d.fps == fps and np.isfinite(d.keypoints).all()


def test_whole_song_danced_on_canvas_with_bones_never_longer_than_reference(tiny_bundle, song):
    b = ModelBundle.load(tiny_bundle)
    d = generate_dance(song, b, GenerateOptions(progress=False, start=1.0))
    assert d.n_frames == round((12.3 - 1.0) * 25)
    assert d.offset == 1.0
    kp = d.keypoints
    assert kp[..., 0].min() >= 0 and kp[..., 0].max() <= 1920 and kp[..., 1].min() >= 0 and kp[..., 1].max() <= 1080
    ratio = bone_lengths(kp) / (b.ref_lengths * b.body_scale)
    assert ratio.max() <= 1.05


def test_seed_changes_the_dance_and_is_reproducible(tiny_bundle, song):
    b = ModelBundle.load(tiny_bundle)
    run = lambda s: generate_dance(song, b, GenerateOptions(duration=3, seed=s, progress=False)).keypoints
    np.testing.assert_array_equal(run(1), run(1))
    assert np.abs(run(1) - run(2)).max() > 1.0


def test_auto_genre_by_tempo():
    g = ["cha-cha", "rumba", "tango", "waltz"]
    assert auto_genre(90, g) == "waltz" and auto_genre(180, g) == "waltz"  # 180 folds to 90
    assert auto_genre(124, g) == "cha-cha" and auto_genre(105, g) == "rumba" and auto_genre(0, g) == "cha-cha"


def test_keep_on_canvas_shifts_a_pose_back_inside():
    kp = np.zeros((5, 18, 2), np.float32) + [100, 500]
    kp[:, 0, 0] = -50  # one joint off the left edge
    out = keep_on_canvas(kp, (1920, 1080))
    assert out[..., 0].min() >= 0
    np.testing.assert_allclose(np.diff(out[:, :, 0], axis=1), np.diff(kp[:, :, 0], axis=1), atol=1e-4)  # rigid shift


def test_cli_generate_writes_npz_and_mp4_and_refuses_to_overwrite(tiny_bundle, song, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["generate", str(song), "-o", str(out), "--model", str(tiny_bundle), "--duration", "2",
                 "--quiet"]) == 0
    d = np.load(out / "dance.npz")
    assert d["keypoints"].shape == (50, 18, 2) and d["keypoints"].dtype == np.float32
    assert float(d["fps"]) == 25.0 and list(d["canvas"]) == [1920, 1080] and len(d["joint_names"]) == 18
    assert str(d["music"]).endswith("song.wav") and float(d["offset"]) == 0.0
    assert (out / "dance.mp4").stat().st_size > 1000
    capsys.readouterr()
    assert main(["generate", str(song), "-o", str(out), "--model", str(tiny_bundle), "--duration", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0]


@pytest.mark.parametrize("args,needle", [
    (["--duration", "-1"], "--duration"),
    (["--start", "100"], "--start"),
    (["--genre", "polka"], "polka"),
    (["--fps", "0.5"], "--fps"),
])
def test_cli_generate_bad_options_give_one_line_errors(tiny_bundle, song, tmp_path, capsys, args, needle):
    rc = main(["generate", str(song), "-o", str(tmp_path / "x"), "--model", str(tiny_bundle), "--no-video",
               "--quiet", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and needle in err[0]


def test_cli_generate_bad_model_and_bad_music(tmp_path, song, capsys):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a model")
    assert main(["generate", str(song), "-o", str(tmp_path / "x"), "--model", str(junk)]) == 2
    assert "junk.safetensors" in capsys.readouterr().err
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(np.random.default_rng(0).bytes(5000))
    assert main(["generate", str(bad), "-o", str(tmp_path / "y"), "--no-video"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.mp3" in err[0]


def test_python_api_returns_a_dance(tiny_bundle, song, tmp_path):
    import dancegen

    d = dancegen.generate(str(song), model=tiny_bundle, duration=2.0, out_dir=tmp_path)
    assert isinstance(d, Dance) and d.n_frames == 50
    assert Dance.load(tmp_path / "dance.npz").n_frames == 50


def test_every_generated_pose_goes_through_the_feedback_before_it_is_fed_back(tiny_bundle):
    """The closed loop: the corrector sees each new pose, and what it returns is both the output
    and the next step's input (a corrector that pins the pose makes the whole dance that pose)."""
    from dancegen.model.generate import run_decoder

    b = ModelBundle.load(tiny_bundle)
    feats = np.random.default_rng(0).normal(size=(40, b.model.cfg.n_features)).astype(np.float32)
    pinned = posecode.clamp_bones(torch.randn(1, 36)).numpy()[0]
    seen = []

    def corrector(p):
        seen.append(p.copy())
        return pinned

    out = run_decoder(b, feats, 0, GenerateOptions(progress=False, noise=0.0), corrector)
    assert len(seen) == 40
    np.testing.assert_allclose(out, np.repeat(pinned[None], 40, axis=0))
    # the decoder's raw poses differ from step to step: its input was the pinned pose, not its own
    free = run_decoder(b, feats, 0, GenerateOptions(progress=False, noise=0.0), None)
    assert not np.allclose(np.stack(seen)[1:], free[1:], atol=1e-4)


def test_the_song_is_decoded_once_per_generation(tiny_bundle, song, monkeypatch):
    """Duration (from the header), features, beats and tempo come from one decode of the window."""
    import dancegen.audio.io as aio

    reads = []
    real = aio._read_mono
    monkeypatch.setattr(aio, "_read_mono", lambda *a, **k: reads.append(1) or real(*a, **k))
    d = generate_dance(song, ModelBundle.load(tiny_bundle), GenerateOptions(duration=3, progress=False))
    assert len(reads) == 1 and "beat_lock" in d.meta and d.meta["tempo"] > 0
