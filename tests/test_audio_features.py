"""Music features: exact frame counts, time alignment without drift, beat columns, config and
statistics round trips, the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from audio_synth import click_track
from dancegen.audio.features import (FeatureConfig, FeatureSet, FeatureStats, beat_phase,
                                     compute_features, music_features, resample_frames)
from dancegen.cli import main
from dancegen.errors import ConfigError

SR = 22050


@pytest.fixture(scope="module")
def clicks120():
    """20 s of clicks every 0.5 s from 0.5 s, and the truth."""
    truth = np.arange(0.5, 19.9, 0.5)
    return click_track(truth, 20.0, SR, noise=0.002), truth


@pytest.mark.parametrize("duration", [0.3, 1.0, 7.37, 12.345])
@pytest.mark.parametrize("fps", [25.0, 30.0, 60.0, 29.97])
def test_frame_count_is_round_duration_times_fps(duration, fps):
    y = click_track(np.arange(0.1, duration, 0.5), duration, SR, noise=0.01)
    fs = compute_features(y, SR, FeatureConfig(fps=fps))
    assert fs.values.shape == (int(round(duration * fps)), 88)
    assert fs.values.dtype == np.float32 and np.all(np.isfinite(fs.values))


def test_columns_and_kinds():
    multi, mf = FeatureConfig(), FeatureConfig(kind="mfcc")
    names = multi.names()
    assert len(names) == multi.dim == 88 and len(set(names)) == 88
    for n in ("onset", "beat_pulse", "beat_phase_sin", "beat_phase_cos", "chroma_C", "chroma_B",
              "mel_00", "mel_31", "mfcc_00", "dmfcc_19"):
        assert n in names
    assert mf.names() == [f"mfcc_{i:02d}" for i in range(20)] + [f"dmfcc_{i:02d}" for i in range(20)]
    y = click_track([0.5, 1.0, 1.5], 3.0, SR, noise=0.01)
    fs = compute_features(y, SR, mf)
    assert fs.values.shape == (75, 40) and fs.names == mf.names()
    # the MFCC columns are the same in both kinds
    fm = compute_features(y, SR, multi)
    np.testing.assert_allclose(fm.values[:, 32:72], fs.values, atol=1e-4)


def test_beat_columns_follow_the_clicks(clicks120):
    y, truth = clicks120
    fs = compute_features(y, SR, FeatureConfig(fps=25))
    assert abs(fs.tempo - 120) < 0.6
    assert np.max([np.min(np.abs(truth - b)) for b in fs.beats]) < 0.010
    pulse, cos, sin = fs.column("beat_pulse"), fs.column("beat_phase_cos"), fs.column("beat_phase_sin")
    on = np.round(truth * 25).astype(int)          # frames at the beats (0.5 s = 12.5 frames...)
    on = on[np.abs(on / 25 - truth) < 1e-9]        # ...keep the beats that fall exactly on a frame
    assert on.size > 10
    assert np.all(pulse[on] > 0.99) and np.all(cos[on] > 0.99)
    mid = np.round((truth[:-1] + 0.25) * 25).astype(int)  # a quarter period after each beat
    keep = np.abs(mid / 25 - (truth[:-1] + 0.25)) < 1e-9
    assert np.all(sin[mid[keep]] > 0.99) and np.all(pulse[mid[keep]] < 1e-3)
    # the onset column peaks at the beat frames
    onset = fs.column("onset")
    assert np.all(onset[on] > 0.5 * onset.max())
    assert np.median(onset) < 0.05 * onset.max()


def test_beat_phase_extrapolates_and_handles_no_beats():
    ph = beat_phase(np.array([0.0, 0.25, 1.0, 1.5, 2.75, 3.25]), np.array([1.0, 2.0, 3.0]), 60.0)
    np.testing.assert_allclose(ph, [0.0, 0.25, 0.0, 0.5, 0.75, 0.25])
    assert np.all(np.isnan(beat_phase(np.arange(3.0), np.zeros(0), 0.0)))


def test_silence_and_short_clip_are_finite():
    fs = compute_features(np.zeros(SR * 4, np.float32), SR)
    assert fs.values.shape == (100, 88) and np.all(np.isfinite(fs.values))
    assert fs.tempo == 0.0 and fs.beats.size == 0
    for c in ("beat_pulse", "beat_phase_sin", "beat_phase_cos", "onset"):
        assert np.all(fs.column(c) == 0)
    fs = compute_features(0.1 * np.random.default_rng(0).standard_normal(int(0.3 * SR)).astype(np.float32), SR)
    assert fs.values.shape == (8, 88) and np.all(np.isfinite(fs.values))
    fs = compute_features(np.zeros(0, np.float32), SR)
    assert fs.values.shape == (0, 88)


def test_window_matches_whole_file(tmp_path):
    """Features of [start, start + duration] equal the same frames of the whole file."""
    rng = np.random.default_rng(1)
    y = click_track(np.arange(0.2, 30, 0.45), 30.0, 44100, noise=0.02)
    y += 0.1 * np.sin(2 * np.pi * 220 * np.arange(len(y)) / 44100) * (1 + rng.random(len(y)) * 0.1)
    f = tmp_path / "song.flac"
    sf.write(f, y.astype(np.float32), 44100)
    cfg = FeatureConfig(fps=25)
    whole = music_features(f, cfg)
    part = music_features(f, cfg, start=10.0, duration=8.0)
    assert whole.values.shape[0] == 750 and part.values.shape[0] == 200 and part.start == 10.0
    mf = [i for i, n in enumerate(cfg.names()) if n.startswith("mfcc_")]
    a, b = whole.values[250 + 5:450 - 5, mf], part.values[5:-5, mf]
    # dB-scale MFCC: equal up to the sub-hop phase of the analysis frames (matters on clicks only)
    assert np.median(np.abs(a - b)) < 0.2 and np.percentile(np.abs(a - b), 95) < 1.5
    # onsets peak on the same frames, and the beats are the same times in the file
    on = cfg.names().index("onset")
    for c in np.arange(0.2, 30, 0.45):
        if 10.3 < c < 17.7:
            k = int(round((c - 10.0) * 25))
            assert abs(int(np.argmax(whole.values[250 + k - 3:250 + k + 4, on]))
                       - int(np.argmax(part.values[k - 3:k + 4, on]))) <= 1
    inside = whole.beats[(whole.beats > 10.5) & (whole.beats < 17.5)]
    np.testing.assert_allclose(inside, part.beats[(part.beats > 0.5) & (part.beats < 7.5)] + 10.0,
                               atol=0.005)


def test_resample_frames_no_drift_at_odd_rates():
    """A marker at 599.0 s of a 10-min 86.13 Hz sequence lands on frame 599 * fps at 29.97 fps."""
    rate = 22050 / 256
    x = np.zeros((int(600 * rate) + 1, 1), np.float32)
    x[int(round(599.0 * rate)), 0] = 1.0
    for fps in (25.0, 29.97, 60.0):
        T = int(round(600 * fps))
        out = resample_frames(x, 0.0, rate, np.arange(T) / fps, 1 / fps, how="max")
        assert int(np.argmax(out[:, 0])) in (int(np.floor(599 * fps)), int(np.ceil(599 * fps)))


@pytest.fixture(scope="module")
def ten_minute_wav(tmp_path_factory):
    """A 10-minute 44.1 kHz stereo 16-bit file: quiet noise, a click every 2 s and a click at 9:59."""
    sr = 44100
    truth = np.append(np.arange(1.0, 598.0, 2.0), 599.0)
    y = click_track(truth, 600.0, sr, noise=0.003)
    f = tmp_path_factory.mktemp("long") / "ten_minutes.wav"
    sf.write(f, np.stack([y, y], axis=1), sr, subtype="PCM_16")
    return f


@pytest.mark.slow
def test_ten_minute_song_no_drift(ten_minute_wav, tmp_path):
    """Through the CLI: 10 minutes at 29.97 fps, every click on its analytic frame."""
    out = tmp_path / "long.npz"
    assert main(["features", str(ten_minute_wav), "--fps", "29.97", "-o", str(out)]) == 0
    fs = FeatureSet.load(out)
    assert fs.values.shape == (int(round(600 * 29.97)), 88)
    onset = fs.column("onset")
    target = 599.0 * 29.97                                     # frame 17952.03
    last = int(np.argmax(onset[int(598.5 * 29.97):])) + int(598.5 * 29.97)
    assert abs(last - target) <= 1
    # every click of the song peaks within one frame of its analytic frame time * 29.97
    for c in np.arange(1.0, 598.0, 2.0):
        k = int(round(c * 29.97))
        assert abs(k - 5 + int(np.argmax(onset[k - 5:k + 6])) - c * 29.97) <= 1
    assert np.all(np.isfinite(fs.values))


def test_config_round_trip_and_key():
    cfg = FeatureConfig(fps=30, kind="mfcc")
    d = json.loads(json.dumps(cfg.to_dict()))
    assert FeatureConfig.from_dict(d) == cfg
    assert FeatureConfig.from_dict(d).key() == cfg.key()
    assert cfg.key() != FeatureConfig(fps=25, kind="mfcc").key() != FeatureConfig(fps=30).key()
    assert cfg.key().startswith("mfcc-fps30-")
    for bad in (dict(fps=0), dict(fps=float("nan")), dict(kind="mel"), dict(n_mfcc=0)):
        with pytest.raises(ConfigError):
            FeatureConfig(**bad)
    with pytest.raises(ConfigError):
        FeatureConfig.from_dict({"fps": 25, "colour": "red"})


def test_feature_stats():
    rng = np.random.default_rng(0)
    names = FeatureConfig().names()
    a = rng.normal(3.0, 2.0, (50, 88)).astype(np.float32)
    b = rng.normal(-1.0, 0.5, (70, 88)).astype(np.float32)
    st = FeatureStats.fit([a, b], names=names)
    both = np.concatenate([a, b]).astype(np.float64)
    ph = [names.index("beat_phase_sin"), names.index("beat_phase_cos")]
    other = [i for i in range(88) if i not in ph]
    np.testing.assert_allclose(st.mean[other], both.mean(0)[other], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(st.std[other], both.std(0)[other], rtol=1e-4)
    assert np.all(st.mean[ph] == 0) and np.all(st.std[ph] == 1)
    z = st.apply(both)
    np.testing.assert_allclose(z[:, other].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(z[:, other].std(0), 1, atol=1e-3)
    np.testing.assert_array_equal(z[:, ph], both[:, ph].astype(np.float32))
    st2 = FeatureStats.from_dict(json.loads(json.dumps(st.to_dict())))
    np.testing.assert_array_equal(st2.apply(a), st.apply(a))
    np.testing.assert_allclose(st.invert(st.apply(a)), a, atol=1e-4)
    const = FeatureStats.fit([np.ones((10, 3))])
    assert np.all(np.isfinite(const.apply(np.ones((2, 3)))))
    with pytest.raises(ConfigError):
        st.apply(np.zeros((3, 40)))


def test_cli_features(tmp_path, capsys):
    f = tmp_path / "clicks.ogg"
    sf.write(f, click_track(np.arange(0.5, 9.9, 0.5), 10.0, 44100, noise=0.002), 44100)
    out = tmp_path / "feat.npz"
    assert main(["features", str(f), "--fps", "30", "-o", str(out)]) == 0
    with np.load(out) as z:
        assert {"values", "names", "fps", "beats", "tempo"} <= set(z.files)
        assert z["values"].shape == (300, 88) and float(z["fps"]) == 30.0
        assert abs(float(z["tempo"]) - 120) < 1
    fs = FeatureSet.load(out)
    assert fs.names[0] == "mel_00"
    # no silent overwrite
    capsys.readouterr()
    assert main(["features", str(f), "--fps", "30", "-o", str(out)]) != 0
    err = capsys.readouterr().err.strip()
    assert "already exists" in err and str(out) in err and len(err.splitlines()) == 1
    out2 = tmp_path / "mfcc.npz"
    assert main(["features", str(f), "--fps", "25", "--kind", "mfcc", "--start", "2",
                 "--duration", "5", "-o", str(out2)]) == 0
    with np.load(out2) as z:
        assert z["values"].shape == (125, 40)
