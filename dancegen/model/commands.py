"""``dancegen generate`` and ``dancegen convert-model`` (``dancegen train``: :mod:`dancegen.train.commands`)."""
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
    g.add_argument("--genre", default="auto", help="genre style code (waltz, cha-cha, rumba, tango) or auto (by a music genre classifier, see docs/audio.md)")
    g.add_argument("--fps", type=A.frame_rate(1.0, 240.0), default=None,
                   help="output frame rate, 1 to 240 (default: the model's, 25)")
    g.add_argument("--model", default=None, help="model file from 'dancegen train' (default: the bundled model)")
    g.add_argument("--seed-motion", default=None, help="dance .npz whose poses seed the generation")
    g.add_argument("--no-feedback", action="store_true", help="switch off the HGR online correction (ablation)")
    g.add_argument("--no-beat-lock", action="store_true", help="switch off the bounded retiming onto the beats")
    g.add_argument("--accent", type=A.accent, default=None,
                   help="beat accent depth: relative speed dip on every beat, 0 (off) to below 1 (default 0.8 for "
                        "the 3D model, 0.5 for a 2D model)")
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

    c = sub.add_parser("convert-model", help="convert a legacy .pt model (or a last.ckpt) to .safetensors",
                       description="Rewrite an old torch-pickle model file (a model.pt from before the safetensors format) or a Seq2Seq "
                                   "training checkpoint (last.ckpt) in the safe model format (one .safetensors "
                                   "file). The old file is read weights-only: one holding Python objects is refused.")
    c.add_argument("model", help="legacy model file (.pt) or training checkpoint (.ckpt)")
    c.add_argument("-o", "--out", required=True, help="new model file (.safetensors)")
    c.add_argument("--force", action="store_true", help="overwrite an existing output file")
    c.set_defaults(func=cmd_convert_model)




def cmd_generate(args) -> int:
    from ..dance import Dance
    from ..errors import ConfigError
    from ..fileio import OutputSet
    from .generate import GenerateOptions, generate_dance

    out = Path(args.out)
    outputs = OutputSet([out / "dance.npz", out / "dance.mp4"], force=args.force, folder=out)
    outputs.check()  # before anything is read: exists without --force, a link, a folder that cannot be written
    from ..audio.io import audio_duration

    audio_duration(args.music, header=True)  # a missing or unreadable song fails here, before the model loads
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
                                      beat_lock=not args.no_beat_lock, accent=Generate3DOptions.accent if args.accent is None else args.accent, camera=cam,
                                      progress=not args.quiet)
            dance = generate_dance3d(args.music, bundle, opts3)
        else:
            seed_motion = Dance.load(args.seed_motion).keypoints if args.seed_motion else None
            opts = GenerateOptions(start=args.start, duration=args.duration, seed=args.seed, genre=args.genre,
                                   fps=args.fps, feedback=not args.no_feedback, beat_lock=not args.no_beat_lock,
                                   accent=0.5 if args.accent is None else args.accent, seed_pose=seed_motion, progress=not args.quiet)
            dance = generate_dance(args.music, bundle, opts)
        dance.save(outputs.path("dance.npz"))
        if not args.no_video:
            from ..render.video import render_video

            render_video(dance, outputs.path("dance.mp4"), size=args.size, progress=not args.quiet, overwrite=True)
        outputs.commit()
    ga = dance.meta.get("genre_auto") or {}
    how = (f" (auto: classifier, p={ga['probability']:.2f})" if ga.get("method") == "classifier"
           else " (auto: by tempo)" if ga else "")
    print(f"{out / 'dance.npz'}: {dance.n_frames} frames at {dance.fps:g} fps, genre {dance.genre}{how}", file=sys.stderr)
    if not args.no_video:
        print(f"{out / 'dance.mp4'}: video with music", file=sys.stderr)
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
