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
        self.fps = float(self.fps)
        if not self.fps > 0:
            raise DataError(f"fps must be positive, got {self.fps}")
        self.canvas = (int(self.canvas[0]), int(self.canvas[1]))
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
        music = str(d.get("music", "")) or None
        genre = str(d.get("genre", "")) or None
        canvas = tuple(int(v) for v in d["canvas"]) if "canvas" in d else DEFAULT_CANVAS
        meta = {}
        if "meta" in d:
            try:
                meta = json.loads(str(d["meta"]))
            except ValueError as e:
                raise DataError(f"{path}: 'meta' is not valid JSON ({e})") from None
            if not isinstance(meta, dict):
                raise DataError(f"{path}: 'meta' must be a JSON object, got {type(meta).__name__}")
        return cls(
            keypoints=kp, fps=float(d["fps"]), canvas=canvas, music=music,
            offset=float(d.get("offset", 0.0)), genre=genre,
            confidence=d.get("confidence"), joints3d=d.get("joints3d"),
            name=str(d.get("name", "")) or path.stem, meta=meta,
            joint3d_names=tuple(str(n) for n in d["joint3d_names"]) if "joint3d_names" in d else None,
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
