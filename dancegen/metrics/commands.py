"""``dancegen evaluate``."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def register(sub):
    e = sub.add_parser("evaluate", help="measure a model against real dances and on unseen songs",
                       description="Generate on the val split (and on extra songs) and report every metric for "
                                   "the model, the ground truth and the ground truth paired with the wrong songs.")
    e.add_argument("--model", default=None, help="model file (default: the bundled model)")
    e.add_argument("--data", default=None, help="Dance with Melody folder")
    e.add_argument("--split", default="val", help="split to evaluate on (val, val-clean, train)")
    e.add_argument("--music", nargs="*", default=[], help="extra songs to dance whole (unseen music)")
    e.add_argument("--no-feedback", action="store_true", help="generate without the HGR online correction")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--json", action="store_true", help="print JSON instead of a table")
    e.add_argument("-o", "--out", default=None, help="also write the JSON result to this file")
    e.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args) -> int:
    from ..errors import ConfigError
    from ..evaluate.quality import evaluate, format_table

    if not args.data and not args.music:
        raise ConfigError("nothing to evaluate: pass --data DIR (Dance with Melody) and/or --music FILES")
    res = evaluate(args.model, args.data, args.split, args.music, feedback=not args.no_feedback, seed=args.seed)
    text = json.dumps(res, indent=2, default=float)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    print(text if args.json else format_table(res), file=sys.stdout)
    return 0
