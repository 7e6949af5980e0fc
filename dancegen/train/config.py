"""Training configuration (a plain dataclass; ``dancegen train --config FILE`` reads JSON or YAML)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ConfigError


@dataclass
class TrainConfig:
    data: str = ""                      # Dance with Melody root (or other source folder)
    out: str = ""                       # run folder: checkpoints, TensorBoard logs, exported model (required)
    fps: float = 25.0
    feature_kind: str = "multi"         # multi | mfcc (ablation "w/o multi-scale features")
    attention: str = "additive"         # additive | general | dot | none (ablation "w/o attention")
    hgr_losses: bool = True             # ablation "w/o HGR" sets False (and generation --no-feedback)
    window: int = 120                   # frames per training window (predicted frames)
    seed_frames: int = 1
    stride: int = 40
    batch_size: int = 32                # the paper's
    lr: float = 2e-4                    # the paper's (Adam)
    weight_decay: float = 0.0
    max_epochs: int = 60
    max_minutes: float = 80.0           # wall-clock cap (Lightning max_time)
    snapshot_minutes: list = field(default_factory=list)  # also export OUT/at_<m>min/model.safetensors after m minutes
    sampling_start_epoch: int = 2       # scheduled sampling: own-output probability ramps up
    sampling_max: float = 0.5
    sampling_ramp_epochs: int = 15
    free_ratio: float = 0.5             # share of p_own given to whole free-running windows (see seq2seq.forward)
    w_pos: float = 1.0
    w_vel: float = 2.0
    w_acc: float = 1.0
    w_energy: float = 0.2               # motion-energy matching (see system.py); 0 switches it off
    w_extent: float = 1.0               # pose-extent matching (see system.py); 0 switches it off
    w_bone: float = 0.5
    w_sym: float = 0.2
    w_smooth: float = 0.1
    augment_yaw: float = 180.0          # +- degrees of random camera yaw per window (3D data); 180: any
    enc_hidden: int = 128
    dec_hidden: int = 256
    dec_layers: int = 2
    dropout: float = 0.1
    val_every: int = 1                  # epochs
    ckpt_every_steps: int = 50          # atomic mid-epoch checkpoints for resume
    seed: int = 0
    devices: str = "1"
    strategy: str = "auto"
    accelerator: str = "cpu"
    num_workers: int = 0
    threads: int = 0                    # torch intra-op threads on CPU (0: 1 thread, see run.py)
    limit_train_clips: int = 0          # 0 = all (tests use a few)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_file(cls, path: str | Path, **overrides) -> "TrainConfig":
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"{p}: config file not found")
        text = p.read_text()
        try:
            if p.suffix in (".yaml", ".yml"):
                import yaml

                d = yaml.safe_load(text) or {}
            else:
                d = json.loads(text)
        except Exception as e:
            raise ConfigError(f"{p}: cannot parse config ({e})") from None
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{p}: unknown config keys {sorted(unknown)}; valid keys: {sorted(cls.__dataclass_fields__)}")
        d.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**d)
