"""A truncated music file: its header announces the whole song, fewer samples decode. Every length
dancegen uses is the decoded one, and the disagreement is one warning line."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from dancegen.audio import io as aio
from dancegen.cli import main

REPO = Path(__file__).resolve().parents[1]
SONG = REPO / "examples" / "music" / "metal_madness.ogg"


@pytest.fixture(scope="module")
def mp3s(tmp_path_factory):
    """(full 12 s mp3, the same file cut to half its bytes)."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    d = tmp_path_factory.mktemp("trunc")
    full = d / "full.mp3"
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-ss", "20", "-t", "12",
                    "-i", str(SONG), "-c:a", "libmp3lame", "-q:a", "4", str(full)], check=True)
    cut = d / "cut.mp3"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    return full, cut


@pytest.fixture(autouse=True)
def _fresh_cache():
    aio._LENGTH_CACHE.clear()
    aio._WARNED.clear()
    yield


def _decoded_seconds(path) -> float:
    import soundfile as sf

    with aio._quiet_stderr(), sf.SoundFile(str(path)) as f:  # libmpg123 notes on a cut file
        n = 0
        while True:
            got = len(f.read(1 << 16, dtype="int16"))
            if not got:
                return n / f.samplerate
            n += got


def test_audio_duration_is_the_decoded_length_and_warns_once(mp3s, caplog):
    full, cut = mp3s
    assert aio.audio_duration(full) == pytest.approx(12.0, abs=0.06)
    header = aio.audio_duration(cut, header=True)
    real = _decoded_seconds(cut)
    assert header == pytest.approx(12.0, abs=0.06) and real < 7.5      # the header lies
    assert aio.audio_duration(cut) == pytest.approx(real, abs=1e-6)
    assert aio.audio_duration(cut) == pytest.approx(real, abs=1e-6)    # cached, warned once
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and "cut.mp3" in warned[0] and "truncated" in warned[0]


def test_generate_on_a_truncated_mp3_dances_to_the_end_of_the_audio(mp3s, tmp_path, capsys):
    _, cut = mp3s
    real = _decoded_seconds(cut)
    out = tmp_path / "o"
    assert main(["generate", str(cut), "-o", str(out), "--no-video", "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    warnings = [e for e in err if "warning" in e]
    assert len(warnings) == 1 and warnings[0].startswith("dancegen generate: warning:") and "cut.mp3" in warnings[0]
    d = np.load(out / "dance.npz")
    kp = d["keypoints"]
    assert abs(len(kp) - real * 25) <= 1          # the decoded length, not the header's 12 s
    tail = kp[-int(2 * 25):]                        # the last two seconds still move (no frozen pose)
    assert np.abs(np.diff(tail, axis=0)).max() > 0.5


def test_features_on_a_truncated_mp3_warn_and_use_the_decoded_length(mp3s, tmp_path, capsys):
    _, cut = mp3s
    real = _decoded_seconds(cut)
    out = tmp_path / "f.npz"
    assert main(["features", str(cut), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning") == 1 and "truncated" in err
    with np.load(out) as z:
        assert abs(z["values"].shape[0] - real * 25) <= 1


def test_render_pads_a_truncated_song_and_says_so(mp3s, tmp_path, capsys):
    from dancegen.dance import Dance

    _, cut = mp3s
    T = 25 * 10  # a 10 s dance: longer than the 6 s that decode, shorter than the 12 s of the header
    t = np.arange(T) / 25.0
    kp = np.tile(np.linspace(300, 700, 36, dtype=np.float32).reshape(1, 18, 2), (T, 1, 1))
    kp[:, :, 0] += 20 * np.sin(2 * np.pi * t)[:, None].astype(np.float32)
    npz = Dance(keypoints=kp, fps=25, music=str(cut)).save(tmp_path / "d.npz")
    assert main(["render", str(npz), "-o", str(tmp_path / "d.mp4"), "--size", "160x90", "-q"]) == 0
    err = capsys.readouterr().err
    assert "padding with silence" in err and "cut.mp3" in err
