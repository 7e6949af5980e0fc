"""Pose sequences of every tracked dancer of a DanceTrack (MOT-format) sequence.

DanceTrack (Sun et al., CVPR 2022) ships each sequence as::

    <seq>/seqinfo.ini        [Sequence] name, imDir, frameRate, seqLength, imWidth, imHeight, imExt
    <seq>/img1/000001.jpg    frames, 1-based, 6-digit names
    <seq>/gt/gt.txt          frame,id,x,y,w,h,conf,class,visibility   (MOT ground truth; boxes in
                             pixels, (x, y) the top-left corner, frames 1-based)

For each person id, every box is enlarged by a margin (default 20 % of its width and height on each
side), clipped to the image, cropped, and passed to :class:`~dancegen.pose.estimator.PoseEstimator`
in image mode (one person per crop); the keypoints are mapped back to full-frame pixels. Frames
where an id has no box get keypoints ``(0, 0)`` with confidence 0, so every id's sequence spans the
whole video (``seqLength`` frames at ``frameRate``) and stays aligned with the others and the music.

Rows whose ``conf`` column is 0 are ignored (the MOT convention for "do not consider"); DanceTrack's
ground truth marks every row 1. A tracker's output in the same format can be passed instead of the
ground truth (``annotations=``).
"""
from __future__ import annotations

import configparser
import os
from pathlib import Path

import numpy as np

from ..errors import ConfigError, PoseError
from ..skeleton import J
from .estimator import PoseEstimator, _progress, read_image_rgb

DEFAULT_MARGIN = 0.2
MIN_CROP = 16  # pixels; smaller crops are skipped (zero confidence)


def read_seqinfo(seq_dir: str | os.PathLike) -> dict:
    """Parse ``<seq>/seqinfo.ini``.

    Returns ``{"name": str, "im_dir": Path, "fps": float, "length": int | None,
    "width": int | None, "height": int | None, "ext": str}``. Raises :class:`PoseError` naming the
    file when it is missing or lacks ``frameRate``.
    """
    seq_dir = Path(seq_dir)
    ini = seq_dir / "seqinfo.ini"
    if not ini.is_file():
        raise PoseError(f"{ini}: no such file; a DanceTrack/MOT sequence folder has seqinfo.ini, img1/ "
                        "and gt/gt.txt")
    cp = configparser.ConfigParser()
    try:
        cp.read(ini, encoding="utf-8")
        sec = cp["Sequence"]
    except (configparser.Error, KeyError, UnicodeDecodeError) as e:
        raise PoseError(f"{ini}: not a valid seqinfo.ini ({type(e).__name__}); it needs a [Sequence] "
                        "section with frameRate") from None

    def num(key, cast):
        v = sec.get(key)
        if v is None or not v.strip():
            return None
        try:
            return cast(v.strip())
        except ValueError:
            raise PoseError(f"{ini}: {key}={v!r} is not a number") from None

    fps = num("frameRate", float)
    if fps is None or not fps > 0:
        raise PoseError(f"{ini}: missing or non-positive frameRate; add e.g. 'frameRate=20' under [Sequence]")
    ext = (sec.get("imExt") or ".jpg").strip()
    return {
        "name": (sec.get("name") or seq_dir.name).strip(),
        "im_dir": seq_dir / (sec.get("imDir") or "img1").strip(),
        "fps": fps,
        "length": num("seqLength", int),
        "width": num("imWidth", int),
        "height": num("imHeight", int),
        "ext": ext if ext.startswith(".") else "." + ext,
    }


def read_mot_boxes(path: str | os.PathLike) -> np.ndarray:
    """Read a MOT-format annotation file (``gt.txt``).

    Returns
    -------
    (N, 6) float64 array of ``frame, id, x, y, w, h`` (frame 1-based, box in pixels, (x, y) the
    top-left corner), rows with ``conf == 0`` dropped, sorted by frame then id. An empty file gives
    shape (0, 6). Raises :class:`PoseError` naming the file and line on malformed rows.
    """
    path = Path(path)
    if not path.is_file():
        raise PoseError(f"{path}: no such annotation file (expected MOT lines frame,id,x,y,w,h,conf,class,vis)")
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            parts = [p for p in line.replace(";", ",").split(",")]
            try:
                vals = [float(p) for p in parts]
            except ValueError:
                raise PoseError(f"{path}:{n}: not numbers: {line[:60]!r}") from None
            if len(vals) < 6:
                raise PoseError(f"{path}:{n}: expected at least 6 values frame,id,x,y,w,h; got {len(vals)}")
            if len(vals) >= 7 and vals[6] == 0:
                continue
            rows.append(vals[:6])
    boxes = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    if len(boxes) and (boxes[:, 0] < 1).any():
        bad = int(np.argmax(boxes[:, 0] < 1))
        raise PoseError(f"{path}: frame numbers are 1-based in MOT files; found frame {boxes[bad, 0]:g}")
    order = np.lexsort((boxes[:, 1], boxes[:, 0]))
    return boxes[order]


def crop_box(box_xywh, image_size, margin: float = DEFAULT_MARGIN):
    """Pixel crop window of a box enlarged by ``margin`` and clipped to the image.

    Parameters
    ----------
    box_xywh : (x, y, w, h) pixels, (x, y) the top-left corner.
    image_size : (width, height) pixels.
    margin : fraction of w (and h) added on each side.

    Returns
    -------
    (x0, y0, x1, y1) integers with 0 <= x0 < x1 <= width (same for y), or None when the clipped
    window is empty.
    """
    x, y, w, h = (float(v) for v in box_xywh)
    W, H = image_size
    x0 = int(np.floor(max(0.0, x - margin * w)))
    y0 = int(np.floor(max(0.0, y - margin * h)))
    x1 = int(np.ceil(min(float(W), x + w + margin * w)))
    y1 = int(np.ceil(min(float(H), y + h + margin * h)))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def extract_dancetrack(seq_dir: str | os.PathLike, *, annotations: str | os.PathLike | None = None,
                       margin: float = DEFAULT_MARGIN, ids=None, progress: bool = True,
                       min_detection_confidence: float = 0.5) -> dict:
    """One pose sequence per tracked person of a DanceTrack/MOT sequence folder.

    Parameters
    ----------
    seq_dir : folder with ``seqinfo.ini``, ``img1/`` and ``gt/gt.txt``.
    annotations : MOT box file to use instead of ``<seq_dir>/gt/gt.txt`` (e.g. a tracker's output).
    margin : crop margin, fraction of the box size added on each side (default 0.2).
    ids : only these person ids (default: all).
    progress : tqdm bar over frames on stderr.

    Returns
    -------
    ``{id: Dance}``: keypoints (T, 18, 2) in full-frame pixels and confidence (T, 18), with
    T = ``seqLength`` (or the number of frames in ``img1/``), fps = ``frameRate``, canvas = image
    (width, height), name ``<seq>_id<id>``, meta with ``track_id``, ``frames_present`` (frames with
    a box) and ``frames_detected`` (frames with a pose).
    """
    from ..dance import Dance

    if not 0.0 <= float(margin) <= 2.0:
        raise ConfigError(f"margin must be between 0 and 2 (fraction of the box size), got {margin}")
    seq_dir = Path(seq_dir)
    if not seq_dir.is_dir():
        raise PoseError(f"{seq_dir}: no such folder")
    info = read_seqinfo(seq_dir)
    im_dir: Path = info["im_dir"]
    if not im_dir.is_dir():
        raise PoseError(f"{im_dir}: no image folder (seqinfo.ini imDir); the frames should be there")
    ann = Path(annotations) if annotations is not None else seq_dir / "gt" / "gt.txt"
    boxes = read_mot_boxes(ann)
    if ids is not None:
        keep = set(int(i) for i in ids)
        boxes = boxes[np.isin(boxes[:, 1].astype(int), list(keep))]
    if len(boxes) == 0:
        raise PoseError(f"{ann}: no boxes" + (" for the requested ids" if ids is not None else "")
                        + "; nothing to extract")
    length = info["length"]
    if length is None:
        length = len([p for p in im_dir.iterdir() if p.suffix.lower() == info["ext"].lower()])
    last = int(boxes[:, 0].max())
    if last > length:
        raise PoseError(f"{ann}: boxes reach frame {last} but the sequence has {length} frames "
                        f"(seqinfo.ini seqLength / {im_dir.name}/)")

    track_ids = sorted(set(boxes[:, 1].astype(int).tolist()))
    slot = {tid: k for k, tid in enumerate(track_ids)}
    kp = np.zeros((length, len(track_ids), J, 2), np.float32)
    conf = np.zeros((length, len(track_ids), J), np.float32)
    present = np.zeros((length, len(track_ids)), bool)
    frames_with_boxes = np.unique(boxes[:, 0].astype(int))
    starts = np.searchsorted(boxes[:, 0], frames_with_boxes, side="left")
    ends = np.searchsorted(boxes[:, 0], frames_with_boxes, side="right")
    size = None
    bar = _progress(len(frames_with_boxes), f"pose {info['name']}", "frame", progress)
    try:
        with PoseEstimator(static_image_mode=True,
                           min_detection_confidence=min_detection_confidence) as est:
            for fr, a, b in zip(frames_with_boxes, starts, ends):
                path = im_dir / f"{fr:06d}{info['ext']}"
                img = read_image_rgb(path)
                h, w = img.shape[:2]
                if size is None:
                    size = (w, h)
                elif size != (w, h):
                    raise PoseError(f"{path}: frame is {w}x{h}, earlier frames are {size[0]}x{size[1]}")
                for row in boxes[a:b]:
                    k = slot[int(row[1])]
                    present[fr - 1, k] = True
                    win = crop_box(row[2:6], (w, h), margin)
                    if win is None or win[2] - win[0] < MIN_CROP or win[3] - win[1] < MIN_CROP:
                        continue
                    x0, y0, x1, y1 = win
                    p, c = est.estimate_image(img[y0:y1, x0:x1])
                    if c.max() > 0:
                        kp[fr - 1, k] = p + np.array([x0, y0], np.float32)
                        conf[fr - 1, k] = c
                bar.update(1)
    finally:
        bar.close()
    if size is None:  # pragma: no cover - boxes is non-empty, so a frame was read
        size = (info["width"] or 0, info["height"] or 0)
    out = {}
    for tid, k in slot.items():
        out[tid] = Dance(
            keypoints=kp[:, k], fps=info["fps"], canvas=size, confidence=conf[:, k],
            name=f"{info['name']}_id{tid}",
            meta={"source": "mediapipe-pose/dancetrack", "sequence": info["name"], "track_id": tid,
                  "input": str(seq_dir), "annotations": str(ann), "margin": float(margin),
                  "frames_present": int(present[:, k].sum()),
                  "frames_detected": int((conf[:, k].max(axis=1) > 0).sum())},
        )
    return out
