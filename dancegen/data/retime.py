"""Music-motion synchronisation of the training takes by retiming the motion.

Two steps (docs/data.md, "Retiming"):

1. Time base (:func:`time_base_map`): the N captured frames of a Dance-with-Melody take are
   stretched to span exactly ``start_position..end_position`` of the song (the capture runs about
   1% fast at 25 fps).
2. Beat warp (:func:`dancegen.timewarp.retime_to_beats`): a smooth, monotone time map with
   bounded local playback rate moves the motion's accents (:func:`dancegen.skeleton.motion_beats`)
   onto the song's beats (tracked once and cached on disk, :func:`cached_music_beats`).

The warp itself is generic and lives on the bottom layer (:mod:`dancegen.timewarp`); the
generator's beat lock is :mod:`dancegen.model.beatlock`.
"""
from __future__ import annotations

import numpy as np

from ..skeleton import resample
from ..timewarp import retime_to_beats


def time_base_map(n_frames: int, n_target: int) -> np.ndarray:
    """Source positions ``(n_target,)`` that stretch ``n_frames`` frames over ``n_target`` frames
    (first to first, last to last): a constant playback rate ``(n_frames-1)/(n_target-1)``."""
    if n_target <= 1:
        return np.zeros(max(int(n_target), 0))
    return np.linspace(0.0, n_frames - 1.0, int(n_target))


# ----------------------------------------------------------------------------------------------
# Music beats (one small function so the beat tracker can be switched)
def track_music_beats(path, start: float, duration: float) -> np.ndarray:
    """Beat times (seconds, relative to ``start``) of ``duration`` seconds of the music at ``path``.

    Uses :func:`dancegen.audio.beats.track_beats`, and librosa's ``beat_track`` (22.05 kHz, hop
    512) when that finds no beats."""
    from ..audio.beats import track_beats
    from ..audio.io import load_audio

    y, sr = load_audio(path, 22050, start=start, duration=duration)
    b = np.asarray(track_beats(y, sr).beats, dtype=np.float64)
    if b.size:
        return b
    return _librosa_beats(path, start, duration)


def _librosa_beats(path, start: float, duration: float) -> np.ndarray:
    import librosa

    from ..errors import AudioError

    from ..fileio import local_media_path

    path = local_media_path(path, "music file", AudioError)  # librosa may hand it to ffmpeg (audioread)
    try:
        y, sr = librosa.load(str(path), sr=22050, offset=start, duration=duration, mono=True)
    except Exception as e:
        raise AudioError(f"{path}: cannot decode ({type(e).__name__}: {e}); check the music file") from None
    _, frames = librosa.beat.beat_track(y=y, sr=sr, hop_length=512)
    return librosa.frames_to_time(frames, sr=sr, hop_length=512).astype(np.float64)


def cached_music_beats(path, start: float, duration: float, cache_dir=None) -> np.ndarray:
    """:func:`track_music_beats` memoised on disk next to the feature cache (keyed by the audio
    content hash, start and duration)."""
    import hashlib
    from pathlib import Path

    from .cache import default_cache_dir, file_hash

    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    tracker = _tracker_id()
    key = hashlib.sha1(f"beats|{tracker}|{file_hash(path)}|{start:.3f}|{duration:.3f}".encode()).hexdigest()[:32]
    p = cache / f"beats_{key}.npy"
    if p.is_file():
        try:
            return np.load(p)
        except (OSError, ValueError):
            pass
    b = track_music_beats(path, start, duration)
    from ..fileio import atomic_write

    atomic_write(p, lambda tmp: np.save(tmp, b))
    return b


def _tracker_id() -> str:
    """Which beat tracker :func:`track_music_beats` uses, with a hash of its source so that cached
    beats are recomputed when it changes."""
    from ..audio import beats
    from .cache import file_hash

    return "audio.beats:" + file_hash(beats.__file__)[:12]


def retime_dwm(world: np.ndarray, seq, beats=None, beat_warp: bool = True,
               max_rate_change: float = 0.25) -> tuple[np.ndarray, dict]:
    """Retime a Dance-with-Melody take: time base (stretch its N frames over
    ``end_position - start_position`` frames), then :func:`retime_to_beats` onto the song's beats
    between start and end (``beats``: seconds relative to ``start``; default tracked and cached).

    Returns ``(world (T2, K, 3), info)`` with ``info["offset"]`` = song time of frame 0 (= start).
    """
    n = world.shape[0]
    n2 = int(seq.end_position - seq.start_position)
    base = resample(world, time_base_map(n, n2))
    info = {"offset": seq.start, "time_base": round(n2 / n, 5), "frames_in": n, "frames_out": n2,
            "beat_warp": False}
    if not beat_warp:
        return base, info
    if beats is None:
        if not seq.has_audio:
            return base, info
        beats = cached_music_beats(seq.music, seq.start, n2 / seq.fps)
    warped, tmap, winfo = retime_to_beats(base, seq.fps, beats, max_rate_change=max_rate_change,
                                          return_info=True)
    rate = np.diff(tmap)
    info.update(beat_warp=True, music_beats=winfo["music_beats"], motion_beats=winfo["motion_beats"],
                matched_beats=winfo["matched"], rate_min=round(float(rate.min()), 4),
                rate_max=round(float(rate.max()), 4))
    return warped.astype(np.float64), info
