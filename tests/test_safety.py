"""Files from strangers: no reader runs code or unpacks without bounds, and ffmpeg never gets a URL.

Each crafted file carries a payload whose ``__reduce__`` would create a marker file when unpickled;
every test shows first that the payload is live (an unsafe ``pickle.load`` creates the marker),
then that dancegen refuses the file with the named error and the marker stays absent."""
from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import torch

from dancegen.dance import Dance
from dancegen.errors import AudioError, DataError, ModelError, PoseError
from dancegen.model import format as F
from dancegen.model.bundle import BundleMeta, ModelBundle
from dancegen.model.seq2seq import ModelConfig, Seq2SeqDance

REPO = Path(__file__).resolve().parents[1]
torch.set_num_threads(1)


class Payload:
    """Creates ``marker`` when unpickled (builtins.open in write mode)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def live(marker: Path, blob: bytes):
    """Proof that the payload in ``blob`` runs under a plain pickle.load (then the marker is removed)."""
    assert not marker.exists()
    try:
        pickle.loads(blob)
    except Exception:
        pass
    assert marker.exists(), "the crafted payload does not run: the test would prove nothing"
    marker.unlink()


def tiny_seq2seq(**meta):
    torch.manual_seed(0)
    model = Seq2SeqDance(ModelConfig(n_features=6, enc_hidden=4, dec_hidden=8, dec_layers=1, attn_dim=4, n_genres=2))
    kw = dict(feature_config={"fps": 25.0, "kind": "multi"}, feature_stats={"mean": [0.5] * 6, "std": [2.0] * 6},
              ref_lengths=np.linspace(0.1, 1.0, 17).astype(np.float32), body_scale=123.25, canvas=(1280, 720),
              genres=["waltz", "tango"], seed_pose=np.arange(36, dtype=np.float32) / 7,
              neck_bounds=np.array([-1.5, 1.25, -1.0, 0.75], np.float32),
              info={"name": "tiny", "nested": {"epochs": 3, "metrics": [0.25, 0.5]}},
              seed_poses=np.random.default_rng(1).normal(size=(5, 36)).astype(np.float32), ref_speed=0.8125)
    kw.update(meta)
    return ModelBundle(model=model.eval(), **kw)


def assert_same_meta(a, b):
    for f in fields(BundleMeta):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert isinstance(y, np.ndarray) and y.dtype == np.float32, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert type(x) is type(y) and x == y, f.name


# --------------------------------------------------------------------------------------- model files
def test_every_metadata_field_round_trips_for_every_bundle_kind(tmp_path):
    from dancegen.model.baselines import BaselineBundle, build_model
    from dancegen.model.baselines.stgcn_gan import GanConfig
    from dancegen.model.baselines.vqvae_transformer import VQConfig

    s2s = tiny_seq2seq()
    assert all(getattr(s2s, f.name) is not None for f in fields(BundleMeta))   # no field left at None
    meta = {f.name: getattr(s2s, f.name) for f in fields(BundleMeta)}
    gan = BaselineBundle(model=build_model("gan-stgcn", GanConfig(
        n_features=6, n_genres=2, music_dim=4, noise_dim=2, joint_dim=2, g_channels=(8, 8), d_channels=(8, 8, 8),
        t_kernel=3, context=4, window=16).to_dict(), s2s.ref_lengths).eval(), **meta)
    vq = BaselineBundle(model=build_model("vqvae-transformer", VQConfig(
        n_features=6, n_genres=2, width=8, code_dim=4, n_codes=8, d_model=8, n_heads=2, n_layers=1, ff=16,
        dropout=0.0, max_codes=8).to_dict()).eval(), **meta)
    for b, kind in ((s2s, "seq2seq2d"), (gan, "gan-stgcn"), (vq, "vqvae-transformer")):
        path = b.save(tmp_path / f"{kind}.safetensors", half=False)
        file_kind, sd, stored = F.read_model(path)
        assert file_kind == kind and {f.name for f in fields(BundleMeta)} <= set(stored)
        back = ModelBundle.load(path)                     # dispatches on the kind, no isinstance chain
        assert type(back) is type(b) and back.kind == kind
        assert_same_meta(b, back)
        ref = b.model.state_dict()
        assert all(torch.equal(ref[k], v) for k, v in back.model.state_dict().items() if k in sd)


def test_training_exports_keep_every_field(tmp_path):
    """export_bundle / export_baseline take every field from prepare_data's meta (ref_speed and
    seed_poses were dropped before)."""
    from types import SimpleNamespace

    from dancegen.model.baselines import build_model
    from dancegen.model.baselines.vqvae_transformer import VQConfig
    from dancegen.train.baselines import export_baseline
    from dancegen.train.run import export_bundle

    s2s = tiny_seq2seq()
    meta = F.to_jsonable({f.name: getattr(s2s, f.name) for f in fields(BundleMeta) if f.name != "info"})
    meta.update(n_features=6, train_clips=["a"], val_clips=[])
    a = ModelBundle.load(export_bundle(None, meta, tmp_path / "a.safetensors", s2s.info, model=s2s.model))
    assert_same_meta(s2s, a)
    vq = build_model("vqvae-transformer", VQConfig(n_features=6, n_genres=2, width=8, code_dim=4, n_codes=8,
                                                   d_model=8, n_heads=2, n_layers=1, ff=16, max_codes=8).to_dict())
    b = ModelBundle.load(export_baseline(SimpleNamespace(model=vq), meta, tmp_path / "b.safetensors", s2s.info))
    assert b.kind == "vqvae-transformer"
    assert_same_meta(s2s, b)


def test_file_layout_and_half_precision(tmp_path):
    from safetensors import safe_open

    b = tiny_seq2seq()
    path = b.save(tmp_path / "m.safetensors")
    with safe_open(str(path), "pt") as f:
        md = f.metadata()
        assert {k: md[k] for k in ("format", "version", "kind")} == {"format": "dancegen-model", "version": "2",
                                                                       "kind": "seq2seq2d"}
        assert json.loads(md["meta"])["ref_speed"] == 0.8125
        assert all(f.get_tensor(k).dtype in (torch.float16, torch.int64) for k in f.keys())
    back = ModelBundle.load(path)
    assert all(v.dtype != torch.float16 for v in back.model.state_dict().values())


def test_legacy_pt_with_a_pickle_payload_is_refused_and_does_not_run(tmp_path, capsys):
    from dancegen.cli import main

    marker = tmp_path / "PWNED"
    obj = {"format": "dancegen-seq2seq/1", "model_config": {}, "state_dict": {}, "info": Payload(marker)}
    path = tmp_path / "evil.pt"
    torch.save(obj, path)
    with zipfile.ZipFile(path) as zf:
        live(marker, zf.read(next(n for n in zf.namelist() if n.endswith("data.pkl"))))
    for load in (F.read_model, ModelBundle.load, F.load_any, F.read_legacy):
        with pytest.raises(ModelError, match="refused.*weights-only.*convert-model"):
            load(path)
    assert main(["generate", str(REPO / "examples" / "music" / "metal_madness.ogg"), "-o", str(tmp_path / "o"),
                 "--model", str(path), "--no-video", "--quiet"]) == 2
    assert main(["convert-model", str(path), "-o", str(tmp_path / "new.safetensors")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all("evil.pt: refused" in e for e in err)
    # a bare pickle (the pre-zip torch format), also under a .safetensors name
    raw = tmp_path / "raw.safetensors"
    raw.write_bytes(pickle.dumps(obj, protocol=2))
    with pytest.raises(ModelError, match="refused"):
        ModelBundle.load(raw)
    assert not marker.exists()


def test_pickle_appended_to_a_model_file_is_refused(tmp_path):
    marker = tmp_path / "PWNED"
    blob = pickle.dumps(Payload(marker))
    live(marker, blob)
    path = tiny_seq2seq().save(tmp_path / "m.safetensors")
    path.write_bytes(path.read_bytes() + blob)
    with pytest.raises(ModelError, match="truncated or padded"):
        ModelBundle.load(path)
    # the payload inside the JSON metadata is only text
    kind, sd, meta = F.read_model(tiny_seq2seq().save(tmp_path / "ok.safetensors"))
    meta["info"] = {"blob": blob.hex()}
    F.save_model(tmp_path / "text.safetensors", kind, sd, meta)
    assert ModelBundle.load(tmp_path / "text.safetensors").info["blob"] == blob.hex()
    assert not marker.exists()


def _raw_safetensors(path: Path, metadata, tensors=((b"w", [2], b"\0" * 8),), header_extra=None):
    header = {} if metadata is None else {"__metadata__": metadata}
    off, data = 0, b""
    for name, shape, buf in tensors:
        header[name.decode()] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(buf)]}
        off += len(buf)
        data += buf
    header.update(header_extra or {})
    h = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(h)) + h + data)
    return path


@pytest.mark.parametrize("metadata, needle", [
    (None, "without dancegen metadata"),
    ({"format": "pt"}, "without dancegen metadata"),
    ({"format": "dancegen-model", "version": "9", "kind": "seq2seq2d", "meta": "{}"}, r"version '9'.*reads version\(s\) 2"),
    ({"format": "dancegen-model", "version": "2", "kind": "evil", "meta": "{}"}, "unknown model kind 'evil'.*seq2seq2d"),
    ({"format": "dancegen-model", "version": "2", "kind": "seq2seq2d", "meta": "not json"}, "corrupt dancegen model metadata"),
    ({"format": "dancegen-model", "version": "2", "kind": "seq2seq2d", "meta": "{}"}, "lacks 'feature_config'"),
])
def test_safetensors_with_bad_metadata_gives_one_named_error(tmp_path, metadata, needle):
    path = _raw_safetensors(tmp_path / "bad.safetensors", metadata)
    with pytest.raises(ModelError, match=needle) as e:
        ModelBundle.load(path)
    assert "\n" not in str(e.value) and "bad.safetensors" in str(e.value)


def test_malformed_headers_sizes_and_settings(tmp_path, monkeypatch):
    ok = {"format": "dancegen-model", "version": "2", "kind": "seq2seq2d", "meta": "{}"}
    # a tensor that claims more bytes than the file holds
    big = _raw_safetensors(tmp_path / "big.safetensors", ok, tensors=((b"w", [1 << 30], b"\0" * 8),))
    with pytest.raises(ModelError):
        F.read_model(big)
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(ModelError, match="not a model file"):
        F.read_model(tmp_path / "junk.safetensors")
    with pytest.raises(ModelError, match="not found"):
        F.read_model(tmp_path / "missing.safetensors")
    path = tiny_seq2seq().save(tmp_path / "m.safetensors")
    monkeypatch.setenv("DANCEGEN_MAX_MODEL_BYTES", "1000")
    with pytest.raises(ModelError, match="over the model file limit of 1000 bytes.*DANCEGEN_MAX_MODEL_BYTES"):
        F.read_model(path)
    monkeypatch.delenv("DANCEGEN_MAX_MODEL_BYTES")
    # settings in the file that ask for a huge model are refused before anything is allocated
    kind, sd, meta = F.read_model(path)
    meta["model_config"]["enc_hidden"] = 1 << 20
    F.save_model(tmp_path / "huge.safetensors", kind, sd, meta)
    with pytest.raises(ModelError, match="do not match the model settings"):
        ModelBundle.load(tmp_path / "huge.safetensors")


def test_lightning_checkpoint_is_read_weights_only(tmp_path):
    b = tiny_seq2seq()
    meta = F.to_jsonable({f.name: getattr(b, f.name) for f in fields(BundleMeta)})
    ckpt = {"epoch": 2, "global_step": 40, "state_dict": {f"model.{k}": v for k, v in b.model.state_dict().items()},
            "hyper_parameters": {"model_config": b.model.cfg.to_dict(), "bundle_meta": meta},
            "optimizer_states": [], "callbacks": {}}
    torch.save(ckpt, tmp_path / "last.ckpt")
    back = ModelBundle.load(tmp_path / "last.ckpt")
    assert back.info == {"checkpoint_epoch": 2, "checkpoint_step": 40} and back.ref_speed == b.ref_speed
    marker = tmp_path / "PWNED"
    ckpt["callbacks"] = {"Evil": Payload(marker)}
    torch.save(ckpt, tmp_path / "evil.ckpt")
    with pytest.raises(ModelError, match="refused"):
        ModelBundle.load(tmp_path / "evil.ckpt")
    assert not marker.exists()


def test_convert_model_converts_a_legacy_file_bit_for_bit(tmp_path, capsys):
    from dancegen.cli import main

    b = tiny_seq2seq()
    legacy = dict(format="dancegen-seq2seq/1", model_config=b.model.cfg.to_dict(),
                  state_dict={k: v.half() if v.is_floating_point() else v for k, v in b.model.state_dict().items()},
                  **F.to_jsonable({f.name: getattr(b, f.name) for f in fields(BundleMeta)}))
    torch.save(legacy, tmp_path / "old.pt")
    old = ModelBundle.load(tmp_path / "old.pt")                 # still readable, weights-only
    assert main(["convert-model", str(tmp_path / "old.pt"), "-o", str(tmp_path / "new.safetensors")]) == 0
    new = ModelBundle.load(tmp_path / "new.safetensors")
    assert_same_meta(old, new)
    assert all(torch.equal(v, new.model.state_dict()[k]) for k, v in old.model.state_dict().items())
    assert main(["convert-model", str(tmp_path / "old.pt"), "-o", str(tmp_path / "new.safetensors")]) == 2
    assert "exists" in capsys.readouterr().err


def test_registry_dispatches_by_kind(tmp_path):
    @F.register_kind("test-kind")
    class Thing:
        def __init__(self, w):
            self.w = w

        @classmethod
        def from_pretrained(cls, path):
            return cls(F.read_model(path)[1]["w"])

        def save_pretrained(self, path):
            return F.save_model(path, "test-kind", {"w": self.w}, {"note": np.arange(3)}, half=False)

    try:
        path = Thing(torch.arange(4.0)).save_pretrained(tmp_path / "t.safetensors")
        got = F.load_any(path)
        assert isinstance(got, Thing) and torch.equal(got.w, torch.arange(4.0))
        assert F.read_model(path)[2] == {"note": [0, 1, 2]} and "test-kind" in F.known_kinds()
        with pytest.raises(ValueError, match="already registered"):
            F.register_kind("seq2seq2d")(Thing)
        with pytest.raises(TypeError, match="from_pretrained"):
            F.register_kind("other")(type("NoLoad", (), {"save_pretrained": lambda self, p: None}))
    finally:
        F.KINDS.pop("test-kind", None)
    with pytest.raises(TypeError, match="set"):
        F.to_jsonable({"a": {1, 2}})


def test_no_unsafe_loader_left_in_the_package():
    for p in (REPO / "dancegen").rglob("*.py"):
        text = p.read_text()
        assert "weights_only=False" not in text, p
        assert "pickle.load(" not in text and "pickle.loads(" not in text, p
        assert "allow_pickle=True" not in text, p
    for p in (REPO / "scripts").rglob("*.py"):
        assert "weights_only=False" not in p.read_text(), p


# --------------------------------------------------------------------------------------- AIST++ pickles
def test_aist_pickle_with_a_payload_is_refused(tmp_path):
    from dancegen.data.aist import load_aist_sequence, read_pickle

    seq = "gBR_sBM_cAll_d04_mBR0_ch01"
    marker = tmp_path / "PWNED"
    (tmp_path / "keypoints3d").mkdir()
    for name, obj in (("reduce", {"keypoints3d": Payload(marker)}),
                      ("objarray", {"keypoints3d": np.array([Payload(marker)], dtype=object)}),
                      ("function", {"keypoints3d": os.system})):
        blob = pickle.dumps(obj)
        if name != "function":
            live(marker, blob)
        (tmp_path / f"{name}.pkl").write_bytes(blob)
        with pytest.raises(DataError, match="refused"):
            read_pickle(tmp_path / f"{name}.pkl")
        (tmp_path / "keypoints3d" / f"{seq}.pkl").write_bytes(blob)
        with pytest.raises(DataError, match=f"{seq}.pkl: refused"):
            load_aist_sequence(tmp_path, seq)
    assert not marker.exists()


@pytest.mark.realdata
@pytest.mark.parametrize("sub", ["keypoints2d", "keypoints3d", "motions"])
def test_restricted_reader_reads_the_real_aist_files(aist_dir, sub):
    from dancegen.data.aist import read_pickle

    files = sorted((aist_dir / sub).glob("*.pkl"))
    assert len(files) == 4
    for f in files:
        d = read_pickle(f)
        with open(f, "rb") as fh:   # the official files, trusted here: the reference to compare with
            ref = pickle.load(fh)
        assert d.keys() == ref.keys()
        for k, v in ref.items():
            if isinstance(v, np.ndarray):
                assert d[k].dtype == v.dtype and np.array_equal(d[k], v, equal_nan=True), (f, k)
            else:
                assert d[k] == v, (f, k)
    T = {"gJS_sFM_cAll_d02_mJS4_ch09": 1919}
    d = read_pickle(files[-1])
    n = T.get(files[-1].stem, 576)
    expected = {"keypoints2d": ("keypoints2d", (9, n, 17, 3)), "keypoints3d": ("keypoints3d_optim", (n, 17, 3)),
                "motions": ("smpl_poses", (n, 72))}[sub]
    assert d[expected[0]].shape == expected[1]


@pytest.mark.realdata
def test_real_aist_sequences_load_as_dances(aist_dir):
    from dancegen.data.aist import load_aist_sequence

    d = load_aist_sequence(aist_dir, "gBR_sBM_cAll_d04_mBR2_ch08")
    assert d.keypoints.shape == (576, 18, 2) and d.joints3d.shape == (576, 18, 3) and d.genre == "break"
    assert np.isfinite(d.keypoints).all() and d.music is None


# --------------------------------------------------------------------------------------- npz
def _dance():
    return Dance(np.random.default_rng(0).uniform(100, 900, (20, 18, 2)).astype(np.float32), 25.0, name="d")


def test_npz_with_an_object_array_is_refused(tmp_path):
    marker = tmp_path / "PWNED"
    arr = np.array([Payload(marker)], dtype=object)
    live(marker, pickle.dumps(arr))
    path = tmp_path / "evil.npz"
    np.savez(path, keypoints=_dance().keypoints, fps=np.float32(25), music=arr)
    with pytest.raises(DataError, match="'music' is an object array"):
        Dance.load(path)
    assert not marker.exists()


def _npy_header(shape, descr="<f4") -> bytes:
    h = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    h += b" " * (64 - (10 + len(h) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h


def test_npz_whose_header_claims_a_huge_array_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("keypoints.npy", _npy_header((50_000_000, 18, 2)) + b"\0" * 4096)   # claims 7.2 GB
        zf.writestr("fps.npy", _npy_header(()) + b"\0" * 4)
    assert path.stat().st_size < 10_000
    with pytest.raises(DataError, match=r"'keypoints' declares 7200000000 bytes.*limit of 2147483648 bytes.*"
                                         r"DANCEGEN_MAX_NPZ_BYTES"):
        Dance.load(path)
    # the limit is configurable both ways
    good = _dance().save(tmp_path / "good.npz")
    monkeypatch.setenv("DANCEGEN_MAX_NPZ_BYTES", "1000")
    with pytest.raises(DataError, match="limit of 1000 bytes"):
        Dance.load(good)
    monkeypatch.setenv("DANCEGEN_MAX_NPZ_BYTES", str(10 ** 10))
    with pytest.raises(DataError, match="not a readable dance"):   # past the check: its data is missing
        Dance.load(path)
    monkeypatch.delenv("DANCEGEN_MAX_NPZ_BYTES")
    np.testing.assert_array_equal(Dance.load(good).keypoints, _dance().keypoints)


def test_npz_with_many_small_arrays_summing_over_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "many.npz"
    np.savez(path, **{f"a{i}": np.zeros(100, np.float32) for i in range(5)}, keypoints=_dance().keypoints, fps=25.0)
    monkeypatch.setenv("DANCEGEN_MAX_NPZ_BYTES", "3000")   # each array fits, all together do not
    with pytest.raises(DataError, match="in total"):
        Dance.load(path)


# --------------------------------------------------------------------------------------- ffmpeg paths
@pytest.mark.parametrize("music", ["http://127.0.0.1:9/x.mp3", "tcp://127.0.0.1:9", "tcp:127.0.0.1:9",
                                   "file:/etc/hostname", "concat:a.wav|b.wav", "pipe:0", "-i", "rtmp://h/x"])
def test_render_refuses_urls_and_protocols_before_ffmpeg_starts(tmp_path, monkeypatch, music):
    from dancegen.render import video

    def no_ffmpeg(*a, **k):
        raise AssertionError(f"ffmpeg started with {a}")

    monkeypatch.setattr(video.subprocess, "Popen", no_ffmpeg)
    monkeypatch.setattr(video.subprocess, "run", no_ffmpeg)
    d = _dance()
    d.music = music
    path = d.save(tmp_path / "d.npz")
    loaded = Dance.load(path)
    assert loaded.music == music
    with pytest.raises(AudioError, match="local file|may not start with '-'"):
        video.render_video(loaded, tmp_path / "out.mp4", size=(64, 36), progress=False)
    with pytest.raises(AudioError, match="local file|may not start with '-'"):
        video.probe_media(music)
    assert not (tmp_path / "out.mp4").exists()


def test_local_media_paths_are_absolute_and_protocol_lookalikes_need_dot_slash(tmp_path, monkeypatch):
    from dancegen.fileio import local_media_path

    monkeypatch.chdir(tmp_path)
    Path("tcp:song.wav").write_bytes(b"x")
    with pytest.raises(DataError, match="pass ./tcp:song.wav"):
        local_media_path("tcp:song.wav")
    p = local_media_path("./tcp:song.wav")
    assert p.is_absolute() and p == tmp_path / "tcp:song.wav"
    with pytest.raises(DataError, match="does not exist"):
        local_media_path("nope.wav")
    with pytest.raises(PoseError, match="local file"):
        from dancegen.pose.estimator import VideoFrames

        VideoFrames("http://127.0.0.1:9/v.mp4")
