"""What the file exports (BVH, CSV) check before writing: the length unit and the output file."""
from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError, DataError

#: length units of the 3D exports: metres per unit factor
UNITS = {"m": 1.0, "cm": 100.0}


def check_file_target(path, units: str, ext: str, overwrite: bool) -> Path:
    """``path`` as a Path once ``units`` is one of :data:`UNITS` (ConfigError) and the file may be
    written (DataError: a folder, or an existing file without ``overwrite``)."""
    if units not in UNITS:
        raise ConfigError(f"units must be one of {sorted(UNITS)}, got {units!r}")
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give a {ext} file name")
    if path.exists() and not overwrite:
        raise DataError(f"{path}: exists; pass --force (force=True) to replace it")
    return path
