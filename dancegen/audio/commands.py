"""``dancegen beats`` and ``dancegen features``. Heavy imports happen inside the commands."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import cliargs as A


def register(sub) -> None:
    p = sub.add_parser("beats", help="estimate the tempo and beat times of a music file",
                       description="Print the global tempo (BPM) and the beat times (seconds from "
                                   "--start) of a music file (wav, mp3, ogg, flac).")
    p.add_argument("music", help="music file")
    p.add_argument("--json", action="store_true", help='print {"tempo": BPM, "beats": [s, ...]}')
    p.add_argument("--start", type=A.seconds, default=0.0, help="seconds into the file (default 0)")
    p.add_argument("--duration", type=A.duration, default=None, help="seconds to analyse (default: all)")
    p.set_defaults(func=cmd_beats)

    p = sub.add_parser("features", help="compute the music features a model sees",
                       description="Compute multi-scale music features (log-mel, MFCC + deltas, "
                                   "onset, beat pulse/phase, chroma) at the dance frame rate and "
                                   "save them as .npz (values, names, fps, beats, tempo, start).")
    p.add_argument("music", help="music file")
    p.add_argument("--fps", type=A.fps, default=25.0, help="dance frames per second, 0.5 to 240 (default 25)")
    A.out_option(p, "output .npz file")
    p.add_argument("--kind", choices=("multi", "mfcc"), default="multi",
                   help="multi: all features (default); mfcc: MFCC + deltas only (ablation)")
    p.add_argument("--start", type=A.seconds, default=0.0, help="seconds into the file (default 0)")
    p.add_argument("--duration", type=A.duration, default=None, help="seconds to use (default: all)")
    p.add_argument("--no-denoise", action="store_true", help="skip the light noise reduction")
    p.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    p.set_defaults(func=cmd_features)


def cmd_beats(args) -> int:
    from .beats import beats_for_file

    res = beats_for_file(args.music, start=args.start, duration=args.duration)
    if args.json:
        print(json.dumps(res.to_dict()))
        return 0
    if res.tempo <= 0:
        print(f"{args.music}: no beat found (silence, too short or no regular onsets)")
        return 0
    print(f"tempo: {res.tempo:.2f} BPM")
    print(f"beats: {len(res.beats)}")
    for b in res.beats:
        print(f"{b:.3f}")
    return 0


def cmd_features(args) -> int:
    from ..errors import ConfigError
    from ..fileio import OutputSet
    from .features import FeatureConfig, music_features

    out = Path(args.output)
    if out.suffix.lower() != ".npz":
        raise ConfigError(f"{out}: the output file must end in .npz")
    if out.exists() and not out.is_symlink() and not out.is_dir() and not args.force:
        raise ConfigError(f"{out}: already exists; pass --force to overwrite it")
    outputs = OutputSet.single(out, force=args.force).check()  # before the (long) decoding
    cfg = FeatureConfig(fps=args.fps, kind=args.kind, denoise=not args.no_denoise)
    with outputs:
        fs = music_features(args.music, cfg, start=args.start, duration=args.duration)
        fs.save(outputs.path())
        outputs.commit()
    print(f"{out}: {fs.values.shape[0]} frames x {fs.values.shape[1]} features at {fs.fps:g} fps, "
          f"tempo {fs.tempo:.2f} BPM, {len(fs.beats)} beats", file=sys.stderr)
    return 0
