"""A trained generator as one file: weights plus everything needed to use them (feature settings
and statistics, reference bone lengths, body scale, genres, the seed pose, training facts).

The file format is :mod:`dancegen.model.format` (one ``.safetensors`` file, kind ``seq2seq2d``);
the metadata stored with the weights is exactly the fields of :class:`BundleMeta`, which every 2D
generator bundle (this Seq2Seq one and the comparison models') shares."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .format import (ModelMeta, as_dict, as_f32, as_float, as_int_tuple, as_str_list, load_any, load_weights,
                     meta_field, optional, read_model, register_kind, save_model)
from .metacheck import _check_array, check_generator_meta, check_number  # noqa: F401  (shared with the 3D kinds)
from .seq2seq import ModelConfig, Seq2SeqDance

KIND = "seq2seq2d"
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default.safetensors"


@dataclass
class BundleMeta(ModelMeta):
    """Everything a 2D generator's file stores besides the weights and the model's own settings.
    Saving and loading iterate the :func:`~dancegen.model.format.meta_field` fields of this class
    (:class:`~dancegen.model.format.ModelMeta`): a field added here is stored."""

    feature_config: dict = meta_field(as_dict)        # FeatureConfig.to_dict()
    feature_stats: dict = meta_field(as_dict)         # FeatureStats.to_dict()
    ref_lengths: np.ndarray = meta_field(as_f32)      # (17,) body units
    body_scale: float = meta_field(as_float)          # pixels per body unit at generation time
    canvas: tuple = meta_field(as_int_tuple)          # (w, h)
    genres: list = meta_field(as_str_list)
    seed_pose: np.ndarray = meta_field(as_f32)        # (36,) mean training pose (params)
    neck_bounds: np.ndarray = meta_field(as_f32, default_factory=lambda: np.array([-2.5, 2.5, -2.0, 2.0], np.float32))
    info: dict = meta_field(as_dict, default_factory=dict)
    # (K, 36) real training poses; --seed picks the start pose
    seed_poses: np.ndarray | None = meta_field(optional(as_f32), default=None)
    # mean joint speed of the training dances, body units / s (the energy governor's reference)
    ref_speed: float | None = meta_field(optional(as_float), default=None)

    @classmethod
    def check_meta(cls, kw: dict, path) -> None:
        check_generator_meta(kw, path)
        _check_array(kw, "ref_lengths", path, shape=(17,), positive=True)
        _check_array(kw, "seed_pose", path, shape=(36,))
        _check_array(kw, "seed_poses", path, shape=(None, 36), optional=True)
        _check_array(kw, "neck_bounds", path, shape=(4,))
        check_number(kw, "body_scale", path, positive=True)
        from ..dance import check_canvas
        from ..errors import DataError

        try:
            kw["canvas"] = check_canvas(kw["canvas"], "canvas")
        except DataError as e:
            raise ModelError(f"{path}: model metadata {e}; the file is corrupt") from None


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
            cfg = ModelConfig.from_dict(as_dict(meta.get("model_config")))
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
