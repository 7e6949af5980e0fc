"""A dance as ONE self-contained HTML page: the browser player (``dancegen render --html``).

The page needs no network when it is viewed: the music (the dance's span of it, re-encoded to a
web format with imageio-ffmpeg's ffmpeg), the dance data and, for a dance with a 3D body,
three.js (vendored from npm, ``dancegen/assets/vendor/three``, its MIT licence kept in the page)
are all inlined. It plays the 2D skeleton (canvas 2D, drawn like the mp4) and the 3D body
(three.js, drag to orbit, wheel to zoom) in time with the music: the frame shown is
``floor(audio.currentTime * fps)``, clamped. Play/pause, a scrubbing slider, loop and playback
speed (0.5/1/1.5/2, the audio's ``playbackRate``); space and the arrow keys too.

Data encoding: each coordinate is quantised to uint16 per axis (``lo + q * step``, ``q = 65535``
for a missing joint), little-endian, base64 in a JSON block (about 0.03 px / 0.1 mm precision).
For tests and scripts the page exposes ``window.dancegenPlayer`` (``frame``, ``audioTime()``,
``play()``, ``pause()``, ``seek(seconds)``, ``ready``, ``has3d``, ``view3d`` ...).
"""
from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..dance import Dance
from ..errors import AudioError, ConfigError, DataError
from ..skeleton import BONE_SIDE, BONES, OPENPOSE18_JOINTS
from .draw import (BACKGROUND, CANVAS_RADIUS, CANVAS_THICKNESS, CENTER_COLOR, FLOOR_COLOR, GRID_COLOR,
                   JOINT_SHADE, JOINT_SIDE, LEFT_COLOR, MIN_CONFIDENCE, RIGHT_COLOR, TEXT_COLOR)

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PLAYER_DIR = ASSETS / "player"
THREE_DIR = ASSETS / "vendor" / "three"
THREE_FILE = THREE_DIR / "three.module.min.js"
THREE_VERSION = "0.170.0"   # the last npm release whose module build is one file
HTML_SUFFIXES = (".html", ".htm")

# --audio-format -> (ffmpeg output options, MIME type of the embedded clip)
AUDIO_FORMATS = {
    "m4a": (["-c:a", "aac", "-b:a", "{br}", "-movflags", "+faststart", "-f", "mp4"], "audio/mp4"),
    "mp3": (["-c:a", "libmp3lame", "-b:a", "{br}", "-f", "mp3"], "audio/mpeg"),
    "ogg": (["-c:a", "libopus", "-b:a", "{br}", "-f", "ogg"], "audio/ogg"),
}
DEFAULT_AUDIO_FORMAT = "m4a"
DEFAULT_AUDIO_BITRATE = "128k"
NOTICE_NAMES = ("COPYRIGHT", "COPYING", "LICENSE", "LICENCE", "NOTICE")
MISSING = 65535


# ------------------------------------------------------------------------------------- data
def quantize(x: np.ndarray) -> dict:
    """``(T, J, C)`` float -> ``{"shape", "lo", "step", "b64"}``: uint16 per channel ``c``,
    ``x = lo[c] + q * step[c]``; non-finite values become ``q = 65535`` (missing)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 3:
        raise ValueError(f"expected (T, J, C), got {a.shape}")
    C = a.shape[2]
    ok = np.isfinite(a)
    lo, step = np.zeros(C), np.ones(C)
    for c in range(C):
        v = a[..., c][ok[..., c]]
        if v.size:
            lo[c] = float(v.min())
            span = float(v.max()) - lo[c]
            step[c] = span / (MISSING - 1) if span > 0 else 1.0
    q = np.where(ok, np.round((np.where(ok, a, 0.0) - lo) / step), MISSING)
    q = np.clip(q, 0, MISSING).astype("<u2")
    return {"shape": list(a.shape), "lo": lo.tolist(), "step": step.tolist(),
            "b64": base64.b64encode(q.tobytes()).decode("ascii")}


def dequantize(q: dict) -> np.ndarray:
    """Inverse of :func:`quantize` (what the page's JavaScript does), float32 with NaN for missing."""
    u = np.frombuffer(base64.b64decode(q["b64"]), dtype="<u2").reshape(q["shape"]).astype(np.float64)
    out = np.asarray(q["lo"]) + u * np.asarray(q["step"])
    out[u == MISSING] = np.nan
    return out.astype(np.float32)


def _rgb(c) -> str:
    return "#%02x%02x%02x" % tuple(int(v) for v in c)


def _side3d(name: str) -> str:
    return "R" if name.startswith("R") else ("L" if name.startswith("L") else "C")


def dance_payload(dance: Dance, title: str | None = None) -> dict:
    """The JSON the page reads: timing, the 2D keypoints (confidence below the renderer's
    threshold -> missing), the 2D drawing style, and the 3D body when the dance has one in the
    :mod:`dancegen.body3d` layout."""
    from .video import floor_height

    if dance.n_frames == 0:
        raise DataError(f"dance '{dance.name}' has no frames; nothing to play")
    kp = np.array(dance.keypoints, dtype=np.float64)
    if dance.confidence is not None and dance.confidence.shape == kp.shape[:2]:
        kp[np.nan_to_num(dance.confidence, nan=0.0) < MIN_CONFIDENCE] = np.nan
    fy = floor_height(kp)
    payload = {
        "title": title or dance.name or "dance",
        "name": dance.name, "genre": dance.genre, "fps": dance.fps, "nFrames": dance.n_frames,
        "offset": dance.offset, "canvas": list(dance.canvas), "floorY": fy,
        "frame2d": view_box(kp, dance.canvas, fy),
        "kp": quantize(kp),
        "bones2d": [list(b) for b in BONES], "boneSide2d": list(BONE_SIDE), "jointSide2d": list(JOINT_SIDE),
        "joints2d": list(OPENPOSE18_JOINTS),
        "style": {"background": _rgb(BACKGROUND), "grid": _rgb(GRID_COLOR), "floor": _rgb(FLOOR_COLOR),
                  "text": _rgb(TEXT_COLOR), "L": _rgb(LEFT_COLOR), "R": _rgb(RIGHT_COLOR),
                  "C": _rgb(CENTER_COLOR), "jointShade": JOINT_SHADE,
                  "thickness": CANVAS_THICKNESS, "radius": CANVAS_RADIUS},
        "j3d": None,
    }
    j3 = dance.joints3d
    if j3 is not None and dance.bones3d is not None:
        j3 = np.asarray(j3, dtype=np.float64)
        if j3.shape[0] != dance.n_frames:
            log.warning("dance '%s': joints3d has %d frames, keypoints %d; 2D view only",
                        dance.name, j3.shape[0], dance.n_frames)
        else:
            from ..body3d import FOOT3D, JOINTS3D, heading

            feet = j3[:, list(FOOT3D), 1]
            feet = feet[np.isfinite(feet)]
            root = j3[:, 0, :]
            fine = np.isfinite(root).all(axis=1)
            h0 = heading(j3[np.argmax(fine)]) if fine.any() else 0.0
            payload["j3d"] = {
                "q": quantize(j3), "names": list(JOINTS3D), "bones": [list(b) for b in dance.bones3d],
                "boneSide": [_side3d(JOINTS3D[c]) for _, c in dance.bones3d],
                "jointSide": [_side3d(n) for n in JOINTS3D],
                "floor": float(np.percentile(feet, 2)) if feet.size else 0.0,
                "rootHeight": float(np.nanmedian(root[fine, 1])) if fine.any() else 0.9,
                "heading": float(h0) if np.isfinite(h0) else 0.0,
            }
    elif j3 is not None:
        log.info("dance '%s': joints3d without the body3d layout; 2D view only", dance.name)
    return payload


# ------------------------------------------------------------------------------------ music
def encode_music_clip(music: str | os.PathLike, offset: float, duration: float,
                      fmt: str = DEFAULT_AUDIO_FORMAT, bitrate: str = DEFAULT_AUDIO_BITRATE) -> bytes:
    """The span ``[offset, offset + duration]`` of a music file re-encoded for browsers
    (``fmt`` m4a = AAC, mp3 or ogg = Opus), padded with silence past the song's end (delayed
    when ``offset < 0``) so it lasts exactly ``duration``. Only local paths go to ffmpeg."""
    from .video import ffmpeg_exe, probe_media

    if fmt not in AUDIO_FORMATS:
        raise ConfigError(f"audio format {fmt!r}: use one of {', '.join(AUDIO_FORMATS)}")
    path = Path(music)
    if not path.is_file():
        raise AudioError(f"{path}: music file does not exist; pass --music PATH (or --no-audio)")
    info = probe_media(path)
    if not any(s["type"] == "audio" for s in info["streams"]):
        raise AudioError(f"{path}: has no audio stream; pass another --music file")
    mdur = info["duration"]
    if mdur is not None and offset >= mdur:
        raise AudioError(f"{path}: offset {offset:.3f} s is past the end of the music ({mdur:.3f} s)")
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    afilter = "apad"
    if offset >= 0:
        cmd += ["-ss", f"{offset:.6f}", "-t", f"{duration:.6f}", "-i", str(path)]
    else:
        if duration + offset <= 0:
            raise ConfigError(f"offset {offset:.3f} s: the dance ends before the music starts")
        cmd += ["-t", f"{duration + offset:.6f}", "-i", str(path)]
        afilter = f"adelay=delays={-offset * 1000:.3f}:all=1,apad"
    opts, _ = AUDIO_FORMATS[fmt]
    with tempfile.TemporaryDirectory(prefix="dancegen-audio-") as tmp:
        out = Path(tmp) / f"clip.{fmt}"
        cmd += ["-map", "0:a:0", "-vn", "-ac", "2", "-af", afilter, "-t", f"{duration:.6f}"]
        cmd += [o.format(br=bitrate) for o in opts] + [str(out)]
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            msg = " / ".join(l.strip() for l in r.stderr.splitlines()[-2:] if l.strip())
            raise AudioError(f"{path}: ffmpeg could not encode the music for the page ({msg or r.returncode})")
        return out.read_bytes()


def music_notice(music: str | os.PathLike) -> str | None:
    """Text of a COPYRIGHT/LICENSE file next to the music (kept with every copy of the song)."""
    folder = Path(music).parent
    for name in NOTICE_NAMES:
        for p in (folder / name, folder / f"{name}.txt", folder / f"{name}.md"):
            if p.is_file() and p.stat().st_size < 64_000:
                try:
                    return p.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    return None
    return None


# ------------------------------------------------------------------------------------- page
def _json_for_script(obj) -> str:
    """JSON that can sit inside a ``<script>`` element (every ``<`` written as ``\\u003c``)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def _check_script(text: str, what: str) -> str:
    """Raw JavaScript to put inside ``<script>``: it must not contain ``</script`` or ``<!--``."""
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise RuntimeError(f"{what} contains '</script' or '<!--' and cannot be inlined")
    return text


def view_box(kp: np.ndarray, canvas, floor_y: float | None) -> list:
    """The part of the canvas the 2D view shows: the box around every frame's joints (0.5-99.5
    percentiles) and the floor, padded, at least 40 % of the canvas height. ``[x0, y0, x1, y1]``."""
    cw, ch = canvas
    pts = np.asarray(kp, np.float64).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if pts.shape[0] == 0:
        return [0.0, 0.0, float(cw), float(ch)]
    x0, y0 = np.percentile(pts, 0.5, axis=0)
    x1, y1 = np.percentile(pts, 99.5, axis=0)
    if floor_y is not None:
        y1 = max(y1, floor_y)
    size = max(x1 - x0, y1 - y0, 0.4 * ch)
    pad = 0.08 * size + 10.0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hw, hh = max(x1 - x0, 0.4 * ch) / 2 + pad, max(y1 - y0, 0.4 * ch) / 2 + pad
    return [float(cx - hw), float(cy - hh), float(cx + hw), float(cy + hh)]


def player_html(dance: Dance, music: str | os.PathLike | None = None, offset: float | None = None, *,
                audio: bool = True, audio_format: str = DEFAULT_AUDIO_FORMAT,
                audio_bitrate: str = DEFAULT_AUDIO_BITRATE, title: str | None = None,
                stats: dict | None = None) -> str:
    """The player page for ``dance`` as a string. ``music``/``offset`` default to the dance's own;
    ``audio=False`` (or no music) gives a silent page that runs on its own clock. ``stats``, when
    a dict, receives the byte sizes of the parts (``music``, ``three``, ``data``)."""
    from .video import resolve_music

    payload = dance_payload(dance, title)
    duration = dance.n_frames / dance.fps
    music_b64 = mime = notice = None
    music_name = None
    if audio:
        mpath, off = resolve_music(dance, music, offset)
        if mpath is not None:
            clip = encode_music_clip(mpath, off, duration, audio_format, audio_bitrate)
            music_b64 = base64.b64encode(clip).decode("ascii")
            mime = AUDIO_FORMATS[audio_format][1]
            notice = music_notice(mpath)
            music_name = mpath.name
            payload["offset"] = off
    payload["music"] = music_name
    payload["duration"] = duration

    three = ""
    if payload["j3d"] is not None:
        three = THREE_FILE.read_text(encoding="utf-8")
    licences = []
    if three:
        licences.append((f"three.js {THREE_VERSION} (3D view)", (THREE_DIR / "LICENSE").read_text(encoding="utf-8")))
    if notice:
        licences.append((f"music: {music_name}", notice))

    css = (PLAYER_DIR / "player.css").read_text(encoding="utf-8")
    js = (PLAYER_DIR / "player.js").read_text(encoding="utf-8")
    page = (PLAYER_DIR / "player.html").read_text(encoding="utf-8")
    data = _json_for_script(payload)
    lic_html = "".join(f"<h3>{html.escape(n)}</h3><pre>{html.escape(t)}</pre>" for n, t in licences)
    parts = {
        "@TITLE@": html.escape(payload["title"]),
        "@CSS@": css,
        "@DATA@": data,
        "@MUSIC@": music_b64 or "",
        "@MUSIC_MIME@": mime or "",
        "@THREE@": _check_script(three, "three.js"),
        "@LICENCES@": lic_html or "<p>No third-party code or notices in this page.</p>",
        "@JS@": _check_script(js, "player.js"),
    }
    # one pass over the template, so text put in (a title, the data) is never searched for tokens
    page = re.sub(r"@[A-Z_]+@", lambda m: parts[m.group(0)], page)
    if stats is not None:
        stats.update(music=len(music_b64 or ""), three=len(three), data=len(data), total=len(page))
    return page


def write_player(dance: Dance, out_path: str | os.PathLike, music: str | os.PathLike | None = None,
                 offset: float | None = None, overwrite: bool = False, **kw) -> Path:
    """Write :func:`player_html` to ``out_path`` (.html) atomically; refuses to replace an existing
    file unless ``overwrite``. Returns the path."""
    from ..fileio import atomic_write
    from .video import _prepare_output

    out = _prepare_output(out_path, overwrite, HTML_SUFFIXES)
    text = player_html(dance, music, offset, **kw)
    return atomic_write(out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def page_sizes(stats: dict) -> str:
    """``"1.4 MB page, of which music 0.9 MB"``-style summary of :func:`player_html` stats."""
    def mb(n):
        return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"
    s = f"{mb(stats['total'])}"
    bits = [f"music {mb(stats['music'])}" if stats.get("music") else "no music"]
    if stats.get("three"):
        bits.append(f"three.js {mb(stats['three'])}")
    bits.append(f"dance data {mb(stats['data'])}")
    return s + " (" + ", ".join(bits) + ")"


__all__ = ["player_html", "write_player", "quantize", "dequantize", "dance_payload", "encode_music_clip",
           "AUDIO_FORMATS"]
