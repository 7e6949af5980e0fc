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


def kick(sr: int, f0: float = 60.0, decay: float = 0.08, length: float = 0.3) -> np.ndarray:
    """A bass-drum-like hit: a sine gliding from 2 f0 down to f0, exponential decay."""
    t = np.arange(int(length * sr)) / sr
    f = f0 * (1.0 + np.exp(-t / 0.02))
    phase = 2 * np.pi * np.cumsum(f) / sr
    return (np.sin(phase) * np.exp(-t / decay)).astype(np.float32)


def metre_pattern(bpm: float, metre: int, duration: float, sr: int = 22050, first: float = 0.2,
                  noise: float = 0.001) -> np.ndarray:
    """Oom-pah pattern: a kick on beat 1 of every bar of ``metre`` beats (and on beat 3 in 4/4),
    a 1 kHz click on the other beats. 3/4 gives a waltz's oom-pah-pah, 4/4 a kick-click-kick-click."""
    y = np.zeros(int(round(duration * sr)), dtype=np.float32)
    k, c = kick(sr), 0.5 * click(sr)
    period = 60.0 / bpm
    n = int((duration - first) / period) + 1
    for j in range(n):
        i = int(round((first + j * period) * sr))
        if i >= len(y):
            break
        pos = j % metre
        s = k if (pos == 0 or (metre == 4 and pos == 2)) else c
        seg = s[: len(y) - i]
        y[i:i + len(seg)] += seg
    if noise:
        y += noise * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    return y
