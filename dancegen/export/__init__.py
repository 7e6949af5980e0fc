"""Exports of a dance to the formats other tools read.

* ``bvh`` (:mod:`.bvh`): the 3D motion (``joints3d`` in the :mod:`dancegen.body3d` layout) as a
  BVH skeleton with rotations, for Blender, MotionBuilder, Maya, Unity... (cm by default).
* ``openpose-json`` (:mod:`.openpose_json`): the 2D keypoints as an OpenPose output folder.
* ``csv`` (:mod:`.csv`): one row per frame with the 3D joints (metres) and the 2D keypoints.

Every export refuses to replace an existing output unless ``force`` and writes through a temporary
file or folder that is renamed into place, so an output is complete or absent.
``dancegen.export(dance_or_path, fmt, out, force=False)`` calls :func:`export` (this package is
callable). See docs/export.md.
"""
from __future__ import annotations

import os
import sys
import types
from pathlib import Path

from ..errors import ConfigError, DataError

FORMATS = ("bvh", "openpose-json", "csv")
SUFFIX_FORMAT = {".bvh": "bvh", ".csv": "csv"}


def guess_format(out) -> str | None:
    """The format an output name implies (``.bvh``, ``.csv``), else None."""
    return SUFFIX_FORMAT.get(Path(out).suffix.lower())


def export_info(dance_or_path, fmt: str, out, force: bool = False, units: str | None = None) -> dict:
    """:func:`export` returning the writer's summary dict (``path``, ``frames``, ... and for BVH
    ``max_error_m``, the largest distance between ``joints3d`` and the file's forward kinematics)."""
    from ..dance import Dance

    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    dance = dance_or_path if isinstance(dance_or_path, Dance) else Dance.load(dance_or_path)
    if not isinstance(out, (str, os.PathLike)) or str(out) == "":
        raise ConfigError("give an output path (-o OUT)")
    if units is not None and fmt == "openpose-json":
        raise ConfigError("units apply to bvh and csv; OpenPose JSON keypoints are in pixels")
    from ..fileio import OutputLock, check_output, clean_stale

    out = Path(out)
    # before any work: a symbolic link, a folder that cannot be written (an existing output without
    # force is refused by the writers, DataError); then the output is locked (a second export to it
    # fails at once) and what a killed export left next to it is removed
    target = Path(os.path.abspath(out))          # "." (the working folder) has a name to lock too
    check_output(target, force=True, folder=fmt == "openpose-json")
    target.parent.mkdir(parents=True, exist_ok=True)
    with OutputLock(target):
        clean_stale(target.parent)
        if fmt == "bvh":
            from .bvh import DEFAULT_UNITS, write_bvh

            return write_bvh(dance, out, units=units or DEFAULT_UNITS, overwrite=force)
        if fmt == "csv":
            from .csv import DEFAULT_UNITS, write_csv

            return write_csv(dance, out, units=units or DEFAULT_UNITS, overwrite=force)
        from .openpose_json import write_folder

        return write_folder(dance, out, overwrite=force)


def export(dance_or_path, fmt: str, out, force: bool = False, units: str | None = None) -> Path:
    """Export a :class:`~dancegen.dance.Dance` (or the path of a dance ``.npz``) to ``out``.

    Parameters
    ----------
    dance_or_path : a Dance, or the path of a dance ``.npz`` written by dancegen.
    fmt : "bvh" (a ``.bvh`` file; needs body3d ``joints3d``), "openpose-json" (a folder of
        per-frame JSON files) or "csv" (a ``.csv`` file).
    out : output file (bvh, csv) or folder (openpose-json).
    force : replace an existing output; otherwise :class:`~dancegen.errors.DataError`.
    units : "cm" or "m" for the 3D positions (default: cm for bvh, m for csv).

    Returns the path written.
    """
    return export_info(dance_or_path, fmt, out, force=force, units=units)["path"]


class _CallableModule(types.ModuleType):
    """``dancegen.export`` is both this package and the export function: the package attribute
    of ``dancegen`` is this module, so calling it calls :func:`export`."""

    def __call__(self, dance_or_path, fmt, out, force=False, units=None):
        return export(dance_or_path, fmt, out, force=force, units=units)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["FORMATS", "export", "export_info", "guess_format", "DataError"]
