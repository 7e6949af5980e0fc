"""AIST++ (Li et al., ICCV 2021) keypoints -> :class:`~dancegen.dance.Dance`.

Layout read (the public ``aist_plusplus_final`` release)::

    <root>/keypoints2d/<seq>.pkl   {'keypoints2d': (9 views, T, 17, 3) pixels + confidence, ...}
    <root>/keypoints3d/<seq>.pkl   {'keypoints3d_optim' or 'keypoints3d': (T, 17, 3) cm}
    <root>/splits/crossmodality_{train,val,test}.txt
    <root>/ignore_list.txt         sequences with bad tracking
    <music_dir>/<music id>.wav     default <root>/wavs; e.g. mBR0.wav

Sequence names look like ``gBR_sBM_cAll_d04_mBR0_ch01``: genre code (``gBR`` break), situation,
camera (``cAll``), dancer, music id (``mBR0``), choreography. Motion is 60 fps and starts with the
music (offset 0). Joints are COCO-17, converted with :func:`dancegen.skeleton.from_coco17`.

The pickles are read with a restricted unpickler (:func:`read_pickle`) that builds only what the
official files hold (numpy arrays, dtypes, numbers, strings, lists, dicts; also the SMPL
``motions/*.pkl``): a crafted pickle cannot run code, it is refused with a DataError.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..skeleton import fill_gaps, from_coco17

FPS = 60.0
AIST_GENRES = {
    "gBR": "break", "gPO": "pop", "gLO": "lock", "gMH": "middle hip-hop", "gLH": "LA hip-hop",
    "gHO": "house", "gWA": "waack", "gKR": "krump", "gJS": "street jazz", "gJB": "ballet jazz",
}
CANVAS = (1920, 1080)


def parse_name(seq: str) -> dict:
    """Fields of an AIST++ sequence name: ``{"genre", "genre_code", "music_id", "dancer", "camera"}``.
    DataError for a name that does not follow ``g??_s??_c??_d??_m???_ch??``."""
    parts = Path(seq).stem.split("_")
    if len(parts) != 6 or parts[0] not in AIST_GENRES or not parts[4].startswith("m"):
        raise DataError(f"{seq}: not an AIST++ sequence name (like gBR_sBM_cAll_d04_mBR0_ch01)")
    return {"genre": AIST_GENRES[parts[0]], "genre_code": parts[0], "music_id": parts[4],
            "dancer": parts[3], "camera": parts[2]}


class _Refused(pickle.UnpicklingError):
    """The pickle asks for something an AIST++ file never holds."""


class _AistUnpickler(pickle.Unpickler):
    """Unpickles only what the official AIST++ annotation files hold: dicts, lists, tuples, numbers,
    strings, bytes and numpy arrays / dtypes / scalars (numeric or string; no object arrays). Any
    other global (a function, a class, ``os.system`` in a crafted file) is refused before it is
    looked up, so a hostile pickle cannot run code."""

    _NUMPY_CORE = ("numpy.core.multiarray", "numpy._core.multiarray")

    def find_class(self, module, name):
        if module in self._NUMPY_CORE and name == "_reconstruct":
            return _reconstruct_array
        if module in self._NUMPY_CORE and name == "scalar":
            return _numpy_scalar
        if module == "numpy" and name == "ndarray":
            return np.ndarray
        if module == "numpy" and name == "dtype":
            return _numpy_dtype
        raise _Refused(f"refused global {module}.{name} (AIST++ files hold only numpy arrays, "
                                     f"numbers, strings, lists and dicts)")


def _numpy_dtype(*args):
    dt = np.dtype(*args)
    if dt.hasobject:
        raise _Refused("refused an object dtype (AIST++ arrays are numeric)")
    return dt


def _reconstruct_array(cls, *args):
    if cls is not np.ndarray:
        raise _Refused(f"refused array subclass {getattr(cls, '__name__', cls)!r}")
    return np.core.multiarray._reconstruct(np.ndarray, *args)


def _numpy_scalar(dtype, *args):
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise _Refused("refused a numpy scalar of object dtype")
    return np.core.multiarray.scalar(dtype, *args)


def read_pickle(path) -> dict:
    """An AIST++ annotation pickle as a dict, read with a restricted unpickler (see
    :class:`_AistUnpickler`); DataError naming the file for anything else."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            d = _AistUnpickler(fh).load()
    except _Refused as e:
        raise DataError(f"{path}: refused: not a plain AIST++ pickle ({e})") from None
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, IndexError,
            KeyError, MemoryError) as e:
        raise DataError(f"{path}: not a readable AIST++ pickle ({type(e).__name__}: {e})") from None
    if not isinstance(d, dict):
        raise DataError(f"{path}: expected a pickled dict, got {type(d).__name__}")
    for k, v in d.items():
        if isinstance(v, np.ndarray) and v.dtype.hasobject:  # defence in depth: setstate with an object dtype
            raise DataError(f"{path}: refused: {k!r} is an object array")
    return d


_read_pkl = read_pickle


def _lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text().splitlines() if ln.strip()] if path.is_file() else []


def list_aist(root, split: str | None = None, use_ignore_list: bool = True) -> list[str]:
    """Sequence names under ``root`` (those with a keypoints2d or keypoints3d file); with ``split``
    ("train", "val", "test") those of ``splits/crossmodality_<split>.txt``; minus ignore_list.txt."""
    root = Path(root)
    have = set()
    for sub in ("keypoints2d", "keypoints3d"):
        if (root / sub).is_dir():
            have |= {p.stem for p in (root / sub).glob("*.pkl")}
    if not have:
        raise DataError(f"{root}: no keypoints2d/*.pkl or keypoints3d/*.pkl; is this an AIST++ folder?")
    if split is None:
        names = sorted(have)
    else:
        if split not in ("train", "val", "test"):
            raise ConfigError(f"AIST++ split must be 'train', 'val' or 'test', got {split!r}")
        sp = root / "splits" / f"crossmodality_{split}.txt"
        if not sp.is_file():
            raise DataError(f"{sp}: missing split file")
        names = [n for n in _lines(sp) if n in have]
    if use_ignore_list:
        ignore = set(_lines(root / "ignore_list.txt"))
        names = [n for n in names if n not in ignore]
    return names


def up_rotation(joints: np.ndarray) -> np.ndarray:
    """A proper rotation (signed permutation, det +1) ``(3, 3)`` that turns the body's up axis of
    COCO-17 joints ``(T, 17, 3)`` (head minus ankles) into +y."""
    j = np.asarray(joints, dtype=np.float64)
    up = np.nanmean(j[:, 0] - 0.5 * (j[:, 15] + j[:, 16]), axis=0)
    a = int(np.nanargmax(np.abs(up)))
    s = 1.0 if up[a] > 0 else -1.0
    R = np.zeros((3, 3))
    R[1, a] = s                                  # new y = s * old axis a
    others = [i for i in range(3) if i != a]
    R[0, others[0]] = 1.0
    R[2, others[1]] = 1.0
    if np.linalg.det(R) < 0:
        R[2, others[1]] = -1.0
    return R


def load_keypoints3d(root, seq: str, optim: bool = True) -> tuple[np.ndarray, float | None]:
    """The stored AIST++ 3D keypoints of one sequence, untouched: ``(T, 17, 3)`` float64 COCO-17,
    centimetres, in the AIST++ world frame (y up, right-handed, the dancer's left towards +x when
    facing +z; the floor is *not* at y = 0: about y = 67-71 cm on the fragment), 60 fps;
    ``keypoints3d_optim`` (``optim``, else ``keypoints3d``), non-finite frames interpolated.

    Also returns ``smpl_scaling`` of ``motions/<seq>.pkl`` (cm per SMPL unit; the SMPL fit is
    ``keypoints ~ smpl_scaling * SMPL(poses, smpl_trans / smpl_scaling)``), or None when that file is
    absent: ``k3 / smpl_scaling`` puts the joints in the units of the published SMPL joints.
    """
    root = Path(root)
    p3 = root / "keypoints3d" / f"{seq}.pkl"
    if not p3.is_file():
        raise DataError(f"{root}: no keypoints3d/{seq}.pkl")
    d3 = _read_pkl(p3)
    key = "keypoints3d_optim" if optim and "keypoints3d_optim" in d3 else "keypoints3d"
    if key not in d3:
        raise DataError(f"{p3}: no 'keypoints3d_optim' or 'keypoints3d' array")
    k3 = np.asarray(d3[key], dtype=np.float64)
    if k3.ndim != 3 or k3.shape[1:] != (17, 3):
        raise DataError(f"{p3}: {key} has shape {k3.shape}, expected (T, 17, 3)")
    scaling = None
    pm = root / "motions" / f"{seq}.pkl"
    if pm.is_file():
        dm = _read_pkl(pm)
        if "smpl_scaling" in dm:
            scaling = float(np.asarray(dm["smpl_scaling"], dtype=np.float64).ravel()[0])
            if not (np.isfinite(scaling) and scaling > 0):
                raise DataError(f"{pm}: smpl_scaling {scaling} is not a positive number")
    return _fill_nan(k3), scaling


def load_aist_sequence(root, seq: str, view: int = 0, music_dir=None):
    """One AIST++ sequence -> Dance (60 fps, offset 0, genre from the name).

    ``keypoints`` come from camera ``view`` (0..8) of keypoints2d (AIST++ pixels, 1920x1080) with
    its confidence; frames where the 2D tracking failed (NaN) are interpolated with confidence 0.
    ``joints3d`` is the 3D OpenPose-18 (cm), rotated so y is up with the floor at 0 (from
    keypoints3d_optim, else keypoints3d), when the 3D file exists. Without a 2D file, the keypoints
    are filmed from the 3D joints by :func:`dancegen.data.dwm.project`.
    """
    from ..dance import Dance
    from .dwm import project

    root = Path(root)
    info = parse_name(seq)
    p2, p3 = root / "keypoints2d" / f"{seq}.pkl", root / "keypoints3d" / f"{seq}.pkl"
    if not p2.is_file() and not p3.is_file():
        raise DataError(f"{root}: no keypoints2d/{seq}.pkl or keypoints3d/{seq}.pkl")
    j3 = None
    if p3.is_file():
        d3 = _read_pkl(p3)
        key = "keypoints3d_optim" if "keypoints3d_optim" in d3 else "keypoints3d"
        if key not in d3:
            raise DataError(f"{p3}: no 'keypoints3d_optim' or 'keypoints3d' array")
        k3 = np.asarray(d3[key], dtype=np.float64)
        if k3.ndim != 3 or k3.shape[1:] != (17, 3):
            raise DataError(f"{p3}: {key} has shape {k3.shape}, expected (T, 17, 3)")
        k3 = k3 @ up_rotation(k3).T
        k3 = _fill_nan(k3)
        k3[..., 1] -= np.nanpercentile(np.minimum(k3[:, 15, 1], k3[:, 16, 1]), 1)
        j3 = from_coco17(k3).astype(np.float32)
    conf = None
    if p2.is_file():
        d2 = _read_pkl(p2)
        if "keypoints2d" not in d2:
            raise DataError(f"{p2}: no 'keypoints2d' array")
        k2 = np.asarray(d2["keypoints2d"], dtype=np.float64)
        if k2.ndim != 4 or k2.shape[2:] != (17, 3):
            raise DataError(f"{p2}: keypoints2d has shape {k2.shape}, expected (views, T, 17, 3)")
        if not 0 <= view < k2.shape[0]:
            raise ConfigError(f"{p2}: view {view} out of range 0..{k2.shape[0] - 1}")
        op = from_coco17(k2[view])                 # (T, 18, 3): x, y, confidence
        xy, c = op[..., :2], np.nan_to_num(op[..., 2], nan=0.0)
        bad = ~np.isfinite(xy).all(axis=-1)
        c = np.where(bad, 0.0, np.clip(c, 0, 1))
        xy = _fill_nan(xy)
        kp, conf = xy, c
    else:
        kp = project(j3, 0.0, canvas=CANVAS, fps=FPS)
    music_dir = Path(music_dir) if music_dir is not None else root / "wavs"
    wav = music_dir / f"{info['music_id']}.wav"
    return Dance(keypoints=kp.astype(np.float32), fps=FPS, canvas=CANVAS,
                 music=str(wav) if wav.is_file() else None, offset=0.0, genre=info["genre"],
                 confidence=conf, joints3d=j3, name=seq,
                 meta={"source": "aist++", "view": view, "layout3d": "openpose18", **info,
                       "music_missing": not wav.is_file()})


def _fill_nan(x: np.ndarray) -> np.ndarray:
    """Interpolate non-finite frames of ``(T, J, D)`` per joint in time
    (:func:`dancegen.skeleton.fill_gaps`); DataError if a joint is never finite."""
    bad = ~np.isfinite(np.asarray(x, dtype=np.float64)).all(axis=-1)
    if bad.all(axis=0).any():
        raise DataError(f"joint {int(np.argmax(bad.all(axis=0)))} is never tracked in this sequence")
    return fill_gaps(x, bad)[0]


def load_aist(root, split: str | None = None, names=None, view: int = 0, music_dir=None,
              use_ignore_list: bool = True, progress: bool = True) -> list:
    """AIST++ sequences as Dance clips (see :func:`load_aist_sequence`)."""
    from tqdm import tqdm

    names = list(names) if names is not None else list_aist(root, split, use_ignore_list)
    return [load_aist_sequence(root, n, view, music_dir)
            for n in tqdm(names, desc="load aist++", unit="seq", disable=not progress)]
