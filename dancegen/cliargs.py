"""Option types for the ``dancegen`` command line: every numeric option is checked when the command
line is parsed, before any file is read or any work starts, and a bad value is one line on stderr::

    dancegen train: error: argument --epochs: -1: must be a whole number >= 1

Each function here is an ``argparse`` ``type=``: it takes the option's text and returns the value
or raises :class:`argparse.ArgumentTypeError` with a message that says what is accepted.
:class:`OneLineParser` is the parser class of ``dancegen`` and all its sub-commands: it prints
errors in one line (no usage block) and exits with status 2."""
from __future__ import annotations

import argparse
import math
import os
import re

__all__ = [
    "OneLineParser", "number", "integer", "positive_float", "non_negative_float", "seconds", "duration",
    "fps", "frame_rate", "size", "devices", "epochs", "minutes", "lr", "seed", "temperature", "elevation",
    "angle", "accent", "positive_int", "port", "SEED_MAX", "FPS_RANGE", "SIZE_RANGE", "hidden", "out_option",
    "check_devices", "cpu_count",
]

#: largest accepted ``--seed`` (numpy's and torch's seeds are 32-bit unsigned)
SEED_MAX = 2 ** 32 - 1
#: accepted frame rates (frames per second)
FPS_RANGE = (0.5, 240.0)
#: accepted video width and height, pixels (even numbers only: H.264 yuv420p)
SIZE_RANGE = (16, 7680)


class OneLineParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose errors are one line: ``PROG: error: MESSAGE`` (and
    a pointer to ``--help``), exit status 2. Sub-parsers made with ``add_subparsers`` inherit it."""

    def parse_known_args(self, args=None, namespace=None):
        ns, rest = super().parse_known_args(args, namespace)
        for dest, shown in getattr(self, "_required_outputs", ()):
            if getattr(ns, dest, None) is None:
                self.error(f"the following arguments are required: {shown}")
        return ns, rest

    def error(self, message: str):  # noqa: D401 - argparse API
        message = " ".join(str(message).split())
        # "argument -o/--out: X: why" -> "--out X: why" (the value right after the option, as typed)
        m = re.match(r"^argument (\S+): (.*)$", message)
        if m:
            opt = m.group(1).split("/")[-1]
            message = f"{opt} {m.group(2)}" if _TYPE_ERROR.match(m.group(2)) else f"{opt}: {m.group(2)}"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def out_option(parser, help: str, *, dest: str = "output", required: bool = True, old: tuple = ("--output",),
               metavar: str | None = None) -> None:
    """Add the output option of a command: ``-o/--out`` (and, hidden from ``--help``, the old
    spellings ``old``, e.g. ``--output``, for existing scripts), stored in ``dest``. With
    ``required``, one of them must be given (checked by :class:`OneLineParser`)."""
    kw = {"metavar": metavar or "OUT"}
    parser.add_argument("-o", "--out", dest=dest, default=None, help=help, **kw)
    for o in old:
        parser.add_argument(o, dest=dest, default=None, help=argparse.SUPPRESS)
    if required:
        req = list(getattr(parser, "_required_outputs", ()))
        req.append((dest, "-o/--out"))
        parser._required_outputs = req


#: "VALUE: why" messages of the type functions below (argparse's own messages are left as they are)
_TYPE_ERROR = re.compile(r"^\S+: (?:not |must |out of range|use |width )")


def hidden() -> str:
    """``help=`` of an option kept for old command lines but not shown in ``--help``."""
    return argparse.SUPPRESS


# ------------------------------------------------------------------------------------------ builders
def _fail(text, why: str):
    raise argparse.ArgumentTypeError(f"{text}: {why}")


def number(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           hi_open: bool = False, what: str = "a number"):
    """A ``type=`` for a finite float within ``[lo, hi]`` (``lo_open``/``hi_open``: the bound itself
    is excluded)."""
    def rng() -> str:
        if lo is not None and hi is not None:
            return (f"from {lo:g}{' (excluded)' if lo_open else ''} to {hi:g}"
                    f"{' (excluded)' if hi_open else ''}")
        if lo is not None:
            return f"{'above' if lo_open else 'at least'} {lo:g}"
        if hi is not None:
            return f"{'below' if hi_open else 'at most'} {hi:g}"
        return "finite"

    def conv(text: str) -> float:
        try:
            v = float(text)
        except (TypeError, ValueError):
            _fail(text, f"not a number; give {what} {rng()}")
        if not math.isfinite(v):
            _fail(text, f"must be a finite number; give {what} {rng()}")
        if lo is not None and (v < lo or (lo_open and v == lo)):
            _fail(text, f"out of range; give {what} {rng()}")
        if hi is not None and (v > hi or (hi_open and v == hi)):
            _fail(text, f"out of range; give {what} {rng()}")
        return v

    conv.__name__ = what.replace(" ", "_")
    return conv


def integer(lo: int | None = None, hi: int | None = None, what: str = "a whole number"):
    """A ``type=`` for an int within ``[lo, hi]`` (``1e3`` and ``7.0`` are accepted, ``7.5`` is not)."""
    def rng() -> str:
        if lo is not None and hi is not None:
            return f"from {lo} to {hi}"
        return f">= {lo}" if lo is not None else (f"<= {hi}" if hi is not None else "")

    def conv(text: str) -> int:
        s = str(text).strip()
        try:
            v = int(s)
        except ValueError:
            try:
                f = float(s)
            except ValueError:
                f = float("nan")
            if not (math.isfinite(f) and f == int(f)):
                _fail(text, f"must be {what} {rng()}".rstrip())
            v = int(f)
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            _fail(text, f"out of range; give {what} {rng()}")
        return v

    conv.__name__ = what.replace(" ", "_")
    return conv


def frame_rate(lo: float = FPS_RANGE[0], hi: float = FPS_RANGE[1]):
    """A ``type=`` for a frame rate within ``[lo, hi]`` frames per second."""
    return number(lo, hi, what="a frame rate (frames per second)")


# ------------------------------------------------------------------------------------------ types
#: a positive finite number
positive_float = number(0.0, None, lo_open=True, what="a positive number")
#: a finite number >= 0
non_negative_float = number(0.0, None, what="a number")
#: seconds >= 0 (e.g. ``--start``, ``--offset`` into a song)
seconds = number(0.0, None, what="a number of seconds")
#: seconds > 0 (e.g. ``--duration``)
duration = number(0.0, None, lo_open=True, what="a number of seconds")
#: frames per second, 0.5 to 240
fps = frame_rate()
#: a whole number >= 1 (batch size, frame counts)
positive_int = integer(1, None)
#: ``--epochs``: at least one
epochs = integer(1, None, "a number of epochs")
#: ``--max-minutes``: a positive number of minutes
minutes = number(0.0, None, lo_open=True, what="a number of minutes")
#: ``--lr``: a finite learning rate > 0 (at most 10)
lr = number(0.0, 10.0, lo_open=True, what="a learning rate")
#: ``--seed``: 0 to 2**32 - 1
seed = integer(0, SEED_MAX, "a seed")
#: ``--temperature`` of the 3D sampler: 0 (most likely) to 3
temperature = number(0.0, 3.0, what="a temperature")
#: camera ``--elevation``, degrees: -60 (from below) to 80 (from above)
elevation = number(-60.0, 80.0, what="an elevation in degrees")
#: camera ``--yaw``, degrees: -360 to 360
angle = number(-360.0, 360.0, what="an angle in degrees")
#: beat ``--accent`` depth: 0 (off) to below 1
accent = number(0.0, 1.0, hi_open=True, what="an accent depth")
#: a TCP port
port = integer(1, 65535, "a port")


def size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` -> ``(w, h)``: whole even numbers from 16 to 7680 (H.264 yuv420p)."""
    lo, hi = SIZE_RANGE
    s = str(text).strip().lower().replace("*", "x").replace("\u00d7", "x")
    parts = s.split("x")
    try:
        if len(parts) != 2:
            raise ValueError
        w, h = int(parts[0]), int(parts[1])
    except ValueError:
        _fail(text, "use WIDTHxHEIGHT in pixels, e.g. 960x540")
    if not (lo <= w <= hi and lo <= h <= hi):
        _fail(text, f"out of range; width and height from {lo} to {hi} pixels, e.g. 960x540")
    if w % 2 or h % 2:
        _fail(text, f"width and height must be even (H.264), e.g. {w + w % 2}x{h + h % 2}")
    return w, h


def cpu_count() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def devices(text: str) -> str:
    """``--devices``: ``auto`` or a number of processes, 1 to the CPU cores of this machine. A
    number above that is accepted only with ``--accelerator`` gpu/cuda/auto (checked by
    :func:`check_devices` once all options are parsed); a list such as ``0,1`` names accelerators."""
    s = str(text).strip().lower()
    if s == "auto":
        return s
    if "," in s:
        try:
            ids = [int(p) for p in s.split(",") if p.strip() != ""]
        except ValueError:
            ids = []
        if not ids or min(ids) < 0:
            _fail(text, "use auto, a number of devices (e.g. 2) or accelerator indices (e.g. 0,1)")
        return ",".join(str(i) for i in ids)
    try:
        n = int(s)
    except ValueError:
        _fail(text, "use auto or a number of devices, e.g. 1")
    if n < 1:
        _fail(text, "use auto or at least 1 device")
    return str(n)


def check_devices(value, accelerator) -> None:
    """After parsing: on the CPU (``accelerator`` None or ``cpu``) at most one process per core.
    Raises :class:`~dancegen.errors.ConfigError`."""
    from .errors import ConfigError

    if value is None or str(value) == "auto" or "," in str(value):
        if value is not None and "," in str(value) and str(accelerator or "cpu") == "cpu":
            raise ConfigError(f"--devices {value}: indices name accelerators; pass --accelerator gpu "
                              f"or a number of CPU processes")
        return
    try:
        n = int(str(value))
    except ValueError:
        raise ConfigError(f"devices {value!r}: use auto or a number of devices, e.g. 1") from None
    if n < 1:
        raise ConfigError(f"devices {n}: use auto or at least 1 device")
    cores = cpu_count()
    if str(accelerator or "cpu").lower() == "cpu" and n > cores:
        raise ConfigError(f"--devices {n}: this machine has {cores} CPU core(s); use 1 to {cores} "
                          f"(or --accelerator gpu)")

