"""``dancegen train`` (the 2D, 3D and comparison generators; moved here from
``dancegen.model.commands`` so that the model layer does not import the training layer above it)."""
from __future__ import annotations

import sys
from pathlib import Path


#: the 3D comparison models' kinds (dancegen.model.baselines.models3d.KINDS3D, named here so that
#: ``dancegen --help`` does not import torch)
KINDS3D_BASELINES = ("gan-stgcn3d", "vqvae-transformer3d")


def register(sub):
    from .. import cliargs as A

    t = sub.add_parser("train", help="train a generator on dance data (Lightning; CPU by default)",
                       description="Train the Seq2Seq generator. Resumes from OUT/last.ckpt when it exists.")
    t.add_argument("--data", required=False, help="Dance with Melody folder (required unless in --config)")
    t.add_argument("--config", default=None, help="JSON or YAML file with TrainConfig fields")
    t.add_argument("-o", "--out", default=None,
                   help="run folder: checkpoints, TensorBoard logs, model.safetensors (required unless in --config)")
    t.add_argument("--epochs", type=A.epochs, default=None, help="max epochs (at least 1)")
    t.add_argument("--max-minutes", type=A.minutes, default=None, help="wall-clock limit, minutes (> 0)")
    t.add_argument("--batch-size", type=A.positive_int, default=None, help="windows per batch (at least 1)")
    t.add_argument("--lr", type=A.lr, default=None, help="learning rate (> 0, at most 10)")
    t.add_argument("--seed", type=A.seed, default=None, help=f"random seed, 0 to {A.SEED_MAX}")
    t.add_argument("--features", dest="feature_kind", choices=["multi", "mfcc"], default=None)
    t.add_argument("--attention", choices=["additive", "general", "dot", "none"], default=None)
    t.add_argument("--no-hgr", action="store_true", help="train without the HGR structural losses (ablation)")
    t.add_argument("--model-kind", default=None, choices=["seq2seq3d", "seq2seq", "gan-stgcn", "vqvae-transformer",
                                                          *KINDS3D_BASELINES],
                   help="seq2seq3d (the 3D sampling generator; the kind named in --config, else seq2seq), seq2seq "
                        "(the 2D model) or a comparison model: gan-stgcn, vqvae-transformer (2D), gan-stgcn3d, "
                        "vqvae-transformer3d (3D, configs/gan3d.json and configs/vq3d.json)")
    t.add_argument("--devices", type=A.devices, default=None,
                   help=f"Lightning devices: auto or a number (on the CPU at most this machine's {A.cpu_count()} "
                        f"cores)")
    t.add_argument("--strategy", default=None, help="Lightning strategy (auto, ddp, ...)")
    t.add_argument("--accelerator", default=None, help="cpu (default), gpu, auto")
    t.add_argument("--limit-train-clips", type=A.positive_int, default=None, help=argparse_hide())
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    t.set_defaults(func=cmd_train)


def argparse_hide():
    import argparse

    return argparse.SUPPRESS


def _config_kind(path) -> str | None:
    import json

    try:
        return json.loads(Path(path).read_text()).get("model_kind")
    except (OSError, ValueError, AttributeError):
        return None


def _require_data_and_out(cfg) -> None:
    from ..errors import ConfigError
    from ..fileio import check_output

    if not cfg.data:
        raise ConfigError("no training data: pass --data DIR (a Dance with Melody folder) or set 'data' in --config")
    if not cfg.out:
        raise ConfigError("no run folder: pass --out DIR (checkpoints, logs and model.safetensors go there) or set "
                          "'out' in --config")
    check_output(cfg.out, folder=True, option="--out")  # before the data loads: a link, a file, not writable


def cmd_train3d(args, kind: str = "seq2seq3d") -> int:
    """The 3D trainers: the sampling generator (train/train3d.py) or a 3D comparison model
    (train/baselines3d.py), by ``kind``."""
    from ..errors import ConfigError

    if kind in KINDS3D_BASELINES:
        from ..train.baselines3d import Baseline3DConfig as Config, train
    else:
        from ..train.train3d import Train3DConfig as Config, train
    cfg = Config.from_json(args.config) if args.config else Config()
    cfg.model_kind = kind
    over = dict(data=args.data, out=args.out, max_epochs=args.epochs, max_minutes=args.max_minutes,
                batch_size=args.batch_size, lr=args.lr, seed=args.seed, feature_kind=args.feature_kind)
    if kind in KINDS3D_BASELINES:
        if args.attention or args.no_hgr:
            raise ConfigError(f"--attention/--no-hgr: the {kind} comparison model has no attention and no HGR "
                              f"losses; drop these options")
    else:
        over["attention"] = args.attention
        if args.no_hgr:
            cfg.hgr_losses = False
    for k, v in over.items():
        if v is not None:
            setattr(cfg, k, v)
    if getattr(cfg, "attention", "none") not in ("additive", "general", "none"):
        raise ConfigError(f"--attention {cfg.attention}: the 3D model takes additive, general or none")
    if args.devices not in (None, "1", "auto") or args.strategy not in (None, "auto"):
        raise ConfigError("--devices/--strategy: the 3D trainer runs in one process; drop these options")
    _require_data_and_out(cfg)
    cfg.validate()
    path = train(cfg, progress=not args.quiet)
    print(f"trained model: {path}", file=sys.stderr)
    return 0


def cmd_train(args) -> int:
    from ..train.config import TrainConfig
    from ..train.run import check_config, train

    kind = args.model_kind or (_config_kind(args.config) if args.config else None) or "seq2seq"
    if kind in ("seq2seq3d", *KINDS3D_BASELINES):
        return cmd_train3d(args, kind)
    args.model_kind = kind

    overrides = dict(data=args.data, out=args.out, max_epochs=args.epochs, max_minutes=args.max_minutes,
                     batch_size=args.batch_size, lr=args.lr, seed=args.seed, feature_kind=args.feature_kind,
                     attention=args.attention, devices=args.devices, strategy=args.strategy,
                     accelerator=args.accelerator, limit_train_clips=args.limit_train_clips)
    if args.no_hgr:
        overrides["hgr_losses"] = False
    if args.config:
        cfg = TrainConfig.from_file(args.config, **overrides)
    else:
        cfg = TrainConfig(**{k: v for k, v in overrides.items() if v is not None})
    _require_data_and_out(cfg)
    from ..cliargs import check_devices

    check_devices(cfg.devices, cfg.accelerator)
    check_config(cfg)
    if args.model_kind != "seq2seq":
        from ..train.baselines import train_baseline

        path = train_baseline(args.model_kind, cfg, progress=not args.quiet)
    else:
        path = train(cfg, progress=not args.quiet)
    import os

    if os.environ.get("RANK", "0") == "0":  # DDP: one line, from the main process
        print(f"trained model: {path}", file=sys.stderr)
    return 0


