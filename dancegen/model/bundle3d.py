"""The 3D sampling generator as one safe file: weights in safetensors, everything else (model
config, feature settings and statistics, pose statistics, reference skeleton, genres, seed poses,
training facts) as JSON in the safetensors header. Loading never runs code from the file."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .format import register_kind
from .seq2seq3d import Model3DConfig, Seq2Seq3D

KIND = "seq2seq3d"
DEFAULT_MODEL3D = Path(__file__).resolve().parent.parent / "models" / "default3d.safetensors"


@register_kind(KIND)
@dataclass
class Model3DBundle:
    model: Seq2Seq3D
    meta: dict = field(default_factory=dict)
    is_3d = True

    # ------------------------------------------------------------------ views of the metadata
    @property
    def fps(self) -> float:
        return float(self.meta["feature_config"].get("fps", 25.0))

    @property
    def genres(self) -> list:
        return list(self.meta["genres"])

    @property
    def ref_lengths(self) -> np.ndarray:
        return np.asarray(self.meta["ref_lengths"], np.float32)

    @property
    def pose_mean(self) -> np.ndarray:
        return np.asarray(self.meta["pose_mean"], np.float32)

    @property
    def pose_std(self) -> np.ndarray:
        return np.asarray(self.meta["pose_std"], np.float32)

    @property
    def seed_poses(self) -> np.ndarray:
        return np.asarray(self.meta["seed_poses"], np.float32)

    @property
    def info(self) -> dict:
        return dict(self.meta.get("info", {}))

    @property
    def feature_config(self) -> dict:
        return self.meta["feature_config"]

    @property
    def feature_stats(self) -> dict:
        return self.meta["feature_stats"]

    # ------------------------------------------------------------------ files
    def save_pretrained(self, path: str | os.PathLike, half: bool = True) -> Path:
        from .format import save_model

        meta = dict(self.meta, model_config=self.model.cfg.to_dict())
        return save_model(path, KIND, self.model.state_dict(), meta, half=half)

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike) -> "Model3DBundle":
        from .format import read_model

        kind, sd, meta = read_model(path)
        if kind != KIND:
            raise ModelError(f"{path}: a {kind!r} model, not a 3D generator ({KIND})")
        return cls.from_parts(sd, meta, path)

    @classmethod
    def from_parts(cls, sd: dict, meta: dict, path="model") -> "Model3DBundle":
        from .format import load_weights

        try:
            cfg = Model3DConfig.from_dict(meta["model_config"])
        except (KeyError, TypeError) as e:
            raise ModelError(f"{path}: model settings missing or malformed ({type(e).__name__}); "
                             "pass a file written by 'dancegen train'") from None
        limits = {"n_features": 4096, "pose_dim": 4096, "enc_hidden": 4096, "enc_layers": 8, "dec_hidden": 4096,
                  "attn_dim": 4096, "window": 1000, "n_genres": 1000, "genre_dim": 1024, "n_mix": 256}
        for k, hi in limits.items():   # bounded settings: the model can be built directly (no meta pass)
            v = getattr(cfg, k)
            if not isinstance(v, int) or not 0 < v <= hi:
                raise ModelError(f"{path}: model setting {k}={v!r} is outside 1..{hi}; the file is corrupt "
                                 "or not a dancegen model")
        model = load_weights(lambda: Seq2Seq3D(cfg), sd, path, on_meta=False)
        missing = [k for k in ("feature_config", "feature_stats", "pose_mean", "pose_std", "ref_lengths", "genres",
                               "seed_poses") if k not in meta]
        if missing:
            raise ModelError(f"{path}: model metadata lacks {missing}; re-export it with 'dancegen train'")
        from .bundle import _check_array, check_generator_meta

        check_generator_meta(meta, path)
        _check_array(meta, "ref_lengths", path, shape=(None,), positive=True)
        _check_array(meta, "pose_mean", path, shape=(None,))
        _check_array(meta, "pose_std", path, shape=(None,), positive=True)
        D = len(meta["pose_mean"])
        if len(meta["pose_std"]) != D:
            raise ModelError(f"{path}: model metadata 'pose_std' has {len(meta['pose_std'])} values, 'pose_mean' {D}")
        _check_array(meta, "seed_poses", path, shape=(None, D))
        return cls(model=model.eval(), meta={k: v for k, v in meta.items() if k != "model_config"})
