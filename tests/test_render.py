"""Rendering: skeleton drawing colours, mp4 streams/durations/frame counts, audio cut, CLI errors."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile as sf

from dancegen.cli import main
from dancegen.dance import Dance
from dancegen.errors import AudioError, ConfigError
from dancegen.render.draw import (
    BACKGROUND, CENTER_COLOR, LEFT_COLOR, RIGHT_COLOR, draw_pose, fit_canvas, render_frame,
)
from dancegen.render.synthetic import arms_pose, standing_pose, swaying_dance
from dancegen.render.video import (
    RenderError, fps_fraction, parse_ffmpeg_info, probe_media, render_frames, render_video,
    save_contact_sheet, stream_durations,
)

SR = 44100


def _px(img, xy):
    return img[int(round(xy[1])), int(round(xy[0]))].astype(int)


def _close(a, b, tol=12):
    return np.abs(np.asarray(a, int) - np.asarray(b, int)).max() <= tol


def _mid(p, a, b):
    return 0.5 * (p[a] + p[b])


# ------------------------------------------------------------------------------------------ drawing
def test_left_and_right_forearms_have_their_side_colours():
    img = np.full((1080, 1920, 3), 255, np.uint8)
    p = standing_pose()
    draw_pose(img, p)
    right = _px(img, _mid(p, 3, 4))   # RElbow-RWrist
    left = _px(img, _mid(p, 6, 7))    # LElbow-LWrist
    assert _close(right, RIGHT_COLOR, 2) and _close(left, LEFT_COLOR, 2)
    assert right[0] > right[2] + 100 and left[2] > left[0] + 100  # orange-red vs blue
    assert _close(_px(img, _mid(p, 1, 0)), CENTER_COLOR, 2)        # neck-nose is grey
    # Right shin and left thigh too
    assert _close(_px(img, _mid(p, 9, 10)), RIGHT_COLOR, 2)
    assert _close(_px(img, _mid(p, 11, 12)), LEFT_COLOR, 2)
    # Far from the body stays white
    assert (_px(img, (200, 200)) == 255).all()


def test_nan_and_low_confidence_joints_are_skipped():
    p = standing_pose()
    p[7] = np.nan                       # LWrist unknown: the left forearm disappears
    conf = np.ones(18, np.float32)
    conf[4] = 0.05                      # RWrist below 0.1: the right forearm disappears
    img = np.full((1080, 1920, 3), 255, np.uint8)
    draw_pose(img, p, conf)
    q = standing_pose()
    assert (_px(img, _mid(q, 6, 7)) == 255).all()
    assert (_px(img, _mid(q, 3, 4)) == 255).all()
    # upper arms still there
    assert _close(_px(img, _mid(q, 5, 6)), LEFT_COLOR, 2)
    assert _close(_px(img, _mid(q, 2, 3)), RIGHT_COLOR, 2)
    conf[4] = 0.1                       # exactly the threshold: drawn
    img2 = np.full((1080, 1920, 3), 255, np.uint8)
    draw_pose(img2, standing_pose(), conf)
    assert _close(_px(img2, _mid(q, 3, 4)), RIGHT_COLOR, 2)


def test_render_frame_scales_canvas_to_output_size():
    p = arms_pose(np.pi / 2, np.pi / 2)           # arms horizontal
    img = render_frame(p, canvas=(1920, 1080), out_size=(960, 540), grid=False)
    assert img.shape == (540, 960, 3) and img.dtype == np.uint8
    assert _close(_px(img, _mid(p, 6, 7) * 0.5), LEFT_COLOR, 2)
    assert _close(_px(img, _mid(p, 3, 4) * 0.5), RIGHT_COLOR, 2)
    assert _close(_px(img, (20, 20)), BACKGROUND, 0)
    # letterbox: a 4:3 output of a 16:9 canvas has the canvas centred vertically
    s, (ox, oy) = fit_canvas((1920, 1080), (800, 600))
    assert s == pytest.approx(800 / 1920) and ox == 0 and oy == pytest.approx((600 - 450) / 2)
    img43 = render_frame(p, out_size=(800, 600), grid=False)
    assert _close(_px(img43, _mid(p, 6, 7) * s + (ox, oy)), LEFT_COLOR, 2)


def test_fps_fraction():
    assert fps_fraction(25) == Fraction(25)
    assert fps_fraction(float(np.float32(30000 / 1001))) == Fraction(30000, 1001)
    assert fps_fraction(23.976) == Fraction(24000, 1001)
    assert fps_fraction(12.5) == Fraction(25, 2)


def test_parse_ffmpeg_info():
    text = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 129 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), 960x540 [SAR 1:1 DAR 16:9], 44 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 69 kb/s (default)
"""
    info = parse_ffmpeg_info(text)
    assert info["duration"] == pytest.approx(62.5)
    v, a = info["streams"]
    assert (v["type"], v["codec"], v["pix_fmt"], v["width"], v["height"], v["fps"]) == \
        ("video", "h264", "yuv420p", 960, 540, 29.97)
    assert (a["type"], a["codec"], a["sample_rate"], a["channels"]) == ("audio", "aac", 48000, "stereo")


# ------------------------------------------------------------------------------------------ video
@pytest.fixture(scope="module")
def tone_wav(tmp_path_factory) -> Path:
    """6 s stereo wav: silence until 2.0 s, then a 440 Hz tone."""
    t = np.arange(6 * SR) / SR
    y = np.where(t >= 2.0, 0.5 * np.sin(2 * np.pi * 440 * t), 0.0).astype(np.float32)
    p = tmp_path_factory.mktemp("music") / "tone.wav"
    sf.write(p, np.stack([y, y], 1), SR)
    return p


def _decode_audio(path: Path) -> np.ndarray:
    import subprocess

    from dancegen.render.video import ffmpeg_exe

    r = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1",
                        "-ar", str(SR), "-f", "f32le", "-"], capture_output=True, check=True)
    return np.frombuffer(r.stdout, np.float32)


def _count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_video_streams_durations_and_audio_cut(tmp_path, tone_wav):
    T, fps = 50, 25.0                                   # 2.0 s
    d = swaying_dance(T, fps, music=str(tone_wav), offset=1.5)
    out = render_video(d, tmp_path / "a.mp4", progress=False)
    assert out == tmp_path / "a.mp4" and out.exists()
    m = stream_durations(out)
    v = [s for s in m["info"]["streams"] if s["type"] == "video"][0]
    a = [s for s in m["info"]["streams"] if s["type"] == "audio"][0]
    assert (v["codec"], v["pix_fmt"], v["width"], v["height"]) == ("h264", "yuv420p", 960, 540)
    assert v["fps"] == pytest.approx(25.0)
    assert a["codec"] == "aac"
    assert m["video_frames"] == T
    assert abs(m["video"] - T / fps) <= 1 / fps
    assert abs(m["audio"] - T / fps) <= 0.1
    assert _count_frames(out) == T
    # The music's silence ends at 2.0 s = 0.5 s into the video (offset 1.5 s).
    y = _decode_audio(out)
    env = np.array([np.abs(y[i:i + 441]).max() for i in range(0, len(y) - 441, 441)])  # 10 ms
    onset = np.argmax(env > 0.1) * 0.01
    assert onset == pytest.approx(0.5, abs=0.03)
    assert env[: int(0.45 / 0.01)].max() < 0.02
    # faststart: the moov atom comes before the media data
    head = out.read_bytes()
    assert head.find(b"moov") < head.find(b"mdat")


def test_video_frames_are_the_dance_frames_in_order(tmp_path):
    d = swaying_dance(30, 25.0, name="")
    out = render_video(d, tmp_path / "f.mp4", size=(480, 270), progress=False, silent=True,
                       crf=12)
    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f[..., ::-1].astype(np.float32))
    cap.release()
    assert len(frames) == 30
    drawn = [f.astype(np.float32).copy() for f in render_frames(d, (480, 270))]
    for k in (0, 7, 29):
        errs = [np.abs(frames[k] - drawn[j]).mean() for j in range(30)]
        assert int(np.argmin(errs)) == k and errs[k] < 2.0


def test_fractional_fps_and_silent_video(tmp_path):
    fps = 30000 / 1001
    d = swaying_dance(45, fps)
    out = render_video(d, tmp_path / "s.mp4", size=(320, 180), progress=False)   # no music
    m = stream_durations(out)
    assert [s["type"] for s in m["info"]["streams"]] == ["video"]
    assert m["info"]["streams"][0]["fps"] == pytest.approx(29.97, abs=0.005)
    assert _count_frames(out) == 45
    assert abs(m["video"] - 45 / fps) <= 1 / fps


def test_music_shorter_than_dance_is_padded_and_negative_offset_delays(tmp_path, tone_wav):
    # offset 5 s into a 6 s song, 2 s dance: the last second is silence, durations still 2 s
    d = swaying_dance(50, 25.0, music=str(tone_wav), offset=5.0)
    m = stream_durations(render_video(d, tmp_path / "p.mp4", size=(320, 180), progress=False))
    assert abs(m["audio"] - 2.0) <= 0.1
    # offset -0.5 s: music starts 0.5 s into the video, its tone 2.5 s in (past the 2 s end)
    d2 = swaying_dance(75, 25.0, music=str(tone_wav), offset=-0.5)
    out2 = render_video(d2, tmp_path / "n.mp4", size=(320, 180), progress=False)
    y = _decode_audio(out2)
    assert abs(len(y) / SR - 3.0) <= 0.1
    env = np.array([np.abs(y[i:i + 441]).max() for i in range(0, len(y) - 441, 441)])
    assert np.argmax(env > 0.1) * 0.01 == pytest.approx(2.5, abs=0.03)


def test_errors(tmp_path, tone_wav):
    d = swaying_dance(10, 25.0)
    with pytest.raises(AudioError, match="nope.wav"):
        render_video(d, tmp_path / "x.mp4", music=tmp_path / "nope.wav", progress=False)
    with pytest.raises(AudioError, match="past the end"):
        render_video(d, tmp_path / "x.mp4", music=tone_wav, offset=10.0, progress=False)
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"this is not audio" * 100)
    with pytest.raises(AudioError, match="bad.mp3"):
        render_video(d, tmp_path / "x.mp4", music=bad, progress=False)
    with pytest.raises(ConfigError, match="even"):
        render_video(d, tmp_path / "x.mp4", size=(641, 480), progress=False)
    with pytest.raises(ConfigError, match=".avi"):
        render_video(d, tmp_path / "x.avi", progress=False)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(RenderError, match="afile"):      # the output folder cannot be created
        render_video(d, tmp_path / "afile" / "x.mp4", progress=False)
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*part*"))
    with pytest.raises(RenderError, match="ffmpeg failed"):
        render_video(d, tmp_path / "x.mp4", preset="no-such-preset", progress=False)
    assert not (tmp_path / "x.mp4").exists() and not list(tmp_path.glob(".*part*"))


def test_contact_sheet(tmp_path):
    d = swaying_dance(100, 25.0, name="sheet")
    out = save_contact_sheet(d, tmp_path / "s.png", n=8, size=(320, 180))
    img = cv2.imread(str(out))[..., ::-1]
    assert img.shape == (2 * 180, 4 * 320, 3)
    # tile 0 is frame 0, tile 7 the last frame: compare with frames drawn directly
    first = next(render_frames(d, (320, 180), indices=[0])).copy()
    last = next(render_frames(d, (320, 180), indices=[99])).copy()
    assert np.abs(img[1:180, 1:320].astype(int) - first[1:, 1:]).max() == 0
    assert np.abs(img[181:360, 961:1280].astype(int) - last[1:, 1:]).max() == 0
    with pytest.raises(RenderError, match="exists"):
        save_contact_sheet(d, out)


# ------------------------------------------------------------------------------------------ CLI
def test_cli_render_missing_music_one_line_error(tmp_path, capsys):
    npz = swaying_dance(20, 25.0, music=str(tmp_path / "gone.ogg")).save(tmp_path / "d.npz")
    rc = main(["render", str(npz), "-o", str(tmp_path / "o.mp4"), "-q"])
    err = capsys.readouterr().err.strip()
    assert rc != 0
    assert len(err.splitlines()) == 1 and "gone.ogg" in err and "--music" in err
    assert not (tmp_path / "o.mp4").exists()


def test_cli_render_refuses_overwrite_without_force(tmp_path, tone_wav, capsys):
    npz = swaying_dance(25, 25.0).save(tmp_path / "d.npz")
    out = tmp_path / "o.mp4"
    out.write_bytes(b"keep me")
    rc = main(["render", str(npz), "--music", str(tone_wav), "--offset", "2", "-o", str(out),
               "--size", "320x180", "-q"])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and len(err.splitlines()) == 1 and "--force" in err
    assert out.read_bytes() == b"keep me"
    rc = main(["render", str(npz), "--music", str(tone_wav), "--offset", "2", "-o", str(out),
               "--size", "320x180", "-q", "--force"])
    assert rc == 0
    m = stream_durations(out)
    assert m["video_frames"] == 25 and abs(m["audio"] - 1.0) <= 0.1
    rc = main(["render", str(npz), "--sheet", str(tmp_path / "s.png")])
    assert rc == 0 and cv2.imread(str(tmp_path / "s.png")).shape == (540, 1920, 3)


def test_cli_music_and_offset_default_to_the_npz(tmp_path, tone_wav, capsys):
    npz = swaying_dance(25, 25.0, music=str(tone_wav), offset=1.75).save(tmp_path / "d.npz")
    out = tmp_path / "o.mp4"
    assert main(["render", str(npz), "-o", str(out), "--size", "320x180", "-q"]) == 0
    assert "tone.wav from 1.75 s" in capsys.readouterr().err
    y = _decode_audio(out)
    env = np.array([np.abs(y[i:i + 441]).max() for i in range(0, len(y) - 441, 441)])
    assert np.argmax(env > 0.1) * 0.01 == pytest.approx(0.25, abs=0.03)


# ------------------------------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_render_with_real_ogg_song(tmp_path, sectoid_dir):
    song = sectoid_dir / "metal_madness" / "song.ogg"
    assert probe_media(song)["streams"][0]["codec"] == "vorbis"
    d = swaying_dance(100, 25.0, music=str(song), offset=30.0)
    m = stream_durations(render_video(d, tmp_path / "r.mp4", size=(320, 180), progress=False))
    assert m["video_frames"] == 100 and abs(m["audio"] - 4.0) <= 0.1
    y = _decode_audio(tmp_path / "r.mp4")
    assert np.sqrt(np.mean(y ** 2)) > 0.01          # real music, not silence


@pytest.mark.realdata
def test_render_dance_with_melody_sequence(tmp_path, dwm_dir):
    from dancegen.data import dwm

    d = dwm.load_dwm(dwm_dir, names=["DANCE_W_10"], progress=False)[0]
    T = min(d.n_frames, 100)
    d = Dance(keypoints=d.keypoints[:T], fps=d.fps, canvas=d.canvas, music=d.music, offset=d.offset,
              name=d.name)
    out = render_video(d, tmp_path / "w.mp4", size=(480, 270), progress=False)
    m = stream_durations(out)
    assert m["video_frames"] == T and abs(m["audio"] - T / d.fps) <= 0.1
    assert np.sqrt(np.mean(_decode_audio(out) ** 2)) > 0.01
