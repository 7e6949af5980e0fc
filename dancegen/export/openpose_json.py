"""OpenPose JSON export: a folder with one ``<name>_<frame:012d>_keypoints.json`` per frame in
OpenPose's own output layout (version 1.3, COCO-18 ``pose_keypoints_2d`` = x, y, confidence per
joint, the other OpenPose keys as empty lists), written by
:func:`dancegen.data.openpose.write_openpose_frames` and read back by
:func:`dancegen.data.openpose.load_openpose`. Confidence is ``Dance.confidence`` or 1; a joint with
confidence 0 is written ``0, 0, 0`` as OpenPose does."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import DataError


def write_folder(dance, folder, overwrite: bool = False) -> dict:
    """Write ``dance`` into ``folder`` (which must be new or empty, or with ``overwrite`` hold only
    OpenPose JSON frames; it is replaced as a whole). Returns a summary dict."""
    from ..data.openpose import write_openpose_frames

    T = dance.n_frames
    if T == 0:
        raise DataError(f"dance {dance.name!r}: no frames to export")
    if dance.confidence is not None:
        conf = np.asarray(dance.confidence, np.float32)
        if conf.shape != (T, 18):
            raise DataError(f"dance {dance.name!r}: confidence has shape {conf.shape}, expected ({T}, 18)")
    else:
        conf = np.ones((T, 18), np.float32)
    name = re.sub(r"[^\w.\-]+", "_", dance.name or "").strip("_") or "dance"
    paths = write_openpose_frames(dance.keypoints, conf, folder, name=name, overwrite=overwrite, exclusive=True)
    return dict(path=Path(folder), frames=T, fps=dance.fps, files=len(paths), name=name)
