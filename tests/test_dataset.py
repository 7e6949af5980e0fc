"""WindowDataset: windows, feature alignment, on-disk feature cache, yaw augmentation."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from dancegen.dance import Dance
from dancegen.data.cache import default_cache_dir
from dancegen.data.dataset import GENRES, WindowDataset, cached_features, feature_cache_key, genre_index
from dancegen.errors import ConfigError, DataError

torch.set_num_threads(1)
SR = 22050
FPS = 25.0


class EnergyConfig:
    """A feature configuration for :func:`rms_frames` (``fps`` and ``key()`` like FeatureConfig)."""

    def __init__(self, fps=FPS):
        self.fps = fps

    def key(self):
        return f"rms-fps{self.fps}"


CALLS = []


def rms_frames(music, cfg, start, duration):
    """Real feature extractor: RMS energy of the audio in frames of 1/fps centred on each frame
    time start + t/fps, read with soundfile. Shape (T, 1)."""
    CALLS.append((music, start, duration))
    y, sr = sf.read(music, dtype="float32")
    hop = sr / cfg.fps
    n = int(round(duration * cfg.fps))
    out = np.zeros((n, 1), np.float32)
    for t in range(n):
        c = int(round((start + t / cfg.fps) * sr))
        seg = y[max(0, c - int(hop // 2)): c + int(hop // 2)]
        out[t, 0] = np.sqrt(np.mean(seg ** 2)) if seg.size else 0.0
    return out


def click_wav(path, clicks_s, duration_s=12.0):
    y = np.zeros(int(duration_s * SR), np.float32)
    for c in clicks_s:
        i = int(round(c * SR))
        y[i: i + 200] = 0.8
    sf.write(path, y, SR)
    return str(path)


def clip(music, T=200, offset=2.0, genre="waltz", joints3d=False, name="c"):
    rng = np.random.default_rng(0)
    kp = (500 + rng.uniform(0, 300, (T, 18, 2))).astype(np.float32)
    j3 = None
    if joints3d:
        j3 = np.zeros((T, 18, 3), np.float32)
        j3[..., 1] = np.linspace(0, 160, 18)[None]
        j3[:, 2, 0], j3[:, 5, 0] = -18, 18                # shoulders apart along x
        j3[:, 8, 0], j3[:, 11, 0] = -10, 10
    return Dance(keypoints=kp, fps=FPS, music=music, offset=offset, genre=genre, joints3d=j3, name=name)


def test_genres():
    assert genre_index("waltz") == GENRES.index("waltz") == 3
    assert genre_index("Cha-Cha") == genre_index("chacha") == 0
    assert genre_index("break") == 4
    with pytest.raises(DataError, match="unknown genre"):
        genre_index("polka")
    with pytest.raises(DataError):
        genre_index(None)


def test_windows_alignment_and_cache(tmp_path):
    clicks = [3.0, 5.0, 7.2]
    music = click_wav(tmp_path / "clicks.wav", clicks)
    c = clip(music, T=200, offset=2.0)
    CALLS.clear()
    ds = WindowDataset([c], EnergyConfig(), window=50, stride=25, cache_dir=tmp_path / "cache",
                       extractor=rms_frames, progress=False)
    assert len(ds) == (200 - 50) // 25 + 1 == 7
    assert ds.cache_hits == 0 and len(CALLS) == 1
    assert CALLS[0][1:] == (2.0, 8.0)                 # start = offset, duration = T / fps
    f = ds.clip_features(0)
    assert f.shape == (200, 1)
    # the click at music time 5.0 s is pose frame (5.0 - 2.0) * 25 = 75
    peaks = np.flatnonzero(f[:, 0] > 0.1)
    assert set(peaks) == {25, 75, 130}
    item = ds[2]                                       # start frame 50
    assert item["start"] == 50 and item["clip"] == 0 and item["genre"] == 3 and item["fps"] == 25.0
    assert item["features"].shape == (50, 1) and item["features"].dtype == np.float32
    assert item["keypoints"].shape == (50, 18, 2)
    assert np.argmax(item["features"][:, 0]) == 25     # frame 75 of the clip
    assert item["keypoints"] == pytest.approx(c.keypoints[50:100])
    # second dataset: read from the cache, the extractor is not called
    ds2 = WindowDataset([c], EnergyConfig(), window=50, stride=25, cache_dir=tmp_path / "cache",
                        extractor=rms_frames, progress=False)
    assert ds2.cache_hits == 1 and len(CALLS) == 1
    assert ds2.clip_features(0) == pytest.approx(f)
    # another config or another start is another cache entry
    assert feature_cache_key(music, 2.0, 8.0, EnergyConfig(50.0)) != feature_cache_key(music, 2.0, 8.0, EnergyConfig())
    assert feature_cache_key(music, 2.5, 8.0, EnergyConfig()) != feature_cache_key(music, 2.0, 8.0, EnergyConfig())
    # the key follows the audio content, not the path
    other = tmp_path / "copy.wav"
    other.write_bytes((tmp_path / "clicks.wav").read_bytes())
    assert feature_cache_key(str(other), 2.0, 8.0, EnergyConfig()) == feature_cache_key(music, 2.0, 8.0, EnergyConfig())
    assert not list((tmp_path / "cache").glob(".tmp_*"))      # atomic writes leave no temp files
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=3)))
    assert batch["features"].shape == (3, 50, 1) and batch["keypoints"].shape == (3, 50, 18, 2)


def test_short_extractor_output_is_padded(tmp_path):
    music = click_wav(tmp_path / "a.wav", [1.0], duration_s=3.0)
    x, hit = cached_features(music, EnergyConfig(), 0.0, 4.0, 110, tmp_path / "c",
                             extractor=lambda m, c, s, d: np.ones((90, 2), np.float32))
    assert x.shape == (110, 2) and not hit


def test_cache_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DANCEGEN_CACHE", str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("DANCEGEN_CACHE")
    assert str(default_cache_dir()).endswith(".cache/dancegen/features")


def test_yaw_augmentation(tmp_path):
    music = click_wav(tmp_path / "m.wav", [3.0])
    c = clip(music, T=100, offset=0.0, joints3d=True)
    ds = WindowDataset([c], EnergyConfig(), window=40, stride=20, cache_dir=tmp_path / "c",
                       augment_yaw=range(0, 360, 180), seed=3, extractor=rms_frames, progress=False)
    yaws = {ds[i]["yaw"] for i in range(len(ds))} | {ds.set_epoch(1) or ds[i]["yaw"] for i in range(len(ds))}
    assert yaws <= {0.0, 180.0} and len(yaws) == 2
    ds.set_epoch(0)
    a, b = ds[0], ds[0]
    assert a["yaw"] == b["yaw"] and a["keypoints"] == pytest.approx(b["keypoints"])   # deterministic
    # 0 and 180 degrees: the right shoulder changes side
    items = {ds[i]["yaw"]: ds[i] for i in range(len(ds))}
    ds.set_epoch(1)
    items.update({ds[i]["yaw"]: ds[i] for i in range(len(ds))})
    r0 = items[0.0]["keypoints"][:, 2, 0] - items[0.0]["keypoints"][:, 5, 0]
    r1 = items[180.0]["keypoints"][:, 2, 0] - items[180.0]["keypoints"][:, 5, 0]
    assert (r0 < 0).all() and (r1 > 0).all()
    plain = WindowDataset([c], EnergyConfig(), window=40, stride=20, cache_dir=tmp_path / "c",
                          extractor=rms_frames, progress=False)
    assert np.isnan(plain[0]["yaw"])


def test_errors(tmp_path):
    music = click_wav(tmp_path / "m.wav", [1.0])
    c = clip(music, T=30)
    with pytest.raises(DataError, match="window"):
        WindowDataset([c], EnergyConfig(), window=50, stride=10, cache_dir=tmp_path, extractor=rms_frames)
    with pytest.raises(ConfigError, match="fps"):
        WindowDataset([c], EnergyConfig(fps=30.0), window=10, stride=10, cache_dir=tmp_path, extractor=rms_frames)
    with pytest.raises(DataError, match="no music"):
        WindowDataset([clip(None, T=30)], EnergyConfig(), window=10, stride=10, cache_dir=tmp_path)
    with pytest.raises(ConfigError):
        WindowDataset([c], EnergyConfig(), window=10, stride=10, cache_dir=tmp_path, augment_yaw="yes",
                      extractor=rms_frames)


def test_with_the_real_music_features(tmp_path):
    from dancegen.audio.features import FeatureConfig

    music = click_wav(tmp_path / "clicks.wav", np.arange(0.5, 11.5, 0.5))   # 120 BPM
    c = clip(music, T=150, offset=1.0)
    ds = WindowDataset([c], FeatureConfig(fps=FPS), window=50, stride=50, cache_dir=tmp_path / "c",
                       progress=False)
    f = ds.clip_features(0)
    assert f.shape[0] == 150 and f.shape[1] > 10 and np.isfinite(f).all()
    assert ds.cache_hits == 0 and len(list((tmp_path / "c").glob("*.npy"))) == 1
    ds2 = WindowDataset([c], FeatureConfig(fps=FPS), window=50, stride=50, cache_dir=tmp_path / "c",
                        progress=False)
    assert ds2.cache_hits == 1 and ds2.clip_features(0) == pytest.approx(f)
