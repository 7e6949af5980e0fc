"""The 3D comparison models (:mod:`.models3d`) as model files, and their part in 3D generation.

A file is the project's one format (:mod:`dancegen.model.format`), kind ``gan-stgcn3d`` or
``vqvae-transformer3d``: the weights (the GAN's generator only) and, as JSON, the model settings
(``model_config``) and every field of :class:`Meta3D`, the metadata of a 3D generator that
:func:`dancegen.train.train3d.build_dataset` makes (feature settings and statistics, pose
statistics, reference skeleton, genres, seed poses, speeds, training takes) plus ``info``. Saving
and loading go over the dataclass's fields, so a field added there is stored and read back.

:class:`Baseline3DBundle` is a 3D generator (``is_3d``) that makes a whole song's poses at once
(``autoregressive`` False): :func:`dancegen.model.generate3d.generate_dance3d` takes it like the
sampling generator, calls :meth:`Baseline3DBundle.motion` and passes every frame through the 3D HGR
loop (corrected output), then the energy governor, beat lock and camera.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from torch import nn

from ...errors import ModelError
from ..bundle import _check_array, _dict, _f32, _float_or_none, _load, check_generator_meta, fields_to_meta, meta_to_fields
from ..format import register_kind, save_model
from . import generate_params, read_baseline
from .models3d import GAN3D, KINDS3D, VQ3D, build_model3d, kind3d_of


def _names(v) -> list:
    return [str(x) for x in v]


@dataclass
class Meta3D:
    """Everything a 3D comparison model file stores besides the weights and the model's settings."""

    feature_config: dict = field(metadata=_load(_dict))      # FeatureConfig.to_dict()
    feature_stats: dict = field(metadata=_load(_dict))       # FeatureStats.to_dict()
    pose_mean: np.ndarray = field(metadata=_load(_f32))      # (54,) pose-vector statistics (standardisation)
    pose_std: np.ndarray = field(metadata=_load(_f32))       # (54,)
    ref_lengths: np.ndarray = field(metadata=_load(_f32))    # (16,) reference skeleton, m
    genres: list = field(metadata=_load(_names))
    seed_poses: np.ndarray = field(metadata=_load(_f32))     # (K, 54) real poses (raw units)
    ref_speed: float | None = field(default=None, metadata=_load(_float_or_none))       # mean joint speed, m/s
    ref_body_speed: float | None = field(default=None, metadata=_load(_float_or_none))  # relative to the root
    root_height: float | None = field(default=None, metadata=_load(_float_or_none))     # median MidHip height, m
    train_takes: list = field(default_factory=list, metadata=_load(_names))
    motion_only_takes: list = field(default_factory=list, metadata=_load(_names))
    info: dict = field(default_factory=dict, metadata=_load(_dict))

    def meta_dict(self) -> dict:
        """Every :class:`Meta3D` field, JSON-ready."""
        return fields_to_meta(self, Meta3D)

    @staticmethod
    def meta_kwargs(meta: dict, path="<model>", strict: bool = False) -> dict:
        """Keyword arguments (every :class:`Meta3D` field) from a metadata dict, checked;
        ``strict``: a key that is not a field is refused (the trainer's own metadata)."""
        kw = meta_to_fields(Meta3D, meta, path, strict=strict)
        check_generator_meta(kw, path)
        _check_array(kw, "ref_lengths", path, shape=(None,), positive=True)
        _check_array(kw, "pose_mean", path, shape=(None,))
        D = len(kw["pose_mean"])
        _check_array(kw, "pose_std", path, shape=(D,), positive=True)
        _check_array(kw, "seed_poses", path, shape=(None, D))
        return kw


@register_kind(GAN3D)
@register_kind(VQ3D)
@dataclass
class Baseline3DBundle(Meta3D):
    """A trained 3D comparison model as one file (see the module doc)."""

    model: nn.Module = field(kw_only=True)
    is_3d = True
    autoregressive = False

    @property
    def kind(self) -> str:
        return kind3d_of(self.model)

    @property
    def fps(self) -> float:
        return float(self.feature_config.get("fps", 25.0))

    @property
    def meta(self) -> dict:
        """The metadata as a dict (the view the 3D generation path reads)."""
        return self.meta_dict()

    def state_dict_to_save(self) -> dict:
        sd = self.model.state_dict()
        return {k: v for k, v in sd.items() if not k.startswith("discriminator.")}

    def save_pretrained(self, path: str | os.PathLike, half: bool = True) -> Path:
        meta = {"model_config": self.model.cfg.to_dict(), **self.meta_dict()}
        return save_model(path, self.kind, self.state_dict_to_save(), meta, half=half)

    save = save_pretrained

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike) -> "Baseline3DBundle":
        from ..format import load_weights

        kind, sd, kw, mc = read_baseline(path, KINDS3D, "3D comparison model", Meta3D.meta_kwargs)
        if mc.get("pose_dim") != len(kw["pose_mean"]):
            raise ModelError(f"{path}: model setting pose_dim {mc.get('pose_dim')!r} does not match the "
                             f"{len(kw['pose_mean'])} pose statistics; the file is corrupt")
        model = load_weights(lambda: build_model3d(kind, mc), sd, path, optional=("discriminator.",))
        return cls(model=model, **kw)

    def motion(self, feats_std: np.ndarray, genre_idx: int, opts) -> np.ndarray:
        """Pose vectors ``(T, 54)`` float64 in raw units (de-standardised) for standardised music
        features ``(T, F)``; ``opts`` (:class:`~dancegen.model.generate3d.Generate3DOptions`) gives
        the seed (same seed, same poses) and the temperature (GAN: the noise variance; VQ: the code
        sampling, 0 = the most likely code)."""
        T = float(opts.temperature)
        kw = {"temperature": T}
        if self.kind == VQ3D and T <= 0:
            kw = {"top_k": 1}
        x = generate_params(self.model, feats_std, genre_idx, seed=int(opts.seed),
                            progress=bool(opts.progress), **kw)
        return x.astype(np.float64) * self.pose_std.astype(np.float64) + self.pose_mean.astype(np.float64)


__all__ = ["Meta3D", "Baseline3DBundle"]
