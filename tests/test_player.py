"""The HTML player (``dancegen render --html``): data encoding, the page's contents, the CLI, and the
page itself in a real headless Chromium (console, pixels, timing against the audio clock)."""
from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import numpy as np
import pytest

from browser import (chrome, colour_pixels, console_errors, element_png, missing, requested_urls,
                     sample_after_a_tick, wait_for)
from conftest import REPO
from dancegen.cli import main
from dancegen.dance import Dance
from dancegen.render.draw import LEFT_COLOR, RIGHT_COLOR
from dancegen.render.html import dance_payload, dequantize, encode_music_clip, player_html, quantize, write_player
from dancegen.render.synthetic import swaying_dance, swaying_dance_3d
from dancegen.render.video import RenderError, probe_media

MUSIC = REPO / "examples" / "music" / "metal_madness.ogg"


def test_quantize_roundtrip_keeps_missing_joints():
    rng = np.random.default_rng(0)
    x = rng.uniform(-500, 2500, size=(40, 18, 2)).astype(np.float32)
    x[3, 5] = np.nan
    x[7, 2, 1] = np.inf
    back = dequantize(quantize(x))
    ok = np.isfinite(x)
    assert np.isnan(back[3, 5]).all() and np.isnan(back[7, 2, 1])
    assert np.isfinite(back[ok]).all()
    assert np.abs(back[ok] - x[ok]).max() < 0.03        # 3000 px over 65534 steps
    flat = np.full((5, 17, 3), 1.25, np.float32)                # a constant channel
    assert np.allclose(dequantize(quantize(flat)), 1.25)
    assert np.isnan(dequantize(quantize(np.full((2, 17, 3), np.nan)))).all()


def test_payload_has_3d_only_for_the_body3d_layout():
    d2 = swaying_dance(20)
    assert dance_payload(d2)["j3d"] is None
    d3 = swaying_dance_3d(20)
    p = dance_payload(d3)
    assert p["j3d"] is not None and len(p["j3d"]["bones"]) == 16
    assert abs(p["j3d"]["floor"]) < 0.05
    j = dequantize(p["j3d"]["q"])
    assert np.abs(j - d3.joints3d).max() < 1e-3
    raw = Dance(keypoints=d3.keypoints, fps=25, joints3d=np.zeros((20, 23, 3)))   # a source layout
    assert dance_payload(raw)["j3d"] is None


def test_page_is_self_contained(tmp_path):
    d = swaying_dance_3d(50, music=str(MUSIC), offset=10.0)
    stats = {}
    page = player_html(d, stats=stats)
    # nothing is fetched from anywhere: no src/href to a URL, no external script or style
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assert "<link" not in page and not re.search(r"<script[^>]*\bsrc=", page)
    assert "Copyright © 2010-2024 three.js authors" in page          # three.js licence kept
    assert "Sectoid" in page                                        # the music's COPYRIGHT kept
    assert stats["three"] > 500_000 and stats["music"] > 0
    m = re.search(r'<script type="text/plain" id="music-data" data-mime="audio/mp4">([^<]+)</script>', page)
    clip = base64.b64decode(m.group(1))
    assert clip[4:8] == b"ftyp"                                      # an mp4 (AAC) file
    # a 2D dance has no three.js in its page
    page2 = player_html(swaying_dance(50), audio=False)
    assert "three.js authors" not in page2 and len(page2) < 200_000


def test_music_clip_is_the_dance_span(tmp_path):
    clip = encode_music_clip(MUSIC, 10.0, 3.0)
    f = tmp_path / "clip.m4a"
    f.write_bytes(clip)
    assert probe_media(f)["duration"] == pytest.approx(3.0, abs=0.06)
    # past the song's end: padded with silence to the dance's length
    clip = encode_music_clip(MUSIC, 58.0, 8.0, fmt="mp3")
    f = tmp_path / "clip.mp3"
    f.write_bytes(clip)
    assert probe_media(f)["duration"] == pytest.approx(8.0, abs=0.1)


def test_cli_html_refuses_to_overwrite(tmp_path, capsys):
    npz = tmp_path / "d.npz"
    swaying_dance_3d(30, music=str(MUSIC), offset=5.0).save(npz)
    out = tmp_path / "d.html"
    assert main(["render", str(npz), "--html", str(out)]) == 0
    assert "2D and 3D views" in capsys.readouterr().err
    first = out.read_bytes()
    assert main(["render", str(npz), "--html", str(out), "--no-audio"]) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == first
    assert main(["render", str(npz), "--html", str(out), "--no-audio", "--force"]) == 0
    assert len(out.read_bytes()) < len(first)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.html", "d.npz"]   # no temp files left
    with pytest.raises(RenderError):
        write_player(swaying_dance(5), out)
    assert main(["render", str(npz), "--html", str(tmp_path / "d.txt")]) == 2


# ------------------------------------------------------------------------------ in a browser
@pytest.fixture(scope="module")
def browser():
    why = missing()
    if why:
        pytest.skip(f"browser test: {why}")
    with chrome() as driver:
        yield driver


def _open(driver, path: Path):
    driver.get(path.as_uri())
    wait_for(driver, "window.dancegenPlayer && window.dancegenPlayer.ready")


def _skeleton_pixels(driver, element_id):
    img = element_png(driver, element_id)
    return colour_pixels(img, LEFT_COLOR), colour_pixels(img, RIGHT_COLOR)


@pytest.mark.slow
@pytest.mark.browser
def test_player_plays_in_time_with_the_music(browser, tmp_path):
    d = swaying_dance_3d(250, fps=25.0, music=str(MUSIC), offset=20.0)
    page = write_player(d, tmp_path / "p.html")
    console_errors(browser), requested_urls(browser)          # drop what earlier pages logged
    _open(browser, page)
    info = browser.execute_script("const p = window.dancegenPlayer; return [p.has3d, p.view3d, p.hasAudio, p.nFrames]")
    assert info == [True, True, True, 250]
    left, right = _skeleton_pixels(browser, "view2d")
    assert left > 150 and right > 150, (left, right)
    left3, right3 = _skeleton_pixels(browser, "view3d")
    assert left3 > 150 and right3 > 150, (left3, right3)

    browser.find_element("id", "play").click()
    time.sleep(1.5)
    samples = [sample_after_a_tick(browser) for _ in range(8) if time.sleep(0.15) is None]
    for frame, t, playing in samples:
        assert playing
        assert abs(frame - int(np.floor(t * d.fps))) <= 1, samples
    assert samples[-1][1] - samples[0][1] > 0.8, samples               # the music runs
    assert samples[0][1] > 1.0

    # playback speed is the audio's playbackRate
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "speed")).select_by_value("2")
    t0, w0 = browser.execute_script("return window.dancegenPlayer.audioTime()"), time.monotonic()
    time.sleep(1.0)
    t1, w1 = browser.execute_script("return window.dancegenPlayer.audioTime()"), time.monotonic()
    assert 1.4 < (t1 - t0) / (w1 - w0) < 2.6
    assert browser.execute_script("return document.getElementById('audio').playbackRate") == 2

    # pause, then the slider seeks
    browser.find_element("id", "play").click()
    assert not browser.execute_script("return window.dancegenPlayer.playing()")
    browser.execute_script("const s = document.getElementById('scrub'); s.value = 200;"
                           "s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change'));")
    wait_for(browser, "window.dancegenPlayer.frame === 200", timeout=5)

    # loop: playing over the end starts again
    browser.find_element("id", "loop").click()
    browser.execute_script("window.dancegenPlayer.seek(window.dancegenPlayer.duration - 0.3); window.dancegenPlayer.play()")
    wait_for(browser, "window.dancegenPlayer.playing() && window.dancegenPlayer.audioTime() < 2", timeout=10)

    # dragging the 3D view turns the camera
    from selenium.webdriver import ActionChains

    az = browser.execute_script("return window.dancegenPlayer.orbit.az")
    ActionChains(browser).move_to_element(browser.find_element("id", "view3d")).click_and_hold() \
        .move_by_offset(120, 30).release().perform()
    assert browser.execute_script("return window.dancegenPlayer.orbit.az") != pytest.approx(az)

    assert console_errors(browser) == []
    urls = requested_urls(browser)
    assert urls and all(u.startswith(("file:", "blob:", "data:")) for u in urls), urls


@pytest.mark.slow
@pytest.mark.browser
def test_player_2d_only_and_silent(browser, tmp_path):
    page = write_player(swaying_dance(100, fps=25.0), tmp_path / "s.html", audio=False)
    console_errors(browser)
    _open(browser, page)
    assert browser.execute_script("const p = window.dancegenPlayer; return [p.has3d, p.hasAudio]") == [False, False]
    assert not browser.find_element("id", "view3d-box").is_displayed()
    left, right = _skeleton_pixels(browser, "view2d")
    assert left > 150 and right > 150
    browser.execute_script("window.dancegenPlayer.play()")
    time.sleep(1.0)
    frame, t, _ = sample_after_a_tick(browser)
    assert t > 0.7 and abs(frame - int(t * 25)) <= 1
    time.sleep(3.5)                                                  # 4 s dance, no loop: stops at the end
    assert browser.execute_script("const p = window.dancegenPlayer; return [p.playing(), p.frame]") == [False, 99]
    assert console_errors(browser) == []


@pytest.mark.realdata
def test_player_page_for_a_dance_with_melody_take(dwm_dir):
    from dancegen.body3d import JOINTS3D, from_dwm23
    from dancegen.data.dwm import load_dwm_sequence, prepare_sequence

    seq = load_dwm_sequence(dwm_dir / "DANCE_W_10")
    world, _ = prepare_sequence(seq)
    j3 = from_dwm23(world)[:250]
    d = swaying_dance_3d(250)                      # 2D stand-in; the 3D body is the real take
    d.joints3d, d.joint3d_names = j3, JOINTS3D
    p = dance_payload(d)
    assert p["j3d"] is not None and abs(p["j3d"]["floor"]) < 0.1
    assert 0.7 < p["j3d"]["rootHeight"] < 1.2                        # metres, y up
    assert np.nanmax(np.abs(dequantize(p["j3d"]["q"]) - j3)) < 1e-3
