"""The generator's beat lock: :func:`lock_to_beats` retimes a generated motion onto the music's
beats (the bounded beat warp of :mod:`dancegen.timewarp`, two passes), then adds beat accents.

Beat accents: a bounded, smooth time warp that slows the motion down around each music beat
and speeds it up in between, so that every beat carries a speed minimum (a motion beat), while
every beat time stays a fixed point of the warp (what was on a beat stays on it).

Within each beat interval ``[b_k, b_{k+1}]`` the playback rate is

    r(t) = (1 - depth * g(t)) / mean_{[b_k, b_{k+1}]}(1 - depth * g),
    g(t) = exp(-d(t)^2 / (2 width^2)),  d(t) = distance from t to the nearest beat,

so the rate integrates to exactly the interval's length (``tau(b_k) = b_k``), dips to about
``1 - depth`` on the beat and rises a little above 1 between beats. Output joint speed is
``r(t)`` times the source speed, hence a dip of ``depth`` at every beat. Outside the first and last
beat the rate is 1.

Which beats: :func:`dance_beat_grid`. Up to :data:`MAX_DANCE_BPM` the dance is locked to every beat;
above it (a motion beat every 0.37 s or less) to every second beat, the stronger one, as dancers
take fast music (the fastest Dance with Melody songs are at about 130 BPM).
"""
from __future__ import annotations

import numpy as np

from ..skeleton import resample
from ..timewarp import retime_to_beats


#: above this tempo the dance follows every second beat (docs/generation3d.md, "Beat on any tempo")
MAX_DANCE_BPM = 160.0


def dance_beat_grid(beats, tempo: float, strength=None, max_bpm: float = MAX_DANCE_BPM) -> np.ndarray:
    """The beats a dance is locked to: ``beats`` (seconds) as they are when ``tempo`` (BPM) is at most
    ``max_bpm``; above it every second beat, starting with the first or the second beat, whichever
    set has the larger mean ``strength`` (one value per beat, e.g. the onset strength; None: the
    first). Fewer than 4 beats are kept as they are.

    Examples
    --------
    >>> b = np.arange(8) * 60 / 180.0
    >>> dance_beat_grid(b, 180.0, strength=[1, 5, 1, 5, 1, 5, 1, 5]).round(3)
    array([0.333, 1.   , 1.667, 2.333])
    >>> len(dance_beat_grid(b, 150.0))
    8
    """
    b = np.asarray(beats, dtype=np.float64)
    if not tempo > max_bpm or len(b) < 4:
        return b
    phase = 0
    if strength is not None:
        st = np.asarray(strength, dtype=np.float64)
        phase = int(st[1::2].mean() > st[0::2].mean())
    return b[phase::2]


def lock_to_beats(motion: np.ndarray, fps: float, beats, max_rate_change: float = 0.25,
                  accent: float = 0.0) -> np.ndarray:
    """Beat lock of a generated motion ``(T, J, D)`` at ``fps`` (2D keypoints or 3D joints), onto
    music ``beats`` (seconds from frame 0): :func:`dancegen.timewarp.retime_to_beats` with the
    motion beats of :func:`dancegen.skeleton.motion_beats` (the evaluation's definition) and two
    passes (the beats are re-detected on the warped motion and aligned again), then, when
    ``accent > 0``, :func:`accent_beats` of that depth. Returns ``(T, J, D)`` float32, the same
    length (the music time spanned is unchanged)."""
    beats = np.asarray(beats, dtype=np.float64)
    out, _ = retime_to_beats(motion, fps, beats, max_rate_change=max_rate_change, passes=2)
    if accent > 0:
        out = accent_beats(out, fps, beats, depth=accent)
    return out


def accent_time_map(n_frames: int, fps: float, beats, depth: float = 0.3, width: float = 0.08) -> np.ndarray:
    """Source frame position for every output frame, ``(n_frames,)`` float64, increasing.

    ``beats``: music beat times in seconds from frame 0. ``depth`` in [0, 1): the relative speed dip
    on each beat; ``width``: the dip's Gaussian width in seconds.

    >>> tm = accent_time_map(101, 25.0, [1.0, 2.0, 3.0], depth=0.3)
    >>> np.round(tm[[25, 50, 75]], 6)          # the beats (frames 25, 50, 75) are fixed points
    array([25., 50., 75.])
    """
    if not 0 <= depth < 1:
        raise ValueError(f"depth must be in [0, 1), got {depth}")
    t = np.arange(n_frames) / float(fps)
    b = np.asarray(beats, dtype=np.float64).ravel()
    b = b[(b >= 0) & (b <= t[-1])] if n_frames else b
    tau = t.copy()
    if len(b) < 2 or depth == 0:
        return tau * fps
    # fine grid integration per interval, 1 ms resolution
    for k in range(len(b) - 1):
        a, e = b[k], b[k + 1]
        grid = np.linspace(a, e, max(8, int((e - a) * 1000)))
        d = np.minimum(grid - a, e - grid)
        rate = 1.0 - depth * np.exp(-0.5 * (d / width) ** 2)
        F = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(grid))])
        F /= F[-1]
        sel = (t >= a) & (t <= e)
        tau[sel] = a + (e - a) * np.interp(t[sel], grid, F)
    return tau * fps


def accent_beats(kp: np.ndarray, fps: float, beats, depth: float = 0.3, width: float = 0.08) -> np.ndarray:
    """Apply :func:`accent_time_map` to a motion ``(T, J, D)``; returns ``(T, J, D)`` float32
    (:func:`dancegen.skeleton.resample` between source frames)."""
    kp = np.asarray(kp, dtype=np.float64)
    return resample(kp, accent_time_map(len(kp), fps, beats, depth, width)).astype(np.float32)
