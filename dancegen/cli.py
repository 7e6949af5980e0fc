"""The ``dancegen`` command. Sub-commands live next to the code they drive: each module listed in
:data:`COMMAND_MODULES` has ``register(subparsers)`` that adds its parsers with ``func=`` set.
Modules must import heavy libraries (torch, librosa, cv2) inside their command functions so that
``dancegen --help`` stays fast.

Conventions every command follows (checked by tests/test_cli_conventions.py):

* outputs are given with ``-o/--out``; an existing output is replaced only with ``--force``; every
  output is checked (exists, symbolic link, folder writable or creatable) before any work starts,
  and a run writes its outputs together (:class:`dancegen.fileio.OutputSet`);
* ``-q/--quiet`` switches off progress bars (commands that show some); the one-line summary of what
  was written, warnings and errors stay;
* ``--debug`` (before the command) shows full tracebacks;
* numeric options are checked when the command line is parsed (:mod:`dancegen.cliargs`); every error
  is one line on stderr, ``dancegen COMMAND: error: ...``, exit status 2 (1 for an internal error);
  warnings are one line each, ``dancegen COMMAND: warning: ...``;
* no option defaults to a development folder: data and model folders are given on the command line
  (or, for ``report``, in the environment variables its ``--help`` names).
"""
from __future__ import annotations

import importlib
import logging
import os
import sys

from . import __version__
from .cliargs import OneLineParser
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


def build_parser() -> OneLineParser:
    p = OneLineParser(
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
    _add_debug_everywhere(sub)
    return p


def _add_debug_everywhere(sub) -> None:
    """``--debug`` is accepted after the command too (``dancegen generate ... --debug``)."""
    import argparse

    for parser in sub.choices.values():
        if not any("--debug" in a.option_strings for a in parser._actions):
            parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        for a in parser._actions:
            if isinstance(a, argparse._SubParsersAction):
                _add_debug_everywhere(a)


class _StderrHandler(logging.Handler):
    """dancegen's log warnings as one line each on the current ``sys.stderr``."""

    command = ""

    def emit(self, record):
        try:
            msg = " ".join(record.getMessage().split())
            kind = "error" if record.levelno >= logging.ERROR else "warning"
            sys.stderr.write(f"dancegen {self.command}: {kind}: {msg}\n".replace("dancegen : ", "dancegen: "))
        except Exception:  # pragma: no cover - never fail on a log line
            self.handleError(record)


def _setup_logging(command: str) -> None:
    log = logging.getLogger("dancegen")
    h = next((h for h in log.handlers if isinstance(h, _StderrHandler)), None)
    if h is None:
        h = _StderrHandler(level=logging.WARNING)
        log.addHandler(h)  # (records still propagate: an application's own logging sees them too)
    h.command = command or ""


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, a bad option (one line, see cliargs.OneLineParser)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    debug = args.debug or os.environ.get("DANCEGEN_DEBUG") == "1"
    command = " ".join(c for c in (args.command, getattr(args, "data_command", None)) if c)
    _setup_logging(command)
    from .fileio import install_signal_handlers, restore_signal_handlers

    old_handlers = install_signal_handlers()
    try:
        return _run(args, command, debug)
    finally:
        restore_signal_handlers(old_handlers)


def _run(args, command: str, debug: bool) -> int:
    from .fileio import Terminated

    try:
        rc = args.func(args)
        return int(rc or 0)
    except DanceGenError as e:
        if debug:
            raise
        msg = str(e).replace("\n", " ")
        print(f"dancegen {command}: error: {msg}", file=sys.stderr)
        return e.exit_code
    except Terminated as e:
        print(f"dancegen {command}: terminated (signal {e.signum}); temporary files removed", file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:
        print(f"dancegen {command}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"dancegen {command}: error: out of memory; try a shorter --duration", file=sys.stderr)
        return 3
    except Exception as e:  # last resort: never a traceback for the user
        if debug:
            raise
        print(f"dancegen {command}: internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
              f"(rerun with --debug for details and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
