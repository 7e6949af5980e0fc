"""Tempo and beat tracking.

Pipeline (all pure functions on arrays, :func:`track_beats` chains them):

1. :func:`onset_envelope`: spectral flux of a 64-band log-mel spectrogram (46 ms window, 11.6 ms
   hop at 22.05 kHz), averaged over bands; its time axis is corrected for the window lead so that a
   click at time ``s`` peaks at ``s`` (measured on synthetic clicks, kicks and tones: within +-3 ms).
2. :func:`estimate_tempo`: global autocorrelation of the envelope (local mean removed); every
   candidate tempo between 40 and 250 BPM is scored by the mean autocorrelation at 1..8 times its
   beat period (a comb: a true beat repeats every beat, so a too-fast candidate is penalised by the
   off-beat lags) times a log-normal tempo prior for dance music (centre 115 BPM, 0.8 octave).
   The comb alone prefers any slower multiple; the prior decides the metrical level.
3. :func:`refine_tempo`: the whole-song harmonic periodogram ``sum_h |DFT(env)(h f)|``, h = 1..4,
   evaluated finely (chirp-z zoom FFT) within +-3 % of the coarse tempo; its peak, refined by
   parabolic interpolation, gives the tempo to a small fraction of a percent on a steady song.
4. :func:`place_beats`: Ellis' dynamic programme (onset score minus ``tightness * log(interval /
   period)^2``) with the refined period, weak beats at the edges trimmed; then each beat is moved to
   the sub-frame onset peak within +-1/8 period and finally to a local least-squares grid (a line
   through the beats within +-8 beats, outliers dropped), which removes frame quantisation.
5. :func:`tempo_sections`: windowed coarse tempi find stretches (>= 10 s, confirmed clearly
   periodic) whose tempo is not the song's, e.g. a switch from 90 to 150 BPM; then 3-4 run per
   section and the beat chains are joined where the onsets fit best (:func:`_beats_in_sections`).
   A steady song is one section and its beats are exactly those of steps 1-4.

Silence, clips shorter than :data:`MIN_SECONDS`, fewer than :data:`MIN_ONSETS` onsets and
envelopes without any positive periodicity give ``tempo = 0.0`` and an empty beat array, never an error. Noise is not rejected: it gets a
meaningless tempo with a low ``salience`` (white noise: about 0.03 over 30 s, 0.1 over 5 s; real
songs 0.04 to 0.65, so no threshold separates them on short clips).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..dsp import mel_filterbank, stft_power, zoom_fft

#: tempo search range, BPM
MIN_BPM, MAX_BPM = 40.0, 250.0
#: log-normal tempo prior: centre (BPM) and standard deviation (octaves)
PRIOR_BPM, PRIOR_OCTAVES = 115.0, 0.8
#: number of beat-period multiples in the autocorrelation comb
COMB_MULTIPLES = 8
#: shorter clips give no tempo and no beats, seconds
MIN_SECONDS = 2.0
#: DP tightness: cost of an interval I is TIGHTNESS * log(I / period)^2 (librosa uses 100 with a
#: coarse period; with a precise period a stiff DP keeps the beat phase through off-beat-heavy
#: sections: a 2 % interval change costs 2.5, a half-beat phase jump 1000)
TIGHTNESS = 6400.0
#: the flux peak of an onset comes this fraction of the analysis window before the onset
ONSET_LEAD_FRACTION = 0.345
ONSET_N_MELS = 64


def analysis_params(sr: int) -> tuple[int, int]:
    """(n_fft, hop) of the onset analysis for sample rate ``sr``: hop is the power of two nearest
    11.6 ms (256 at 22.05 kHz, 512 at 44.1 kHz), the window 4 hops (46 ms)."""
    hop = int(2 ** round(math.log2(max(sr, 1000) * 256 / 22050)))
    return 4 * hop, hop


@lru_cache(maxsize=16)
def _mel_basis(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    return mel_filterbank(sr, n_fft, n_mels, fmin, fmax)


def power_spectrogram(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """|STFT|^2 of ``y`` (periodic Hann window, centred frames, zero padding:
    :func:`dancegen.dsp.stft_power`).

    Returns (1 + n_fft // 2, 1 + len(y) // hop) float32; frame ``m`` is centred on sample
    ``m * hop``."""
    y = np.asarray(y, dtype=np.float32)
    return stft_power(y, n_fft, hop)[:, :1 + len(y) // hop]


def mel_db(power: np.ndarray, sr: int, n_fft: int, n_mels: int, fmin: float = 30.0,
           fmax: float | None = None, top_db: float = 80.0) -> np.ndarray:
    """Log-mel spectrogram in dB (ref 1.0, floor -100 dB and ``top_db`` below the maximum).

    power : (1 + n_fft // 2, M) power spectrogram. Returns (n_mels, M) float32."""
    fmax = float(sr) / 2 if fmax is None else float(fmax)
    M = _mel_basis(int(sr), int(n_fft), int(n_mels), float(fmin), fmax) @ power
    db = 10.0 * np.log10(np.maximum(M, 1e-10))
    if db.size:
        db = np.maximum(db, db.max() - top_db)
    return db.astype(np.float32, copy=False)


def onset_from_mel_db(mdb: np.ndarray) -> np.ndarray:
    """Spectral flux: ``env[m] = mean_bands max(0, mdb[:, m] - mdb[:, m-1])``, ``env[0] = 0``.

    mdb : (n_mels, M) log-mel in dB. Returns (M,) float32 in dB per frame."""
    env = np.zeros(mdb.shape[1], dtype=np.float32)
    if mdb.shape[1] > 1:
        env[1:] = np.maximum(np.diff(mdb, axis=1), 0.0).mean(axis=0)
    return env


def onset_time_origin(sr: int, n_fft: int, hop: int) -> float:
    """Time in seconds that ``env[0]`` of :func:`onset_from_mel_db` stands for.

    ``env[m]`` compares frames ``m-1`` and ``m`` (half a hop before frame ``m``'s centre), and the
    flux of an onset peaks ``ONSET_LEAD_FRACTION * n_fft / sr`` before the onset (the log energy
    rises fastest as the onset enters the window), so ``env[m]`` describes time
    ``t0 + m * hop / sr`` with ``t0 = (ONSET_LEAD_FRACTION * n_fft - hop / 2) / sr``."""
    return (ONSET_LEAD_FRACTION * n_fft - 0.5 * hop) / sr


def onset_envelope(y: np.ndarray, sr: int) -> tuple[np.ndarray, float, float]:
    """Onset strength of a waveform.

    Parameters
    ----------
    y : (N,) float32 mono waveform.
    sr : sample rate, Hz.

    Returns
    -------
    env : (M,) float32, M = 1 + N // hop, spectral flux in dB.
    fps : sample rate of ``env`` (sr / hop, 86.13 Hz at 22.05 kHz).
    t0 : time of ``env[0]`` in seconds (``env[m]`` is at ``t0 + m / fps``).
    """
    an = analyse(y, sr)
    return an.env, an.fps, an.t0


@dataclass
class Analysis:
    """The short-time analysis of one waveform that the features
    (:func:`dancegen.audio.features.compute_features`), the beat tracker and the genre classifier
    (:func:`dancegen.audio.genre.genre_descriptors`) all start from; made by :func:`analyse`, so
    a generation run that hands it on computes it once.

    Attributes
    ----------
    sr, n_samples : sample rate (Hz) and length of the analysed waveform.
    n_fft, hop : :func:`analysis_params` of ``sr``.
    t0 : time in seconds of ``env[0]`` (:func:`onset_time_origin`).
    power : (1 + n_fft // 2, M) float32 :func:`power_spectrogram`, M = 1 + n_samples // hop.
    mel64 : (ONSET_N_MELS, M) float32 :func:`mel_db` of ``power``.
    env : (M,) float32 onset envelope (:func:`onset_from_mel_db` of ``mel64``).
    """

    sr: int
    n_samples: int
    n_fft: int
    hop: int
    t0: float
    power: np.ndarray | None = field(repr=False)
    mel64: np.ndarray = field(repr=False)
    env: np.ndarray = field(repr=False)
    _beats: "BeatResult | None" = field(default=None, repr=False)

    @property
    def fps(self) -> float:
        """Frame rate of ``env`` (and of every frame axis here), Hz."""
        return self.sr / self.hop

    def matches(self, y: np.ndarray, sr: int) -> bool:
        """Whether a waveform has this analysis's sample rate and length (the caller vouches that it
        is the analysed waveform itself) and the spectrogram is still held."""
        return int(sr) == self.sr and len(y) == self.n_samples and self.power is not None

    def beats(self) -> "BeatResult":
        """:func:`track_onsets` of the envelope over the whole waveform (default settings),
        computed on the first call only."""
        if self._beats is None:
            self._beats = track_onsets(self.env, self.fps, self.t0, duration=self.n_samples / self.sr)
        return self._beats


def analyse(y: np.ndarray, sr: int) -> Analysis:
    """The :class:`Analysis` of a mono waveform ``y`` (N,) at ``sr`` Hz."""
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    n_fft, hop = analysis_params(sr)
    S = power_spectrogram(y, n_fft, hop)
    mdb = mel_db(S, sr, n_fft, ONSET_N_MELS)
    return Analysis(int(sr), len(y), n_fft, hop, onset_time_origin(sr, n_fft, hop), S, mdb,
                    onset_from_mel_db(mdb))


# ----------------------------------------------------------------------------------- tempo

def _autocorrelation(env: np.ndarray, fps: float) -> np.ndarray:
    """Unbiased autocorrelation of ``env`` minus its 1-second moving average, ac[0] = 1."""
    from scipy.ndimage import uniform_filter1d

    x = env.astype(np.float64) - uniform_filter1d(env.astype(np.float64), max(1, int(round(fps))),
                                                  mode="nearest")
    n = len(x)
    nfft = 1 << int(math.ceil(math.log2(2 * n)))
    X = np.fft.rfft(x, nfft)
    ac = np.fft.irfft(X.real ** 2 + X.imag ** 2, nfft)[:n]
    ac /= (n - np.arange(n))
    if ac[0] <= 0:
        return np.zeros(n)
    return ac / ac[0]


def tempo_salience(env: np.ndarray, fps: float, bpm: np.ndarray,
                   multiples: int = COMB_MULTIPLES) -> np.ndarray:
    """Comb salience of each candidate tempo: the mean autocorrelation of the onset envelope at
    1..K times the candidate's beat period (each lag with +-1 frame tolerance).

    env : (M,) onset envelope at ``fps``; bpm : (C,) candidate tempi. Returns (C,) in [-1, 1].
    K is reduced on short clips so that K periods of the slowest candidate fit in half the clip."""
    from scipy.ndimage import maximum_filter1d

    n = len(env)
    bpm = np.asarray(bpm, dtype=np.float64)
    ac = maximum_filter1d(_autocorrelation(env, fps), 3)
    period = 60.0 * fps / bpm
    K = int(np.clip(math.floor(0.5 * n / period.max()), 1, multiples))
    lags = np.arange(n)
    return np.mean([np.interp(k * period, lags, ac) for k in range(1, K + 1)], axis=0)


def tempo_prior(bpm, center: float = PRIOR_BPM, octaves: float = PRIOR_OCTAVES):
    """Log-normal prior weight of a tempo: ``exp(-0.5 (log2(bpm / center) / octaves)^2)``."""
    return np.exp(-0.5 * (np.log2(np.asarray(bpm, dtype=np.float64) / center) / octaves) ** 2)


def estimate_tempo(env: np.ndarray, fps: float, min_bpm: float = MIN_BPM, max_bpm: float = MAX_BPM,
                   prior_bpm: float = PRIOR_BPM, prior_octaves: float = PRIOR_OCTAVES
                   ) -> tuple[float, float]:
    """Coarse global tempo (about +-1 %) with the metrical level chosen by the prior.

    Returns (bpm, salience); (0.0, 0.0) when the envelope is flat or too short."""
    env = np.asarray(env, dtype=np.float64)
    if len(env) < MIN_SECONDS * fps or not np.any(env > 0):
        return 0.0, 0.0
    max_bpm = min(max_bpm, 60.0 * fps / 2.0)
    grid = min_bpm * 1.002 ** np.arange(int(math.log(max_bpm / min_bpm) / math.log(1.002)) + 1)
    # the slowest candidate must repeat at least twice within the clip
    grid = grid[60.0 * fps / grid * 2 <= len(env)]
    if grid.size == 0:
        return 0.0, 0.0
    sal = tempo_salience(env, fps, grid)
    score = np.clip(sal, 0.0, None) * tempo_prior(grid, prior_bpm, prior_octaves)
    i = int(np.argmax(score))
    if score[i] <= 0:
        return 0.0, 0.0
    return float(grid[i]), float(sal[i])


def refine_tempo(env: np.ndarray, fps: float, bpm: float, span: float = 0.03,
                 harmonics: int = 4) -> float:
    """Refine a tempo to sub-bin precision: the peak of the whole-clip harmonic periodogram
    ``H(f) = sum_{h=1..harmonics} |sum_m env[m] exp(-2 pi i h f m / fps)|`` for ``f`` within
    ``bpm * (1 +- span) / 60`` Hz, on a grid of 1/32 of the main-lobe width, parabola-interpolated.

    Returns the refined BPM (``bpm`` unchanged if the peak is at the edge of the span)."""
    x = np.asarray(env, dtype=np.float64)
    x = x - x.mean()
    n = len(x)
    if n < 4 or bpm <= 0:
        return float(bpm)
    f0 = bpm / 60.0
    f_lo, f_hi = f0 * (1 - span), f0 * (1 + span)
    lobe = fps / n  # Hz
    m = int(min(20000, max(64, math.ceil((f_hi - f_lo) / (lobe / (8 * harmonics))))))
    H = np.zeros(m)
    for h in range(1, harmonics + 1):
        if h * f_hi >= fps / 2:
            break
        H += np.abs(zoom_fft(x, h * f_lo, h * f_hi, m, fps))
    i = int(np.argmax(H))
    if i == 0 or i == m - 1:
        return float(bpm)
    a, b, c = H[i - 1], H[i], H[i + 1]
    den = a - 2 * b + c
    d = 0.5 * (a - c) / den if den < 0 else 0.0
    f = f_lo + (i + d) * (f_hi - f_lo) / (m - 1)
    return float(60.0 * f)


# ----------------------------------------------------------------------------------- beats

def _dp(local: np.ndarray, period: float, tightness: float) -> tuple[np.ndarray, np.ndarray]:
    """Ellis' beat DP, vectorised in blocks of half a period (no frame's predecessor lies inside
    its own block). Returns cumulative score and back-links (-1 = chain start)."""
    n = len(local)
    lo = max(1, int(round(period / 2)))
    hi = max(lo + 1, int(round(2 * period)))
    lags = np.arange(lo, hi + 1)
    cost = -tightness * np.log(lags / period) ** 2
    cum = np.zeros(n)
    back = np.full(n, -1, dtype=np.int64)
    for start in range(0, n, lo):
        t = np.arange(start, min(n, start + lo))
        prev = t[:, None] - lags[None, :]
        ok = prev >= 0
        cand = np.where(ok, cum[np.clip(prev, 0, None)] + cost, -np.inf)
        j = np.argmax(cand, axis=1)
        best = cand[np.arange(len(t)), j]
        has = np.isfinite(best) & (best > 0)
        cum[t] = local[t] + np.where(has, best, 0.0)
        back[t] = np.where(has, prev[np.arange(len(t)), j], -1)
    return cum, back


def _last_beat(cum: np.ndarray, period: float) -> int:
    """End of the best chain: the frame with the highest cumulative score in the last two
    periods (every chain has a beat there, since intervals are at most two periods)."""
    n = len(cum)
    lo = max(0, n - int(math.ceil(2 * period)))
    return lo + int(np.argmax(cum[lo:]))


def place_beats(env: np.ndarray, fps: float, bpm: float, tightness: float = TIGHTNESS,
                refine: bool = True, oversample: int = 4) -> np.ndarray:
    """Beat positions for a known tempo.

    Parameters
    ----------
    env : (M,) onset envelope at ``fps``.
    bpm : tempo in BPM (from :func:`refine_tempo`).
    tightness : how strongly beat intervals are held to the period.
    refine : move beats to sub-frame onset peaks and the local least-squares grid.
    oversample : the DP runs on the envelope linearly interpolated to this many points per frame.

    Returns
    -------
    (B,) float64 beat positions in envelope frames (fractional), increasing.
    """
    from scipy.ndimage import gaussian_filter1d

    env = np.asarray(env, dtype=np.float64)
    if bpm <= 0 or len(env) < 3 or not np.any(env > 0):
        return np.zeros(0)
    period = 60.0 * fps / bpm
    sd = env.std()
    local = gaussian_filter1d(env / (sd if sd > 0 else 1.0), max(0.5, period / 32), mode="constant")
    # the DP runs on an oversampled score so that integer intervals can match a fractional period
    # (otherwise a tight DP drifts: 38 or 39 frames for a 38.27-frame period)
    up = max(1, int(oversample))
    fine = np.interp(np.arange(len(local) * up) / up, np.arange(len(local)), local)
    cum, back = _dp(fine, period * up, tightness)
    b = _last_beat(cum, period * up)
    path = []
    while b >= 0:
        path.append(b)
        b = int(back[b])
    ups = np.array(path[::-1], dtype=np.int64)
    if ups.size == 0:
        return np.zeros(0)
    # trim weak beats at both ends (silent intro/outro)
    thr = 0.5 * math.sqrt(float(np.mean(fine[ups] ** 2)))
    strong = np.flatnonzero(fine[ups] >= thr)
    if strong.size == 0:
        return np.zeros(0)
    pos = ups[strong[0]:strong[-1] + 1] / up
    if refine and pos.size:
        pos = _peak_refine(env, pos, period)
        pos = _grid_refine(pos, period)
    return pos


def _peak_refine(env: np.ndarray, pos: np.ndarray, period: float) -> np.ndarray:
    """Move each beat to the parabola-interpolated maximum of ``env`` within +-period/8."""
    w = max(1, int(round(period / 8)))
    n = len(env)
    out = pos.astype(np.float64)
    for i, f in enumerate(np.round(pos).astype(np.int64)):
        a, b = max(0, f - w), min(n, f + w + 1)
        seg = env[a:b]
        k = int(np.argmax(seg))
        if seg[k] <= 0:
            continue
        d = 0.0
        if 0 < k < len(seg) - 1:
            den = seg[k - 1] - 2 * seg[k] + seg[k + 1]
            if den < 0:
                d = 0.5 * (seg[k - 1] - seg[k + 1]) / den
        out[i] = a + k + d
    return out


def _grid_refine(pos: np.ndarray, period: float, half_window: int = 8) -> np.ndarray:
    """Replace each beat by the value at that beat of a least-squares line ``t = a + b k`` fitted to
    the beats within +-half_window beat numbers (beat numbers count periods, so a skipped beat
    does not bend the line); points off by more than period/6 are dropped and the line refitted."""
    if pos.size < 4:
        return pos
    k = np.concatenate([[0], np.cumsum(np.maximum(1, np.round(np.diff(pos) / period)))])
    out = pos.copy()
    tol = period / 6
    for i in range(pos.size):
        sel = np.abs(k - k[i]) <= half_window
        kk, tt = k[sel] - k[i], pos[sel]
        for _ in range(2):
            if kk.size < 3 or np.ptp(kk) == 0:
                break
            A = np.stack([np.ones_like(kk), kk], axis=1)
            coef, *_ = np.linalg.lstsq(A, tt, rcond=None)
            r = tt - A @ coef
            keep = np.abs(r) <= tol
            if keep.all():
                break
            kk, tt = kk[keep], tt[keep]
        if kk.size >= 3 and np.ptp(kk) > 0:
            A = np.stack([np.ones_like(kk), kk], axis=1)
            coef, *_ = np.linalg.lstsq(A, tt, rcond=None)
            if abs(coef[0] - pos[i]) <= tol:
                out[i] = coef[0]
    # keep strictly increasing
    if np.any(np.diff(out) <= 0):
        return pos
    return out


# ----------------------------------------------------------------------------------- tempo sections

#: local-tempo analysis for tempo changes: window and hop, seconds
SECTION_WINDOW_S, SECTION_HOP_S = 12.0, 2.0
#: a stretch of another tempo must span at least this many seconds of window centres
SECTION_MIN_S = 10.0
#: two local tempi are "the same" within this relative tolerance (also at a ratio of 2 or 1/2)
SECTION_TOL = 0.06
#: a window disagrees with a tempo when that tempo's comb salience there is below this fraction of
#: the window's own best tempo's
SECTION_FIT = 0.6


def _same_tempo(a: float, b: float, tol: float = SECTION_TOL) -> bool:
    return any(abs(a * r / b - 1.0) <= tol for r in (0.5, 1.0, 2.0))


def local_tempi(env: np.ndarray, fps: float, window_s: float = SECTION_WINDOW_S,
                hop_s: float = SECTION_HOP_S) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windowed :func:`estimate_tempo`: (centres in envelope frames, bpm, salience), one per
    window of ``window_s`` seconds every ``hop_s``; bpm 0 where a window has no tempo."""
    win, hop = int(round(window_s * fps)), max(1, int(round(hop_s * fps)))
    n = len(env)
    if n < 2 * win:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    starts = np.arange(0, n - win + 1, hop)
    c, t, v = [], [], []
    for a in starts:
        bpm, sal = estimate_tempo(env[a:a + win], fps)
        c.append(a + win / 2)
        t.append(bpm)
        v.append(sal)
    return np.asarray(c, float), np.asarray(t, float), np.asarray(v, float)


def tempo_sections(env: np.ndarray, fps: float, bpm: float) -> list[tuple[int, int, float]]:
    """Stretches of a steady tempo: ``[(first frame, end frame, local bpm)]``.

    One section ``[(0, len(env), bpm)]`` (the global tempo) unless, over at least
    :data:`SECTION_MIN_S`, consecutive windows of :func:`local_tempi` agree on a local tempo that
    is not the global one (nor its double or half) and the global tempo fits them badly (comb
    salience below :data:`SECTION_FIT` of theirs). Then the song is cut where the run of such
    windows starts and ends (half-way between window centres) and every stretch gets its own
    tempo from :func:`estimate_tempo` on it, kept only when the stretch lasts at least
    :data:`SECTION_MIN_S` and is :func:`_confirmed` (clearly periodic at that tempo and not at
    the song's); unconfirmed stretches fall back to the global tempo, and
    a song whose stretches all do gives one section, exactly as without this analysis."""
    n = len(env)
    whole = [(0, n, float(bpm))]
    centres, loc, sal = local_tempi(env, fps)
    if len(centres) < 3 or bpm <= 0:
        return whole
    win = int(round(SECTION_WINDOW_S * fps))
    fit = np.zeros(len(centres))
    for i, c in enumerate(centres):
        a = int(c - win / 2)
        seg = env[a:a + win]
        if loc[i] > 0 and sal[i] > 0:
            fit[i] = float(tempo_salience(seg, fps, np.array([bpm]))[0]) / sal[i]
        else:
            fit[i] = 1.0
    off = np.array([loc[i] > 0 and not _same_tempo(loc[i], bpm) and fit[i] < SECTION_FIT
                    for i in range(len(centres))])
    # runs of disagreeing windows with one local tempo
    runs, i = [], 0
    while i < len(off):
        if not off[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(off) and off[j + 1] and _same_tempo(loc[j + 1], float(np.median(loc[i:j + 1]))):
            j += 1
        if (centres[j] - centres[i]) / fps >= SECTION_MIN_S - SECTION_WINDOW_S / 2:
            runs.append((i, j))
        i = j + 1
    if not runs:
        return whole
    cuts = [0]
    for i, j in runs:
        lo = 0 if i == 0 else int(round(0.5 * (centres[i - 1] + centres[i])))
        hi = n if j == len(centres) - 1 else int(round(0.5 * (centres[j] + centres[j + 1])))
        # a run reaching the first / last window reaches the song's edge
        lo = 0 if i == 0 else lo
        for x in (lo, hi):
            if x - cuts[-1] >= SECTION_MIN_S * fps / 2 and n - x >= SECTION_MIN_S * fps / 2:
                cuts.append(x)
    cuts.append(n)
    if len(cuts) <= 2:
        return whole
    whole_sal = float(tempo_salience(env, fps, np.array([bpm]))[0])
    out = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        t, own = estimate_tempo(env[a:b], fps)
        if t <= 0 or _same_tempo(t, bpm) or (b - a) < SECTION_MIN_S * fps \
                or not _confirmed(env[a:b], fps, t, own, bpm, whole_sal):
            t = bpm
        out.append((a, b, float(t)))
    if all(t == bpm for _, _, t in out):
        return whole
    # merge neighbours with the same tempo
    merged = [out[0]]
    for a, b, t in out[1:]:
        if t == merged[-1][2]:
            merged[-1] = (merged[-1][0], b, t)
        else:
            merged.append((a, b, t))
    return merged


#: a section of another tempo needs at least this comb salience for its own tempo (white noise
#: gives about 0.05 over 10 s)
SECTION_MIN_SALIENCE = 0.1


def _confirmed(seg: np.ndarray, fps: float, t: float, own: float, bpm: float,
               whole_sal: float) -> bool:
    """A stretch really has tempo ``t`` rather than the song's ``bpm``: its own salience is at
    least :data:`SECTION_MIN_SALIENCE`, half the song's salience, and twice that of the song's
    tempo on the stretch (not of its half: 60 BPM fits a 90 BPM song's eighths as well as 90). (Outros and rubato endings of the Dance with
    Melody waltzes reach 0.04-0.07 and fail.)"""
    there = float(tempo_salience(seg, fps, np.array([bpm]))[0])
    return own >= SECTION_MIN_SALIENCE and own >= 0.5 * whole_sal and own >= 2.0 * max(there, 0.0)


def _beats_in_sections(env: np.ndarray, fps: float, sections, tightness: float
                       ) -> tuple[np.ndarray, list]:
    """Beats (frames) of a song with several tempo sections: each section's tempo refined on it,
    beats placed on it with :data:`SECTION_WINDOW_S` / 2 of margin on both sides; where two
    sections meet, the switch from one beat chain to the other is put where the onset envelope
    (above its mean) summed at the chosen beats is largest, within that margin."""
    margin = int(round(SECTION_WINDOW_S / 2 * fps))
    n = len(env)
    chains, tempi = [], []
    for a, b, t in sections:
        lo, hi = max(0, a - margin), min(n, b + margin)
        bpm = refine_tempo(env[lo:hi], fps, t)
        chains.append(lo + place_beats(env[lo:hi], fps, bpm, tightness=tightness))
        tempi.append(bpm)
    mean = float(np.mean(env))

    def gain(pos):
        return np.interp(pos, np.arange(n), env) - mean

    out = []
    cut_lo = 0.0
    for k in range(len(sections)):
        cur = chains[k]
        if k + 1 < len(sections):
            nxt = chains[k + 1]
            b = sections[k][1]
            cands = np.arange(max(cut_lo, b - margin), min(n, b + margin) + 1)
            if len(cands):
                ga, gb = gain(cur), gain(nxt)
                score = [ga[(cur >= cut_lo) & (cur < c)].sum() + gb[(nxt >= c) & (nxt < b + margin)].sum()
                         for c in cands]
                cut = float(cands[int(np.argmax(score))])
            else:
                cut = float(b)
        else:
            cut = float(n)
        sel = cur[(cur >= cut_lo) & (cur < cut)]
        if out and len(sel) and sel[0] - out[-1][-1] < 0.5 * 60.0 * fps / tempi[k]:
            sel = sel[1:]
        out.append(sel)
        cut_lo = cut
    secs = [(float(a) / fps, float(b) / fps, float(t)) for (a, b, _), t in zip(sections, tempi)]
    return (np.concatenate(out) if out else np.zeros(0)), secs


@dataclass
class BeatResult:
    """Output of :func:`track_beats`.

    Attributes
    ----------
    tempo : global tempo in BPM; 0.0 when there is no beat (silence, too short, no periodicity).
    beats : (B,) float64 beat times in seconds from the start of the analysed waveform.
    onset_env : (M,) float32 onset strength (spectral flux, dB per frame).
    onset_fps : sample rate of ``onset_env`` in Hz.
    onset_t0 : time in seconds of ``onset_env[0]``.
    salience : comb salience of the chosen tempo (autocorrelation, 0..1); a confidence figure.
    sections : ``[(t0, t1, bpm)]`` seconds of the envelope's time axis (t0 of the first is
        ``onset_t0``): one section for a steady song; several when the tempo changes (see
        :func:`tempo_sections`), ``tempo`` then being the longest section's.
    """

    tempo: float
    beats: np.ndarray
    onset_env: np.ndarray = field(repr=False)
    onset_fps: float = 0.0
    onset_t0: float = 0.0
    salience: float = 0.0
    sections: list = field(default_factory=list)

    @property
    def onset_times(self) -> np.ndarray:
        """(M,) time in seconds of each ``onset_env`` sample."""
        return self.onset_t0 + np.arange(len(self.onset_env)) / self.onset_fps

    def to_dict(self) -> dict:
        """JSON-able ``{"tempo": float, "beats": [seconds]}``."""
        return {"tempo": round(float(self.tempo), 3),
                "beats": [round(float(b), 4) for b in self.beats]}


#: a tempo needs at least this many distinct onsets (peaks above 20 % of the strongest)
MIN_ONSETS = 4


def _count_onsets(env: np.ndarray) -> int:
    """Number of local maxima of ``env`` above 20 % of its maximum (and above 1e-6)."""
    if len(env) < 3:
        return 0
    thr = max(1e-6, 0.2 * float(env.max()))
    mid = env[1:-1]
    return int(np.count_nonzero((mid > env[:-2]) & (mid >= env[2:]) & (mid > thr)))


def track_onsets(env: np.ndarray, fps: float, t0: float = 0.0, duration: float | None = None,
                 tightness: float = TIGHTNESS, follow_tempo: bool = True) -> BeatResult:
    """Tempo and beats from an onset envelope (the core of :func:`track_beats`).

    env : (M,) onset envelope; fps : its rate in Hz; t0 : time of ``env[0]`` in seconds;
    duration : length of the audio in seconds (beats are kept within [0, duration]);
    follow_tempo : look for sections of another tempo (:func:`tempo_sections`); False: one
    global tempo, as before that existed.
    """
    env = np.asarray(env, dtype=np.float32)
    if duration is None:
        duration = t0 + len(env) / fps
    empty = BeatResult(0.0, np.zeros(0), env, float(fps), float(t0), 0.0)
    if duration < MIN_SECONDS or len(env) < 3 or _count_onsets(env) < MIN_ONSETS:
        return empty
    coarse, sal = estimate_tempo(env, fps)
    if coarse <= 0:
        return BeatResult(0.0, np.zeros(0), env, float(fps), float(t0), float(max(sal, 0.0)))
    sections = tempo_sections(env, fps, coarse) if follow_tempo else [(0, len(env), coarse)]
    if len(sections) > 1:
        pos, secs = _beats_in_sections(env, fps, sections, tightness)
        secs = [(t0 + a, t0 + b, t) for a, b, t in secs]
        bpm = max(secs, key=lambda x: x[1] - x[0])[2]
    else:
        bpm = refine_tempo(env, fps, coarse)
        pos = place_beats(env, fps, bpm, tightness=tightness)
        secs = [(float(t0), float(t0 + len(env) / fps), float(bpm))]
    times = t0 + pos / fps
    times = times[(times >= 0) & (times <= duration)]
    return BeatResult(float(bpm), times.astype(np.float64), env, float(fps), float(t0), float(sal),
                      secs)


def track_beats(y: np.ndarray, sr: int, tightness: float = TIGHTNESS,
                follow_tempo: bool = True) -> BeatResult:
    """Global tempo and beat times of a waveform.

    Parameters
    ----------
    y : (N,) float32 mono waveform (e.g. from :func:`dancegen.audio.io.load_audio`).
    sr : sample rate in Hz.

    Returns
    -------
    BeatResult with ``tempo`` (BPM, 0.0 if none) and ``beats`` (seconds from the start of ``y``).

    Examples
    --------
    >>> sr = 22050; t = np.arange(8 * sr) / sr                  # 8 s of clicks at 120 BPM
    >>> y = (np.sin(2 * np.pi * 1000 * t) * (np.mod(t - 0.25, 0.5) < 0.02)).astype(np.float32)
    >>> res = track_beats(y, sr)
    >>> round(res.tempo), np.round(res.beats[:3], 2)
    (120, array([0.25, 0.75, 1.25]))
    """
    y = np.asarray(y, dtype=np.float32)
    env, fps, t0 = onset_envelope(y, sr)
    return track_onsets(env, fps, t0, duration=len(y) / sr, tightness=tightness,
                        follow_tempo=follow_tempo)


def beats_for_file(path, sr: int = 22050, start: float = 0.0, duration: float | None = None
                   ) -> BeatResult:
    """Decode ``path`` (see :func:`~dancegen.audio.io.load_audio`) and track its beats.

    Beat times are seconds from ``start``. Raises AudioError for unreadable files."""
    from .io import load_audio

    y, sr = load_audio(path, sr=sr, start=start, duration=duration)
    return track_beats(y, sr)
