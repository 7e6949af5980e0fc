"""Synthetic test signals with known answers (shared by the audio tests)."""
from __future__ import annotations

import numpy as np


def click(sr: int, freq: float = 1000.0, decay: float = 0.01, length: float = 0.1) -> np.ndarray:
    t = np.arange(int(length * sr)) / sr
    return (np.sin(2 * np.pi * freq * t) * np.exp(-t / decay)).astype(np.float32)


def click_track(times, duration: float, sr: int = 22050, amps=None, noise: float = 0.0,
                seed: int = 0) -> np.ndarray:
    """(round(duration * sr),) float32: a 1 kHz click (10 ms decay) starting at each time."""
    y = np.zeros(int(round(duration * sr)), dtype=np.float32)
    c = click(sr)
    for j, b in enumerate(times):
        i = int(round(b * sr))
        if i >= len(y):
            continue
        a = 1.0 if amps is None else float(amps[j])
        seg = c[: len(y) - i]
        y[i:i + len(seg)] += a * seg
    if noise:
        y += noise * np.random.default_rng(seed).standard_normal(len(y)).astype(np.float32)
    return y


def grid_hit_rate(beats, period: float, tol: float, n_offsets: int = 400) -> tuple[float, float]:
    """Best fraction of ``beats`` within ``tol`` s of the grid ``offset + k * period`` over all
    offsets in [0, period), and that offset."""
    beats = np.asarray(beats, dtype=np.float64)
    best, best_off = 0.0, 0.0
    for off in np.linspace(0.0, period, n_offsets, endpoint=False):
        r = np.mod(beats - off, period)
        h = float(np.mean(np.minimum(r, period - r) <= tol)) if beats.size else 0.0
        if h > best:
            best, best_off = h, off
    return best, best_off
