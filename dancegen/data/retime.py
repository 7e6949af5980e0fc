"""Music-motion synchronisation by retiming the motion.

Two steps (docs/data.md, "Retiming"):

1. Time base (:func:`time_base_map`): the N captured frames of a Dance-with-Melody take are
   stretched to span exactly ``start_position..end_position`` of the song (the capture runs about
   1% fast at 25 fps).
2. Beat warp (:func:`retime_to_beats`): a smooth, monotone time map with bounded local playback
   rate moves the motion's accents (motion beats, :func:`dancegen.data.sync.motion_beats`) onto
   the music's beats. The anchors come from a dynamic-programming alignment of motion-beat times
   to music-beat times with a slope (rate) constraint; the map between anchors has its rate
   smoothed and clipped to ``[1/(1+max_rate_change), 1+max_rate_change]``; the joints are
   resampled on the map by linear interpolation.

:func:`retime_to_beats` is generic (any ``(T, J, D)`` motion), so a generator can reuse it on its
own output.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError


def resample(motion: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Sample ``motion`` ``(T, ...)`` at fractional source-frame ``positions`` ``(T2,)`` by linear
    interpolation (clamped to ``[0, T-1]``). Returns ``(T2, ...)`` float64."""
    m = np.asarray(motion, dtype=np.float64)
    pos = np.clip(np.asarray(positions, dtype=np.float64), 0, m.shape[0] - 1)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, m.shape[0] - 1)
    w = (pos - i0).reshape((-1,) + (1,) * (m.ndim - 1))
    return m[i0] * (1 - w) + m[i1] * w


def time_base_map(n_frames: int, n_target: int) -> np.ndarray:
    """Source positions ``(n_target,)`` that stretch ``n_frames`` frames over ``n_target`` frames
    (first to first, last to last): a constant playback rate ``(n_frames-1)/(n_target-1)``."""
    if n_target <= 1:
        return np.zeros(max(int(n_target), 0))
    return np.linspace(0.0, n_frames - 1.0, int(n_target))


def align_beats(motion_frames: np.ndarray, music_frames: np.ndarray, n_in: int, n_out: int,
                rate_range=(0.8, 1.25), max_shift: float = 25.0, max_gap: float = 100.0,
                rate_weight: float = 4.0, shift_weight: float = 0.1) -> np.ndarray:
    """Monotone anchor pairs ``(A, 2)`` of (output frame, source frame), from ``(0, 0)`` to
    ``(n_out-1, n_in-1)``, matching music beats (output frames) to motion beats (source frames).

    Dynamic programming over candidate pairs ``|music - motion| <= max_shift`` frames: the path
    maximises the number of matched beats minus ``rate_weight * log(rate)^2`` per segment and
    ``shift_weight * (shift/max_shift)^2`` per pair, where every segment's rate
    (source frames per output frame) lies in ``rate_range`` and spans at most ``max_gap`` output
    frames (the start and end nodes excepted). The identity-like straight line is always feasible when
    ``rate_range`` contains ``(n_in-1)/(n_out-1)``.
    """
    mo = np.sort(np.asarray(motion_frames, dtype=np.float64))
    mu = np.sort(np.asarray(music_frames, dtype=np.float64))
    mo = mo[(mo > 0) & (mo < n_in - 1)]
    mu = mu[(mu > 0) & (mu < n_out - 1)]
    lo, hi = rate_range
    # nodes: start, candidate pairs (ordered by music index then motion index), end
    pairs = [(0.0, 0.0, -1, -1)]
    for k, b in enumerate(mu):
        js = np.flatnonzero(np.abs(mo - b) <= max_shift)
        for j in js:
            pairs.append((b, mo[j], k, j))
    end = (n_out - 1.0, n_in - 1.0, len(mu), len(mo))
    pairs.append(end)
    n = len(pairs)
    score = np.full(n, -np.inf)
    back = np.full(n, -1, dtype=int)
    score[0] = 0.0
    for i in range(1, n):
        b, m, k, j = pairs[i]
        reward = 0.0 if i == n - 1 else 1.0 - shift_weight * ((m - b) / max_shift) ** 2
        best, arg = -np.inf, -1
        last = i == n - 1
        for p in range(i - 1, -1, -1):
            pb, pm, pk, pj = pairs[p]
            if not last and p != 0 and b - pb > max_gap:
                p = 0  # pairs are ordered by music time: only the start node is left to try
                pb, pm, pk, pj = pairs[0]
            if pk >= k or pj >= j or score[p] == -np.inf:
                if p == 0:
                    break
                continue
            db, dm = b - pb, m - pm
            r = dm / db if db > 0 else -1.0
            if lo <= r <= hi:
                s = score[p] - rate_weight * np.log(r) ** 2
                if s > best:
                    best, arg = s, p
            if p == 0:
                break
        if arg >= 0:
            score[i] = best + reward
            back[i] = arg
    if back[n - 1] < 0:  # only when the global rate is outside rate_range
        return np.array([[0.0, 0.0], [n_out - 1.0, n_in - 1.0]])
    path, i = [], n - 1
    while i >= 0:
        path.append(pairs[i][:2])
        i = back[i]
    return np.array(path[::-1], dtype=np.float64)


def anchors_to_map(anchors: np.ndarray, n_out: int, rate_range=(0.8, 1.25)) -> np.ndarray:
    """Smooth monotone time map ``(n_out,)`` (source position per output frame) through anchor
    pairs ``(A, 2)`` (output frame, source frame).

    At each anchor the playback rate is the mean of the two adjacent segment rates and its
    derivative is zero; between anchors the rate moves along a smoothstep plus a
    ``30 u^2 (1-u)^2`` bump sized so the segment ends exactly on the next anchor. So the rate is
    continuous with a continuous derivative, and a speed minimum placed on an anchor stays there
    (the warped speed is ``rate * speed`` and the rate is flat at the anchor). A final
    :func:`bound_map` keeps the rate within ``rate_range`` where the bump would overshoot."""
    a = np.asarray(anchors, dtype=np.float64)
    t = np.arange(n_out, dtype=np.float64)
    if len(a) < 2 or n_out < 3:
        return np.interp(t, a[:, 0], a[:, 1])
    L = np.diff(a[:, 0])
    S = np.diff(a[:, 1])
    sec = S / L
    r = np.empty(len(a))
    r[0], r[-1] = sec[0], sec[-1]
    r[1:-1] = 0.5 * (sec[:-1] + sec[1:])
    k = np.clip(np.searchsorted(a[:, 0], t, side="right") - 1, 0, len(L) - 1)
    u = np.clip((t - a[k, 0]) / L[k], 0.0, 1.0)
    c = sec[k] - 0.5 * (r[k] + r[k + 1])
    integ = r[k] * u + (r[k + 1] - r[k]) * (u ** 3 - 0.5 * u ** 4) + c * (10 * u ** 3 - 15 * u ** 4 + 6 * u ** 5)
    out = a[k, 1] + L[k] * integ
    return bound_map(out, rate_range)


def bound_map(tmap: np.ndarray, rate_range=(0.8, 1.25)) -> np.ndarray:
    """Clip the local rate of a time map ``(T2,)`` to ``rate_range`` and re-integrate, keeping its
    first and last values (the rescaling that keeps the end moves rates by a hair)."""
    tmap = np.asarray(tmap, dtype=np.float64)
    if tmap.size < 3:
        return tmap
    lo, hi = rate_range
    total = tmap[-1] - tmap[0]
    rate = np.diff(tmap)
    for _ in range(20):  # clip, then rescale to keep the end; converges in a few rounds
        rate = np.clip(rate, lo, hi)
        s = rate.sum()
        if s <= 0 or abs(s - total) < 1e-9:
            break
        rate = rate * (total / s)
    if rate.min() < lo - 1e-9 or rate.max() > hi + 1e-9:   # only if total/len is out of range
        rate = np.clip(rate, lo, hi)
    return np.concatenate([[tmap[0]], tmap[0] + np.cumsum(rate)])


def retime_to_beats(motion: np.ndarray, fps: float, music_beats, max_rate_change: float = 0.25,
                    n_out: int | None = None, motion_beats_s=None, max_shift: float = 1.0,
                    passes: int = 1,
                    return_info: bool = False):
    """Warp ``motion`` in time so that its motion beats land on ``music_beats``.

    Parameters
    ----------
    motion : ``(T, J, D)`` float (2D pixels or 3D cm), at ``fps``.
    fps : frames per second of ``motion`` and of the output.
    music_beats : seconds relative to frame 0 of the output.
    max_rate_change : the local playback rate stays within ``[1/(1+c), 1+c]`` (0.25 -> [0.8, 1.25]).
    n_out : output length in frames; default ``T`` (the output spans the same music time).
    motion_beats_s : the motion's beats in seconds from its frame 0; default
        :func:`dancegen.data.sync.motion_beats` of ``motion``.
    max_shift : a motion beat moves at most this many seconds.
    passes : from 2 on, each pass re-detects the motion beats on the warped motion, maps them back
        to source positions and aligns again (the warp itself nudges speed minima).

    Returns
    -------
    warped : ``(n_out, J, D)`` float32, ``warped[i] = motion`` at source position ``time_map[i]``.
    time_map : ``(n_out,)`` float64 source-frame positions, increasing, ``time_map[0] = 0``,
        ``time_map[-1] = T-1``.
    info : (with ``return_info``) anchors, rate range, numbers of beats.
    """
    from .sync import motion_beats as _mb

    m = np.asarray(motion, dtype=np.float64)
    if m.ndim < 2 or m.shape[0] < 2:
        raise ConfigError(f"motion must be (T>=2, J, D), got shape {m.shape}")
    if not (0 < max_rate_change < 1):
        raise ConfigError(f"max_rate_change must be in (0, 1), got {max_rate_change}")
    T = m.shape[0]
    n_out = T if n_out is None else int(n_out)
    rr = (1.0 / (1.0 + max_rate_change), 1.0 + max_rate_change)
    mb = _mb(m, fps) if motion_beats_s is None else np.asarray(motion_beats_s, dtype=np.float64)
    bb = np.asarray(music_beats, dtype=np.float64).ravel()
    anchors = align_beats(mb * fps, bb * fps, T, n_out, rate_range=rr, max_shift=max_shift * fps)
    tmap = anchors_to_map(anchors, n_out, rr)
    matched = max(len(anchors) - 2, 0)
    for _ in range(1, passes):
        # The warp scales the joint speed by the local rate, which nudges the speed minima off the
        # anchors. Re-detect the beats on the warped motion, carry them back to source positions
        # through the map, and align again with those effective positions (a fixed-point step).
        mb2 = _mb(resample(m, tmap), fps) * fps
        eff = np.interp(mb2, np.arange(n_out), tmap)
        anchors = align_beats(eff, bb * fps, T, n_out, rate_range=rr, max_shift=max_shift * fps)
        tmap = anchors_to_map(anchors, n_out, rr)
        matched = max(len(anchors) - 2, 0)
    warped = resample(m, tmap).astype(np.float32)
    if return_info:
        return warped, tmap, {"anchors": anchors, "rate_range": rr, "motion_beats": int(mb.size),
                              "music_beats": int(bb.size), "matched": int(matched)}
    return warped, tmap


# ----------------------------------------------------------------------------------------------
# Music beats (one small function so the beat tracker can be switched)
def track_music_beats(path, start: float, duration: float) -> np.ndarray:
    """Beat times (seconds, relative to ``start``) of ``duration`` seconds of the music at ``path``.

    Uses ``dancegen.audio.beats.track_beats`` when that module is available and finds beats, else
    librosa's ``beat_track`` (22.05 kHz, hop 512)."""
    try:
        from ..audio.beats import track_beats
        from ..audio.io import load_audio
    except ImportError:
        track_beats = None
    if track_beats is not None:
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

    from .dataset import default_cache_dir, file_hash

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
    import importlib.util

    from .dataset import file_hash

    try:
        spec = importlib.util.find_spec("dancegen.audio.beats")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return "librosa"
    return "audio.beats:" + file_hash(spec.origin)[:12]


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
