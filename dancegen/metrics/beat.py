"""Motion beats and music-motion beat alignment.

Definitions (see docs/metrics.md):

* **Motion beat**: a local minimum of the smoothed mean joint speed, i.e. a moment where the body
  briefly stops or changes direction (the "kinematic beat" of Kim et al. 2003, as used by AIST++/FACT
  and Bailando): :func:`dancegen.skeleton.motion_beats`, re-exported here.
* **Beat alignment error** (the paper's, seconds): the mean over music beats of the distance to the
  nearest motion beat.
* **Beat-align score**, in the two published forms (they are *not* the same number, always name which):

  - Bailando (Siyao et al. 2022): mean over **music** beats of ``exp(-d^2 / (2 sigma^2))``, ``d`` the
    distance to the nearest motion beat;
  - FACT / AIST++ (Li et al. 2021): mean over **motion** beats of the same kernel, ``d`` the distance
    to the nearest music beat.

  Both published codes use ``sigma = 3`` frames at 60 fps (Bailando writes ``sigma^2 = 9``); here
  sigma is in seconds so the score does not depend on the frame rate: ``sigma = 3 / 60 = 0.05 s``
  (at ``fps`` frames per second, ``sigma_frames = sigma_s * fps``).

* **Danced beats** (:func:`danced_beats`): the music beats a dance set out to hit, those within
  70 ms of a beat the generator locked the dance to. Where the generator dances on every second
  beat (a fast song followed at half tempo), these are every second beat; the beat alignment error
  over them says whether the dance "then hits those beats" (the beat-on-any-tempo issue), while
  the Bailando score still counts every music beat.

All times are seconds. Only music beats inside the motion's time span count (``span``).
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
# the motion beats and the joint speed are defined once, in the core layer (re-exported here as
# part of the metrics' public names)
from ..skeleton import (  # noqa: F401
    DEFAULT_MIN_INTERVAL_S, DEFAULT_MIN_PROMINENCE, DEFAULT_SMOOTH_S, joint_speed, motion_beats,
)

#: Kernel width of the beat-align scores, seconds (published: 3 frames at 60 fps).
DEFAULT_SIGMA_S = 3.0 / 60.0

__all__ = [
    "DEFAULT_SIGMA_S", "joint_speed", "motion_beats", "beat_alignment_error",
    "beat_align_score_bailando", "beat_align_score_fact", "beat_metrics", "danced_beats", "danced_beat_error",
]


def _as_seq(kp, name="kp") -> np.ndarray:
    kp = np.asarray(kp, dtype=np.float64)
    if kp.ndim != 3:
        raise DataError(f"{name} must have shape (T, J, D), got {kp.shape}")
    if not np.all(np.isfinite(kp)):
        raise DataError(f"{name} contains NaN or inf; fill or drop those frames first")
    return kp


def _beats(x, name) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)):
        raise DataError(f"{name} contains NaN or inf")
    return np.sort(x)


def _in_span(beats: np.ndarray, span) -> np.ndarray:
    if span is None:
        return beats
    t0, t1 = float(span[0]), float(span[1])
    return beats[(beats >= t0) & (beats <= t1)]


def _nearest_distance(query: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """For each value of ``query``, the absolute distance to the nearest value of sorted ``ref``."""
    pos = np.searchsorted(ref, query)
    left = ref[np.clip(pos - 1, 0, len(ref) - 1)]
    right = ref[np.clip(pos, 0, len(ref) - 1)]
    return np.minimum(np.abs(query - left), np.abs(query - right))


def _prepare(motion_beats, music_beats, span):
    mo = _in_span(_beats(motion_beats, "motion_beats"), span)
    mu = _in_span(_beats(music_beats, "music_beats"), span)
    if len(mu) == 0:
        where = f" inside the motion's time span [{span[0]:.2f}, {span[1]:.2f}] s" if span is not None else ""
        raise DataError(f"no music beats{where}; check the music beats and the dance offset")
    return mo, mu


def beat_alignment_error(motion_beats, music_beats, span=None) -> float:
    """Beat alignment error, seconds (the paper's): ``mean_{b in music} min_{m in motion} |b - m|``.

    Parameters
    ----------
    motion_beats, music_beats : (B,) beat times, seconds (any order).
    span : optional ``(t0, t1)`` seconds; only beats (of both kinds) inside it count. Pass the
        motion's time span, ``(offset, offset + (T - 1) / fps)``, when the music is longer.

    Returns
    -------
    float seconds; ``inf`` when there are no motion beats (a motion that never stops). Raises
    :class:`~dancegen.errors.DataError` when no music beat lies inside ``span``.
    """
    mo, mu = _prepare(motion_beats, music_beats, span)
    if len(mo) == 0:
        return float("inf")
    return float(_nearest_distance(mu, mo).mean())


def danced_beats(music_beats, locked_beats, tol: float = 0.07) -> np.ndarray:
    """The music beats within ``tol`` seconds of a beat the dance was locked to (sorted).

    ``locked_beats``: the generator's beat grid (``Dance.meta["beats"]``, seconds in the music).
    A grid at half the music's tempo keeps every second beat, one at its tempo or twice it keeps
    them all, one on the off-beats none (then no beat is danced and the error over them is
    undefined: the caller treats it as a miss).

    Examples
    --------
    >>> danced_beats([0.0, 0.5, 1.0, 1.5, 2.0], [0.02, 1.01, 1.98])
    array([0., 1., 2.])
    """
    mu = _beats(music_beats, "music_beats")
    lk = _beats(locked_beats, "locked_beats")
    if len(mu) == 0 or len(lk) == 0:
        return mu[:0]
    return mu[_nearest_distance(mu, lk) <= tol]


def danced_beat_error(motion_beats, music_beats, locked_beats, span) -> tuple[float, float]:
    """``(beat alignment error over the danced beats, share of the music beats danced)`` inside
    ``span`` (:func:`danced_beats` of ``locked_beats``; ``inf`` error when none is danced)."""
    mu = _in_span(_beats(music_beats, "music_beats"), span)
    hit = danced_beats(mu, locked_beats)
    err = beat_alignment_error(motion_beats, hit, span) if len(hit) else float("inf")
    return err, len(hit) / max(1, len(mu))


def beat_align_score_bailando(motion_beats, music_beats, sigma: float = DEFAULT_SIGMA_S, span=None) -> float:
    """Beat-align score, Bailando form: ``mean_{b in music} exp(-d_b^2 / (2 sigma^2))`` with
    ``d_b`` the distance from music beat ``b`` to the nearest motion beat, seconds.

    ``sigma`` is in seconds (default 0.05 s = the published 3 frames at 60 fps, ``sigma^2 = 9``
    frames^2). In [0, 1]; 1 means a motion beat on every music beat. No motion beats gives 0.
    ``span`` as in :func:`beat_alignment_error`.

    Examples
    --------
    >>> round(beat_align_score_bailando([0.55, 1.05], [0.5, 1.0]), 6)   # all 50 ms late: exp(-1/2)
    0.606531
    """
    if not sigma > 0:
        raise ConfigError(f"sigma must be positive seconds, got {sigma}")
    mo, mu = _prepare(motion_beats, music_beats, span)
    if len(mo) == 0:
        return 0.0
    d = _nearest_distance(mu, mo)
    return float(np.exp(-(d ** 2) / (2 * sigma ** 2)).mean())


def beat_align_score_fact(motion_beats, music_beats, sigma: float = DEFAULT_SIGMA_S, span=None) -> float:
    """Beat-align score, FACT/AIST++ form: ``mean_{m in motion} exp(-d_m^2 / (2 sigma^2))`` with
    ``d_m`` the distance from motion beat ``m`` to the nearest music beat, seconds.

    Averages over *motion* beats, so extra music beats with no motion beat cost nothing while extra
    motion beats between music beats do (the opposite of :func:`beat_align_score_bailando`). No
    motion beats gives 0 (as in the published code). ``sigma`` and ``span`` as there.
    """
    if not sigma > 0:
        raise ConfigError(f"sigma must be positive seconds, got {sigma}")
    mo, mu = _prepare(motion_beats, music_beats, span)
    if len(mo) == 0:
        return 0.0
    d = _nearest_distance(mo, mu)
    return float(np.exp(-(d ** 2) / (2 * sigma ** 2)).mean())


def beat_metrics(kp, fps: float, music_beats, offset: float = 0.0, sigma: float = DEFAULT_SIGMA_S,
                 **beat_kwargs) -> dict:
    """All beat metrics of one motion against its music beats.

    Parameters
    ----------
    kp : (T, J, D) joint positions; fps : frames per second.
    music_beats : (B,) music beat times, seconds in the music.
    offset : time of frame 0 in the music, seconds. The span is ``[offset, offset + (T-1)/fps]``.
    sigma : score kernel, seconds. ``beat_kwargs`` go to :func:`motion_beats`.

    Returns
    -------
    dict with ``motion_beats`` (array, s), ``n_motion_beats``, ``n_music_beats`` (inside the span),
    ``beat_alignment_error`` (s), ``bas_bailando``, ``bas_fact``.
    """
    kp = _as_seq(kp)
    mb = motion_beats(kp, fps, offset=offset, **beat_kwargs)
    span = (float(offset), float(offset) + (kp.shape[0] - 1) / float(fps))
    mu = _in_span(_beats(music_beats, "music_beats"), span)
    return {
        "motion_beats": mb,
        "n_motion_beats": int(len(mb)),
        "n_music_beats": int(len(mu)),
        "beat_alignment_error": beat_alignment_error(mb, music_beats, span),
        "bas_bailando": beat_align_score_bailando(mb, music_beats, sigma, span),
        "bas_fact": beat_align_score_fact(mb, music_beats, sigma, span),
    }
