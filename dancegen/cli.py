"""The ``dancegen`` command. Sub-commands live next to the code they drive: each module listed in
:data:`COMMAND_MODULES` has ``register(subparsers)`` that adds its parsers with ``func=`` set.
Modules must import heavy libraries (torch, librosa, cv2) inside their command functions so that
``dancegen --help`` stays fast."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import __version__
from .errors import DanceGenError

COMMAND_MODULES = (
    "dancegen.audio.commands",      # beats, features
    "dancegen.data.commands",       # data info
    "dancegen.render.commands",     # render
    "dancegen.model.commands",      # generate, convert-model
    "dancegen.train.commands",      # train
    "dancegen.pose.commands",       # extract
    "dancegen.feedback.commands",   # check, repair
    "dancegen.evaluate.commands",   # evaluate, report
    "dancegen.app.commands",        # serve
    "dancegen.export.commands",     # export
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dancegen",
        description="Turn music into a dance: generate, train, evaluate, extract poses, check, render, export.",
    )
    p.add_argument("--version", action="version", version=f"dancegen {__version__}")
    p.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # this command group is not built yet
                continue
            raise
        mod.register(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    debug = args.debug or os.environ.get("DANCEGEN_DEBUG") == "1"
    try:
        rc = args.func(args)
        return int(rc or 0)
    except DanceGenError as e:
        if debug:
            raise
        print(f"dancegen {args.command}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"dancegen {args.command}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"dancegen {args.command}: error: out of memory; try a shorter --duration", file=sys.stderr)
        return 3
    except Exception as e:  # last resort: never a traceback for the user
        if debug:
            raise
        print(f"dancegen {args.command}: internal error: {type(e).__name__}: {e} "
              f"(rerun with --debug for details and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
