"""CSV export: one row per frame, a header row, ``frame,time_s``, then ``<joint>_x,<joint>_y,
<joint>_z`` for each :mod:`dancegen.body3d` joint of ``joints3d`` (metres by default, y up, floor
at 0) and ``<joint>_u,<joint>_v`` for each OpenPose-18 keypoint (pixels of the canvas, x right,
y down). ``time_s`` is ``frame / fps`` (seconds from the first frame; add the dance's ``offset``
for the time in the music). Numbers carry 9 significant digits, so float32 values read back
exactly. A dance without ``joints3d`` gets the 2D columns only."""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..skeleton import OPENPOSE18_JOINTS
from .target import UNITS, check_file_target

DEFAULT_UNITS = "m"


def columns(dance) -> list[str]:
    """The header of :func:`write_csv` for ``dance``."""
    cols = ["frame", "time_s"]
    if dance.joints3d is not None:
        cols += [f"{n}_{a}" for n in dance.joint3d_names for a in "xyz"]
    cols += [f"{n}_{a}" for n in OPENPOSE18_JOINTS for a in "uv"]
    return cols


def write_csv(dance, path, units: str = DEFAULT_UNITS, overwrite: bool = False) -> dict:
    """Write ``dance`` as CSV at ``path`` (atomically; DataError if it exists and not ``overwrite``).
    ``units`` ("m" or "cm") applies to the 3D columns. Returns a summary dict."""
    from .. import body3d
    from ..fileio import atomic_write

    path = check_file_target(path, units, ".csv", overwrite)
    T = dance.n_frames
    parts = [np.arange(T, dtype=np.float64)[:, None], (np.arange(T) / dance.fps)[:, None]]
    if dance.joints3d is not None:
        j = np.asarray(dance.joints3d)
        if dance.joint3d_names is None or tuple(dance.joint3d_names) != body3d.JOINTS3D or j.shape[1:] != (body3d.J3, 3):
            raise DataError(f"dance {dance.name!r}: joints3d {j.shape} is not in the dancegen.body3d layout "
                            "(joint3d_names missing or different); convert it with body3d.from_dwm23 "
                            "(+ retarget) or drop joints3d to export the 2D keypoints only")
        if j.shape[0] != T:
            raise DataError(f"dance {dance.name!r}: joints3d has {j.shape[0]} frames but keypoints {T}; they must match")
        parts.append(j.reshape(T, -1).astype(np.float64) * UNITS[units])
    parts.append(dance.keypoints.reshape(T, -1).astype(np.float64))
    data = np.concatenate(parts, axis=1)
    cols = columns(dance)
    fmt = ["%d", "%.6f"] + ["%.9g"] * (len(cols) - 2)

    def write(tmp):
        with open(tmp, "w", encoding="ascii", newline="\n") as f:
            f.write(",".join(cols) + "\n")
            np.savetxt(f, data, fmt=fmt, delimiter=",")

    atomic_write(path, write)
    return dict(path=path, frames=T, fps=dance.fps, units=units if dance.joints3d is not None else None,
                columns=len(cols))
