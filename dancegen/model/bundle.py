"""A trained generator as one file: weights plus everything needed to use them (feature settings
and statistics, reference bone lengths, body scale, genres, the seed pose, training facts).

The file format is :mod:`dancegen.model.format` (one ``.safetensors`` file, kind ``seq2seq2d``);
the metadata stored with the weights is exactly the fields of :class:`BundleMeta`, which every
generator bundle (this Seq2Seq one and the comparison models') shares."""
from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .format import load_any, load_weights, read_model, register_kind, save_model
from .seq2seq import ModelConfig, Seq2SeqDance

KIND = "seq2seq2d"
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default.safetensors"


def _f32(v):
    return np.asarray(v, np.float32)


def _f32_or_none(v):
    return None if v is None else np.asarray(v, np.float32)


def _float_or_none(v):
    return None if v is None else float(v)


def _dict(v):
    if not isinstance(v, dict):
        raise TypeError(f"expected a JSON object, got {type(v).__name__}")
    return dict(v)


def _load(conv):
    """Field metadata: how the JSON value of a field becomes its Python value."""
    return {"load": conv}


@dataclass
class BundleMeta:
    """Everything a model file stores besides the weights and the model's own settings. Saving and
    loading iterate :func:`dataclasses.fields` of this class: a field added here is stored."""

    feature_config: dict = field(metadata=_load(_dict))       # FeatureConfig.to_dict()
    feature_stats: dict = field(metadata=_load(_dict))        # FeatureStats.to_dict()
    ref_lengths: np.ndarray = field(metadata=_load(_f32))     # (17,) body units
    body_scale: float = field(metadata=_load(float))          # pixels per body unit at generation time
    canvas: tuple = field(metadata=_load(lambda v: tuple(int(x) for x in v)))   # (w, h)
    genres: list = field(metadata=_load(lambda v: [str(g) for g in v]))
    seed_pose: np.ndarray = field(metadata=_load(_f32))       # (36,) mean training pose (params)
    neck_bounds: np.ndarray = field(default_factory=lambda: np.array([-2.5, 2.5, -2.0, 2.0], np.float32),
                                    metadata=_load(_f32))
    info: dict = field(default_factory=dict, metadata=_load(_dict))
    # (K, 36) real training poses; --seed picks the start pose
    seed_poses: np.ndarray | None = field(default=None, metadata=_load(_f32_or_none))
    # mean joint speed of the training dances, body units / s (the energy governor's reference)
    ref_speed: float | None = field(default=None, metadata=_load(_float_or_none))

    def meta_dict(self) -> dict:
        """Every :class:`BundleMeta` field of this object, JSON-ready (arrays as float32 lists)."""
        return fields_to_meta(self, BundleMeta)

    @staticmethod
    def meta_kwargs(meta: dict, path="<model>") -> dict:
        """Keyword arguments (every :class:`BundleMeta` field) from a file's metadata dict."""
        kw = meta_to_fields(BundleMeta, meta, path)
        check_generator_meta(kw, path)
        _check_array(kw, "ref_lengths", path, shape=(17,), positive=True)
        _check_array(kw, "seed_pose", path, shape=(36,))
        _check_array(kw, "seed_poses", path, shape=(None, 36), optional=True)
        _check_array(kw, "neck_bounds", path, shape=(4,))
        bs = kw["body_scale"]
        if not (np.isfinite(bs) and bs > 0):
            raise ModelError(f"{path}: model metadata 'body_scale' {bs} must be a positive number; the file is corrupt")
        from ..dance import check_canvas
        from ..errors import DataError

        try:
            kw["canvas"] = check_canvas(kw["canvas"], "canvas")
        except DataError as e:
            raise ModelError(f"{path}: model metadata {e}; the file is corrupt") from None
        return kw


def fields_to_meta(obj, cls) -> dict:
    """Every :func:`dataclasses.fields` of the metadata class ``cls`` on ``obj``, JSON-ready (arrays
    as float32). The fields' ``metadata["load"]`` (see :func:`_load`) say how each is read back."""
    out = {}
    for f in fields(cls):
        v = getattr(obj, f.name)
        if f.metadata.get("load") in (_f32, _f32_or_none) and v is not None:
            v = np.asarray(v, np.float32)
        out[f.name] = v
    return out


def meta_to_fields(cls, meta: dict, path="<model>", strict: bool = False) -> dict:
    """Keyword arguments for the metadata class ``cls``: every field of it found in ``meta`` (a
    file's metadata dict), read with the field's ``load``; :class:`ModelError` naming the file for a
    missing required field or a malformed value. Other keys are ignored (a newer file's), or with
    ``strict`` refused (a writer whose metadata has a key the class lacks)."""
    kw = {}
    names = {f.name for f in fields(cls)}
    extra = sorted(set(meta) - names - {"model_config"})
    if strict and extra:
        raise ModelError(f"{path}: model metadata {extra} is not in {cls.__name__}; add the field there")
    for f in fields(cls):
        if f.name not in meta:
            if f.default is MISSING and f.default_factory is MISSING:
                raise ModelError(f"{path}: model metadata lacks {f.name!r}; the file is corrupt or not a generator")
            continue
        try:
            kw[f.name] = f.metadata["load"](meta[f.name])
        except Exception as e:
            raise ModelError(f"{path}: model metadata {f.name!r} is malformed ({type(e).__name__}: {e})") from None
    return kw


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


@register_kind(KIND)
@dataclass
class ModelBundle(BundleMeta):
    model: Seq2SeqDance = field(kw_only=True)

    @property
    def kind(self) -> str:
        return KIND

    @property
    def fps(self) -> float:
        return float(self.feature_config.get("fps", 25.0))

    def state_dict_to_save(self) -> dict:
        return self.model.state_dict()

    def save_pretrained(self, path: str | os.PathLike, half: bool = True) -> Path:
        """Write a model file atomically (:func:`dancegen.model.format.save_model`): the weights
        (float16 when ``half``; loaded back as float32), the model settings and every metadata field."""
        meta = {"model_config": self.model.cfg.to_dict(), **self.meta_dict()}
        return save_model(path, self.kind, self.state_dict_to_save(), meta, half=half)

    save = save_pretrained

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike) -> "ModelBundle":
        kind, sd, meta = read_model(path)
        if kind != KIND:
            raise ModelError(f"{path}: a {kind} model, not a Seq2Seq ({KIND}) one; open it with ModelBundle.load")
        kw = BundleMeta.meta_kwargs(meta, path)
        try:
            cfg = ModelConfig.from_dict(_dict(meta.get("model_config")))
        except Exception as e:
            raise ModelError(f"{path}: model settings are malformed ({type(e).__name__}: {e})") from None
        model = load_weights(lambda: Seq2SeqDance(cfg), sd, path)
        return cls(model=model, **kw)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "ModelBundle":
        """Any generator file (the bundled default when ``path`` is None), opened with the class of
        its kind (:func:`dancegen.model.format.load_any`): a Seq2Seq model, a comparison model, ..."""
        path = Path(path) if path else DEFAULT_MODEL
        if not path.exists():
            hint = " (the bundled default model is missing: reinstall dancegen)" if path == DEFAULT_MODEL else ""
            raise ModelError(f"{path}: model file not found{hint}")
        return load_any(path)
