"""The 3D sampling generator as one safe file: weights in safetensors, everything else (model
config, feature settings and statistics, pose statistics, reference skeleton, genres, seed poses,
training facts) as JSON in the safetensors header. Loading never runs code from the file.

The metadata is exactly the fields of :class:`Bundle3DMeta` (a
:class:`~dancegen.model.format.ModelMeta` dataclass, saved and loaded whole and type-checked);
any 3D model kind on the :mod:`dancegen.body3d` skeleton can use it, or subclass it to add fields."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .format import ModelMeta, as_dict, as_f32, as_float, as_str_list, meta_field, optional, register_kind
from .infer3d import Engine3D, Model3DConfig, check_weights

KIND = "seq2seq3d"
DEFAULT_MODEL3D = Path(__file__).resolve().parent.parent / "models" / "default3d.safetensors"


@dataclass
class Bundle3DMeta(ModelMeta):
    """Everything a 3D generator's file stores besides the weights and the model's own settings
    (``model_config``). Every field is stored; one added here (or in a subclass) is stored, loaded
    and checked without another change. ``D`` is the pose-vector size (:mod:`dancegen.model.motion3d`)."""

    feature_config: dict = meta_field(as_dict)          # FeatureConfig.to_dict()
    feature_stats: dict = meta_field(as_dict)           # FeatureStats.to_dict()
    pose_mean: np.ndarray = meta_field(as_f32)          # (D,) mean training pose vector
    pose_std: np.ndarray = meta_field(as_f32)           # (D,) its standard deviation, > 0
    ref_lengths: np.ndarray = meta_field(as_f32)        # (NB3,) reference bone lengths, m
    genres: list = meta_field(as_str_list)
    seed_poses: np.ndarray = meta_field(as_f32)         # (K, D) real training poses; --seed picks the start
    info: dict = meta_field(as_dict, default_factory=dict)               # name, steps, training config...
    ref_speed: float | None = meta_field(optional(as_float), default=None)       # mean joint speed, m/s
    # mean speed of the joints relative to the root, m/s: the energy governor's reference (govern3d)
    ref_body_speed: float | None = meta_field(optional(as_float), default=None)
    # the same per genre ({genre: m/s}, the genre's training takes; empty in files written before
    # 2026-12-03): a cha-cha moves faster than a waltz, and the governor keeps each genre's pace
    genre_body_speed: dict = meta_field(as_dict, default_factory=dict)
    root_height: float | None = meta_field(optional(as_float), default=None)     # median root height, m
    train_takes: list = meta_field(as_str_list, default_factory=list)
    motion_only_takes: list = meta_field(as_str_list, default_factory=list)

    @property
    def fps(self) -> float:
        return float(self.feature_config.get("fps", 25.0))

    @classmethod
    def check_meta(cls, kw: dict, path) -> None:
        from ..body3d import NB3
        from .metacheck import _check_array, check_generator_meta, check_number

        check_generator_meta(kw, path)
        _check_array(kw, "ref_lengths", path, shape=(NB3,), positive=True)
        _check_array(kw, "pose_mean", path, shape=(None,))
        D = len(kw["pose_mean"])
        _check_array(kw, "pose_std", path, shape=(D,), positive=True)
        _check_array(kw, "seed_poses", path, shape=(None, D))
        for key, positive in (("ref_speed", True), ("ref_body_speed", True), ("root_height", False)):
            check_number(kw, key, path, positive=positive)
        gs = kw.get("genre_body_speed") or {}
        for g, v in gs.items():
            if g not in kw["genres"]:
                raise ModelError(f"{path}: model metadata 'genre_body_speed' names {g!r}, not one of the model's "
                                 f"genres; the file is corrupt")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (np.isfinite(v) and v > 0):
                raise ModelError(f"{path}: model metadata 'genre_body_speed' of {g!r} must be a positive number, "
                                 f"got {v!r}; the file is corrupt")

    def body_speed(self, genre: str | None = None, per_genre: bool = True) -> float | None:
        """The training dances' mean body speed (joints relative to the root, m/s): the genre's own
        where the file has it and ``per_genre``, else all genres' (``ref_body_speed``)."""
        if per_genre and genre in self.genre_body_speed:
            return float(self.genre_body_speed[genre])
        return self.ref_body_speed


@register_kind(KIND)
@dataclass
class Model3DBundle(Bundle3DMeta):
    """The 3D generator: its metadata, and its weights either as a torch module (``model``:
    training, tests) or as float32 arrays (``weights``, with ``config``: a model read from a file;
    generation runs them with :class:`~dancegen.model.infer3d.Engine3D` and never imports torch).
    :meth:`torch_model` builds the module from the arrays when a caller needs it."""

    model: object = field(default=None, kw_only=True)          # Seq2Seq3D, or None
    weights: dict | None = field(default=None, kw_only=True, repr=False)
    config: Model3DConfig | None = field(default=None, kw_only=True)
    is_3d = True

    def __post_init__(self):
        if self.model is None and self.weights is None:
            raise ValueError("Model3DBundle needs model (a Seq2Seq3D) or weights and config")
        if self.config is None:
            self.config = self.model.cfg
        self._engine = None

    def _arrays(self) -> dict:
        if self.weights is None:
            self.weights = {k: v.detach().float().cpu().numpy() for k, v in self.model.state_dict().items()}
        return self.weights

    @property
    def engine(self) -> Engine3D:
        """The NumPy inference engine on these weights (built once)."""
        if self._engine is None:
            self._engine = Engine3D.from_weights(self._arrays(), self.config)
        return self._engine

    def torch_model(self):
        """The torch module (built from the arrays on the first call when the bundle was read from a file)."""
        if self.model is None:
            import torch

            from .format import load_weights
            from .seq2seq3d import Seq2Seq3D

            sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.weights.items()}
            self.model = load_weights(lambda: Seq2Seq3D(self.config), sd, "model", on_meta=False)
        return self.model

    # ------------------------------------------------------------------ files
    def save_pretrained(self, path: str | os.PathLike, half: bool = True) -> Path:
        from .format import save_model

        meta = {"model_config": self.config.to_dict(), **self.meta_dict()}
        return save_model(path, KIND, self.torch_model().state_dict(), meta, half=half)

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike) -> "Model3DBundle":
        from .format import read_model_arrays

        kind, sd, meta = read_model_arrays(path)
        if kind != KIND:
            raise ModelError(f"{path}: a {kind!r} model, not a 3D generator ({KIND})")
        return cls.from_parts(sd, meta, path)

    @classmethod
    def from_parts(cls, sd: dict, meta: dict, path="model") -> "Model3DBundle":
        """From weights (numpy arrays or torch tensors) and the file's metadata; every field typed
        and checked, the weights' names and shapes compared with the settings (one-line ModelError)."""
        kw = cls.meta_kwargs(meta, path)   # every metadata field, typed and checked
        try:
            cfg = Model3DConfig.from_dict(as_dict(meta["model_config"]))
        except (KeyError, TypeError) as e:
            raise ModelError(f"{path}: model settings missing or malformed ({type(e).__name__}); "
                             "pass a file written by 'dancegen train'") from None
        limits = {"n_features": 4096, "pose_dim": 4096, "enc_hidden": 4096, "enc_layers": 8, "dec_hidden": 4096,
                  "attn_dim": 4096, "window": 1000, "n_genres": 1000, "genre_dim": 1024, "n_mix": 256}
        for k, hi in limits.items():   # bounded settings: the shapes below are small enough to check
            v = getattr(cfg, k)
            if not isinstance(v, int) or not 0 < v <= hi:
                raise ModelError(f"{path}: model setting {k}={v!r} is outside 1..{hi}; the file is corrupt "
                                 "or not a dancegen model")
        if cfg.pose_dim != len(kw["pose_mean"]) or cfg.n_genres < len(kw["genres"]):
            raise ModelError(f"{path}: model settings pose_dim={cfg.pose_dim}, n_genres={cfg.n_genres} do not fit the "
                             f"metadata ({len(kw['pose_mean'])} pose values, {len(kw['genres'])} genres); the file "
                             f"is corrupt")
        arrays = {k: (v.detach().float().cpu().numpy() if hasattr(v, "detach") else v) for k, v in sd.items()}
        return cls(weights=check_weights(arrays, cfg, path), config=cfg, **kw)
