"""Folders of OpenPose JSON (one file per frame) <-> :class:`~dancegen.dance.Dance`.

Each file: ``{"version": ..., "people": [{"pose_keypoints_2d": [x, y, c] * 18 (COCO) or * 25
(BODY_25), ...}]}``. Files are ordered by the frame number in their name
(``<name>_000000000012_keypoints.json``), else by name.

Missing data: when a frame has no person, or a joint has confidence 0 (OpenPose writes 0, 0, 0),
the joint's position is linearly interpolated in time from the frames where it was seen and its
confidence stays 0; a joint never seen sits on the neck (or the canvas centre) with confidence 0.
When a frame has several people, the most confident one (sum of confidences) is taken.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..errors import DataError

# BODY_25 index for each OpenPose-18 (COCO) joint
_FROM_BODY25 = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)


def _frame_number(p: Path):
    nums = re.findall(r"\d+", p.stem)
    return (int(nums[-1]) if nums else -1, p.name)


def list_frames(folder) -> list[Path]:
    """The JSON files of an OpenPose output folder, in frame order; DataError when there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder of OpenPose JSON files")
    files = sorted(folder.glob("*.json"), key=_frame_number)
    if not files:
        raise DataError(f"{folder}: no *.json files; expected one OpenPose JSON per frame")
    return files


def read_frame(path) -> np.ndarray:
    """People of one OpenPose JSON file: ``(P, 18, 3)`` (x, y, confidence), ``P`` may be 0."""
    path = Path(path)
    try:
        d = json.loads(path.read_text())
        people = d["people"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"{path}: not an OpenPose JSON file ({type(e).__name__}: {e})") from None
    out = []
    for person in people:
        flat = np.asarray(person.get("pose_keypoints_2d", []), dtype=np.float64)
        if flat.size == 54:
            k = flat.reshape(18, 3)
        elif flat.size == 75:
            k = flat.reshape(25, 3)[list(_FROM_BODY25)]
        elif flat.size == 0:
            continue
        else:
            raise DataError(f"{path}: pose_keypoints_2d has {flat.size} values; expected 54 (COCO-18) "
                            "or 75 (BODY_25)")
        out.append(k)
    return np.stack(out) if out else np.zeros((0, 18, 3))


def load_openpose(folder, music=None, fps: float = 25.0, offset: float = 0.0, genre=None,
                  canvas=(1920, 1080), name=None):
    """A folder of OpenPose JSON files (+ optional music file) -> Dance with ``confidence``.

    ``fps`` is the frame rate the frames were extracted at; ``offset`` the music time of frame 0.
    """
    from ..dance import Dance

    files = list_frames(folder)
    if music is not None and not Path(music).is_file():
        raise DataError(f"{music}: music file not found")
    T = len(files)
    xy = np.full((T, 18, 2), np.nan)
    conf = np.zeros((T, 18))
    for t, f in enumerate(files):
        people = read_frame(f)
        if people.shape[0] == 0:
            continue
        best = people[int(np.argmax(people[..., 2].sum(axis=1)))]
        seen = best[:, 2] > 0
        xy[t, seen] = best[seen, :2]
        conf[t, seen] = best[seen, 2]
    if not np.isfinite(xy).any():
        raise DataError(f"{folder}: no person detected in any of the {T} frames")
    xy = _interpolate_missing(xy, canvas)
    return Dance(keypoints=xy.astype(np.float32), fps=fps, canvas=canvas,
                 music=str(music) if music is not None else None, offset=offset, genre=genre,
                 confidence=conf.astype(np.float32), name=name or Path(folder).name,
                 meta={"source": "openpose", "missing_frames": int((conf.sum(axis=1) == 0).sum())})


def _interpolate_missing(xy: np.ndarray, canvas) -> np.ndarray:
    T = xy.shape[0]
    t = np.arange(T)
    out = xy.copy()
    for j in range(18):
        ok = np.isfinite(xy[:, j, 0])
        if ok.all():
            continue
        if ok.any():
            for d in range(2):
                out[:, j, d] = np.interp(t, t[ok], xy[ok, j, d])
    never = ~np.isfinite(out[:, :, 0])
    if never.any():
        neck = out[:, 1] if np.isfinite(out[:, 1]).all() else np.tile([canvas[0] / 2, canvas[1] / 2], (T, 1))
        out[never] = np.repeat(neck[:, None], 18, axis=1)[never]
    return out


def write_openpose_json(dance, folder, overwrite: bool = False) -> list[Path]:
    """Write one OpenPose JSON (COCO-18, version 1.3) per frame of ``dance`` into ``folder`` as
    ``<name>_<frame:012d>_keypoints.json``; confidence from ``dance.confidence`` or 1. Refuses to
    overwrite existing files unless ``overwrite``. Returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", dance.name or "dance")
    paths = [folder / f"{stem}_{t:012d}_keypoints.json" for t in range(dance.n_frames)]
    if not overwrite:
        exist = [p for p in paths if p.exists()]
        if exist:
            raise DataError(f"{exist[0]}: exists; pass overwrite=True (or --force) to replace it")
    conf = dance.confidence if dance.confidence is not None else np.ones(dance.keypoints.shape[:2], np.float32)
    for t, p in enumerate(paths):
        k = np.concatenate([dance.keypoints[t].astype(np.float64), conf[t, :, None].astype(np.float64)], axis=1)
        k[~np.isfinite(k).all(axis=1)] = 0.0
        flat = [round(float(v), 3) for v in k.ravel()]
        doc = {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": flat,
                                           "face_keypoints_2d": [], "hand_left_keypoints_2d": [],
                                           "hand_right_keypoints_2d": [], "pose_keypoints_3d": [],
                                           "face_keypoints_3d": [], "hand_left_keypoints_3d": [],
                                           "hand_right_keypoints_3d": []}]}
        p.write_text(json.dumps(doc))
    return paths
