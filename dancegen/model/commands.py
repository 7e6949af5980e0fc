"""``dancegen generate``, ``dancegen train`` and ``dancegen convert-model``."""
from __future__ import annotations

import sys
from pathlib import Path


def register(sub):
    from .. import cliargs as A

    g = sub.add_parser("generate", help="music in, dance out: OUTDIR/dance.npz and OUTDIR/dance.mp4",
                       description="Generate a dance for a music file with the bundled (or a given) model. The "
                                   "outputs are written together at the end (a failed or interrupted run leaves the "
                                   "folder as it was); an existing dance is replaced only with --force.")
    g.add_argument("music", help="music file (wav, mp3, ogg, flac)")
    g.add_argument("-o", "--out", required=True, help="output folder (dance.npz, dance.mp4)")
    g.add_argument("--start", type=A.seconds, default=0.0, help="seconds into the song to start (default 0)")
    g.add_argument("--duration", type=A.duration, default=None,
                   help="seconds to dance (default: the rest of the song)")
    g.add_argument("--seed", type=A.seed, default=0,
                   help=f"random seed, 0 to {A.SEED_MAX} (different seeds, different dances)")
    g.add_argument("--genre", default="auto", help="genre style code (waltz, cha-cha, rumba, tango) or auto (by tempo)")
    g.add_argument("--fps", type=A.frame_rate(1.0, 240.0), default=None,
                   help="output frame rate, 1 to 240 (default: the model's, 25)")
    g.add_argument("--model", default=None, help="model file from 'dancegen train' (default: the bundled model)")
    g.add_argument("--seed-motion", default=None, help="dance .npz whose poses seed the generation")
    g.add_argument("--no-feedback", action="store_true", help="switch off the HGR online correction (ablation)")
    g.add_argument("--no-beat-lock", action="store_true", help="switch off the bounded retiming onto the beats")
    g.add_argument("--accent", type=A.accent, default=0.5,
                   help="beat accent depth: relative speed dip on every beat, 0 (off) to below 1 (default 0.5)")
    g.add_argument("--temperature", type=A.temperature, default=1.0,
                   help="3D model: variety of the sampled poses, 0 (most likely) to 3 (default 1: as trained)")
    g.add_argument("--camera", default="front", choices=["front", "fixed", "orbit"],
                   help="3D model: front (follows the dancer, body toward the viewer; default), fixed (shows the "
                        "travel) or orbit")
    g.add_argument("--yaw", type=A.angle, default=0.0,
                   help="3D model: camera yaw offset, degrees, -360 to 360 (default 0)")
    g.add_argument("--elevation", type=A.elevation, default=8.0,
                   help="3D model: camera elevation, degrees, -60 to 80 (default 8)")
    g.add_argument("--no-video", action="store_true", help="write dance.npz only (an old dance.mp4 is removed)")
    g.add_argument("--size", type=A.size, default=(960, 540),
                   help="video size WxH, even, 16 to 7680 (default 960x540)")
    g.add_argument("--force", action="store_true", help="replace existing outputs")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    g.set_defaults(func=cmd_generate)

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
    t.add_argument("--model-kind", default=None, choices=["seq2seq3d", "seq2seq", "gan-stgcn", "vqvae-transformer"],
                   help="seq2seq3d (the 3D sampling generator; the kind named in --config, else seq2seq), seq2seq "
                        "(the 2D model) or a comparison model")
    t.add_argument("--devices", type=A.devices, default=None,
                   help=f"Lightning devices: auto or a number (on the CPU at most this machine's {A.cpu_count()} "
                        f"cores)")
    t.add_argument("--strategy", default=None, help="Lightning strategy (auto, ddp, ...)")
    t.add_argument("--accelerator", default=None, help="cpu (default), gpu, auto")
    t.add_argument("--limit-train-clips", type=A.positive_int, default=None, help=argparse_hide())
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    t.set_defaults(func=cmd_train)

    c = sub.add_parser("convert-model", help="convert a legacy .pt model (or a last.ckpt) to .safetensors",
                       description="Rewrite an old torch-pickle model file (a model.pt from before the safetensors format) or a Seq2Seq "
                                   "training checkpoint (last.ckpt) in the safe model format (one .safetensors "
                                   "file). The old file is read weights-only: one holding Python objects is refused.")
    c.add_argument("model", help="legacy model file (.pt) or training checkpoint (.ckpt)")
    c.add_argument("-o", "--out", required=True, help="new model file (.safetensors)")
    c.add_argument("--force", action="store_true", help="overwrite an existing output file")
    c.set_defaults(func=cmd_convert_model)


def argparse_hide():
    import argparse

    return argparse.SUPPRESS


def cmd_generate(args) -> int:
    from ..dance import Dance
    from ..errors import ConfigError
    from ..fileio import OutputSet
    from .generate import GenerateOptions, generate_dance

    out = Path(args.out)
    outputs = OutputSet([out / "dance.npz", out / "dance.mp4"], force=args.force, folder=out)
    outputs.check()  # before anything is read: exists without --force, a link, a folder that cannot be written
    from ..audio.io import audio_duration

    audio_duration(args.music)  # a missing or unreadable song fails here, before the model loads
    from .generate3d import load_generator

    with outputs:  # locked: a second run into the folder fails now, not after the work
        bundle = load_generator(args.model)
        if getattr(bundle, "is_3d", False):
            from ..camera import CameraConfig
            from .generate3d import Generate3DOptions, generate_dance3d

            if args.seed_motion:
                raise ConfigError("--seed-motion: the 3D model starts from its own real seed poses; drop the option")
            cam = CameraConfig(mode=args.camera, yaw=args.yaw, elevation=args.elevation)
            opts3 = Generate3DOptions(start=args.start, duration=args.duration, seed=args.seed, genre=args.genre,
                                      fps=args.fps, temperature=args.temperature, feedback=not args.no_feedback,
                                      beat_lock=not args.no_beat_lock, accent=min(args.accent, 0.3), camera=cam,
                                      progress=not args.quiet)
            dance = generate_dance3d(args.music, bundle, opts3)
        else:
            seed_motion = Dance.load(args.seed_motion).keypoints if args.seed_motion else None
            opts = GenerateOptions(start=args.start, duration=args.duration, seed=args.seed, genre=args.genre,
                                   fps=args.fps, feedback=not args.no_feedback, beat_lock=not args.no_beat_lock,
                                   accent=args.accent, seed_pose=seed_motion, progress=not args.quiet)
            dance = generate_dance(args.music, bundle, opts)
        dance.save(outputs.path("dance.npz"))
        if not args.no_video:
            from ..render.video import render_video

            render_video(dance, outputs.path("dance.mp4"), size=args.size, progress=not args.quiet, overwrite=True)
        outputs.commit()
    print(f"{out / 'dance.npz'}: {dance.n_frames} frames at {dance.fps:g} fps, genre {dance.genre}", file=sys.stderr)
    if not args.no_video:
        print(f"{out / 'dance.mp4'}: video with music", file=sys.stderr)
    return 0


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


def cmd_train3d(args) -> int:
    from ..errors import ConfigError
    from ..train.train3d import Train3DConfig, train

    cfg = Train3DConfig.from_json(args.config) if args.config else Train3DConfig()
    over = dict(data=args.data, out=args.out, max_epochs=args.epochs, max_minutes=args.max_minutes,
                batch_size=args.batch_size, lr=args.lr, seed=args.seed, feature_kind=args.feature_kind,
                attention=args.attention)
    for k, v in over.items():
        if v is not None:
            setattr(cfg, k, v)
    if args.no_hgr:
        cfg.hgr_losses = False
    if cfg.attention not in ("additive", "general", "none"):
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
    if kind == "seq2seq3d":
        return cmd_train3d(args)
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


def cmd_convert_model(args) -> int:
    from ..errors import ConfigError
    from ..fileio import OutputSet
    from .format import SUFFIX, convert_legacy, load_any

    out = Path(args.out)
    if out.suffix != SUFFIX:
        raise ConfigError(f"{out}: give the new model file the {SUFFIX} extension")
    if Path(args.model).exists() and out.resolve() == Path(args.model).resolve():
        raise ConfigError(f"{out}: the output must be another file than the input")
    with OutputSet.single(out, force=args.force) as outputs:
        staged = outputs.path()
        convert_legacy(args.model, staged)
        b = load_any(staged)  # the new file opens as a model, or nothing is written
        outputs.commit()
    print(f"{out}: {getattr(b, 'kind', type(b).__name__)} model converted from {args.model}", file=sys.stderr)
    return 0
