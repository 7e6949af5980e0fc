"""The two comparison models of the paper's evaluation, usable through the same generation path as
our Seq2Seq model:

* ``gan-stgcn`` (:mod:`.stgcn_gan`): ST-GCN generator + ST-GCN discriminator on (poses, music);
* ``vqvae-transformer`` (:mod:`.vqvae_transformer`): motion VQ-VAE + music-to-code transformer.

Model files: :class:`BaselineBundle` has exactly the fields of
:class:`dancegen.model.bundle.ModelBundle` (feature settings and statistics, reference bone lengths,
body scale, canvas, genres, seed pose, neck bounds, info) and differs only in the ``format`` string
(:data:`FORMATS`) and the model it holds. :func:`load_baseline` reads one;
:func:`generate_params` / :func:`run_baseline` generate pose parameters from standardised features.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...errors import ConfigError, ModelError
from ..bundle import ModelBundle, metadata_from_dict

KINDS = ("gan-stgcn", "vqvae-transformer")
FORMATS = {"gan-stgcn": "dancegen-gan-stgcn/1", "vqvae-transformer": "dancegen-vqvae-transformer/1"}
KIND_OF_FORMAT = {v: k for k, v in FORMATS.items()}


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


@dataclass
class BaselineBundle(ModelBundle):
    """A trained baseline as one file; same metadata as :class:`ModelBundle`, ``format`` one of
    :data:`FORMATS`. The GAN's discriminator is not stored (generation does not need it)."""

    @property
    def kind(self) -> str:
        return kind_of(self.model)

    @property
    def format(self) -> str:
        return FORMATS[self.kind]

    def save(self, path: str | os.PathLike, half: bool = True) -> Path:
        """Write atomically. ``half`` stores weights in float16 (loaded back as float32)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sd = self.model.state_dict()
        if self.kind == "gan-stgcn":
            sd = {k: v for k, v in sd.items() if not k.startswith("discriminator.")}
        sd = {k: (v.half() if half and v.is_floating_point() else v) for k, v in sd.items()}
        obj = dict(format=self.format, kind=self.kind, model_config=self.model.cfg.to_dict(), state_dict=sd,
                   feature_config=self.feature_config, feature_stats=self.feature_stats,
                   ref_lengths=np.asarray(self.ref_lengths, np.float32).tolist(), body_scale=float(self.body_scale),
                   canvas=list(self.canvas), genres=list(self.genres),
                   seed_pose=np.asarray(self.seed_pose, np.float32).tolist(),
                   neck_bounds=np.asarray(self.neck_bounds, np.float32).tolist(), info=self.info)
        from ...fileio import atomic_write

        return atomic_write(path, lambda tmp: torch.save(obj, tmp))

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "BaselineBundle":
        return load_baseline(path)


def bundle_from_dict(obj: dict, path: str | os.PathLike = "<memory>") -> BaselineBundle:
    """Build a :class:`BaselineBundle` from the dict a model file holds (``torch.load`` of it)."""
    fmt = obj.get("format") if isinstance(obj, dict) else None
    if fmt not in KIND_OF_FORMAT:
        raise ModelError(f"{path}: not a dancegen baseline model (format {fmt or '?'}); use a model.pt written by "
                         f"'dancegen train --model-kind {'|'.join(KINDS)}'")
    kind = KIND_OF_FORMAT[fmt]
    try:
        model = build_model(kind, obj["model_config"], obj["ref_lengths"])
        sd = {k: v.float() if v.is_floating_point() else v for k, v in obj["state_dict"].items()}
        missing, unexpected = model.load_state_dict(sd, strict=False)
        missing = [k for k in missing if not (kind == "gan-stgcn" and k.startswith("discriminator."))]
        if missing or unexpected:
            raise RuntimeError(f"missing {missing[:3]}, unexpected {unexpected[:3]}")
    except Exception as e:
        raise ModelError(f"{path}: {kind} model file is corrupt or from another version ({e}); retrain it") from None
    model.eval()
    return BaselineBundle(model=model, **metadata_from_dict(obj))


def load_baseline(path: str | os.PathLike) -> BaselineBundle:
    """Read a baseline model file (``format`` in :data:`FORMATS`); :class:`ModelError` otherwise."""
    if path is None:
        raise ModelError("no baseline model file given; pass --model runs/<name>/model.pt")
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: model file not found")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:
        raise ModelError(f"{path}: not a readable model file ({type(e).__name__}); pass a file written by "
                         f"'dancegen train' (runs/<name>/model.pt)") from None
    return bundle_from_dict(obj, path)


def is_baseline_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is a model file of a baseline format (cheap check for dispatching)."""
    try:
        obj = torch.load(Path(path), map_location="cpu", weights_only=False)
    except Exception:
        return False
    return isinstance(obj, dict) and obj.get("format") in KIND_OF_FORMAT


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


__all__ = ["KINDS", "FORMATS", "BaselineBundle", "build_model", "load_baseline", "bundle_from_dict",
           "is_baseline_file", "generate_params", "run_baseline", "check_kind", "kind_of"]
