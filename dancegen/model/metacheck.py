"""Checks of a generator file's metadata shared by every model kind (2D and 3D), without torch:
a 3D model is read and checked without importing it."""
from __future__ import annotations

import numpy as np

from ..errors import ModelError


def check_generator_meta(meta: dict, path="<model>") -> None:
    """What every generator file needs, checked when it is opened (:class:`ModelError` naming the
    file): ``feature_config`` a valid :class:`~dancegen.audio.features.FeatureConfig`,
    ``feature_stats`` valid :class:`~dancegen.audio.features.FeatureStats`, ``genres`` a non-empty
    list of names."""
    from ..audio.features import FeatureConfig, FeatureStats
    from ..errors import DanceGenError

    for key in ("feature_config", "feature_stats", "genres"):
        if key not in meta:
            raise ModelError(f"{path}: model metadata lacks {key!r}; the file is corrupt or not a generator")
    try:
        if not isinstance(meta["feature_config"], dict):
            raise TypeError("feature_config is not a JSON object")
        FeatureConfig.from_dict(dict(meta["feature_config"]))
        if not isinstance(meta["feature_stats"], dict):
            raise TypeError("feature_stats is not a JSON object")
        if meta["feature_stats"]:  # {}: none stored (generation then refuses, naming the problem)
            st = FeatureStats.from_dict(meta["feature_stats"])
            if not (np.all(np.isfinite(st.mean)) and np.all(np.isfinite(st.std)) and st.mean.size > 0):
                raise ValueError("feature statistics hold NaN or no values")
    except (DanceGenError, KeyError, TypeError, ValueError) as e:
        raise ModelError(f"{path}: the model's feature settings are malformed ({e}); the file is corrupt or "
                         f"from another version") from None
    g = meta["genres"]
    if not isinstance(g, (list, tuple)) or not g or not all(isinstance(x, str) and x for x in g):
        raise ModelError(f"{path}: model metadata 'genres' must be a non-empty list of genre names; the file is "
                         f"corrupt")


def _check_array(meta: dict, key: str, path, shape, positive: bool = False, optional: bool = False) -> None:
    """``meta[key]`` is a finite float array of ``shape`` (None: any length, but at least 1)."""
    v = meta.get(key)
    if v is None:
        if optional:
            return
        raise ModelError(f"{path}: model metadata lacks {key!r}; the file is corrupt or not a generator")
    a = np.asarray(v)
    ok = a.ndim == len(shape) and all((n is None and m >= 1) or m == n for m, n in zip(a.shape, shape))
    if ok and np.issubdtype(a.dtype, np.number):
        ok = bool(np.all(np.isfinite(a))) and (not positive or bool(np.all(a > 0)))
    else:
        ok = False
    if not ok:
        want = "x".join("K" if n is None else str(n) for n in shape)
        raise ModelError(f"{path}: model metadata {key!r} must be {want} finite{' positive' if positive else ''} "
                         f"numbers, got shape {a.shape}; the file is corrupt")


def check_number(meta: dict, key: str, path, positive: bool = False) -> None:
    """``meta[key]`` is a finite number (``positive``: > 0), or None (an optional field not given)."""
    v = meta.get(key)
    if v is not None and not (np.isfinite(v) and (v > 0 or not positive)):
        raise ModelError(f"{path}: model metadata {key!r} {v} must be a finite{' positive' if positive else ''} "
                         f"number; the file is corrupt")
