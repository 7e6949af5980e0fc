"""Beat warps: smooth, monotone time maps with a bounded playback rate that move a motion's
accents (its motion beats, :func:`dancegen.skeleton.motion_beats`) onto the music's beats.

:func:`retime_to_beats` is generic (any ``(T, J, D)`` motion): the retiming of the training takes
(:func:`dancegen.data.retime.retime_dwm`) and the generator's beat lock
(:func:`dancegen.model.beatlock.lock_to_beats`) both use it. The anchors come from a
dynamic-programming alignment of motion-beat times to music-beat times with a slope (rate)
constraint (:func:`align_beats`); the map between anchors has its rate smoothed and clipped to
``[1/(1+max_rate_change), 1+max_rate_change]`` (:func:`anchors_to_map`, :func:`bound_map`); the
joints are resampled on the map by linear interpolation (:func:`dancegen.skeleton.resample`).
Pure numpy, on the bottom layer with :mod:`dancegen.skeleton` (docs/data.md, "Retiming").
"""
from __future__ import annotations

import numpy as np

from .errors import ConfigError
from .skeleton import motion_beats, resample


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
    first and last values (the rescaling that keeps the end moves rates by a hair).

    >>> np.round(bound_map(np.array([0.0, 1.0, 4.0, 5.0]), (0.5, 2.0)), 3)   # a rate-3 step, at most 2
    array([0. , 1.5, 3.5, 5. ])
    """
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
        :func:`dancegen.skeleton.motion_beats` of ``motion``.
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
    m = np.asarray(motion, dtype=np.float64)
    if m.ndim < 2 or m.shape[0] < 2:
        raise ConfigError(f"motion must be (T>=2, J, D), got shape {m.shape}")
    if not (0 < max_rate_change < 1):
        raise ConfigError(f"max_rate_change must be in (0, 1), got {max_rate_change}")
    T = m.shape[0]
    n_out = T if n_out is None else int(n_out)
    rr = (1.0 / (1.0 + max_rate_change), 1.0 + max_rate_change)
    mb = motion_beats(m, fps) if motion_beats_s is None else np.asarray(motion_beats_s, dtype=np.float64)
    bb = np.asarray(music_beats, dtype=np.float64).ravel()
    anchors = align_beats(mb * fps, bb * fps, T, n_out, rate_range=rr, max_shift=max_shift * fps)
    tmap = anchors_to_map(anchors, n_out, rr)
    matched = max(len(anchors) - 2, 0)
    for _ in range(1, passes):
        # The warp scales the joint speed by the local rate, which nudges the speed minima off the
        # anchors. Re-detect the beats on the warped motion, carry them back to source positions
        # through the map, and align again with those effective positions (a fixed-point step).
        mb2 = motion_beats(resample(m, tmap), fps) * fps
        eff = np.interp(mb2, np.arange(n_out), tmap)
        anchors = align_beats(eff, bb * fps, T, n_out, rate_range=rr, max_shift=max_shift * fps)
        tmap = anchors_to_map(anchors, n_out, rr)
        matched = max(len(anchors) - 2, 0)
    warped = resample(m, tmap).astype(np.float32)
    if return_info:
        return warped, tmap, {"anchors": anchors, "rate_range": rr, "motion_beats": int(mb.size),
                              "music_beats": int(bb.size), "matched": int(matched)}
    return warped, tmap
