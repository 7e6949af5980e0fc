"""Decoding: formats, rates, channels, windows, noise reduction, and every bad input through the
CLI (non-zero exit and a one-line message naming the file, or a correct result)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from audio_synth import click_track
from dancegen.audio.io import audio_duration, load_audio, reduce_noise
from dancegen.cli import main
from dancegen.errors import AudioError


def _tone(freq, dur, sr, amp=0.3):
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(dur * sr)) / sr)).astype(np.float32)


def _peak_hz(y, sr):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.argmax(spec) * sr / len(y)


@pytest.mark.parametrize("ext,sr_in", [("wav", 44100), ("flac", 48000), ("ogg", 32000),
                                       ("mp3", 44100), ("wav", 8000)])
def test_formats_rates_to_mono_22050(tmp_path, ext, sr_in):
    left, right = _tone(440, 2.0, sr_in), _tone(440, 2.0, sr_in)
    f = tmp_path / f"tone.{ext}"
    sf.write(f, np.stack([left, right], axis=1), sr_in)
    y, sr = load_audio(f)
    assert sr == 22050 and y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 2.0 * 22050) <= (0.1 * 22050 if ext == "mp3" else 1)  # mp3: codec padding
    assert abs(_peak_hz(y, sr) - 440) < 2
    assert 0.15 < np.sqrt(np.mean(y[2000:-2000] ** 2)) < 0.25             # 0.3 / sqrt(2)
    assert abs(audio_duration(f) - 2.0) < (0.1 if ext == "mp3" else 1e-3)


def test_channels_are_averaged(tmp_path):
    sr = 96000
    x = np.zeros((sr, 6), np.float32)
    x[:, 2] = 0.6
    f = tmp_path / "dc.wav"
    sf.write(f, x, sr, subtype="FLOAT")
    y, _ = load_audio(f, denoise=False)
    np.testing.assert_allclose(y[100:-100], 0.1, atol=1e-3)


def test_window_seeks_and_matches_full_decode(tmp_path):
    sr = 44100
    y = click_track(np.arange(0.3, 20, 0.37), 20.0, sr, noise=0.05)
    f = tmp_path / "x.ogg"
    sf.write(f, y, sr)
    full, _ = load_audio(f, denoise=False)
    part, _ = load_audio(f, start=7.5, duration=4.0, denoise=False)
    assert len(part) == 4 * 22050
    i = int(7.5 * 22050)
    np.testing.assert_allclose(part[200:-200], full[i + 200:i + len(part) - 200], atol=2e-3)
    tail, _ = load_audio(f, start=18.0, duration=10.0)           # runs past the end: cut there
    assert abs(len(tail) - 2.0 * 22050) <= 1
    with pytest.raises(AudioError, match="past the end"):
        load_audio(f, start=25.0)
    with pytest.raises(AudioError, match="duration"):
        load_audio(f, duration=0.0)


def test_reduce_noise():
    sr = 22050
    t = np.arange(sr * 4) / sr
    music = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    rumble = (0.3 * np.sin(2 * np.pi * 8 * t)).astype(np.float32)
    out = reduce_noise(music + rumble + 0.2, sr)
    seg = slice(sr, 3 * sr)
    assert abs(out[seg].mean()) < 1e-3                                       # DC gone
    residual = out[seg] - music[seg]
    assert np.sqrt(np.mean(residual ** 2)) < 0.03                            # 8 Hz rumble -20 dB
    assert abs(np.sqrt(np.mean(out[seg] ** 2)) - 0.3 / np.sqrt(2)) < 0.01    # 1 kHz kept
    hiss = (1e-4 * np.random.default_rng(0).standard_normal(sr * 2)).astype(np.float32)  # -80 dBFS
    gated = np.sqrt(np.mean(reduce_noise(hiss, sr) ** 2))                    # 10 dB under the
    assert 0.8 * 10 ** (-90 / 20) < gated < 1.25 * 10 ** (-90 / 20)          # floor: -90 dBFS
    quiet_music = 0.01 * music                                               # -43 dBFS: untouched
    np.testing.assert_allclose(reduce_noise(quiet_music, sr)[sr:-sr], quiet_music[sr:-sr], atol=2e-4)


# ------------------------------------------------------------------ bad input through the CLI

@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    (d / "empty.mp3").write_bytes(b"")
    (d / "random.mp3").write_bytes(rng.bytes(40000))
    sf.write(d / "ok.mp3", click_track(np.arange(0.5, 30, 0.5), 30.0, 44100, noise=0.01), 44100)
    data = (d / "ok.mp3").read_bytes()
    (d / "truncated.mp3").write_bytes(data[: len(data) // 2])           # decodes the first ~15 s
    (d / "truncated_header.mp3").write_bytes(data[:200])
    (d / "cut.ogg").write_bytes(b"OggS" + rng.bytes(3000))
    sf.write(d / "silence.wav", np.zeros(44100 * 5, np.float32), 44100)
    sf.write(d / "short.wav", click_track([0.05], 0.3, 44100), 44100)
    six = np.zeros((96000 * 12, 6), np.float32)
    six[:, 4] = click_track(np.arange(0.5, 11.9, 0.5), 12.0, 96000)
    sf.write(d / "six_96k.flac", six, 96000)
    return d


@pytest.mark.parametrize("name,problem", [
    ("missing.wav", "not found"),
    ("empty.mp3", "empty"),
    ("random.mp3", "cannot decode"),
    ("truncated_header.mp3", "cannot decode"),
    ("cut.ogg", "cannot decode"),
])
@pytest.mark.parametrize("command", ["beats", "features"])
def test_cli_bad_files_fail_in_one_line(bad_dir, capsys, tmp_path, name, problem, command):
    f = bad_dir / name
    argv = [command, str(f)] + (["-o", str(tmp_path / "f.npz")] if command == "features" else [])
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc != 0
    assert len(err.splitlines()) == 1 and str(f) in err and problem in err
    assert "Traceback" not in err
    assert not (tmp_path / "f.npz").exists()


def test_cli_random_bytes_subprocess_has_no_decoder_chatter(bad_dir):
    """In a real process libsndfile's mp3 decoder would print notes to stderr; they are muted."""
    f = bad_dir / "random.mp3"
    r = subprocess.run([sys.executable, "-m", "dancegen", "beats", str(f)], capture_output=True,
                       text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=120)
    assert r.returncode != 0
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and str(f) in r.stderr


def test_cli_silence_and_short_clip(bad_dir, capsys, tmp_path):
    for name, frames in (("silence.wav", 125), ("short.wav", 8)):
        assert main(["beats", str(bad_dir / name), "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == {"tempo": 0.0, "beats": []}
        out = tmp_path / f"{name}.npz"
        assert main(["features", str(bad_dir / name), "-o", str(out)]) == 0
        with np.load(out) as z:
            assert z["values"].shape == (frames, 88) and np.all(np.isfinite(z["values"]))
            assert z["beats"].size == 0


def test_cli_truncated_mp3_decodes_what_is_there(bad_dir, capsys):
    assert main(["beats", str(bad_dir / "truncated.mp3"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["tempo"] - 120) < 1
    assert 10 < len(out["beats"]) < 35
    truth = np.arange(0.5, 30, 0.5)
    assert max(np.min(np.abs(truth - b)) for b in out["beats"]) < 0.03   # mp3 codec delay


def test_cli_six_channel_96k(bad_dir, capsys):
    assert main(["beats", str(bad_dir / "six_96k.flac"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["tempo"] - 120) < 0.6
    truth = np.arange(0.5, 11.9, 0.5)
    assert len(out["beats"]) == len(truth)
    assert max(np.min(np.abs(truth - b)) for b in out["beats"]) < 0.010


def test_cli_bad_options(bad_dir, capsys, tmp_path):
    f = bad_dir / "silence.wav"
    assert main(["features", str(f), "-o", str(tmp_path / "x.txt")]) != 0
    assert ".npz" in capsys.readouterr().err
    assert main(["beats", str(f), "--start", "30"]) != 0
    err = capsys.readouterr().err.strip()
    assert "past the end" in err and str(f) in err and len(err.splitlines()) == 1
