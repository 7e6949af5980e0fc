"""``dancegen evaluate`` and ``dancegen report``."""
from __future__ import annotations

import os
import sys
from pathlib import Path

#: environment variables with the report's inputs when the options are not given
DATA_ENV = "DANCEGEN_DATA"                  # Dance with Melody folder
MODELS_DIR_ENV = "DANCEGEN_MODELS_DIR"      # folder of training runs (<run>/model.safetensors)
REPORT_MUSIC_ENV = "DANCEGEN_REPORT_MUSIC"  # unseen songs: a glob pattern, e.g. '/data/songs/*/song.ogg'


def register(sub):
    from .. import cliargs as A

    e = sub.add_parser("evaluate", help="measure a model against real dances and on unseen songs",
                       description="Generate on the val split (and on extra songs) and report every metric for "
                                   "the model, the ground truth and the ground truth paired with the wrong songs.")
    e.add_argument("--model", default=None, help="model file (default: the bundled model)")
    e.add_argument("--data", default=None, help="Dance with Melody folder")
    e.add_argument("--split", default="val", help="split to evaluate on (val, val-clean, train)")
    e.add_argument("--music", nargs="*", default=[], help="extra songs to dance whole (unseen music)")
    e.add_argument("--no-feedback", action="store_true", help="generate without the HGR online correction")
    e.add_argument("--seed", type=A.seed, default=0, help=f"random seed, 0 to {A.SEED_MAX}")
    e.add_argument("--json", action="store_true", help="print JSON instead of a table")
    e.add_argument("-o", "--out", default=None, help="also write the JSON result to this file")
    e.add_argument("--force", action="store_true", help="replace the -o file if it exists")
    e.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    e.set_defaults(func=cmd_evaluate)

    r = sub.add_parser("report", help="the paper's experiments: tables, figures, markdown (DIR/report.md)",
                       description="Evaluate a set of saved models on the Dance with Melody val split and on unseen "
                                   "songs; write DIR/report.md, DIR/report.json and PNG figures. --set 2d (the "
                                   "default): the six 2D models (full, three ablations, two comparison models); "
                                   "--set 3d: the 3D generator (the bundled full model, the full model and three "
                                   "ablations at 1,500 steps, two 3D comparison models; scripts/train_all3d.sh), "
                                   "with the realism and beat figures. Missing models are reported as missing. "
                                   f"--data, --models-dir and --music may instead be given in the environment "
                                   f"variables {DATA_ENV}, {MODELS_DIR_ENV} and {REPORT_MUSIC_ENV} (a glob).")
    r.add_argument("-o", "--out", required=True, help="output folder")
    r.add_argument("--set", dest="model_set", choices=("2d", "3d"), default="2d",
                   help="model set: 2d (default) or 3d (the 3D generator)")
    r.add_argument("--models-dir", default=None,
                   help="folder of the training runs: <run>/model.safetensors for default (the full model), "
                        "no_multiscale, no_attention, no_hgr, gan_stgcn, vqvae_transformer (2d); full3d_1500, "
                        "no_multiscale3d, no_attention3d, no_hgr3d, gan_stgcn3d, vqvae_transformer3d (3d) "
                        f"(default: ${MODELS_DIR_ENV})")
    r.add_argument("--model", action="append", default=[], metavar="NAME=FILE",
                   help="use FILE for the model NAME of the set (e.g. full=my.safetensors); repeatable")
    r.add_argument("--data", default=None, help=f"Dance with Melody folder (default: ${DATA_ENV})")
    r.add_argument("--music", nargs="*", default=None,
                   help=f"unseen songs (default: the files matching ${REPORT_MUSIC_ENV}); --music with no file "
                        f"skips them")
    r.add_argument("--quick", action="store_true", help="short excerpts (seconds, for tests); numbers not comparable")
    r.add_argument("--seed", type=A.seed, default=0, help=f"random seed, 0 to {A.SEED_MAX}")
    r.add_argument("--force", action="store_true", help="overwrite an existing report in the folder")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_report)


def cmd_evaluate(args) -> int:
    from ..errors import ConfigError, DataError
    from .quality import evaluate, format_table
    from ..fileio import OutputSet, json_text

    if not args.data and not args.music:
        raise ConfigError("nothing to evaluate: pass --data DIR (Dance with Melody) and/or --music FILES")
    outputs = None
    if args.out:
        outputs = OutputSet.single(args.out, force=args.force).check()  # before the work
    if args.data and not Path(args.data).is_dir():
        raise DataError(f"{args.data}: data folder not found; pass --data pointing at a Dance with Melody folder")
    for m in args.music:
        if not Path(m).is_file():
            raise ConfigError(f"{m}: music file not found; pass existing files to --music")

    def run():
        return evaluate(args.model, args.data, args.split, args.music, feedback=not args.no_feedback,
                        seed=args.seed, progress=not args.quiet)

    if outputs is not None:
        with outputs:
            res = run()
            text = json_text(res, indent=2)
            Path(outputs.path()).write_text(text + "\n")
            outputs.commit()
    else:
        res = run()
        text = json_text(res, indent=2)
    print(text if args.json else format_table(res), file=sys.stdout)
    return 0


def _from_env(value, env: str, option: str, what: str) -> str:
    from ..errors import ConfigError

    if value:
        return value
    v = os.environ.get(env, "").strip()
    if not v:
        raise ConfigError(f"no {what}: pass {option} or set the environment variable {env}")
    return v


def cmd_report(args) -> int:
    import glob
    import shlex

    from ..errors import ConfigError, DataError
    from .report import SETS, ReportSettings, build_report, report_outputs

    report_outputs(args.out, args.force).check()  # before anything is read
    data = _from_env(args.data, DATA_ENV, "--data", "data folder (Dance with Melody)")
    if not Path(data).is_dir():
        raise DataError(f"{data}: data folder not found; pass --data pointing at a Dance with Melody folder")
    ms = SETS[args.model_set]
    models_dir = _from_env(args.models_dir, MODELS_DIR_ENV, "--models-dir", "models folder (the training runs)")
    paths = {}
    for item in args.model:
        name, sep, file = item.partition("=")
        if not sep or not name or not file:
            raise ConfigError(f"--model {item}: write NAME=FILE, e.g. --model full=my.safetensors")
        paths[name.strip()] = file
    pattern = None
    if args.music is None:
        pattern = _from_env(None, REPORT_MUSIC_ENV, "--music FILES (or --music alone to skip them)",
                            "unseen songs")
        music = sorted(glob.glob(os.path.expanduser(pattern)))
        if not music:
            raise ConfigError(f"no unseen songs match {REPORT_MUSIC_ENV}={pattern}; pass --music FILES (or --music "
                              f"alone to skip them)")
    else:
        music = list(args.music)
    parts = ["dancegen", "report", "-o", args.out] + (["--set", ms.name] if ms.name != "2d" else [])
    parts += ["--models-dir", models_dir] + [x for n, f in paths.items() for x in ("--model", f"{n}={f}")]
    parts += ["--data", data]
    parts += ["--music", *music] if args.music is not None else []
    parts += (["--quick"] if args.quick else []) + (["--seed", str(args.seed)] if args.seed else [])
    command = " ".join(shlex.quote(p) for p in parts)
    if pattern is not None:
        command += f"  ({REPORT_MUSIC_ENV}={pattern})"
    settings = ReportSettings.for_set(ms.name, quick=args.quick, seed=args.seed)
    res = build_report(args.out, models_dir, data, music, settings, progress=not args.quiet,
                       force=args.force, command=command, model_set=ms, paths=paths)
    missing = [n for n, s in res["models"].items() if not s["status"].startswith("ok")
               and not (s["optional"] and s["status"] == "missing")]
    print(f"{Path(args.out) / 'report.md'}: written in {res['seconds']:.0f} s"
          + (f"; missing or not available: {', '.join(missing)}" if missing else ""), file=sys.stderr)
    return 0
