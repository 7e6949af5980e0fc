"""Render a :class:`~dancegen.dance.Dance` to an H.264/AAC mp4 with its music, or to a contact sheet.

The frames are drawn with :mod:`dancegen.render.draw` and piped raw (``rgb24``) to the ffmpeg that
ships with ``imageio-ffmpeg`` (there is no ffprobe: :func:`probe_media` parses ``ffmpeg -i``).
The music is given to ffmpeg by path (it decodes wav/flac/ogg/mp3 itself), cut to the dance's span
``[offset, offset + T / fps]`` and padded with silence where the song ends early, so audio and video
have the same length. Output is written to a temporary file next to the target and renamed at the
end: an interrupted render never leaves a half-written mp4, and an existing file is only replaced
when asked (``overwrite=True`` / ``--force``).
"""
from __future__ import annotations

import logging
import math
import os
import re
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from ..dance import Dance
from ..errors import AudioError, ConfigError, DanceGenError, DataError
from ..fileio import atomic_write, local_media_path
from .draw import draw_label, fit_canvas, draw_pose, frame_label, make_background

log = logging.getLogger(__name__)

DEFAULT_SIZE = (960, 540)
DEFAULT_PRESET = "veryfast"
DEFAULT_CRF = 23
SHEET_SIZE = (480, 270)
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov")


class RenderError(DanceGenError):
    """The output cannot be written, or ffmpeg failed while encoding."""


# ------------------------------------------------------------------------------------------ ffmpeg
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with ``imageio-ffmpeg`` (has libx264 and AAC)."""
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as e:  # ImportError, RuntimeError when the binary is missing
        raise RenderError(f"no ffmpeg found ({e}); reinstall with: pip install imageio-ffmpeg") from None


def _split_top(s: str) -> list[str]:
    """Split ``s`` at ', ' outside parentheses/brackets."""
    out, depth, cur = [], 0, []
    i = 0
    while i < len(s):
        c = s[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if depth == 0 and s.startswith(", ", i):
            out.append("".join(cur).strip())
            cur = []
            i += 2
            continue
        cur.append(c)
        i += 1
    if cur:
        out.append("".join(cur).strip())
    return out


_STREAM_RE = re.compile(r"^\s*Stream #(\d+):(\d+)\S*: (Video|Audio|Subtitle|Data|Attachment): (.*)$")
_DUR_RE = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")


def parse_ffmpeg_info(text: str) -> dict:
    """Parse the stream listing that ``ffmpeg -i FILE`` prints to stderr.

    Returns
    -------
    ``{"duration": seconds or None, "streams": [stream, ...]}``; each stream is a dict with
    ``index`` and ``type`` ("video"/"audio"/...), ``codec``; video streams add ``pix_fmt``,
    ``width``, ``height``, ``fps``; audio streams add ``sample_rate`` and ``channels``.
    Only the first input (``#0``) is read.
    """
    info: dict = {"duration": None, "streams": []}
    m = _DUR_RE.search(text)
    if m:
        h, mi, s = m.groups()
        info["duration"] = int(h) * 3600 + int(mi) * 60 + float(s)
    for line in text.splitlines():
        m = _STREAM_RE.match(line)
        if not m or m.group(1) != "0":
            continue
        kind = m.group(3).lower()
        fields = _split_top(m.group(4))
        st: dict = {"index": int(m.group(2)), "type": kind,
                    "codec": fields[0].split()[0] if fields and fields[0] else None}
        if kind == "video":
            st["pix_fmt"] = re.match(r"\w+", fields[1]).group(0) if len(fields) > 1 else None
            for f in fields[1:]:
                ms = re.match(r"(\d+)x(\d+)", f)
                if ms and "width" not in st:
                    st["width"], st["height"] = int(ms.group(1)), int(ms.group(2))
                mf = re.match(r"([\d.]+k?) fps", f)
                if mf:
                    v = mf.group(1)
                    st["fps"] = float(v[:-1]) * 1000 if v.endswith("k") else float(v)
        elif kind == "audio":
            for f in fields[1:]:
                mh = re.match(r"(\d+) Hz", f)
                if mh:
                    st["sample_rate"] = int(mh.group(1))
            st["channels"] = fields[2] if len(fields) > 2 else None
        info["streams"].append(st)
    return info


def probe_media(path: str | os.PathLike) -> dict:
    """Container duration and streams of a media file, from ``ffmpeg -i`` (see :func:`parse_ffmpeg_info`).

    Raises :class:`AudioError` (naming the file) when it is missing or ffmpeg cannot read it.
    """
    path = local_media_path(path, "media file", AudioError)  # never a URL, a protocol or an option
    r = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                       capture_output=True, text=True, errors="replace")
    info = parse_ffmpeg_info(r.stderr)
    if not info["streams"]:
        last = r.stderr.strip().splitlines()[-2:] if r.stderr.strip() else ["no output"]
        raise AudioError(f"{path}: ffmpeg cannot read it ({' / '.join(l.strip() for l in last)}); "
                         f"is it a media file?")
    return info


def stream_durations(path: str | os.PathLike) -> dict:
    """Measured lengths of the first video and audio streams of a media file.

    Returns
    -------
    ``{"video_frames": int or None, "video": seconds or None, "audio": seconds or None,
    "info": probe_media(path)}``: video = packet count / stream fps; audio = decoded samples /
    sample rate (exact, after the encoder delay is removed by the mp4 edit list).
    """
    path = local_media_path(path, "media file", AudioError)
    info = probe_media(path)
    exe = ffmpeg_exe()
    out = {"video_frames": None, "video": None, "audio": None, "info": info}
    v = next((s for s in info["streams"] if s["type"] == "video"), None)
    a = next((s for s in info["streams"] if s["type"] == "audio"), None)
    if v is not None:
        r = subprocess.run([exe, "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1",
                            "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"],
                           capture_output=True, text=True, errors="replace")
        frames = re.findall(r"^frame=(\d+)", r.stdout, re.M)
        if frames:
            out["video_frames"] = int(frames[-1])
            if v.get("fps"):
                out["video"] = out["video_frames"] / v["fps"]
    if a is not None and a.get("sample_rate"):
        r = subprocess.run([exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                            "-map", "0:a:0", "-ac", "1", "-f", "s16le", "-"], capture_output=True)
        out["audio"] = len(r.stdout) / 2 / a["sample_rate"]
    return out


def fps_fraction(fps: float) -> Fraction:
    """A frame rate as an exact fraction for ffmpeg: 25 -> 25/1, 29.97 (or 30000/1001 stored as
    float32) -> 30000/1001, 23.976 -> 24000/1001; other rates to 1e-6 relative."""
    fps = float(fps)
    if not (fps > 0 and math.isfinite(fps)):
        raise ConfigError(f"fps must be a positive number, got {fps}")
    for den in (1, 1001):
        num = round(fps * den)
        if num > 0 and abs(num / den - fps) <= 2e-6 * fps:
            return Fraction(num, den)
    return Fraction(fps).limit_denominator(100000)


# ------------------------------------------------------------------------------------------ frames
def floor_height(keypoints: np.ndarray) -> float | None:
    """Floor line of a dance in canvas pixels (y down): the 95th percentile over frames of the
    lowest ankle, or None when no ankle is ever finite. ``keypoints`` is (T, 18, 2)."""
    kp = np.asarray(keypoints, dtype=np.float64)
    ank = kp[:, [10, 13], 1]
    with np.errstate(all="ignore"):
        low = np.nanmax(np.where(np.isfinite(ank), ank, np.nan), axis=1) if ank.size else ank
    low = low[np.isfinite(low)]
    if low.size == 0:
        return None
    return float(np.percentile(low, 95))


def check_size(size, canvas=None) -> tuple[int, int]:
    """Validate an output size ``(W, H)`` (or None: the canvas size) for yuv420p H.264: positive
    and even. Raises :class:`ConfigError`."""
    if size is None:
        if canvas is None:
            return DEFAULT_SIZE
        size = (int(canvas[0]) // 2 * 2, int(canvas[1]) // 2 * 2)
    try:
        w, h = (int(size[0]), int(size[1]))
    except (TypeError, ValueError, IndexError):
        raise ConfigError(f"size must be (width, height), got {size!r}") from None
    if not (16 <= w <= 7680 and 16 <= h <= 7680):
        raise ConfigError(f"size {w}x{h} is out of range; width and height from 16 to 7680 pixels, e.g. 960x540")
    if w % 2 or h % 2:
        raise ConfigError(f"size {w}x{h}: H.264 yuv420p needs even width and height, e.g. {w + w % 2}x{h + h % 2}")
    return w, h


def render_frames(dance: Dance, size: tuple[int, int] | None = DEFAULT_SIZE, *, grid: bool = True,
                  floor: bool = True, label: bool = True,
                  indices: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Draw the frames of a dance, one at a time.

    Parameters
    ----------
    dance : the dance; keypoints on ``dance.canvas``, confidence (if any) skips joints below 0.1.
    size : (W, H) of the frames, default 960x540; None for the canvas size.
    grid, floor : faint grid and floor line (at :func:`floor_height`).
    label : write ``frame i  t s`` bottom left (t from frame 0, not the music) and the dance name.
    indices : frames to draw (default all, in order).

    Yields
    ------
    (H, W, 3) uint8 RGB frames. The same buffer is reused between frames: copy a frame if you keep it.
    """
    w, h = check_size(size, dance.canvas)
    fy = floor_height(dance.keypoints) if floor else None
    bg = make_background((w, h), dance.canvas, floor_y=fy, grid=grid)
    s, off = fit_canvas(dance.canvas, (w, h))
    buf = np.empty_like(bg)
    conf = dance.confidence
    idx = range(dance.n_frames) if indices is None else [int(i) for i in indices]
    for i in idx:
        np.copyto(buf, bg)
        draw_pose(buf, dance.keypoints[i], None if conf is None else conf[i], scale=s, offset=off)
        if label:
            draw_label(buf, frame_label(i, dance.fps), "bl")
            if dance.name:
                draw_label(buf, dance.name, "tl")
        yield buf


# ------------------------------------------------------------------------------------------ output
def _prepare_output(out_path: str | os.PathLike, overwrite: bool, suffixes: tuple[str, ...],
                    create: bool = True) -> Path:
    """Check an output path (extension, not a folder, not existing unless ``overwrite``) and, with
    ``create``, make its folder and check it is writable."""
    out = Path(out_path)
    if suffixes and out.suffix.lower() not in suffixes:
        raise ConfigError(f"{out}: unsupported extension; use one of {', '.join(suffixes)}")
    if out.is_dir():
        raise RenderError(f"{out}: is a folder; give a file name, e.g. {out / ('dance' + suffixes[0])}")
    if out.exists() and not overwrite:
        raise RenderError(f"{out}: exists; pass --force (overwrite=True) to replace it")
    if not create:
        return out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"{out.parent}: cannot create the output folder ({e.strerror}); choose another path") from None
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise RenderError(f"{out.parent}: folder is not writable; choose another output path")
    return out


def resolve_music(dance: Dance, music: str | os.PathLike | None, offset: float | None):
    """The music path and offset to use: the arguments, else the dance's own ``music``/``offset``.
    Returns ``(absolute Path or None, offset seconds)``; a music path that is not an existing local
    file (missing, a URL or ffmpeg protocol such as ``http:`` / ``tcp:``, or a name starting with
    ``-``) raises AudioError before ffmpeg starts."""
    m = music if music is not None else dance.music
    off = float(dance.offset if offset is None else offset)
    if not math.isfinite(off):
        raise ConfigError(f"offset must be a number of seconds, got {off}")
    if m is None or str(m) == "":
        return None, off
    src = "given" if music is not None else f"named in the dance '{dance.name}'"
    try:
        # the music of a dance file from anyone: a local file only (no http:, tcp:, concat:, -option)
        p = local_media_path(m, f"music file {src}", AudioError)
    except AudioError as e:
        raise AudioError(f"{e}; pass --music PATH (or --no-audio)") from None
    return p, off


def render_video(dance: Dance, out_path: str | os.PathLike, music: str | os.PathLike | None = None,
                 offset: float | None = None, size: tuple[int, int] | None = DEFAULT_SIZE,
                 progress: bool = True, overwrite: bool = False, *, silent: bool = False,
                 preset: str = DEFAULT_PRESET, crf: int = DEFAULT_CRF, grid: bool = True,
                 label: bool = True, audio_bitrate: str = "160k") -> Path:
    """Render a dance to an H.264 (libx264, yuv420p) mp4 with the music as AAC.

    Parameters
    ----------
    dance : the dance to draw, at ``dance.fps`` (fractional rates such as 30000/1001 are kept exact).
    out_path : ``.mp4`` (or .m4v/.mov) to write; refused if it exists unless ``overwrite``.
    music : audio file (wav/flac/ogg/mp3/...); default ``dance.music``. None there too, or
        ``silent=True``: a video without an audio track.
    offset : seconds into the music of frame 0; default ``dance.offset``. The audio is the span
        ``[offset, offset + T / fps]`` of the music, padded with silence past its end (and
        delayed when ``offset < 0``), so audio and video last ``T / fps`` seconds.
    size : (W, H) even, default 960x540; None for the dance's canvas size.
    progress : tqdm bar on stderr.
    preset, crf : x264 speed preset and quality (``veryfast``/23 keeps a 90 s render under 15 s on
        2 cores, see docs/render.md).

    Returns
    -------
    The path written. The file appears atomically (temp file + rename).

    Raises
    ------
    AudioError : music file missing, unreadable, or ``offset`` past its end.
    RenderError : output exists (without overwrite), folder not writable, or ffmpeg failed.
    ConfigError : bad size, extension or offset.
    DataError : a dance without frames.
    """
    from tqdm import tqdm

    if dance.n_frames == 0:
        raise DataError(f"dance '{dance.name}' has no frames; nothing to render")
    w, h = check_size(size, dance.canvas)
    out = _prepare_output(out_path, overwrite, VIDEO_SUFFIXES, create=False)
    music_path, off = (None, 0.0) if silent else resolve_music(dance, music, offset)
    rate = fps_fraction(dance.fps)
    dur = dance.n_frames / float(rate)
    dur_s = f"{dur:.6f}"

    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostats", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-framerate", str(rate),
           "-i", "pipe:0"]
    if music_path is not None:
        info = probe_media(music_path)
        if not any(s["type"] == "audio" for s in info["streams"]):
            raise AudioError(f"{music_path}: has no audio stream; pass another --music file")
        mdur = info["duration"]
        try:  # the length that really decodes (a truncated mp3's header announces the full song)
            from ..audio.io import audio_duration

            mdur = audio_duration(music_path)
        except AudioError:
            pass  # a format only ffmpeg decodes: its container duration
        if mdur is not None and off >= mdur:
            raise AudioError(f"{music_path}: offset {off:.3f} s is past the end of the music "
                             f"({mdur:.3f} s); pass a smaller --offset")
        if mdur is not None and off + dur > mdur + 0.05:
            log.warning("%s ends %.2f s before the dance; padding with silence", music_path, off + dur - mdur)
        afilter = "apad"
        if off >= 0:
            cmd += ["-ss", f"{off:.6f}", "-t", dur_s, "-i", str(music_path)]
        else:
            if dur + off <= 0:
                raise ConfigError(f"offset {off:.3f} s: the dance ends before the music starts; "
                                  f"pass an offset above {-dur:.3f} s")
            cmd += ["-t", f"{dur + off:.6f}", "-i", str(music_path)]
            afilter = f"adelay=delays={-off * 1000:.3f}:all=1,apad"
        cmd += ["-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", audio_bitrate, "-af", afilter]
    else:
        if not silent:
            log.warning("no music for '%s': writing a silent video", dance.name or out.name)
        cmd += ["-map", "0:v:0"]
    cmd += ["-c:v", "libx264", "-preset", preset, "-crf", str(int(crf)), "-pix_fmt", "yuv420p",
            "-r", str(rate), "-t", dur_s, "-movflags", "+faststart", "-f", "mp4"]

    _prepare_output(out, overwrite, VIDEO_SUFFIXES)

    def encode(tmp: str) -> None:
        err = tempfile.TemporaryFile()
        proc = subprocess.Popen(cmd + [tmp], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        try:
            bar = tqdm(total=dance.n_frames, unit="frame", desc=f"render {out.name}", file=sys.stderr,
                       disable=not progress, dynamic_ncols=True)
            try:
                for frame in render_frames(dance, (w, h), grid=grid, label=label):
                    proc.stdin.write(memoryview(frame).cast("B"))
                    bar.update(1)
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass  # ffmpeg died; its message is read below
            finally:
                bar.close()
            rc = proc.wait()
            if rc != 0:
                err.seek(0)
                msg = [l.strip() for l in err.read().decode("utf-8", "replace").splitlines() if l.strip()]
                detail = " / ".join(msg[-2:]) or f"exit code {rc}"
                raise RenderError(f"ffmpeg failed writing {out} ({detail}); rerun with --debug, or try another --size")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err.close()
        try:  # an mp4 with no video stream (ffmpeg can exit 0 on nonsense rates) is a failure too
            streams = probe_media(tmp)["streams"]
        except AudioError:
            streams = []
        if not any(st["type"] == "video" for st in streams):
            raise RenderError(f"ffmpeg wrote no video stream to {out} (at {dance.fps:g} fps, {w}x{h}); "
                              f"retime the dance to a common frame rate (e.g. 25) or try another --size")

    return atomic_write(out, encode)


def save_contact_sheet(dance: Dance, path: str | os.PathLike, n: int = 8,
                       size: tuple[int, int] | None = SHEET_SIZE, cols: int | None = None,
                       overwrite: bool = False) -> Path:
    """A PNG grid of ``n`` frames evenly spaced over the dance (first and last included).

    Parameters
    ----------
    dance : the dance.
    path : ``.png`` to write; refused if it exists unless ``overwrite``.
    n : number of frames (at most T).
    size : (W, H) of each tile, default 480x270.
    cols : tiles per row, default 4 (8 frames: 4 x 2).

    Returns
    -------
    The path written; the image is ``(rows * H, cols * W)``, tiles labelled with frame and time,
    left to right then top to bottom.
    """
    import cv2

    if dance.n_frames == 0:
        raise DataError(f"dance '{dance.name}' has no frames; nothing to draw")
    if int(n) < 1:
        raise ConfigError(f"n must be at least 1, got {n}")
    n = min(int(n), dance.n_frames)
    w, h = check_size(size, dance.canvas)
    out = _prepare_output(path, overwrite, (".png",))
    if cols is None:
        cols = 4
    cols = max(1, min(int(cols), n))
    rows = int(math.ceil(n / cols))
    idx = np.unique(np.round(np.linspace(0, dance.n_frames - 1, n)).astype(int))
    sheet = np.full((rows * h, cols * w, 3), 255, np.uint8)
    for k, frame in enumerate(render_frames(dance, (w, h), indices=idx)):
        r, c = divmod(k, cols)
        sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = frame
    # thin separators between tiles
    sheet[::h, :] = 200
    sheet[:, ::w] = 200
    def write_png(tmp: str) -> None:
        if not cv2.imwrite(tmp, np.ascontiguousarray(sheet[..., ::-1])):
            raise RenderError(f"{out}: could not write the PNG; check the folder")

    return atomic_write(out, write_png)
