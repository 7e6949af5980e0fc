"""The two comparison models of the paper's evaluation, usable through the same generation path as
our Seq2Seq model:

* ``gan-stgcn`` (:mod:`.stgcn_gan`): ST-GCN generator + ST-GCN discriminator on (poses, music);
* ``vqvae-transformer`` (:mod:`.vqvae_transformer`): motion VQ-VAE + music-to-code transformer.

Both also exist on the 3D pose vector of the sampling generator, as model kinds ``gan-stgcn3d`` and
``vqvae-transformer3d`` (:mod:`.models3d`, files and generation in :mod:`.bundle3d`).

Model files: :class:`BaselineBundle` has exactly the metadata of
:class:`dancegen.model.bundle.ModelBundle` (:class:`~dancegen.model.bundle.BundleMeta`) and is stored
in the same format (:mod:`dancegen.model.format`), as model kind ``gan-stgcn`` or
``vqvae-transformer``. :func:`load_baseline` reads one; :func:`generate_params` /
:func:`run_baseline` generate pose parameters from standardised features.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...errors import ConfigError, ModelError
from ..bundle import BundleMeta, ModelBundle
from ..format import read_kind, read_model, register_kind

KINDS = ("gan-stgcn", "vqvae-transformer")
#: the ``format`` strings of the legacy (torch pickle) files of each kind
FORMATS = {"gan-stgcn": "dancegen-gan-stgcn/1", "vqvae-transformer": "dancegen-vqvae-transformer/1"}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ConfigError(f"model kind {kind!r}: use one of {', '.join(KINDS)} (or seq2seq)")
    return kind


def build_model(kind: str, model_config: dict, ref_lengths=None) -> torch.nn.Module:
    """A fresh (untrained) baseline ``nn.Module`` from its config dict."""
    check_kind(kind)
    if kind == "gan-stgcn":
        from .stgcn_gan import GanConfig, GanSTGCN

        if ref_lengths is None:
            raise ValueError("gan-stgcn needs ref_lengths (17,) to decode joints")
        return GanSTGCN(GanConfig.from_dict(model_config), ref_lengths)
    from .vqvae_transformer import VQConfig, VQVAETransformer

    return VQVAETransformer(VQConfig.from_dict(model_config))


def kind_of(model: torch.nn.Module) -> str:
    from .stgcn_gan import GanSTGCN
    from .vqvae_transformer import VQVAETransformer

    if isinstance(model, GanSTGCN):
        return "gan-stgcn"
    if isinstance(model, VQVAETransformer):
        return "vqvae-transformer"
    raise TypeError(f"not a baseline model: {type(model).__name__}")


@register_kind("gan-stgcn")
@register_kind("vqvae-transformer")
@dataclass
class BaselineBundle(ModelBundle):
    """A trained baseline as one file; same metadata as :class:`ModelBundle`, model kind one of
    :data:`KINDS`. The GAN's discriminator is not stored (generation does not need it)."""

    @property
    def kind(self) -> str:
        return kind_of(self.model)

    def state_dict_to_save(self) -> dict:
        sd = self.model.state_dict()
        if self.kind == "gan-stgcn":
            sd = {k: v for k, v in sd.items() if not k.startswith("discriminator.")}
        return sd

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike) -> "BaselineBundle":
        from ..format import load_weights

        kind, sd, kw, mc = read_baseline(path, KINDS, "dancegen baseline model", BundleMeta.meta_kwargs)

        def factory():
            return build_model(kind, mc, kw["ref_lengths"])

        model = load_weights(factory, sd, path, optional=("discriminator.",) if kind == "gan-stgcn" else ())
        return cls(model=model, **kw)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "BaselineBundle":
        return load_baseline(path)


def read_baseline(path, kinds, what: str, meta_kwargs) -> tuple[str, dict, dict, dict]:
    """``(kind, state_dict, metadata keyword arguments, model settings)`` of a comparison model file
    whose kind is one of ``kinds``; :class:`ModelError` naming the file (and ``what`` it is not) for
    another kind or malformed settings. ``meta_kwargs(meta, path)`` reads the metadata."""
    kind, sd, meta = read_model(path)
    if kind not in kinds:
        raise ModelError(f"{path}: not a {what} (kind {kind}); use a model.safetensors written by "
                         f"'dancegen train --model-kind {'|'.join(kinds)}'")
    kw = meta_kwargs(meta, path)
    mc = meta.get("model_config")
    if not isinstance(mc, dict):
        raise ModelError(f"{path}: model settings are missing or malformed")
    return kind, sd, kw, mc


def load_baseline(path: str | os.PathLike) -> BaselineBundle:
    """Read a baseline model file (kind in :data:`KINDS`); :class:`ModelError` otherwise."""
    if path is None:
        raise ModelError("no baseline model file given; pass --model runs/<name>/model.safetensors")
    return BaselineBundle.from_pretrained(path)


def is_baseline_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is a model file of a baseline kind (reads the header only)."""
    try:
        return read_kind(path) in KINDS
    except ModelError:
        return False


def generate_params(model, feats_std: np.ndarray, genre_idx: int, seed: int = 0, progress: bool = False,
                    **kw) -> np.ndarray:
    """Pose parameters ``(T, 36)`` float32 for standardised music features ``feats_std (T, F)``.

    ``model`` is a :class:`BaselineBundle`, a ``GanSTGCN`` or a ``VQVAETransformer``; ``genre_idx``
    indexes the model's genres; ``seed`` seeds all sampling (same seed, same output). Extra keywords
    go to the model's ``generate`` (GAN: ``window``, ``overlap``; VQ: ``top_k``, ``temperature``).
    Runs in ``torch.inference_mode``; the model is left in the train/eval mode it had."""
    m = model.model if isinstance(model, ModelBundle) else model
    feats_std = np.asarray(feats_std, np.float32)
    if feats_std.ndim != 2 or feats_std.shape[0] < 1:
        raise ConfigError(f"features must be (T, F) with T >= 1, got shape {feats_std.shape}")
    n_feat = m.cfg.n_features
    if feats_std.shape[1] != n_feat:
        raise ModelError(f"the model expects {n_feat} music features per frame, got {feats_std.shape[1]}; "
                         f"use the feature settings stored in its model file")
    if not 0 <= int(genre_idx) < m.cfg.n_genres:
        raise ConfigError(f"genre index {genre_idx}: this model knows {m.cfg.n_genres} genres")
    with torch.inference_mode():
        return m.generate(feats_std, int(genre_idx), seed=int(seed), progress=progress, **kw)


def run_baseline(bundle: BaselineBundle, feats_std: np.ndarray, genre_idx: int, opts, corrector=None) -> np.ndarray:
    """Drop-in for :func:`dancegen.model.generate.run_decoder` with a baseline bundle: ``(T, F)`` ->
    ``(T, 36)``. Uses ``opts.seed`` and ``opts.progress``; keeps the neck within the bundle's
    ``neck_bounds`` and passes every frame, in order, through ``corrector`` (the HGR online loop)
    when given. The baselines are not autoregressive frame by frame, so the corrected pose is not
    fed back into the network (their ablation is "corrected output", not "corrected feedback")."""
    params = generate_params(bundle, feats_std, genre_idx, seed=getattr(opts, "seed", 0),
                             progress=bool(getattr(opts, "progress", False)))
    nb = bundle.neck_bounds
    params[:, 0] = np.clip(params[:, 0], nb[0], nb[1])
    params[:, 1] = np.clip(params[:, 1], nb[2], nb[3])
    if corrector is not None:
        params = np.stack([corrector(p) for p in params]).astype(np.float32)
    return params


__all__ = ["KINDS", "FORMATS", "BaselineBundle", "build_model", "load_baseline",
           "is_baseline_file", "generate_params", "run_baseline", "check_kind", "kind_of", "read_baseline"]
