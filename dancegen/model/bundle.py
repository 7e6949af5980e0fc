"""A trained generator as one file: weights plus everything needed to use them (feature settings
and statistics, reference bone lengths, body scale, genres, the seed pose, training facts)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import ModelError
from .seq2seq import ModelConfig, Seq2SeqDance

FORMAT = "dancegen-seq2seq/1"
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default.pt"


@dataclass
class ModelBundle:
    model: Seq2SeqDance
    feature_config: dict          # dancegen.audio.features.FeatureConfig.to_dict()
    feature_stats: dict           # dancegen.audio.features.FeatureStats.to_dict()
    ref_lengths: np.ndarray       # (17,) body units
    body_scale: float             # pixels per body unit at generation time
    canvas: tuple                 # (w, h)
    genres: list
    seed_pose: np.ndarray         # (36,) mean training pose (params)
    neck_bounds: np.ndarray = field(default_factory=lambda: np.array([-2.5, 2.5, -2.0, 2.0], np.float32))
    info: dict = field(default_factory=dict)
    seed_poses: np.ndarray | None = None  # (K, 36) real training poses; --seed picks the start pose
    ref_speed: float | None = None        # mean joint speed of the training dances, body units / s

    @property
    def fps(self) -> float:
        return float(self.feature_config.get("fps", 25.0))

    def save(self, path: str | os.PathLike, half: bool = True) -> Path:
        """Write atomically. ``half`` stores weights in float16 (loaded back as float32)."""
        sd = {k: (v.half() if half and v.is_floating_point() else v) for k, v in self.model.state_dict().items()}
        obj = dict(format=FORMAT, model_config=self.model.cfg.to_dict(), state_dict=sd,
                   feature_config=self.feature_config, feature_stats=self.feature_stats,
                   ref_lengths=np.asarray(self.ref_lengths, np.float32).tolist(), body_scale=float(self.body_scale),
                   canvas=list(self.canvas), genres=list(self.genres),
                   seed_pose=np.asarray(self.seed_pose, np.float32).tolist(),
                   neck_bounds=np.asarray(self.neck_bounds, np.float32).tolist(), info=self.info,
                   seed_poses=None if self.seed_poses is None else np.asarray(self.seed_poses, np.float32).tolist(),
                   ref_speed=self.ref_speed)
        from ..fileio import atomic_write

        return atomic_write(path, lambda tmp: torch.save(obj, tmp))

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "ModelBundle":
        path = Path(path) if path else DEFAULT_MODEL
        if not path.exists():
            hint = " (the bundled default model is missing: reinstall dancegen)" if path == DEFAULT_MODEL else ""
            raise ModelError(f"{path}: model file not found{hint}")
        try:
            obj = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as e:
            raise ModelError(f"{path}: not a readable model file ({type(e).__name__}); pass a file written by "
                             f"'dancegen train' (runs/<name>/model.pt)") from None
        if isinstance(obj, dict) and (obj.get("hyper_parameters") or {}).get("bundle_meta"):
            obj = _from_lightning_checkpoint(obj)
        if isinstance(obj, dict) and str(obj.get("format", "")).startswith("dancegen-") and obj.get("format") != FORMAT:
            from .baselines import KIND_OF_FORMAT, bundle_from_dict

            if obj.get("format") in KIND_OF_FORMAT:  # a comparison model (GAN-ST-GCN, Transformer-VQ-VAE)
                return bundle_from_dict(obj, path)
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise ModelError(f"{path}: not a dancegen Seq2Seq model (format {obj.get('format') if isinstance(obj, dict) else '?'}); "
                             f"use a model.pt written by 'dancegen train'")
        model = Seq2SeqDance(ModelConfig.from_dict(obj["model_config"]))
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in obj["state_dict"].items()})
        model.eval()
        return cls(model=model, **metadata_from_dict(obj))


def metadata_from_dict(obj: dict) -> dict:
    """The non-weight fields of a model-file dict as keyword arguments of :class:`ModelBundle`
    (shared by every model format, the comparison models' included)."""
    return dict(feature_config=obj["feature_config"], feature_stats=obj["feature_stats"],
                ref_lengths=np.asarray(obj["ref_lengths"], np.float32), body_scale=float(obj["body_scale"]),
                canvas=tuple(obj["canvas"]), genres=list(obj["genres"]),
                seed_pose=np.asarray(obj["seed_pose"], np.float32),
                neck_bounds=np.asarray(obj.get("neck_bounds", [-2.5, 2.5, -2.0, 2.0]), np.float32),
                info=obj.get("info", {}),
                seed_poses=np.asarray(obj["seed_poses"], np.float32) if obj.get("seed_poses") is not None else None,
                ref_speed=obj.get("ref_speed"))


def _from_lightning_checkpoint(ckpt: dict) -> dict:
    """A training checkpoint (``last.ckpt``) as a model-file dict: the system stores the bundle
    metadata in its hyper-parameters and the model's weights under ``model.``."""
    hp = ckpt["hyper_parameters"]
    meta = dict(hp["bundle_meta"])
    sd = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    info = {"checkpoint_epoch": ckpt.get("epoch"), "checkpoint_step": ckpt.get("global_step")}
    return dict(format=FORMAT, model_config=hp["model_config"], state_dict=sd, info=info,
                **{k: meta[k] for k in ("feature_config", "feature_stats", "ref_lengths", "body_scale", "canvas",
                                        "genres", "seed_pose", "neck_bounds")},
                seed_poses=meta.get("seed_poses"), ref_speed=meta.get("ref_speed"))
