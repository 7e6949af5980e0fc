"""Music genre (ballroom style) of a song, for ``dancegen generate --genre auto``.

Song-level descriptors (:func:`genre_descriptors`) are computed on windows of
:data:`WINDOW_S` seconds (hop :data:`HOP_S`) of the clip, all relative to the beat found by
:mod:`dancegen.audio.beats` on the whole clip, so that most of them do not depend on the tempo:

* ``log2_tempo``: log2(tempo / 100 BPM), the tracker's tempo (of the tempo section the window's
  centre is in, see :func:`dancegen.audio.beats.tempo_sections`; the only absolute-tempo column);
* ``phase_00..11``: the onset envelope folded by the beat period: its mean at 12 equally spaced
  phases of every beat interval, divided by its mean over the interval (12 bins hold the half,
  the thirds and the quarters of a beat: straight, triplet and syncopated subdivisions);
* ``acr_*``: the onset autocorrelation (local mean removed, 1 at lag 0) at lags that are fixed
  ratios of the beat period (1/4 .. 8 beats): the tempogram's shape, tempo-free;
* ``metre_m`` and ``bass_metre_m`` (m = 2, 3, 4, 6, 8): the accent contrast of the beats at
  metre ``m``: the beat strengths (onset maximum within +-1/8 beat; full band and the bass bands, 30 to
  284 Hz) folded by ``m`` beats, the strongest bar position's mean minus the mean, in units of the
  strengths' standard deviation. A 3/4 song has a large ``metre_3`` (and ``metre_6``); a 4/4 song
  large ``metre_2``/``metre_4`` and ``metre_3`` near 0 (3 is coprime to 4); ``triple`` and
  ``bass_triple`` are the contrast at 3 minus the larger of those at 2 and 4: one number for the
  metre;
* ``onsets_per_beat``, ``onsets_per_s``: onset density (peaks of the envelope above its median
  plus one median absolute deviation and above a quarter of its 99th percentile, at least 50 ms
  apart);
* ``chroma_peak``, ``chroma_entropy``, ``chroma_flux``: key-free summaries of beat-synchronous
  chroma (how tonal the music is, and how often the harmony changes per beat).

The classifier (:func:`classify_genre`) is multinomial logistic regression on the standardised
descriptors (z-scores clipped to +-:data:`Z_CLIP` so that music unlike the training songs cannot
push one column to an extreme), trained by ``scripts/train_genre.py`` on the Dance with Melody
training songs (the danced excerpt of each) and shipped as numbers in
``dancegen/models/genre.json``. A clip's probabilities are the softmax of its windows' mean logits.
"""
from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from . import beats as _beats

GENRES = ("cha-cha", "rumba", "tango", "waltz")
#: analysis windows, seconds (a clip shorter than one window is one window)
WINDOW_S, HOP_S = 20.0, 10.0
#: analysis sample rate, Hz
SR = 22050
#: standardised descriptors are clipped to +-Z_CLIP
Z_CLIP = 3.0
#: autocorrelation lags as multiples of the beat period
AC_RATIOS = (0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
METRES = (2, 3, 4, 6, 8)
N_PHASE = 12
#: mel bands (of 64, 30 Hz .. 11 kHz) that make the bass onset envelope (30 to 284 Hz)
BASS_BANDS = 4
MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "genre.json"


def descriptor_names() -> list[str]:
    names = ["log2_tempo"]
    names += [f"phase_{i:02d}" for i in range(N_PHASE)]
    names += [f"acr_{r:.3g}" for r in AC_RATIOS]
    names += [f"metre_{m}" for m in METRES]
    names += [f"bass_metre_{m}" for m in METRES]
    names += ["triple", "bass_triple"]
    names += ["onsets_per_beat", "onsets_per_s"]
    names += ["chroma_peak", "chroma_entropy", "chroma_flux"]
    return names


# --------------------------------------------------------------------------- descriptors

def _metre_contrast(strength: np.ndarray, m: int) -> float:
    """Accent contrast at metre ``m`` of per-beat strengths (see the module docstring)."""
    s = np.asarray(strength, dtype=np.float64)
    n = (len(s) // m) * m
    if n < 2 * m:
        return 0.0
    s = s[:n]
    sd = s.std()
    if sd <= 1e-12:
        return 0.0
    pos = s.reshape(-1, m).mean(axis=0)
    return float((pos.max() - s.mean()) / sd)


def _triple(contrast: list) -> float:
    """Triple minus duple accent contrast: metre 3 - max(metre 2, 4) (not 6 or 8: a duple
    pattern folds as well by 6 as by 2)."""
    c = dict(zip(METRES, contrast))
    return c[3] - max(c[2], c[4])


def _onset_peaks(env: np.ndarray, fps: float) -> np.ndarray:
    from ..dsp import find_peaks

    med = float(np.median(env))
    mad = float(np.median(np.abs(env - med)))
    # median + MAD for music; at least a quarter of the loud peaks' level, so that the noise floor
    # between the hits of a clean recording (median and MAD near 0) is not counted
    height = max(med + mad, 0.25 * float(np.percentile(env, 99)), 1e-6)
    return find_peaks(env, height=height, distance=max(1, int(round(0.05 * fps))))


def _window_descriptor(sel: slice, beats_f: np.ndarray, tempo: float, env: np.ndarray,
                       bass: np.ndarray, fps: float, chroma: np.ndarray) -> np.ndarray | None:
    """Descriptors of the envelope frames ``sel`` given beat positions (frames) inside them and
    the tempo there (BPM)."""
    a, b = sel.start, sel.stop
    bf = beats_f[(beats_f >= a) & (beats_f < b - 1)]
    if len(bf) < 8:
        return None
    period = 60.0 * fps / tempo
    e = env[a:b].astype(np.float64)
    n = len(e)
    frames = np.arange(len(env))
    # folded envelope: 12 phases of each beat interval
    ph = np.arange(N_PHASE) / N_PHASE
    pts = bf[:-1, None] + np.diff(bf)[:, None] * ph[None, :]
    fold = np.interp(pts, frames, env).mean(axis=0)
    fold = fold / max(fold.mean(), 1e-9)
    # tempogram shape: autocorrelation at fixed beat ratios / at one beat
    ac = _beats._autocorrelation(e, fps)
    lags = np.arange(n)
    acr = [float(np.interp(r * period, lags, ac)) if r * period < n / 2 else 0.0 for r in AC_RATIOS]
    # accent contrasts
    w = max(1, int(round(period / 8)))

    def strengths(x):
        out = []
        for f in np.round(bf).astype(np.int64):
            out.append(float(x[max(0, f - w): f + w + 1].max()))
        return np.asarray(out)

    s_full, s_bass = strengths(env), strengths(bass)
    metre = [_metre_contrast(s_full, m) for m in METRES]
    bass_metre = [_metre_contrast(s_bass, m) for m in METRES]
    triple = [_triple(metre), _triple(bass_metre)]
    # onset density
    n_on = len(_onset_peaks(e, fps))
    secs = n / fps
    beats_span = max(1.0, (bf[-1] - bf[0]) / period + 1)
    dens = [n_on / beats_span, n_on / secs]
    # beat-synchronous chroma
    edges = np.round(bf).astype(np.int64)
    ch = np.stack([chroma[:, edges[i]:max(edges[i] + 1, edges[i + 1])].mean(axis=1)
                   for i in range(len(edges) - 1)], axis=1)                # (12, B-1)
    chn = ch / np.maximum(ch.sum(axis=0, keepdims=True), 1e-12)
    mean_ch = chn.mean(axis=1)
    peak = float(mean_ch.max() * 12)
    entropy = float(-(mean_ch * np.log(np.maximum(mean_ch, 1e-12))).sum() / math.log(12))
    flux = float(0.5 * np.abs(np.diff(chn, axis=1)).sum(axis=0).mean()) if chn.shape[1] > 1 else 0.0
    return np.concatenate([[math.log2(tempo / 100.0)], fold, acr, metre, bass_metre, triple, dens,
                           [peak, entropy, flux]]).astype(np.float64)


def genre_descriptors(y: np.ndarray, sr: int, window_s: float = WINDOW_S,
                      hop_s: float = HOP_S, analysis: _beats.Analysis | None = None) -> np.ndarray:
    """Per-window genre descriptors of a mono waveform.

    ``analysis``: :func:`dancegen.audio.beats.analyse` of ``y`` when the caller has it (a
    generation run shares the one of its features); it is used when it matches ``y``'s length and
    a sample rate of :data:`SR`, else the analysis is computed here.

    Returns (W, D) float64, columns :func:`descriptor_names`; W = 0 when the clip has no beat
    (silence, under 2 s) or fewer than 8 beats per window."""
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if sr != SR:
        import soxr

        y = soxr.resample(y, sr, SR).astype(np.float32, copy=False)
        sr = SR
        analysis = None
    an = analysis if analysis is not None and analysis.matches(y, sr) else _beats.analyse(y, sr)
    n_fft, fps, t0 = an.n_fft, an.fps, an.t0
    S, mel, env = an.power, an.mel64, an.env
    bass = _beats.onset_from_mel_db(mel[:BASS_BANDS])
    res = an.beats()
    D = len(descriptor_names())
    if res.tempo <= 0 or len(res.beats) < 8:
        return np.zeros((0, D))
    from .features import _chroma_basis

    C = _chroma_basis(sr, n_fft) @ S                                     # (12, M)
    del S
    beats_f = (res.beats - t0) * fps
    M = len(env)
    win = int(round(window_s * fps))
    step = int(round(hop_s * fps))
    starts = [0] if M <= win else list(range(0, M - win + 1, step))
    if M > win and starts[-1] + win < M - step // 2:
        starts.append(M - win)
    out = []
    for s in starts:
        mid = t0 + (s + 0.5 * min(win, M - s)) / fps          # the tempo section there
        tempo = next((t for a, b, t in res.sections if a <= mid < b), res.tempo)
        d = _window_descriptor(slice(s, min(M, s + win)), beats_f, tempo, env, bass, fps, C)
        if d is not None:
            out.append(d)
    return np.stack(out) if out else np.zeros((0, D))


# --------------------------------------------------------------------------- classifier

def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class GenreModel:
    """Multinomial logistic regression on clipped z-scores: ``logits = clip((x - mean) / std) @ W + b``."""

    def __init__(self, genres, names, mean, std, W, b, info=None):
        self.genres = list(genres)
        self.names = list(names)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        self.W = np.asarray(W, dtype=np.float64)
        self.b = np.asarray(b, dtype=np.float64)
        self.info = dict(info or {})
        D, K = len(self.names), len(self.genres)
        if self.mean.shape != (D,) or self.std.shape != (D,) or self.W.shape != (D, K) \
                or self.b.shape != (K,):
            raise ConfigError(f"genre model: inconsistent shapes (D={D}, K={K}, W {self.W.shape})")

    def standardise(self, X: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(X, np.float64) - self.mean) / self.std, -Z_CLIP, Z_CLIP)

    def window_logits(self, X: np.ndarray) -> np.ndarray:
        return self.standardise(X) @ self.W + self.b

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(W, D) windows of one clip -> (K,) probabilities (softmax of the mean logit)."""
        return softmax(self.window_logits(X).mean(axis=0))

    def to_dict(self) -> dict:
        return {"format": "dancegen-genre-logreg-1", "genres": self.genres, "names": self.names,
                "mean": self.mean.tolist(), "std": self.std.tolist(), "W": self.W.tolist(),
                "b": self.b.tolist(), "z_clip": Z_CLIP, "window_s": WINDOW_S, "hop_s": HOP_S,
                "info": self.info}

    @classmethod
    def from_dict(cls, d: dict) -> "GenreModel":
        try:
            m = cls(d["genres"], d["names"], d["mean"], d["std"], d["W"], d["b"], d.get("info"))
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"genre model is malformed ({e})") from e
        if m.names != descriptor_names():
            raise ConfigError("genre model was trained on other descriptors; rebuild it with "
                              "scripts/train_genre.py")
        return m

    def save(self, path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=None, separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, path=None) -> "GenreModel":
        p = Path(path) if path is not None else MODEL_PATH
        try:
            d = json.loads(p.read_text())
        except (OSError, ValueError) as e:
            raise ConfigError(f"{p}: cannot read the genre model ({e}); rebuild it with "
                              f"scripts/train_genre.py") from e
        return cls.from_dict(d)


@lru_cache(maxsize=4)
def _default_model(path: str) -> GenreModel:
    return GenreModel.load(path)


def fit_logreg(X: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1.0,
               sample_weight: np.ndarray | None = None, iters: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Weighted L2-regularised multinomial logistic regression by L-BFGS (scipy).

    X : (N, D) standardised; y : (N,) class indices. Minimises
    ``sum_i w_i CE_i / sum_i w_i + l2 / 2 * ||W||^2 / N`` (bias not penalised).
    Returns W (D, K), b (K,)."""
    from scipy.optimize import minimize

    X = np.asarray(X, np.float64)
    N, D = X.shape
    K = int(n_classes)
    w = np.ones(N) if sample_weight is None else np.asarray(sample_weight, np.float64)
    w = w / w.sum()
    Y = np.zeros((N, K))
    Y[np.arange(N), y] = 1.0

    def f(theta):
        W = theta[:D * K].reshape(D, K)
        b = theta[D * K:]
        P = softmax(X @ W + b)
        loss = -(w * np.log(np.maximum((P * Y).sum(axis=1), 1e-300))).sum() \
            + 0.5 * l2 / N * (W * W).sum()
        G = (P - Y) * w[:, None]
        gW = X.T @ G + l2 / N * W
        gb = G.sum(axis=0)
        return loss, np.concatenate([gW.ravel(), gb])

    r = minimize(f, np.zeros(D * K + K), jac=True, method="L-BFGS-B", options={"maxiter": iters})
    return r.x[:D * K].reshape(D, K), r.x[D * K:]


def load_waveform(path_or_waveform, start: float = 0.0, duration: float | None = None):
    """A (y, sr) pair from a path (decoded from ``start`` for ``duration`` s) or from a
    ``(y, sr)`` tuple / bare array at :data:`SR` (then cut to the window)."""
    if isinstance(path_or_waveform, (str, os.PathLike)):
        from .io import load_audio

        return load_audio(path_or_waveform, sr=SR, start=start, duration=duration)
    if isinstance(path_or_waveform, tuple) and len(path_or_waveform) == 2:
        y, sr = path_or_waveform
    else:
        y, sr = path_or_waveform, SR
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    sr = int(sr)
    a = int(round(max(0.0, start) * sr))
    b = len(y) if duration is None else min(len(y), a + int(round(duration * sr)))
    return y[a:b], sr


#: classify_genre looks at most this many seconds (the middle of a longer window)
MAX_SECONDS = 180.0


def classify_genre(path_or_waveform, start: float = 0.0, duration: float | None = None,
                   model: GenreModel | str | os.PathLike | None = None,
                   max_seconds: float | None = MAX_SECONDS,
                   analysis: _beats.Analysis | None = None) -> tuple[str, dict]:
    """Ballroom genre of a song (or of ``[start, start + duration]`` of it).

    Parameters
    ----------
    path_or_waveform : a music file, or a ``(y, sr)`` pair, or a mono array at 22.05 kHz.
    start, duration : seconds; the window that is classified.
    model : a :class:`GenreModel`, a path to its JSON, or None for the bundled one.
    max_seconds : a longer window is classified on its middle ``max_seconds`` (None: all of it).
    analysis : :func:`dancegen.audio.beats.analyse` of the waveform of a ``(y, sr)`` pair; used
        when the classified window is all of ``y`` (the analysis is then not computed again).

    Returns
    -------
    (genre, {genre: probability}) with the probabilities summing to 1. A clip without beats
    (silence, under about 5 s of rhythm) gets the training songs' class frequencies.
    """
    if model is None or isinstance(model, (str, os.PathLike)):
        model = _default_model(str(model if model is not None else MODEL_PATH))
    if max_seconds is not None and isinstance(path_or_waveform, (str, os.PathLike)):
        from .io import audio_duration

        total = audio_duration(path_or_waveform)
        length = (total - start) if duration is None else min(duration, total - start)
        if length > max_seconds:
            start, duration = start + 0.5 * (length - max_seconds), max_seconds
    y, sr = load_waveform(path_or_waveform, start, duration)
    if max_seconds is not None and len(y) > max_seconds * sr:
        a = (len(y) - int(max_seconds * sr)) // 2
        y = y[a:a + int(max_seconds * sr)]
    whole = analysis is not None and not isinstance(path_or_waveform, (str, os.PathLike)) \
        and len(y) == analysis.n_samples      # a window cut from y is shorter than y
    X = genre_descriptors(y, sr, analysis=analysis if whole else None)
    if len(X) == 0:
        prior = np.asarray(model.info.get("class_prior", [1.0] * len(model.genres)), np.float64)
        p = prior / prior.sum()
    else:
        p = model.predict_proba(X)
    probs = {g: float(v) for g, v in zip(model.genres, p)}
    return model.genres[int(np.argmax(p))], probs


# --------------------------------------------------------------------------- training

#: Dance with Melody folder letter -> genre
DWM_GENRE = {"C": "cha-cha", "R": "rumba", "T": "tango", "W": "waltz"}
#: L2 strength of :func:`fit_genre_model` (on z-scores; the loss is a weighted mean over windows)
L2 = 30.0
#: classes with fewer training songs are not up-weighted (see :func:`fit_genre_model`)
MIN_SONGS_TO_BALANCE = 2
#: motion frames per second of Dance with Melody's config.json positions
DWM_FPS = 25.0


def dwm_genre_takes(dwm_dir) -> list[dict]:
    """The Dance with Melody takes with a song: ``[{"name", "genre", "start", "end", "audio",
    "split"}]`` (start/end in seconds of the song: config.json positions / 25; split "val" for
    the folders in splits/val.txt, else "train"), sorted by name."""
    d = Path(dwm_dir)
    val_file = d / "splits" / "val.txt"
    val = set(val_file.read_text().split()) if val_file.exists() else set()
    out = []
    for take in sorted(d.glob("DANCE_*")):
        letter = take.name.split("_")[1]
        if letter not in DWM_GENRE or not (take / "audio.mp3").exists():
            continue
        c = json.loads((take / "config.json").read_text())
        out.append({"name": take.name, "genre": DWM_GENRE[letter],
                    "start": c["start_position"] / DWM_FPS, "end": c["end_position"] / DWM_FPS,
                    "audio": str(take / "audio.mp3"), "split": "val" if take.name in val else "train"})
    return out


def take_descriptors(take: dict) -> np.ndarray:
    """(W, D) descriptors of the danced excerpt of one take of :func:`dwm_genre_takes`."""
    y, sr = load_waveform(take["audio"], take["start"], take["end"] - take["start"])
    return genre_descriptors(y, sr)


def fit_genre_model(X_songs: list, labels: list, genres=GENRES, l2: float = L2,
                    info: dict | None = None) -> GenreModel:
    """Fit the classifier on per-song window descriptors.

    X_songs : list of (W_i, D) arrays, one per song; labels : their genre names.

    Every song weighs the same whatever its number of windows, and each class with at least
    :data:`MIN_SONGS_TO_BALANCE` songs is weighted by ``sqrt(N / (K n_c))`` (N songs, K classes
    present, n_c songs of the class): between no balancing (waltz, 24 of 33 training songs, would
    swallow the rest) and full balancing. A class with fewer songs (tango: one) is not up-weighted
    (weight 1, like any one song): up-weighting one song would hand it a large region of the
    descriptor space fitted to that song's quirks. Classes with no song get no weight and only
    their bias (very negative after fitting)."""
    genres = list(genres)
    yi = np.array([genres.index(g) for g in labels])
    cnt = np.bincount(yi, minlength=len(genres)).astype(np.float64)
    present = cnt > 0
    cw = np.where(present, np.sqrt(len(yi) / (present.sum() * np.maximum(cnt, 1))), 0.0)
    cw = np.where(present & (cnt < MIN_SONGS_TO_BALANCE), 1.0, cw)
    X = np.concatenate([np.asarray(x, np.float64) for x in X_songs])
    y = np.concatenate([[k] * len(x) for k, x in zip(yi, X_songs)])
    w = np.concatenate([[cw[k] / len(x)] * len(x) for k, x in zip(yi, X_songs)])
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std < 1e-9, 1.0, std)
    Z = np.clip((X - mean) / std, -Z_CLIP, Z_CLIP)
    W, b = fit_logreg(Z, y, len(genres), l2=l2, sample_weight=w)
    info = dict(info or {})
    info.setdefault("class_prior", (cnt / cnt.sum()).tolist())
    info.setdefault("songs_per_class", {g: int(c) for g, c in zip(genres, cnt)})
    return GenreModel(genres, descriptor_names(), mean, std, W, b, info)


def leave_one_out(X_songs: list, labels: list, genres=GENRES, l2: float = L2) -> list[str]:
    """Leave-one-song-out predictions: song i classified by a model fitted on all the others."""
    preds = []
    for i in range(len(X_songs)):
        rest = [j for j in range(len(X_songs)) if j != i]
        m = fit_genre_model([X_songs[j] for j in rest], [labels[j] for j in rest], genres, l2)
        preds.append(m.genres[int(np.argmax(m.predict_proba(X_songs[i])))])
    return preds
