"""Inference time per frame."""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from ..errors import ConfigError

__all__ = ["time_per_frame"]


def time_per_frame(fn: Callable[[], object], n_frames: int, repeats: int = 5, warmup: int = 1,
                   sync: Callable[[], object] | None = None, return_all: bool = False):
    """Wall-clock milliseconds per generated frame of ``fn``.

    ``fn()`` is called ``warmup`` times untimed (lazy initialisation, caches, JIT), then
    ``repeats`` times, each timed with :func:`time.perf_counter`; the result is
    ``median(seconds) / n_frames * 1000``. ``fn`` must produce ``n_frames`` frames per call (e.g.
    generate a 10-s dance at 25 fps: ``n_frames=250``). For asynchronous devices pass ``sync``
    (e.g. ``torch.cuda.synchronize``), called after each ``fn()`` inside the timing.

    Returns
    -------
    float ms/frame, or with ``return_all`` a dict ``{"ms_per_frame": median, "runs_ms_per_frame":
    [...], "n_frames", "repeats", "warmup"}``.
    """
    if int(n_frames) < 1 or int(repeats) < 1 or int(warmup) < 0:
        raise ConfigError(f"need n_frames >= 1, repeats >= 1, warmup >= 0; got {n_frames}, {repeats}, {warmup}")
    for _ in range(int(warmup)):
        fn()
        if sync is not None:
            sync()
    runs = []
    for _ in range(int(repeats)):
        t0 = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        runs.append(time.perf_counter() - t0)
    per = [r / int(n_frames) * 1000.0 for r in runs]
    med = float(np.median(per))
    if return_all:
        return {"ms_per_frame": med, "runs_ms_per_frame": per, "n_frames": int(n_frames),
                "repeats": int(repeats), "warmup": int(warmup)}
    return med
