"""Multi-scale music features at the dance frame rate.

One short-time analysis (46 ms Hann window, 11.6 ms hop at 22.05 kHz) feeds everything: the
64-band log-mel spectrogram gives the onset envelope (shared with the beat tracker, computed once)
and the MFCCs; a 32-band log-mel is the coarse spectrum; a 93 ms / 23 ms analysis gives chroma.
Each feature is then put onto the dance frames: frame ``t`` describes time ``t / fps`` seconds
after the clip start, and ``T = round(duration * fps)`` exactly. Frame times are computed
analytically and every feature is box-averaged (onset: box-max) over one dance frame and
interpolated at those times, so nothing drifts, whatever the fps (25, 29.97, 60 ...) and however
long the song.

Columns of ``kind="multi"`` (88 with the defaults), in this order:

==================  =====  ====================================================================
name                count  meaning
==================  =====  ====================================================================
mel_00..mel_31      32     log-mel energy in dB (30 Hz .. sr/2), floor 80 dB below the clip max
mfcc_00..mfcc_19    20     MFCC (DCT-II of the 64-band log-mel in dB)
dmfcc_00..dmfcc_19  20     MFCC time derivative, per second (regression over +-2 dance frames)
onset               1      onset strength (spectral flux, dB), maximum within the frame
beat_pulse          1      Gaussian bump exp(-d^2 / 2 sigma^2), d = time to the nearest beat,
                           sigma = 50 ms; 1 on a beat, ~0 between beats
beat_phase_sin/cos  2      sin/cos(2 pi phase), phase going 0 -> 1 from one beat to the next
                           (extrapolated with the tempo before the first / after the last beat);
                           both 0 when no beat was found
chroma_C..chroma_B  12     pitch-class energy, each frame divided by its maximum (frames quieter
                           than 1/1000 of the clip's loudest keep their small values)
==================  =====  ====================================================================

``kind="mfcc"`` (the ablation) has only the MFCC and delta columns (40).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import ConfigError
from . import beats as _beats

#: bump when the computation changes, so cached features are recomputed
FEATURES_VERSION = 1
KINDS = ("multi", "mfcc")
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
#: columns that FeatureStats leaves unstandardised (already bounded, zero-mean by construction)
PASSTHROUGH = ("beat_phase_sin", "beat_phase_cos")


@dataclass
class FeatureConfig:
    """What :func:`compute_features` computes.

    Attributes
    ----------
    fps : dance frames per second (> 0; 25, 30, 60, 29.97 ...).
    sr : analysis sample rate in Hz.
    n_mels : log-mel bands in the output.
    n_mfcc : MFCC coefficients (each with a delta column if ``deltas``).
    deltas : add MFCC time derivatives.
    kind : "multi" (all columns) or "mfcc" (MFCC + deltas only, for the ablation).
    denoise : light noise reduction on load (see :func:`dancegen.audio.io.reduce_noise`).
    beat_sigma : width in seconds of the Gaussian bump at each beat in ``beat_pulse``.
    """

    fps: float = 25.0
    sr: int = 22050
    n_mels: int = 32
    n_mfcc: int = 20
    deltas: bool = True
    kind: str = "multi"
    denoise: bool = True
    beat_sigma: float = 0.05

    def __post_init__(self):
        try:
            self.fps = float(self.fps)
            self.sr = int(self.sr)
            self.n_mels = int(self.n_mels)
            self.n_mfcc = int(self.n_mfcc)
            self.beat_sigma = float(self.beat_sigma)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"feature config: {e}") from e
        self.deltas = bool(self.deltas)
        self.denoise = bool(self.denoise)
        if not (math.isfinite(self.fps) and 0 < self.fps <= 1000):
            raise ConfigError(f"feature fps {self.fps} must be a number in (0, 1000]; e.g. --fps 25")
        if self.kind not in KINDS:
            raise ConfigError(f"feature kind {self.kind!r} must be one of {', '.join(KINDS)}")
        if not 4000 <= self.sr <= 192000:
            raise ConfigError(f"feature sample rate {self.sr} must be within 4000..192000 Hz")
        if not 1 <= self.n_mels <= 256:
            raise ConfigError(f"n_mels {self.n_mels} must be within 1..256")
        if not 1 <= self.n_mfcc <= _beats.ONSET_N_MELS:
            raise ConfigError(f"n_mfcc {self.n_mfcc} must be within 1..{_beats.ONSET_N_MELS}")
        if not 0 < self.beat_sigma <= 1:
            raise ConfigError(f"beat_sigma {self.beat_sigma} s must be within (0, 1]")

    def to_dict(self) -> dict:
        """JSON-able dict (round-trips through :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureConfig":
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown feature config keys: {', '.join(sorted(unknown))}")
        return cls(**d)

    def key(self) -> str:
        """Stable cache key, e.g. ``multi-fps25-v1-3f2a9c0d1e``: the same config (and feature
        code version) always gives the same key, any change gives a different one."""
        blob = json.dumps({**self.to_dict(), "version": FEATURES_VERSION}, sort_keys=True)
        h = hashlib.sha1(blob.encode()).hexdigest()[:10]
        return f"{self.kind}-fps{self.fps:g}-v{FEATURES_VERSION}-{h}"

    def names(self) -> list[str]:
        """Column names, in order."""
        mf = [f"mfcc_{i:02d}" for i in range(self.n_mfcc)]
        if self.deltas:
            mf += [f"dmfcc_{i:02d}" for i in range(self.n_mfcc)]
        if self.kind == "mfcc":
            return mf
        return ([f"mel_{i:02d}" for i in range(self.n_mels)] + mf
                + ["onset", "beat_pulse", "beat_phase_sin", "beat_phase_cos"]
                + [f"chroma_{p}" for p in PITCH_CLASSES])

    @property
    def dim(self) -> int:
        """Number of feature columns F."""
        return len(self.names())


@dataclass
class FeatureSet:
    """Features of one clip.

    Attributes
    ----------
    values : (T, F) float32; row ``t`` describes time ``start + t / fps`` in the music file.
    names : F column names (see :meth:`FeatureConfig.names`).
    fps : frames per second.
    beats : (B,) float64 beat times in seconds from the clip start (``start``).
    tempo : BPM, 0.0 when no beat was found.
    start : seconds into the music file of frame 0.
    config : the :class:`FeatureConfig` as a dict.
    """

    values: np.ndarray
    names: list
    fps: float
    beats: np.ndarray
    tempo: float
    start: float = 0.0
    config: dict = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])

    def column(self, name: str) -> np.ndarray:
        """(T,) one column by name."""
        try:
            return self.values[:, self.names.index(name)]
        except ValueError:
            raise KeyError(f"no feature column {name!r}") from None

    def save(self, path) -> None:
        """Write an npz with ``values``, ``names``, ``fps``, ``beats``, ``tempo``, ``start``,
        ``config`` (JSON string)."""
        from ..fileio import atomic_write

        arrays = dict(values=self.values, names=np.array(self.names), fps=np.float64(self.fps), beats=self.beats,
                      tempo=np.float64(self.tempo), start=np.float64(self.start), config=json.dumps(self.config))

        def write(tmp):
            with open(tmp, "wb") as f:  # a file object: np.savez adds no ".npz"; atomic, never through a link
                np.savez(f, **arrays)

        atomic_write(path, write)

    @classmethod
    def load(cls, path) -> "FeatureSet":
        from ..errors import DataError
        from ..fileio import check_npz

        check_npz(path)  # declared sizes within DANCEGEN_MAX_NPZ_BYTES, no object arrays
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(values=z["values"].astype(np.float32), names=[str(n) for n in z["names"]],
                           fps=float(z["fps"]), beats=z["beats"].astype(np.float64),
                           tempo=float(z["tempo"]),
                           start=float(z["start"]) if "start" in z else 0.0,
                           config=json.loads(str(z["config"])) if "config" in z else {})
        except (OSError, KeyError, ValueError) as e:
            raise DataError(f"{path}: not a dancegen feature file ({e}); recompute it with "
                            f"`dancegen features`") from e


# --------------------------------------------------------------------------- frame resampling

def frame_times(n_frames: int, fps: float) -> np.ndarray:
    """(T,) float64 times ``t / fps`` of the dance frames, seconds from the clip start."""
    return np.arange(int(n_frames), dtype=np.float64) / float(fps)


def n_frames_for(duration: float, fps: float) -> int:
    """Number of dance frames for ``duration`` seconds: ``round(duration * fps)``."""
    return int(round(float(duration) * float(fps)))


def resample_frames(x: np.ndarray, src_t0: float, src_rate: float, times: np.ndarray,
                    width: float, how: str = "mean") -> np.ndarray:
    """Put a feature sequence onto arbitrary frame times.

    Parameters
    ----------
    x : (M, C) source frames; source frame ``j`` is at time ``src_t0 + j / src_rate`` seconds.
    times : (T,) target times in seconds.
    width : seconds each target frame stands for (1 / fps): the source is first box-filtered
        (``how="mean"``) or max-filtered (``how="max"``) over ``round(width * src_rate)`` frames,
        then linearly interpolated at ``times`` (held constant beyond the ends).

    Returns
    -------
    (T, C) float32.
    """
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    x = np.asarray(x, dtype=np.float32)
    T = len(times)
    if T == 0 or x.shape[0] == 0:
        return np.zeros((T, x.shape[1] if x.ndim == 2 else 0), dtype=np.float32)
    w = int(round(width * src_rate))
    if w > 1:
        f = maximum_filter1d if how == "max" else uniform_filter1d
        x = f(x, w, axis=0, mode="nearest")
    pos = (np.asarray(times, dtype=np.float64) - src_t0) * src_rate
    pos = np.clip(pos, 0.0, x.shape[0] - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, x.shape[0] - 1)
    a = (pos - i0).astype(np.float32)[:, None]
    return (x[i0] * (1 - a) + x[i1] * a).astype(np.float32)


def delta(x: np.ndarray, fps: float) -> np.ndarray:
    """Time derivative per second of (T, C) frames: linear regression over +-2 frames (edges
    repeated), times ``fps``. Returns (T, C) float32 (zeros when T < 2)."""
    x = np.asarray(x, dtype=np.float32)
    if x.shape[0] < 2:
        return np.zeros_like(x)
    p = np.pad(x, ((2, 2), (0, 0)), mode="edge")
    d = (p[3:-1] - p[1:-3]) + 2 * (p[4:] - p[:-4])
    return (d / 10.0 * fps).astype(np.float32)


def beat_pulse(times: np.ndarray, beats: np.ndarray, sigma: float) -> np.ndarray:
    """(T,) float32 ``exp(-d^2 / (2 sigma^2))``, d = distance in seconds to the nearest beat."""
    times = np.asarray(times, dtype=np.float64)
    beats = np.sort(np.asarray(beats, dtype=np.float64))
    if beats.size == 0:
        return np.zeros(len(times), dtype=np.float32)
    j = np.clip(np.searchsorted(beats, times), 1, max(1, beats.size - 1))
    d = np.abs(times - beats[j - 1])
    if beats.size > 1:
        d = np.minimum(d, np.abs(times - beats[j]))
    return np.exp(-0.5 * (d / sigma) ** 2).astype(np.float32)


def beat_phase(times: np.ndarray, beats: np.ndarray, tempo: float) -> np.ndarray:
    """(T,) float64 beat phase in [0, 1): 0 on a beat, rising linearly to the next beat; before the
    first and after the last beat it continues with the period ``60 / tempo``. NaN when there is
    no beat (or one beat and no tempo)."""
    times = np.asarray(times, dtype=np.float64)
    beats = np.sort(np.asarray(beats, dtype=np.float64))
    out = np.full(len(times), np.nan)
    period = 60.0 / tempo if tempo > 0 else None
    if beats.size == 0 or (beats.size == 1 and period is None):
        return out
    if period is None:
        period = float(np.median(np.diff(beats)))
    i = np.searchsorted(beats, times, side="right") - 1
    inside = (i >= 0) & (i < beats.size - 1)
    ii = i[inside]
    out[inside] = (times[inside] - beats[ii]) / (beats[ii + 1] - beats[ii])
    before = i < 0
    out[before] = np.mod((times[before] - beats[0]) / period, 1.0)
    after = i >= beats.size - 1
    out[after] = np.mod((times[after] - beats[-1]) / period, 1.0)
    return np.mod(out, 1.0)


# --------------------------------------------------------------------------- features

def compute_features(y: np.ndarray, sr: int, config: FeatureConfig | None = None,
                     duration: float | None = None, start: float = 0.0,
                     analysis: _beats.Analysis | None = None) -> FeatureSet:
    """Multi-scale music features of a waveform at ``config.fps``.

    Parameters
    ----------
    y : (N,) float32 mono waveform at ``sr`` (resampled to ``config.sr`` if different).
    sr : sample rate in Hz.
    config : :class:`FeatureConfig` (default: 25 fps, "multi").
    duration : seconds the features cover (default ``N / sr``); ``T = round(duration * fps)``.
    start : seconds into the music file where ``y`` starts (recorded in the result only).
    analysis : :func:`dancegen.audio.beats.analyse` of ``y`` (at ``config.sr``) when the caller has
        it (shared with the genre classifier); None: computed here.

    Returns
    -------
    FeatureSet with ``values`` (T, F) float32 (all finite; silence and very short clips included),
    ``beats`` in seconds from the start of ``y`` and ``tempo`` in BPM (0.0 when none).

    Examples
    --------
    >>> sr = 22050; t = np.arange(8 * sr) / sr                  # 8 s of clicks at 120 BPM
    >>> y = (np.sin(2 * np.pi * 1000 * t) * (np.mod(t - 0.25, 0.5) < 0.02)).astype(np.float32)
    >>> fs = compute_features(y, sr, FeatureConfig(fps=30))
    >>> fs.values.shape, fs.names[-16:-12], round(fs.tempo)
    ((240, 88), ['onset', 'beat_pulse', 'beat_phase_sin', 'beat_phase_cos'], 120)
    """
    cfg = config or FeatureConfig()
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if sr != cfg.sr:
        import soxr

        y = soxr.resample(y, sr, cfg.sr).astype(np.float32, copy=False)
        sr = cfg.sr
    if duration is None:
        duration = len(y) / sr
    if not (math.isfinite(duration) and duration >= 0):
        raise ConfigError(f"duration {duration} must be a finite number of seconds >= 0")
    if not np.all(np.isfinite(y)):
        y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    T = n_frames_for(duration, cfg.fps)
    names = cfg.names()
    times = frame_times(T, cfg.fps)
    width = 1.0 / cfg.fps
    if analysis is not None and not analysis.matches(y, sr):
        raise ConfigError(f"compute_features: the analysis is of {analysis.n_samples} samples at "
                          f"{analysis.sr} Hz, the waveform {len(y)} at {sr} Hz")
    an = analysis if analysis is not None else _beats.analyse(y, sr)
    n_fft, hop, rate = an.n_fft, an.hop, an.fps
    S = an.power                                                       # (1 + n_fft/2, M)
    mdb64 = an.mel64                                                   # (64, M)
    if analysis is None:
        an.power = None  # our own: freed below once the mel bands are taken
    cols = []

    import scipy.fft

    mfcc = scipy.fft.dct(mdb64, type=2, axis=0, norm="ortho")[: cfg.n_mfcc]   # (n_mfcc, M)
    mfcc_f = resample_frames(mfcc.T, 0.0, rate, times, width)
    mf_cols = [mfcc_f]
    if cfg.deltas:
        mf_cols.append(delta(mfcc_f, cfg.fps))

    env, t0 = an.env, an.t0
    res = an.beats()
    beats, tempo = res.beats, res.tempo
    if cfg.kind == "multi":
        mel = _beats.mel_db(S, sr, n_fft, cfg.n_mels).T                # (M, n_mels)
        del S
        cols.append(resample_frames(mel, 0.0, rate, times, width))
        del mel
        cols.extend(mf_cols)
        cols.append(resample_frames(env[:, None], t0, rate, times, width, how="max"))
        cols.append(beat_pulse(times, beats, cfg.beat_sigma)[:, None])
        ph = beat_phase(times, beats, tempo)
        ok = np.isfinite(ph)
        sin = np.where(ok, np.sin(2 * np.pi * np.nan_to_num(ph)), 0.0)
        cos = np.where(ok, np.cos(2 * np.pi * np.nan_to_num(ph)), 0.0)
        cols.append(np.stack([sin, cos], axis=1).astype(np.float32))
        cols.append(_chroma_frames(y, sr, n_fft, hop, times, width))
    else:
        del S
        cols.extend(mf_cols)
    values = np.concatenate(cols, axis=1) if cols else np.zeros((T, 0), np.float32)
    values = np.nan_to_num(values.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    assert values.shape == (T, len(names)), (values.shape, len(names))
    return FeatureSet(values=values, names=names, fps=cfg.fps, beats=np.asarray(beats, np.float64),
                      tempo=float(tempo), start=float(start), config=cfg.to_dict())


def _chroma_frames(y, sr, n_fft, hop, times, width) -> np.ndarray:
    """(T, 12) chroma on the dance frames from a 2*n_fft / 2*hop analysis."""
    nf, hp = 2 * n_fft, 2 * hop
    S = _beats.power_spectrogram(y, nf, hp)
    fb = _chroma_basis(sr, nf)
    C = (fb @ S).T                                                    # (M, 12)
    del S
    peak = C.max(axis=1, keepdims=True)
    floor = 1e-3 * float(peak.max()) if peak.size else 0.0
    C = C / np.maximum(peak, max(floor, 1e-12))
    return resample_frames(C, 0.0, sr / hp, times, width)


_CHROMA_CACHE: dict = {}


def _chroma_basis(sr: int, n_fft: int) -> np.ndarray:
    """(12, 1 + n_fft // 2) chroma filter bank at tuning 0 (:func:`dancegen.dsp.chroma_filterbank`)."""
    from ..dsp import chroma_filterbank

    k = (sr, n_fft)
    if k not in _CHROMA_CACHE:
        _CHROMA_CACHE[k] = chroma_filterbank(sr, n_fft)
    return _CHROMA_CACHE[k]


def music_features(path, config: FeatureConfig | None = None, start: float = 0.0,
                   duration: float | None = None) -> FeatureSet:
    """Decode ``path`` (window ``[start, start + duration]``) and compute its features.

    ``T = round(duration * fps)`` when the file is long enough for the window, else
    ``round(decoded_seconds * fps)``. Raises AudioError for unreadable files."""
    from .io import load_audio

    cfg = config or FeatureConfig()
    y, sr = load_audio(path, sr=cfg.sr, start=start, duration=duration, denoise=cfg.denoise)
    got = len(y) / sr
    dur = duration if (duration is not None and got >= duration - 1.0 / sr) else got
    return compute_features(y, sr, cfg, duration=dur, start=start)


# --------------------------------------------------------------------------- standardisation

@dataclass
class FeatureStats:
    """Per-column mean and standard deviation, saved with a model.

    ``apply`` returns ``(values - mean) / std``. Columns named in :data:`PASSTHROUGH`
    (``beat_phase_sin``, ``beat_phase_cos``) keep mean 0 and std 1, i.e. they are left as they
    are: they are already bounded in [-1, 1] and their mean over a song is ~0. Standard deviations
    below 1e-6 (constant columns) are replaced by 1.
    """

    mean: np.ndarray
    std: np.ndarray
    names: list | None = None

    @classmethod
    def fit(cls, arrays, names: list | None = None) -> "FeatureStats":
        """Statistics over all frames of ``arrays`` (a list of (T_i, F) arrays or FeatureSets).

        Accumulates in float64 (no concatenation, so a whole dataset can be fitted)."""
        n = 0
        s = s2 = None
        for a in arrays:
            if isinstance(a, FeatureSet):
                names = names or list(a.names)
                a = a.values
            a = np.asarray(a, dtype=np.float64)
            if a.ndim != 2:
                raise ConfigError(f"feature arrays must be (T, F), got shape {a.shape}")
            if s is None:
                s, s2 = np.zeros(a.shape[1]), np.zeros(a.shape[1])
            elif a.shape[1] != s.shape[0]:
                raise ConfigError(f"feature arrays disagree in width: {a.shape[1]} vs {s.shape[0]}")
            n += a.shape[0]
            s += a.sum(axis=0)
            s2 += (a * a).sum(axis=0)
        if s is None or n == 0:
            raise ConfigError("FeatureStats.fit needs at least one frame of features")
        mean = s / n
        std = np.sqrt(np.maximum(s2 / n - mean * mean, 0.0))
        std = np.where(std < 1e-6, 1.0, std)
        if names is not None:
            if len(names) != mean.shape[0]:
                raise ConfigError(f"{len(names)} names for {mean.shape[0]} feature columns")
            for i, nm in enumerate(names):
                if nm in PASSTHROUGH:
                    mean[i], std[i] = 0.0, 1.0
        return cls(mean.astype(np.float32), std.astype(np.float32),
                   list(names) if names is not None else None)

    def apply(self, values: np.ndarray) -> np.ndarray:
        """(T, F) -> (T, F) float32 standardised."""
        v = np.asarray(values, dtype=np.float32)
        if v.shape[-1] != self.mean.shape[0]:
            raise ConfigError(f"features have {v.shape[-1]} columns, the statistics "
                              f"{self.mean.shape[0]}; were they computed with another config?")
        return (v - self.mean) / self.std

    def invert(self, values: np.ndarray) -> np.ndarray:
        """Undo :meth:`apply`."""
        return np.asarray(values, dtype=np.float32) * self.std + self.mean

    def to_dict(self) -> dict:
        return {"mean": [float(x) for x in self.mean], "std": [float(x) for x in self.std],
                "names": self.names}

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureStats":
        try:
            mean = np.asarray(d["mean"], dtype=np.float32)
            std = np.asarray(d["std"], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"feature statistics are malformed ({e})") from e
        if mean.shape != std.shape or mean.ndim != 1:
            raise ConfigError("feature statistics: mean and std must be equal-length lists")
        return cls(mean, std, d.get("names"))
