"""``dancegen evaluate`` and ``dancegen report``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPORT_DATA = "../shared/data/dance_with_melody"
REPORT_MUSIC = "../shared/music/sectoid/*/song.ogg"


def register(sub):
    e = sub.add_parser("evaluate", help="measure a model against real dances and on unseen songs",
                       description="Generate on the val split (and on extra songs) and report every metric of the "
                                   "paper for the model, the ground truth and the ground truth paired with the wrong "
                                   "songs: beat alignment, joint error, smoothness, FID, genre accuracy, ms/frame, "
                                   "SSIM/PSNR per genre and symmetry per stance.")
    e.add_argument("--model", default=None, help="model file (default: the bundled model)")
    e.add_argument("--data", default=None, help="Dance with Melody folder (or a folder of dance .npz files with a "
                   "val.txt)")
    e.add_argument("--split", default="val", help="split to evaluate on (val, val-clean, train)")
    e.add_argument("--music", nargs="*", default=[], help="extra songs to dance whole (unseen music)")
    e.add_argument("--no-feedback", action="store_true", help="generate without the HGR online correction")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--json", action="store_true", help="print JSON instead of a table")
    e.add_argument("-o", "--out", default=None, help="also write the JSON result to this file")
    e.set_defaults(func=cmd_evaluate)

    r = sub.add_parser("report", help="the paper's experiments: tables, figures, markdown (DIR/report.md)",
                       description="Evaluate the six saved models (full, three ablations, two comparison models) on "
                                   "the Dance with Melody val split and on unseen songs; write DIR/report.md, "
                                   "DIR/report.json and PNG figures. Missing models are reported as missing.")
    r.add_argument("-o", "--out", required=True, help="output folder")
    r.add_argument("--models-dir", default="runs", help="folder with <run>/model.safetensors for default (the full model), "
                   "no_multiscale, no_attention, no_hgr, gan_stgcn, vqvae_transformer (default: runs)")
    r.add_argument("--data", default=REPORT_DATA, help=f"Dance with Melody folder (default: {REPORT_DATA})")
    r.add_argument("--music", nargs="*", default=None,
                   help=f"unseen songs (default: {REPORT_MUSIC}); --music with no file skips them")
    r.add_argument("--quick", action="store_true", help="short excerpts (seconds, for tests); numbers not comparable")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--force", action="store_true", help="overwrite an existing report in the folder")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_report)


def cmd_evaluate(args) -> int:
    from ..errors import ConfigError
    from ..evaluate.quality import evaluate, format_table

    if not args.data and not args.music:
        raise ConfigError("nothing to evaluate: pass --data DIR (Dance with Melody) and/or --music FILES")
    from ..evaluate.experiments.writer import to_json

    res = evaluate(args.model, args.data, args.split, args.music, feedback=not args.no_feedback, seed=args.seed)
    text = json.dumps(to_json(res), indent=2, allow_nan=False)   # nan / inf (PSNR of identical frames): null
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    print(text if args.json else format_table(res), file=sys.stdout)
    return 0


def cmd_report(args) -> int:
    import glob
    import shlex

    from ..errors import ConfigError
    from ..evaluate.report import ReportSettings, build_report

    if args.music is None:
        music = sorted(glob.glob(REPORT_MUSIC))
        if not music:
            raise ConfigError(f"no unseen songs at {REPORT_MUSIC}; pass --music FILES (or --music alone to skip them)")
    else:
        music = list(args.music)
    parts = ["dancegen", "report", "-o", args.out, "--models-dir", args.models_dir, "--data", args.data]
    parts += ["--music", *music] if args.music is not None else []
    parts += (["--quick"] if args.quick else []) + (["--seed", str(args.seed)] if args.seed else [])
    command = " ".join(shlex.quote(p) for p in parts)
    if args.music is None:
        command += f"  (default --music {REPORT_MUSIC})"
    settings = ReportSettings.quick_settings(args.seed) if args.quick else ReportSettings(seed=args.seed)
    res = build_report(args.out, args.models_dir, args.data, music, settings, progress=not args.quiet,
                       force=args.force, command=command)
    missing = [n for n, s in res["models"].items() if not s["status"].startswith("ok")]
    print(f"{Path(args.out) / 'report.md'}: written in {res['seconds']:.0f} s"
          + (f"; missing or not available: {', '.join(missing)}" if missing else ""), file=sys.stderr)
    return 0
