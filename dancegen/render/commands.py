"""``dancegen render``: a dance ``.npz`` to an mp4 with its music, a contact-sheet PNG, or a
self-contained HTML player page."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError

EPILOG = """examples:
  dancegen render dance.npz -o dance.mp4                  # music and offset from the npz
  dancegen render dance.npz --music song.ogg --offset 12.5 -o dance.mp4 --size 1280x720
  dancegen render dance.npz --sheet dance.png             # 8 frames in a 4x2 grid
  dancegen render dance.npz --html dance.html             # one-file player: music, 2D and 3D views
"""


def register(subparsers) -> None:
    from .. import cliargs as A

    p = subparsers.add_parser(
        "render", help="render a dance to an mp4 with its music, a contact sheet PNG, or an HTML player",
        description="Draw a dance (.npz written by dancegen) as an OpenPose skeleton video: H.264 "
                    "yuv420p mp4 with the music as AAC, cut to the dance's span of the song "
                    "(left limbs blue, right limbs orange). Or draw a contact sheet of N frames. Or write one "
                    "self-contained HTML page that plays the dance with its music (2D skeleton, and "
                    "a 3D view for a dance with a 3D body), with no network needed to view it.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dance", metavar="DANCE.npz", help="dance file (keypoints, fps, music, offset)")
    A.out_option(p, "video to write", required=False, metavar="OUT.mp4")
    p.add_argument("--sheet", metavar="OUT.png", help="write a contact sheet PNG (instead of, or as well as, -o)")
    p.add_argument("--html", metavar="OUT.html",
                   help="write a self-contained HTML player (music, dance and three.js inlined)")
    p.add_argument("--audio-format", choices=("m4a", "mp3", "ogg"), default="m4a",
                   help="how the music is embedded in the HTML page (default m4a: AAC)")
    p.add_argument("--music", metavar="MUSIC", help="audio file (default: the npz's music path)")
    p.add_argument("--offset", type=A.number(what="a number of seconds"), metavar="S",
                   help="seconds into the music of frame 0 (default: the npz's offset)")
    p.add_argument("--no-audio", action="store_true", help="write a silent video")
    p.add_argument("--size", type=A.size, default=None, metavar="WxH",
                   help="video frame size, even numbers from 16 to 7680 (default 960x540; sheet tiles 480x270)")
    p.add_argument("--frames", type=A.integer(1, 1000), default=8, metavar="N",
                   help="frames on the contact sheet, 1 to 1000 (default 8)")
    p.add_argument("--preset", default=None, help="x264 preset (default veryfast)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _music_for(dance, npz: Path, music_arg: str | None) -> str | None:
    """The npz's music path, if relative and missing from the working folder, is tried next to
    the npz."""
    if music_arg is not None:
        return music_arg
    m = dance.music
    if m and not Path(m).is_absolute() and not Path(m).exists() and (npz.parent / m).exists():
        return str(npz.parent / m)
    return m


def run(args) -> int:
    from ..dance import Dance
    from ..fileio import OutputSet
    from .html import HTML_SUFFIXES
    from .video import DEFAULT_PRESET, DEFAULT_SIZE, SHEET_SIZE, VIDEO_SUFFIXES, render_video, save_contact_sheet

    if not args.output and not args.sheet and not args.html:
        raise ConfigError("nothing to do: give -o OUT.mp4, --sheet OUT.png and/or --html OUT.html")
    size = args.size
    wanted = [(p, sfx) for p, sfx in ((args.output, VIDEO_SUFFIXES), (args.sheet, (".png",)),
                                      (args.html, HTML_SUFFIXES)) if p]
    outputs = OutputSet([p for p, _ in wanted], force=args.force,
                        suffixes={Path(p).name: sfx for p, sfx in wanted})
    outputs.check()  # before the dance is read: exists without --force, a link, a folder that cannot be written
    npz = Path(args.dance)
    dance = Dance.load(npz)
    done = []
    with outputs:
        if args.output:
            music = None if args.no_audio else _music_for(dance, npz, args.music)
            render_video(dance, outputs.path(args.output), music=music, offset=args.offset,
                         size=size or DEFAULT_SIZE, progress=not args.quiet, overwrite=True,
                         silent=args.no_audio or not music, preset=args.preset or DEFAULT_PRESET)
            if music:
                off = dance.offset if args.offset is None else args.offset
                audio = f"audio {Path(music).name} from {off:.2f} s"
            else:
                audio = "no music: the video is silent"
            w, h = size or DEFAULT_SIZE
            done.append(f"wrote {args.output} ({dance.n_frames} frames, {dance.fps:g} fps, {dance.duration:.2f} s, "
                        f"{w}x{h}; {audio})")
        if args.sheet:
            save_contact_sheet(dance, outputs.path(args.sheet), n=args.frames, size=size or SHEET_SIZE,
                               overwrite=True)
            done.append(f"wrote {args.sheet} ({min(args.frames, dance.n_frames)} frames)")
        if args.html:
            from .html import page_sizes, write_player

            stats = {}
            music = None if args.no_audio else _music_for(dance, npz, args.music)
            write_player(dance, outputs.path(args.html), music=music, offset=args.offset, overwrite=True,
                         audio=not args.no_audio and bool(music), audio_format=args.audio_format,
                         title=dance.name or npz.stem, stats=stats)
            views = "2D and 3D views" if dance.bones3d is not None and dance.joints3d is not None else "2D view"
            done.append(f"wrote {args.html}: {page_sizes(stats)}; {dance.n_frames} frames, {views}")
        outputs.commit()
    for line in done:
        print(line, file=sys.stderr)
    return 0
