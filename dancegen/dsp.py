"""The signal processing dancegen needs, in numpy: short-time power spectra, mel and chroma filter
banks, a Butterworth high-pass, a causal IIR filter, the chirp-z zoom FFT and peak picking.

Each is written from its textbook definition (the docstrings give it). They replace the calls into
librosa (``stft``, ``filters.mel``, ``filters.chroma``) and ``scipy.signal`` (``butter``,
``sosfilt``, ``zoom_fft``, ``find_peaks``) whose imports alone cost about 2 s of CPU in a 6-s
``dancegen generate`` run; tests/test_dsp.py compares every function with the library it replaces,
on real songs. Only numpy and ``scipy.fft`` (cheap to import) are used, so this module sits at the
bottom of the import layers with :mod:`dancegen.fileio`.
"""
from __future__ import annotations

import math

import numpy as np

# --------------------------------------------------------------------------- short-time spectra

#: frames per block of :func:`stft_power` (bounds the float64 work arrays to a few MB)
_STFT_BLOCK = 1024


def hann(n: int) -> np.ndarray:
    """(n,) float64 periodic Hann window ``w[k] = 0.5 - 0.5 cos(2 pi k / n)`` (the DFT-even window:
    one period of the raised cosine, so overlapping windows at hop n/4 sum to a constant), computed
    as ``0.5 + 0.5 cos(phi)`` with ``phi`` running from -pi in steps of 2 pi / n."""
    return 0.5 + 0.5 * np.cos(np.linspace(-np.pi, np.pi, int(n) + 1)[:-1])


def stft_power(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Power spectrogram ``|STFT|^2`` of a mono signal with centred frames.

    Frame ``m`` covers samples ``m * hop - n_fft // 2 .. m * hop + n_fft // 2 - 1`` (samples
    outside the signal are zeros), is multiplied by the periodic Hann window :func:`hann` and
    transformed by a real FFT of length ``n_fft`` (float64 arithmetic, each coefficient rounded to
    complex64 before squaring).

    y : (N,) float32 with N >= 1. Returns (1 + n_fft // 2, 1 + (N + 2 (n_fft // 2) - n_fft) // hop)
    float32 (``1 + N // hop`` frames for an even ``n_fft``).

    >>> S = stft_power(np.ones(4096, np.float32), 1024, 256)
    >>> S.shape, int(np.argmax(S[:, 8])), round(float(S[0, 8]) / 512 ** 2, 6)
    ((513, 17), 0, 1.0)
    """
    import scipy.fft

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    n_fft, hop = int(n_fft), int(hop)
    half = n_fft // 2
    yp = np.pad(y, (half, half))
    frames = np.lib.stride_tricks.sliding_window_view(yp, n_fft)[::hop]      # (M, n_fft) view
    win = hann(n_fft)
    out = np.empty((1 + n_fft // 2, len(frames)), dtype=np.float32)
    for a in range(0, len(frames), _STFT_BLOCK):
        D = scipy.fft.rfft(frames[a:a + _STFT_BLOCK] * win, axis=1).astype(np.complex64)
        out[:, a:a + len(D)] = (D.real ** 2 + D.imag ** 2).T
    return out


# --------------------------------------------------------------------------- filter banks

#: Slaney's mel scale: linear, 3 mels per 200 Hz, up to 1 kHz; logarithmic above, 27 mels per
#: factor 6.4 in frequency
_MEL_HZ_STEP = 200.0 / 3
_MEL_LOG_HZ = 1000.0
_MEL_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(f) -> np.ndarray:
    """Slaney's mel scale (the Auditory Toolbox's): ``f / (200/3)`` below 1 kHz, then
    ``15 + log(f / 1000) / (log(6.4) / 27)``."""
    f = np.asarray(f, dtype=np.float64)
    lin = f / _MEL_HZ_STEP
    log = _MEL_LOG_HZ / _MEL_HZ_STEP + np.log(np.maximum(f, 1e-300) / _MEL_LOG_HZ) / _MEL_LOG_STEP
    return np.where(f >= _MEL_LOG_HZ, log, lin)


def mel_to_hz(m) -> np.ndarray:
    """The inverse of :func:`hz_to_mel`."""
    m = np.asarray(m, dtype=np.float64)
    m_log = _MEL_LOG_HZ / _MEL_HZ_STEP
    return np.where(m >= m_log, _MEL_LOG_HZ * np.exp(_MEL_LOG_STEP * (m - m_log)), _MEL_HZ_STEP * m)


def mel_filterbank(sr: float, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
                   ) -> np.ndarray:
    """(n_mels, 1 + n_fft // 2) float32 Slaney-style mel filter bank.

    ``n_mels + 2`` edge frequencies equally spaced on :func:`hz_to_mel` from ``fmin`` to ``fmax``
    (default sr / 2); filter ``i`` is the triangle rising from edge ``i`` to 1 at edge ``i + 1`` and
    falling to 0 at edge ``i + 2``, evaluated at the FFT bin frequencies ``k sr / n_fft``, and
    scaled by ``2 / (f[i + 2] - f[i])`` so that every filter has the same area (constant energy
    per band for white noise).

    >>> fb = mel_filterbank(22050, 1024, 40)
    >>> fb.shape, bool((fb >= 0).all()), int(np.argmax(fb[0]))
    ((40, 513), True, 4)
    """
    fmax = float(sr) / 2 if fmax is None else float(fmax)
    bins = np.fft.rfftfreq(int(n_fft), 1.0 / float(sr))
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), int(n_mels) + 2))
    width = np.diff(edges)
    dist = edges[:, None] - bins[None, :]                               # (n_mels + 2, n_bins)
    rise = -dist[:-2] / width[:-1, None]
    fall = dist[2:] / width[1:, None]
    tri = np.maximum(0.0, np.minimum(rise, fall)).astype(np.float32)
    area = 2.0 / (edges[2:] - edges[:-2])
    return (tri * area[:, None]).astype(np.float32)


#: the reference pitch of :func:`chroma_filterbank`: A4 = 440 Hz (tuning 0); octaves count from A0
A4_HZ = 440.0


def chroma_filterbank(sr: float, n_fft: int, n_chroma: int = 12, center_octave: float = 5.0,
                      octave_width: float = 2.0) -> np.ndarray:
    """(n_chroma, 1 + n_fft // 2) float32 chroma filter bank (D. Ellis' ``fft2chromamx``, tuning 0).

    FFT bin ``k >= 1`` (frequency ``f_k = k sr / n_fft``) sits at ``c_k = n_chroma log2(f_k /
    (A4 / 16))`` chroma steps above A0; bin 0 is put 1.5 octaves below bin 1. Each bin spreads over
    the pitch classes as a Gaussian ``exp(-0.5 (2 d / w_k)^2)``, where ``d`` is the circular
    distance from ``c_k`` to the class (wrapped into ``[-n_chroma / 2, n_chroma / 2)``) and
    ``w_k = max(c_{k+1} - c_k, 1)`` the bin's width in chroma steps (1 for the last of the
    ``n_fft`` bins); each bin's weights are divided by their Euclidean norm and multiplied by
    ``exp(-0.5 ((c_k / n_chroma - center_octave) / octave_width)^2)`` (emphasis on the middle
    octaves). Rows are ordered from C (C, C#, ..., B). Returns the non-negative-frequency bins.

    >>> fb = chroma_filterbank(22050, 2048)
    >>> fb.shape, int(np.argmax(fb[:, round(440 * 2048 / 22050)]))    # 440 Hz is an A
    ((12, 1025), 9)
    """
    n_fft, n_chroma = int(n_fft), int(n_chroma)
    freqs = np.arange(1, n_fft) * (float(sr) / n_fft)
    c = n_chroma * np.log2(freqs / (A4_HZ / 16))
    c = np.concatenate([[c[0] - 1.5 * n_chroma], c])                     # (n_fft,) all bins
    width = np.concatenate([np.maximum(np.diff(c), 1.0), [1.0]])
    half = np.round(n_chroma / 2.0)
    d = c[None, :] - np.arange(n_chroma, dtype=np.float64)[:, None]      # (n_chroma, n_fft)
    d = np.remainder(d + half + 10 * n_chroma, n_chroma) - half
    w = np.exp(-0.5 * (2 * d / width[None, :]) ** 2)
    w = w / np.sqrt(np.sum(w * w, axis=0, keepdims=True))
    w = w * np.exp(-0.5 * ((c / n_chroma - center_octave) / octave_width) ** 2)[None, :]
    w = np.roll(w, -3 * (n_chroma // 12), axis=0)                        # row 0: A -> C
    return np.ascontiguousarray(w[:, :1 + n_fft // 2], dtype=np.float32)


# --------------------------------------------------------------------------- IIR filtering

def butter2_highpass(cutoff: float, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``(b, a)`` (a[0] = 1) of the 2nd-order Butterworth high-pass at ``cutoff`` Hz for
    sample rate ``fs``: the analog prototype ``H(s) = s^2 / (s^2 + sqrt(2) W s + W^2)`` with the
    prewarped corner ``W = 2 fs tan(pi cutoff / fs)``, mapped by the bilinear transform
    ``s = 2 fs (z - 1) / (z + 1)``. With ``K = tan(pi cutoff / fs)``:
    ``b = [1, -2, 1] / a0``, ``a = [1, 2 (K^2 - 1) / a0, (1 - sqrt(2) K + K^2) / a0]``,
    ``a0 = 1 + sqrt(2) K + K^2``.

    >>> b, a = butter2_highpass(30.0, 22050)
    >>> float(abs(np.polyval(b, -1) / np.polyval(a, -1)))          # gain 1 at Nyquist, 0 at DC
    1.0
    """
    if not 0 < cutoff < fs / 2:
        raise ValueError(f"cutoff {cutoff} Hz must lie within (0, {fs / 2}) Hz")
    K = math.tan(math.pi * float(cutoff) / float(fs))
    r2 = math.sqrt(2.0)
    a0 = 1.0 + r2 * K + K * K
    b = np.array([1.0, -2.0, 1.0]) / a0
    a = np.array([1.0, 2.0 * (K * K - 1.0) / a0, (1.0 - r2 * K + K * K) / a0])
    return b, a


def causal_filter(b, a, x: np.ndarray, tol: float = 1e-20) -> np.ndarray:
    """Apply the stable causal IIR filter ``B(z) / A(z)`` (zero initial state) to ``x``:
    ``sum_i a[i] y[n - i] = sum_i b[i] x[n - i]``.

    Computed in the frequency domain, block by block (overlap-add): the transfer function is
    sampled on an FFT grid of ``L`` points, so each block of ``L - tail`` samples is convolved with
    the impulse response folded modulo ``L``. ``tail`` is the number of samples after which the
    impulse response has decayed below ``tol`` (times its largest pole's growth), from the pole
    radius, so what folding and truncation change is far below float64 rounding. O(N log L).

    x : (N,) real. Returns (N,) float64.
    """
    import scipy.fft

    b = np.atleast_1d(np.asarray(b, dtype=np.float64))
    a = np.atleast_1d(np.asarray(a, dtype=np.float64))
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if a[0] == 0:
        raise ValueError("a[0] must be non-zero")
    b, a = b / a[0], a / a[0]
    r = float(np.max(np.abs(np.roots(a)))) if len(a) > 1 else 0.0
    if not r < 1:
        raise ValueError("the filter is not stable (a pole on or outside the unit circle)")
    # the impulse response of an order-p filter is a sum of terms n^j r^n (j < p) weighted by up to
    # about 1 / (1 - r): below tol once (r^n / (1 - r))^(1/p) is, with margin
    p = len(a) - 1
    tail = len(b) + p
    if r > 0:
        tail += int(math.ceil(p * math.log(tol * (1.0 - r)) / math.log(r)))
    L = 1 << max(12, int(math.ceil(math.log2(2 * tail))))
    block = L - tail
    z = np.exp(-2j * np.pi * np.arange(L // 2 + 1) / L)                  # z^-1 on the grid
    H = np.polyval(b[::-1], z) / np.polyval(a[::-1], z)
    out = np.zeros(len(x) + L)
    for s in range(0, len(x), block):
        out[s:s + L] += scipy.fft.irfft(scipy.fft.rfft(x[s:s + block], L) * H, L)
    return out[:len(x)]


# --------------------------------------------------------------------------- chirp-z transform

def zoom_fft(x: np.ndarray, f1: float, f2: float, m: int, fs: float) -> np.ndarray:
    """The DFT of ``x`` at ``m`` equally spaced frequencies from ``f1`` to ``f2`` Hz (both included):
    ``X[k] = sum_n x[n] exp(-2 pi i n f_k / fs)``, ``f_k = f1 + k (f2 - f1) / (m - 1)``.

    Chirp-z transform by Bluestein's algorithm: with ``W = exp(-2 pi i df / fs)`` and
    ``nk = (n^2 + k^2 - (k - n)^2) / 2``, ``X[k] = W^(k^2/2) sum_n u[n] W^(-(k-n)^2/2)`` where
    ``u[n] = x[n] exp(-2 pi i n f1 / fs) W^(n^2/2)``: one linear convolution, done with FFTs of a
    length >= N + m - 1. O((N + m) log(N + m)) instead of O(N m).

    x : (N,) real or complex. Returns (m,) complex128.

    >>> fs = 100.0; n = np.arange(1000)
    >>> X = zoom_fft(np.cos(2 * np.pi * 7.3 * n / fs), 7.0, 7.6, 61, fs)
    >>> round(7.0 + int(np.argmax(np.abs(X))) * 0.01, 2)
    7.3
    """
    import scipy.fft

    x = np.asarray(x).reshape(-1)
    N, m = len(x), int(m)
    if m < 2:
        raise ValueError("zoom_fft needs m >= 2 output points")
    df = (float(f2) - float(f1)) / (m - 1)
    n = np.arange(N, dtype=np.float64)
    k = np.arange(m, dtype=np.float64)
    j = np.arange(-(N - 1), m, dtype=np.float64)                        # k - n for every pair
    u = x * np.exp(-2j * np.pi * (float(f1) / fs) * n - 1j * np.pi * (df / fs) * n * n)
    v = np.exp(1j * np.pi * (df / fs) * j * j)                            # W^(-(k-n)^2 / 2)
    L = scipy.fft.next_fast_len(N + m - 1)
    conv = scipy.fft.ifft(scipy.fft.fft(u, L) * scipy.fft.fft(v, L))
    return conv[N - 1:N - 1 + m] * np.exp(-1j * np.pi * (df / fs) * k * k)


# --------------------------------------------------------------------------- peaks

def local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of ``x``: a sample, or a run of equal samples (a plateau), higher
    than both of its neighbours; a plateau is represented by its middle sample (the left one of the
    two middles). The first and the last sample are never maxima."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    n = len(x)
    if n < 3:
        return np.zeros(0, dtype=np.intp)
    start = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])                 # first sample of each run
    end = np.r_[start[1:] - 1, n - 1]                                     # last sample of each run
    inner = (start > 0) & (end < n - 1)
    start, end = start[inner], end[inner]
    peak = (x[start - 1] < x[start]) & (x[end + 1] < x[start])
    return ((start[peak] + end[peak]) // 2).astype(np.intp)


def prominences(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Topographic prominence of each peak: its height above the higher of the two lowest points
    of ``x`` between it and the nearest strictly higher sample on each side (or the signal's
    end)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    out = np.empty(len(peaks))
    for i, p in enumerate(np.asarray(peaks, dtype=np.intp)):
        h = x[p]
        higher_left = np.flatnonzero(x[:p] > h)
        higher_right = np.flatnonzero(x[p + 1:] > h)
        lo = higher_left[-1] + 1 if higher_left.size else 0
        hi = p + 1 + higher_right[0] if higher_right.size else len(x)
        out[i] = h - max(x[lo:p + 1].min(), x[p:hi].min())
    return out


def find_peaks(x: np.ndarray, height: float | None = None, distance: float | None = None,
               prominence: float | None = None) -> np.ndarray:
    """Peaks of a 1-D signal, filtered like ``scipy.signal.find_peaks`` with these options.

    The :func:`local_maxima` of ``x``; then, in this order: those at least ``height`` high; with
    ``distance``, peaks are visited from the highest down (ties in ``np.argsort`` order) and each
    one still kept removes every other peak closer than ``ceil(distance)`` samples; those whose
    :func:`prominences` are at least ``prominence``.

    x : (N,) finite. Returns the (P,) increasing indices of the peaks.

    >>> find_peaks(np.array([0, 2, 0, 3, 3, 0, 1, 5, 1, 0]), distance=3)
    array([3, 7])
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    peaks = local_maxima(x)
    if height is not None:
        peaks = peaks[x[peaks] >= height]
    if distance is not None and len(peaks) > 1:
        d = int(math.ceil(distance))
        if d < 1:
            raise ValueError("distance must be >= 1")
        keep = np.ones(len(peaks), dtype=bool)
        for j in np.argsort(x[peaks])[::-1]:
            if not keep[j]:
                continue
            lo = np.searchsorted(peaks, peaks[j] - d, side="right")
            hi = np.searchsorted(peaks, peaks[j] + d, side="left")
            keep[lo:j] = False
            keep[j + 1:hi] = False
        peaks = peaks[keep]
    if prominence is not None and len(peaks):
        peaks = peaks[prominences(x, peaks) >= prominence]
    return peaks
