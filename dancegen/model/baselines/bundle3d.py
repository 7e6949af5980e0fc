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
from ..bundle3d import Bundle3DMeta
from ..format import register_kind, save_model
from . import generate_params, read_baseline
from .models3d import GAN3D, KINDS3D, VQ3D, build_model3d, kind3d_of


#: the metadata of a 3D comparison model file: the 3D generators' one dataclass
Meta3D = Bundle3DMeta


def check_every_key_has_a_field(meta: dict, where: str) -> None:
    """A writer's metadata dict (``build_dataset``'s) must hold only :class:`Bundle3DMeta` fields,
    or a key would be dropped from the file without a word."""
    extra = sorted(set(meta) - {f.name for f in Bundle3DMeta.meta_fields()} - {"model_config"})
    if extra:
        raise ModelError(f"{where}: model metadata {extra} is not in Bundle3DMeta; add the field there")


@register_kind(GAN3D)
@register_kind(VQ3D)
@dataclass
class Baseline3DBundle(Bundle3DMeta):
    """A trained 3D comparison model as one file (see the module doc)."""

    model: nn.Module = field(kw_only=True)
    is_3d = True
    autoregressive = False

    @property
    def kind(self) -> str:
        return kind3d_of(self.model)

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

        kind, sd, kw, mc = read_baseline(path, KINDS3D, "3D comparison model", Bundle3DMeta.meta_kwargs)
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


__all__ = ["Meta3D", "Baseline3DBundle", "check_every_key_has_a_field"]
