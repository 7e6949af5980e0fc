"""Genre accuracy (the paper's "Accuracy"): a small motion-genre classifier and the share of
generated dances whose predicted genre matches the genre of their music.

The classifier is multinomial logistic regression (softmax, L2-regularised, fitted by L-BFGS) on
the standardised kinetic + geometric features (:func:`dancegen.metrics.features.motion_features`,
``kind="both"``, 101 numbers) of fixed-length windows of real dances. A dance's genre is the argmax
of the mean class probability over its windows. It is a measuring instrument, not a research model:
it must be trained on real dances of the genres it is asked about, and its accuracy on held-out real
dances should be reported next to the accuracy on generated ones.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.optimize import minimize

from ..errors import ConfigError, DataError, ModelError
from .features import motion_features

__all__ = ["GenreClassifier", "genre_accuracy", "window_features"]

FORMAT_VERSION = 1


def window_features(kp: np.ndarray, fps: float, window_s: float = 4.0, hop_s: float = 2.0,
                    kind: str = "both") -> np.ndarray:
    """Features of the fixed-length windows of one 2D OpenPose-18 sequence.

    Windows of ``round(window_s * fps)`` frames every ``round(hop_s * fps)`` frames (a sequence
    shorter than one window is one window, if it has at least 4 frames).

    Returns
    -------
    (W, F) float64; ``F = 101`` for ``kind="both"``.
    """
    kp = np.asarray(kp)
    fps = float(fps)
    if not (window_s > 0 and hop_s > 0 and fps > 0):
        raise ConfigError(f"window_s, hop_s and fps must be positive, got {window_s}, {hop_s}, {fps}")
    T = kp.shape[0]
    n = max(4, int(round(window_s * fps)))
    hop = max(1, int(round(hop_s * fps)))
    if T < 4:
        raise DataError(f"a dance of {T} frames is too short to classify (need at least 4)")
    starts = [0] if T <= n else list(range(0, T - n + 1, hop))
    return np.stack([motion_features(kp[s:s + n], fps, kind) for s in starts])


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class GenreClassifier:
    """Softmax regression on window features of dances.

    Parameters
    ----------
    window_s, hop_s : window length and hop, seconds.
    l2 : L2 penalty on the weights (features are standardised, so it is unit-free).
    balanced : weight the windows so that every genre counts equally in the loss.
    """

    def __init__(self, window_s: float = 4.0, hop_s: float = 2.0, l2: float = 1e-2, balanced: bool = True):
        self.window_s, self.hop_s, self.l2, self.balanced = float(window_s), float(hop_s), float(l2), bool(balanced)
        self.classes_: list[str] | None = None
        self.mean_ = self.std_ = self.W_ = self.b_ = None

    # ------------------------------------------------------------------ training
    def _features(self, dance) -> np.ndarray:
        return window_features(dance.keypoints, dance.fps, self.window_s, self.hop_s)

    def fit(self, dances: Sequence, genres: Sequence[str] | None = None) -> "GenreClassifier":
        """Train on real dances (:class:`dancegen.dance.Dance`); ``genres`` defaults to each
        ``dance.genre``. Needs at least two genres. Returns ``self``."""
        dances = list(dances)
        if genres is None:
            genres = [d.genre for d in dances]
        genres = list(genres)
        if len(genres) != len(dances):
            raise DataError(f"{len(dances)} dances but {len(genres)} genres")
        missing = [d.name or str(i) for i, (d, g) in enumerate(zip(dances, genres)) if not g]
        if missing:
            raise DataError(f"dances without a genre: {', '.join(missing[:5])}; give genres=...")
        classes = sorted(set(genres))
        if len(classes) < 2:
            raise DataError(f"need dances of at least two genres to train a classifier, got {classes}")
        X, y = [], []
        for d, g in zip(dances, genres):
            f = self._features(d)
            X.append(f)
            y.extend([classes.index(g)] * len(f))
        X = np.concatenate(X)
        y = np.asarray(y)
        self.classes_ = classes
        self.mean_ = X.mean(axis=0)
        self.std_ = X.std(axis=0) + 1e-8
        Xs = (X - self.mean_) / self.std_
        N, F = Xs.shape
        C = len(classes)
        Y = np.eye(C)[y]
        if self.balanced:
            counts = np.bincount(y, minlength=C).astype(np.float64)
            w = (N / (C * counts))[y]
        else:
            w = np.ones(N)
        w = w / w.sum()

        def loss_grad(theta):
            Wm = theta[: F * C].reshape(F, C)
            b = theta[F * C:]
            P = _softmax(Xs @ Wm + b)
            loss = -(w * np.log(np.clip((P * Y).sum(1), 1e-300, None))).sum() + 0.5 * self.l2 * (Wm ** 2).sum()
            G = (P - Y) * w[:, None]
            gW = Xs.T @ G + self.l2 * Wm
            gb = G.sum(0)
            return loss, np.concatenate([gW.ravel(), gb])

        res = minimize(loss_grad, np.zeros(F * C + C), jac=True, method="L-BFGS-B",
                       options={"maxiter": 1000})
        self.W_ = res.x[: F * C].reshape(F, C)
        self.b_ = res.x[F * C:]
        return self

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self):
        if self.W_ is None:
            raise ModelError("the genre classifier is not trained; call fit() or load() first")

    def predict_proba(self, dance) -> dict[str, float]:
        """Mean class probability over the dance's windows, ``{genre: p}`` summing to 1."""
        self._check_fitted()
        X = (self._features(dance) - self.mean_) / self.std_
        p = _softmax(X @ self.W_ + self.b_).mean(axis=0)
        return {c: float(v) for c, v in zip(self.classes_, p)}

    def predict(self, dance) -> str:
        """The predicted genre of one dance (argmax of :meth:`predict_proba`)."""
        p = self.predict_proba(dance)
        return max(p, key=p.get)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Write the trained classifier to an ``.npz`` (weights, standardisation, settings)."""
        self._check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        cfg = dict(format=FORMAT_VERSION, window_s=self.window_s, hop_s=self.hop_s, l2=self.l2,
                   balanced=self.balanced, classes=self.classes_, features="both")
        np.savez(path, W=self.W_, b=self.b_, mean=self.mean_, std=self.std_, config=np.asarray(json.dumps(cfg)))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "GenreClassifier":
        """Read a classifier written by :meth:`save`; :class:`ModelError` names the file if it is
        missing or not one."""
        path = Path(path)
        if not path.exists():
            raise ModelError(f"{path}: no such genre classifier file; train one first")
        from ..fileio import check_npz

        try:
            check_npz(path)  # declared sizes within DANCEGEN_MAX_NPZ_BYTES, no object arrays
        except DataError as e:
            raise ModelError(str(e)) from None
        try:
            with np.load(path, allow_pickle=False) as z:
                cfg = json.loads(str(z["config"]))
                W, b, mean, std = z["W"], z["b"], z["mean"], z["std"]
        except Exception as e:
            raise ModelError(f"{path}: not a genre classifier file ({type(e).__name__}: {e})") from None
        if cfg.get("format") != FORMAT_VERSION:
            raise ModelError(f"{path}: classifier format {cfg.get('format')} is not {FORMAT_VERSION}; retrain it")
        clf = cls(cfg["window_s"], cfg["hop_s"], cfg["l2"], cfg["balanced"])
        clf.classes_ = list(cfg["classes"])
        clf.W_, clf.b_, clf.mean_, clf.std_ = W, b, mean, std
        return clf


def genre_accuracy(classifier: GenreClassifier, dances: Sequence, genres: Sequence[str] | None = None) -> float:
    """Share (0..1) of dances whose predicted genre equals the genre of their music.

    ``genres`` defaults to each ``dance.genre`` (the music's genre for generated dances). Genres the
    classifier was not trained on count as misses."""
    dances = list(dances)
    if not dances:
        raise DataError("no dances to score")
    if genres is None:
        genres = [d.genre for d in dances]
    if len(genres) != len(dances) or any(g is None for g in genres):
        raise DataError("every dance needs the genre of its music (dance.genre or genres=...)")
    hits = [classifier.predict(d) == g for d, g in zip(dances, genres)]
    return float(np.mean(hits))
