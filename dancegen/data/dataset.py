"""Training windows: (music features, 2D keypoints) pairs cut from clips, with an on-disk feature
cache and optional camera-yaw augmentation for clips that carry 3D joints."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from ..errors import ConfigError, DataError
from .cache import default_cache_dir, file_hash

# Genre vocabulary shared by every source (Dance with Melody, then AIST++'s ten genres).
GENRES = (
    "cha-cha", "rumba", "tango", "waltz",
    "break", "pop", "lock", "middle hip-hop", "LA hip-hop", "house", "waack", "krump",
    "street jazz", "ballet jazz",
)
_ALIASES = {
    "chacha": "cha-cha", "cha cha": "cha-cha", "cha-cha-cha": "cha-cha", "breakdance": "break",
    "breaking": "break", "popping": "pop", "locking": "lock", "hiphop": "middle hip-hop",
    "hip-hop": "middle hip-hop", "la-style hip-hop": "LA hip-hop", "waacking": "waack",
    "krumping": "krump", "jazz": "street jazz", "ballet": "ballet jazz",
}
_LOWER = {g.lower(): i for i, g in enumerate(GENRES)}


def genre_index(name: str | None) -> int:
    """Index of a genre name in :data:`GENRES` (case-insensitive; a few aliases such as "chacha"
    or "popping" are accepted). Raises :class:`DataError` for an unknown or missing genre."""
    if name is None:
        raise DataError("clip has no genre; set Dance.genre to one of " + ", ".join(GENRES))
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key).lower()
    if key not in _LOWER:
        raise DataError(f"unknown genre {name!r}; expected one of: " + ", ".join(GENRES))
    return _LOWER[key]


def _config_key(cfg) -> str:
    if hasattr(cfg, "key"):
        return str(cfg.key())
    return repr(cfg)


def feature_cache_key(music, start: float, duration: float, feature_config) -> str:
    """Cache key: hash of the audio content + start/duration (ms) + ``feature_config.key()``."""
    s = f"{file_hash(music)}|{start:.3f}|{duration:.3f}|{_config_key(feature_config)}"
    return hashlib.sha1(s.encode()).hexdigest()[:32]


def _default_extractor(music, feature_config, start, duration) -> np.ndarray:
    from ..audio.features import music_features

    return np.asarray(music_features(music, feature_config, start=start, duration=duration).values)


def cached_features(music, feature_config, start: float, duration: float, n_frames: int,
                    cache_dir=None, extractor=None) -> tuple[np.ndarray, bool]:
    """Music features ``(n_frames, F)`` float32 for ``duration`` seconds of ``music`` from ``start``,
    read from the cache when present, else computed and written atomically.

    Frame ``t`` is the music at ``start + t / fps``. The extractor's output is cut or padded (edge
    values) to exactly ``n_frames``. Returns ``(features, hit)``.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = feature_cache_key(music, start, duration, feature_config)
    path = cache / f"{key}.npy"
    if path.is_file():
        try:
            x = np.load(path, allow_pickle=False)
            if x.ndim == 2:
                return _fit(x, n_frames), True
        except (OSError, ValueError):
            pass  # a corrupt cache entry is recomputed and replaced
    fn = extractor or _default_extractor
    x = np.asarray(fn(music, feature_config, start, duration), dtype=np.float32)
    if x.ndim != 2 or x.shape[0] == 0:
        raise DataError(f"{music}: feature extractor returned shape {x.shape}; expected (T, F)")
    from ..fileio import atomic_write

    atomic_write(path, lambda tmp: np.save(tmp, x))
    return _fit(x, n_frames), False


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.shape[0] >= n:
        return x[:n]
    pad = np.repeat(x[-1:], n - x.shape[0], axis=0)
    return np.concatenate([x, pad], axis=0)


def _yaw_sampler(augment_yaw):
    if augment_yaw is False or augment_yaw is None:
        return None
    if augment_yaw is True:
        return lambda rng: float(rng.uniform(0.0, 360.0))
    if isinstance(augment_yaw, range):
        vals = list(augment_yaw)
        if not vals:
            raise ConfigError("augment_yaw range is empty")
        return lambda rng: float(vals[int(rng.integers(len(vals)))])
    if isinstance(augment_yaw, (tuple, list)) and len(augment_yaw) == 2:
        lo, hi = float(augment_yaw[0]), float(augment_yaw[1])
        return lambda rng: float(rng.uniform(lo, hi))
    raise ConfigError(f"augment_yaw must be a bool, a range of degrees or (low, high), got {augment_yaw!r}")


class WindowDataset(Dataset):
    """Fixed-length training windows over clips (a ``torch.utils.data.Dataset``).

    Parameters
    ----------
    clips : list of :class:`~dancegen.dance.Dance`, each with ``music`` and ``genre``; their fps
        must equal ``feature_config.fps``.
    feature_config : a ``dancegen.audio.features.FeatureConfig``.
    window : frames per item ``W``.
    stride : frames between window starts.
    cache_dir : feature cache folder (default ``$DANCEGEN_CACHE`` or ``~/.cache/dancegen/features``).
    augment_yaw : False; True (uniform yaw in [0, 360)); a ``range`` of degrees to choose from; or a
        ``(low, high)`` pair. Each item is then re-filmed from 3D (clips with ``joints3d``) at a
        random yaw, deterministic in (seed, epoch, index); see :meth:`set_epoch`.
    seed : random seed for the augmentation.
    extractor : ``fn(music, feature_config, start, duration) -> (T, F)``; default
        ``dancegen.audio.features.music_features``.

    Items are dicts: ``features`` (W, F) float32 (feature frame t = music at the time of pose frame
    t), ``keypoints`` (W, 18, 2) float32 pixels, ``genre`` int (:func:`genre_index`), ``fps`` float,
    ``clip`` int, ``start`` int (first frame in the clip), ``yaw`` float (NaN when not re-filmed).
    """

    def __init__(self, clips, feature_config, window: int, stride: int, cache_dir=None,
                 augment_yaw=False, seed: int = 0, extractor=None, progress: bool = True):
        from tqdm import tqdm

        if window <= 0 or stride <= 0:
            raise ConfigError(f"window ({window}) and stride ({stride}) must be positive frame counts")
        self.clips = list(clips)
        if not self.clips:
            raise DataError("WindowDataset got no clips")
        self.feature_config = feature_config
        self.window, self.stride = int(window), int(stride)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.seed, self.epoch = int(seed), 0
        self._yaw = _yaw_sampler(augment_yaw)
        self.extractor = extractor
        self.cache_hits = 0
        fps = getattr(feature_config, "fps", None)
        self.genres = []
        for c in self.clips:
            if c.music is None:
                raise DataError(f"clip {c.name!r} has no music file; every training clip needs one")
            if fps is not None and abs(float(fps) - c.fps) > 1e-6:
                raise ConfigError(f"clip {c.name!r} is at {c.fps:g} fps but the feature config at {fps:g}; "
                                  "use FeatureConfig(fps=clip fps)")
            self.genres.append(genre_index(c.genre))
        self.index = [(ci, s) for ci, c in enumerate(self.clips)
                      for s in range(0, c.n_frames - self.window + 1, self.stride)]
        if not self.index:
            raise DataError(f"no clip is as long as the window ({self.window} frames); "
                            f"longest is {max(c.n_frames for c in self.clips)}")
        self._feats: list = [None] * len(self.clips)
        self._three_d: dict = {}
        for i in tqdm(range(len(self.clips)), desc="music features", unit="clip", disable=not progress):
            self.clip_features(i)

    def __len__(self) -> int:
        return len(self.index)

    def set_epoch(self, epoch: int) -> None:
        """Change the augmentation draw (yaw) for a new epoch."""
        self.epoch = int(epoch)

    def clip_features(self, i: int) -> np.ndarray:
        """Features ``(T_i, F)`` float32 of clip ``i`` (whole clip, frame-aligned with its poses)."""
        if self._feats[i] is None:
            c = self.clips[i]
            x, hit = cached_features(c.music, self.feature_config, c.offset, c.n_frames / c.fps, c.n_frames,
                                     self.cache_dir, self.extractor)
            self.cache_hits += int(hit)
            self._feats[i] = x
        return self._feats[i]

    def _clip3d(self, ci: int):
        if ci not in self._three_d:
            from .dwm import body_height, camera_track, dwm23_to_openpose18

            c = self.clips[ci]
            j = np.asarray(c.joints3d, dtype=np.float64)
            j18 = dwm23_to_openpose18(j) if j.shape[1] == 23 else j
            h = c.meta.get("body_height") or body_height(j18)
            self._three_d[ci] = (j18, camera_track(j18, c.fps), h)
        return self._three_d[ci]

    def __getitem__(self, idx: int) -> dict:
        ci, s = self.index[idx]
        c = self.clips[ci]
        sl = slice(s, s + self.window)
        kp = c.keypoints[sl]
        yaw = float("nan")
        if self._yaw is not None and c.joints3d is not None:
            from .dwm import project

            rng = np.random.default_rng((self.seed, self.epoch, idx))
            yaw = self._yaw(rng)
            j18, track, h = self._clip3d(ci)
            kp = project(j18[sl], yaw, canvas=c.canvas, fps=c.fps, height=h, track=track[sl],
                         **c.meta.get("camera", {}))
        return {
            "features": np.ascontiguousarray(self.clip_features(ci)[sl], dtype=np.float32),
            "keypoints": np.ascontiguousarray(kp, dtype=np.float32),
            "genre": self.genres[ci], "fps": float(c.fps), "clip": ci, "start": s, "yaw": yaw,
        }

