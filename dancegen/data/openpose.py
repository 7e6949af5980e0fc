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
from ..skeleton import fill_gaps

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
    """Joints missing (NaN) in some frames: straight lines in time between the frames where they
    were seen (:func:`dancegen.skeleton.fill_gaps`); a joint never seen sits on the neck, or the
    canvas centre when the neck itself is missing somewhere."""
    T = xy.shape[0]
    out, _ = fill_gaps(xy, ~np.isfinite(xy[..., 0]))
    never = ~np.isfinite(out[:, :, 0])
    if never.any():
        neck = out[:, 1] if np.isfinite(out[:, 1]).all() else np.tile([canvas[0] / 2, canvas[1] / 2], (T, 1))
        out[never] = np.repeat(neck[:, None], 18, axis=1)[never]
    return out


# ----------------------------------------------------------------------------------- the writer
_FRAME_RE = r"_\d{12}_keypoints\.json"


def openpose_json_name(name: str, frame: int) -> str:
    """OpenPose's per-frame file name: ``<name>_<frame, 12 digits>_keypoints.json``."""
    return f"{name}_{int(frame):012d}_keypoints.json"


def _num(v: np.float32) -> float:
    # the shortest decimal that reads back as the same float32 (so a read is exact)
    return float(str(v))


def openpose_frame_dict(kp: np.ndarray, conf: np.ndarray, person_ids=None) -> dict:
    """One frame in OpenPose's JSON layout (version 1.3).

    Parameters
    ----------
    kp : (P, 18, 2) pixels (P people) or (18, 2) for one person.
    conf : (P, 18) or (18,) confidence in [0, 1].
    person_ids : optional P integers (OpenPose writes -1 when it does not track).

    Returns
    -------
    ``{"version": 1.3, "people": [{"person_id": [id], "pose_keypoints_2d": [x, y, c] * 18,
    "face_keypoints_2d": [], "hand_left_keypoints_2d": [], ...}]}``. A person whose confidence is
    zero everywhere (not detected) is left out; a joint with zero (or NaN) confidence is written as
    ``0, 0, 0`` as OpenPose does. Values are the float32 values, written with the fewest digits
    that read back exactly.
    """
    kp = np.asarray(kp, dtype=np.float32)
    conf = np.asarray(conf, dtype=np.float32)
    if kp.ndim == 2:
        kp, conf = kp[None], conf[None]
    if kp.shape[1:] != (18, 2) or conf.shape != kp.shape[:2]:
        raise ValueError(f"kp must be (P, 18, 2) with conf (P, 18); got {kp.shape} and {conf.shape}")
    people = []
    for p in range(kp.shape[0]):
        c = np.nan_to_num(conf[p], nan=0.0)
        if not (c > 0).any():
            continue
        xy = np.where((c > 0)[:, None] & np.isfinite(kp[p]), kp[p], np.float32(0))
        c = np.where(c > 0, np.clip(c, 0, 1), np.float32(0))
        flat = np.concatenate([xy, c[:, None]], axis=1).reshape(-1)
        pid = -1 if person_ids is None else int(person_ids[p])
        people.append({
            "person_id": [pid],
            "pose_keypoints_2d": [_num(v) for v in flat],
            "face_keypoints_2d": [], "hand_left_keypoints_2d": [], "hand_right_keypoints_2d": [],
            "pose_keypoints_3d": [], "face_keypoints_3d": [], "hand_left_keypoints_3d": [],
            "hand_right_keypoints_3d": [],
        })
    return {"version": 1.3, "people": people}


def write_openpose_frames(kp: np.ndarray, conf: np.ndarray, folder, *, name: str = "frame",
                          person_ids=None, overwrite: bool = False, exclusive: bool = False) -> list[Path]:
    """Write keypoints as an OpenPose output folder: one ``<name>_<t:012d>_keypoints.json`` per
    frame (:func:`openpose_frame_dict`). The one OpenPose JSON writer of dancegen; read back by
    :func:`load_openpose`.

    Parameters
    ----------
    kp : (T, 18, 2) pixels for one person, or (T, P, 18, 2) for P people.
    conf : (T, 18) or (T, P, 18) confidence; frames where a person's confidence is all zero list
        no entry for them (an empty ``people`` list when nobody is there).
    folder : output folder, created if needed.
    name : file name prefix (OpenPose uses the video's name).
    person_ids : P integers written as ``person_id`` (default -1, OpenPose's "not tracked").
    overwrite : replace this prefix's frames already in ``folder`` (stale frames of the prefix
        beyond the new length are removed); otherwise DataError when any is there.
    exclusive : ``folder`` is this sequence's alone: it must be absent, empty, or (with
        ``overwrite``) hold only ``*_keypoints.json`` files, and it is replaced as a whole.

    Nothing is half-written: the frames are staged in a temporary folder next to ``folder`` and
    renamed into place: the whole folder at once when it is new (or, ``exclusive``, replaced),
    else file by file. Returns the T paths.
    """
    import os
    import shutil
    import tempfile

    kp = np.asarray(kp)
    conf = np.asarray(conf)
    if kp.ndim == 3:
        kp, conf = kp[:, None], conf[:, None]
    if kp.ndim != 4 or kp.shape[2:] != (18, 2) or conf.shape != kp.shape[:3]:
        raise ValueError(f"kp must be (T, 18, 2) or (T, P, 18, 2) with matching conf; "
                         f"got {kp.shape} and {conf.shape}")
    if not re.fullmatch(r"[\w.\-]+", name):
        raise DataError(f"OpenPose JSON name prefix {name!r} must be letters, digits, '_', '-' or '.'")
    shown = Path(folder)
    folder = shown.resolve()                  # "." and "frames/" get a real name and parent
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{shown}: exists and is not a folder; choose another output folder")
    present = sorted(folder.iterdir()) if folder.is_dir() else []
    mine = [p for p in present if re.fullmatch(re.escape(name) + _FRAME_RE, p.name)]
    if exclusive and present:
        if not overwrite:
            raise DataError(f"{shown}: exists and is not empty; pass --force (overwrite=True) to replace it")
        other = [p for p in present if not (p.is_file() and p.name.endswith("_keypoints.json"))]
        if other:
            raise DataError(f"{shown}: holds other files than OpenPose JSON frames ({other[0].name}); "
                            "refusing to replace it: choose a new or empty folder")
    elif mine and not overwrite:
        raise DataError(f"{shown / mine[0].name}: exists; pass --force (overwrite=True) to replace it")
    names = [openpose_json_name(name, t) for t in range(kp.shape[0])]
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".tmp_{folder.name}_", dir=folder.parent))
    try:
        for t, n in enumerate(names):
            with open(stage / n, "w", encoding="utf-8") as f:
                json.dump(openpose_frame_dict(kp[t], conf[t], person_ids), f)
        os.chmod(stage, 0o755)
        if not folder.exists():
            os.rename(stage, folder)
        elif exclusive and present and folder != Path.cwd().resolve():   # our own old frames: swap folders
            old = Path(tempfile.mkdtemp(prefix=f".old_{folder.name}_", dir=folder.parent))
            os.rename(folder, old / "x")
            os.rename(stage, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:                                            # a shared or empty folder: each file lands whole
            for n in names:
                os.replace(stage / n, folder / n)
            keep = set(names)
            stale = present if exclusive else mine       # exclusive: only frame files are there
            for p in stale:
                if p.name not in keep:
                    p.unlink()
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return [shown / n for n in names]


def write_openpose_json(dance, folder, overwrite: bool = False, exclusive: bool = False) -> list[Path]:
    """Write ``dance`` as OpenPose JSON (COCO-18, version 1.3), one
    ``<name>_<frame:012d>_keypoints.json`` per frame, with :func:`write_openpose_frames`;
    confidence from ``dance.confidence`` or 1. Returns the paths written."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", dance.name or "dance")
    conf = dance.confidence if dance.confidence is not None else np.ones(dance.keypoints.shape[:2], np.float32)
    return write_openpose_frames(dance.keypoints, conf, folder, name=stem, overwrite=overwrite,
                                 exclusive=exclusive)
