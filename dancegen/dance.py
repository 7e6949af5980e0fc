"""The one dance/clip type that every data source produces and every consumer reads."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError
from .skeleton import J, OPENPOSE18_JOINTS

DEFAULT_CANVAS = (1920, 1080)
#: frame rates a dance may have (frames per second)
FPS_RANGE = (0.5, 1000.0)
#: canvas width and height a dance may have (pixels)
CANVAS_RANGE = (16, 16384)


def check_fps(fps, where: str = "dance") -> float:
    """``fps`` as a float; :class:`DataError` unless it is a finite number within :data:`FPS_RANGE`."""
    a = np.asarray(fps)
    if a.size != 1 or not np.issubdtype(a.dtype, np.number) or a.dtype == bool:
        raise DataError(f"{where}: fps must be a number of frames per second, got {_show(fps)}")
    v = float(a.reshape(()))
    lo, hi = FPS_RANGE
    if not (np.isfinite(v) and lo <= v <= hi):
        raise DataError(f"{where}: fps {v:g} is out of range; a dance has {lo:g} to {hi:g} frames per second")
    return v


def check_canvas(canvas, where: str = "dance") -> tuple[int, int]:
    """``canvas`` as ``(w, h)`` ints; :class:`DataError` unless two whole numbers within :data:`CANVAS_RANGE`."""
    a = np.asarray(canvas)
    if a.shape != (2,) or not np.issubdtype(a.dtype, np.number) or a.dtype == bool:
        raise DataError(f"{where}: canvas must be (width, height) in pixels, got {_show(canvas)}")
    if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
        raise DataError(f"{where}: canvas must be whole numbers of pixels, got {_show(canvas)}")
    w, h = int(a[0]), int(a[1])
    lo, hi = CANVAS_RANGE
    if not (lo <= w <= hi and lo <= h <= hi):
        raise DataError(f"{where}: canvas {w}x{h} is out of range; width and height from {lo} to {hi} pixels")
    return w, h


def _show(v) -> str:
    s = repr(v.tolist() if isinstance(v, np.ndarray) else v)
    return s if len(s) <= 60 else s[:57] + "..."


@dataclass
class Dance:
    """A 2D dance in OpenPose-18 layout.

    Attributes
    ----------
    keypoints : (T, 18, 2) float32, pixels of ``canvas`` (x right, y down).
    fps : frames per second of ``keypoints``.
    canvas : (width, height) in pixels.
    music : path of the music file, or None.
    offset : seconds into ``music`` at which frame 0 happens.
    genre : genre name (e.g. "waltz"), or None.
    confidence : optional (T, 18) float32 in [0, 1] (pose estimation output).
    joints3d : optional (T, K, 3) float32 3D joints the 2D view came from. Generated dances carry
        the :mod:`dancegen.body3d` layout (metres, y up, floor at 0, ``joint3d_names`` =
        :data:`~dancegen.body3d.JOINTS3D`); data clips may carry their source layout (e.g. DwM-23, cm)
        with ``joint3d_names`` None.
    joint3d_names : names of the ``joints3d`` joints, or None for a source layout.
    name : a short identifier (sequence name).
    meta : free-form JSON-able metadata (source, camera yaw, retiming, ...).
    """

    keypoints: np.ndarray
    fps: float
    canvas: tuple[int, int] = DEFAULT_CANVAS
    music: str | None = None
    offset: float = 0.0
    genre: str | None = None
    confidence: np.ndarray | None = None
    joints3d: np.ndarray | None = None
    name: str = ""
    meta: dict = field(default_factory=dict)
    joint3d_names: tuple | None = None

    def __post_init__(self):
        kp = np.asarray(self.keypoints, dtype=np.float32)
        if kp.ndim != 3 or kp.shape[1:] != (J, 2):
            raise DataError(f"keypoints must have shape (T, {J}, 2), got {kp.shape}")
        self.keypoints = kp
        self.fps = check_fps(self.fps)
        self.canvas = check_canvas(self.canvas)
        if self.confidence is not None:
            self.confidence = np.asarray(self.confidence, dtype=np.float32)
        if self.joint3d_names is not None:
            self.joint3d_names = tuple(str(n) for n in self.joint3d_names)

    @property
    def bones3d(self) -> tuple | None:
        """``(parent, child)`` joint-index pairs of ``joints3d`` when it has the body3d layout."""
        from .body3d import BONES3D, JOINTS3D

        return BONES3D if self.joint3d_names == JOINTS3D else None

    @property
    def n_frames(self) -> int:
        return int(self.keypoints.shape[0])

    @property
    def duration(self) -> float:
        """Seconds covered by the frames: ``T / fps``."""
        return self.n_frames / self.fps

    def times(self) -> np.ndarray:
        """Time of each frame in the music, seconds: ``offset + t / fps``."""
        return self.offset + np.arange(self.n_frames) / self.fps

    # ------------------------------------------------------------------ file format
    def save(self, path: str | os.PathLike, overwrite: bool = True) -> Path:
        """Write an ``.npz`` with keys ``keypoints, fps, canvas, joint_names, music, offset, genre,
        name, meta`` (``fps`` and ``offset`` float64; ``meta`` as a JSON string, numpy numbers in it
        become plain numbers) plus
        ``confidence`` when present, and ``joints3d`` with ``joint3d_names`` and ``bones3d`` (int32
        ``(B, 2)`` parent/child indices) for a 3D dance. Every field of the dataclass is read back by
        :meth:`load`. The file is written atomically."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise DataError(f"{path}: exists; pass overwrite=True (or --force) to replace it")
        arrays = dict(
            keypoints=self.keypoints.astype(np.float32),
            fps=np.float64(self.fps),
            canvas=np.asarray(self.canvas, dtype=np.int32),
            joint_names=np.asarray(OPENPOSE18_JOINTS),
            music=np.asarray(self.music or ""),
            offset=np.float64(self.offset),
            genre=np.asarray(self.genre or ""),
            name=np.asarray(self.name or ""),
            meta=np.asarray(json.dumps(self.meta or {}, default=_json_default)),
        )
        if self.confidence is not None:
            arrays["confidence"] = self.confidence.astype(np.float32)
        if self.joints3d is not None:
            arrays["joints3d"] = np.asarray(self.joints3d, dtype=np.float32)
            if self.joint3d_names is not None:
                arrays["joint3d_names"] = np.asarray(self.joint3d_names)
            if self.bones3d is not None:
                arrays["bones3d"] = np.asarray(self.bones3d, dtype=np.int32)
        from .fileio import atomic_write

        def write(tmp):
            with open(tmp, "wb") as f:  # a file object: np.savez adds no ".npz" to the name
                np.savez(f, **arrays)

        return atomic_write(path, write)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Dance":
        """Read a dance ``.npz`` written by :meth:`save` (or any npz with at least ``keypoints`` and
        ``fps``). Raises :class:`DataError` with the file name when it is missing or malformed.

        Safe on files from strangers: every array's declared size is checked from its header before
        anything is unpacked (:func:`dancegen.fileio.check_npz`, limit ``DANCEGEN_MAX_NPZ_BYTES``,
        default 2 GiB) and object (pickle) arrays are refused."""
        from .fileio import check_npz

        path = Path(path)
        if not path.exists():
            raise DataError(f"{path}: no such file")
        check_npz(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                d = {k: z[k] for k in z.files}
        except Exception as e:  # zipfile.BadZipFile, ValueError, OSError...
            raise DataError(f"{path}: not a readable dance .npz ({type(e).__name__}: {e})") from None
        if "keypoints" not in d or "fps" not in d:
            raise DataError(f"{path}: missing 'keypoints' or 'fps'; is this a dance file written by dancegen?")
        kp = d["keypoints"]
        if kp.ndim != 3 or kp.shape[1:] != (J, 2):
            raise DataError(f"{path}: keypoints have shape {kp.shape}, expected (T, {J}, 2)")
        if not np.issubdtype(kp.dtype, np.number):
            raise DataError(f"{path}: keypoints are {kp.dtype} values, not numbers")
        fps = check_fps(d["fps"], str(path))
        canvas = check_canvas(d["canvas"], str(path)) if "canvas" in d else DEFAULT_CANVAS
        text = {}
        for k in ("music", "genre", "name"):
            v = d.get(k)
            if v is not None and (v.ndim != 0 or v.dtype.kind not in "US"):
                raise DataError(f"{path}: {k!r} must be a text, got an array of shape {v.shape} ({v.dtype})")
            text[k] = str(v) if v is not None else ""
        offset = d.get("offset", np.float32(0.0))
        if np.asarray(offset).size != 1 or not np.issubdtype(np.asarray(offset).dtype, np.number) \
                or not np.isfinite(float(np.asarray(offset).reshape(()))):
            raise DataError(f"{path}: offset must be a number of seconds, got {_show(offset)}")
        T = kp.shape[0]
        for k, shape in (("confidence", (T, J)), ("joints3d", None)):
            v = d.get(k)
            if v is None:
                continue
            if not np.issubdtype(v.dtype, np.number):
                raise DataError(f"{path}: {k} are {v.dtype} values, not numbers")
            if shape is not None and v.shape != shape:
                raise DataError(f"{path}: {k} has shape {v.shape}, expected {shape}")
            if shape is None and (v.ndim != 3 or v.shape[0] != T or v.shape[2] != 3):
                raise DataError(f"{path}: joints3d has shape {v.shape}, expected ({T}, K, 3)")
        names3d = d.get("joint3d_names")
        if names3d is not None and (names3d.ndim != 1 or names3d.dtype.kind not in "US"):
            raise DataError(f"{path}: joint3d_names must be a list of texts")
        meta = {}
        if "meta" in d:
            try:
                meta = json.loads(str(d["meta"]))
            except ValueError as e:
                raise DataError(f"{path}: 'meta' is not valid JSON ({e})") from None
            if not isinstance(meta, dict):
                raise DataError(f"{path}: 'meta' must be a JSON object, got {type(meta).__name__}")
        return cls(
            keypoints=kp, fps=fps, canvas=canvas, music=text["music"] or None,
            offset=float(np.asarray(offset).reshape(())), genre=text["genre"] or None,
            confidence=d.get("confidence"), joints3d=d.get("joints3d"),
            name=text["name"] or path.stem, meta=meta,
            joint3d_names=tuple(str(n) for n in names3d) if names3d is not None else None,
        )


def _json_default(o):
    """numpy numbers and arrays (and tuples inside them) in ``Dance.meta`` as plain JSON values."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"Dance.meta holds a {type(o).__name__}, which a dance file cannot store; use numbers, "
                    "strings, lists and dicts")
