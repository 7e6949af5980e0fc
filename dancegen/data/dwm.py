"""Dance with Melody (Tang, Jia & Mao, ACM MM 2018): reading, defects, the DwM-23 -> OpenPose-18
mapping and a virtual camera that turns the 3D mocap into 2D keypoints.

The data (``DANCE_{C,R,T,W}_n/``): ``skeletons.json`` (25 fps; 23 joints relative to ``center``,
about centimetres, y up), ``audio.mp3`` (the whole song) and ``config.json`` (``start_position`` /
``end_position``: the danced part of the song in 25-fps frames). See ``docs/data.md`` for what was
measured on it and the reasoning behind every choice below.

Joint layout (DwM-23), as established from the data (docs/data.md, "Joint layout")::

    0 head marker (right side)   1 head marker (left side)   2 lower spine / pelvis
    3 RShoulder 4 RElbow 5 RWrist 6 RHand 7 RHip 8 RKnee 9 RAnkle 10 RHeel 11 RToe
    12 LShoulder 13 LElbow 14 LWrist 15 LHand 16 LHip 17 LKnee 18 LAnkle 19 LHeel 20 LToe
    21, 22 hand-direction points (about 80 cm from the hands; not body points, unused)

Left and right: heel->toe (10->11, 19->20) and the knee bend give the facing direction ``f``;
``up x (joint3 - joint12)`` agrees with ``f`` (mean cosine 0.9), so in a right-handed y-up frame
(the usual mocap convention) the 3..11 chain is the dancer's right. Head markers 0 and 1 sit
11 cm apart, level with each other, 0 on the right side: they are read as the two sides of the head,
and the face direction is ``up x (p0 - p1)``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..skeleton import fill_gaps, joint_speed

FPS = 25.0
DWM23_JOINTS = (
    "HeadR", "HeadL", "Spine", "RShoulder", "RElbow", "RWrist", "RHand", "RHip", "RKnee",
    "RAnkle", "RHeel", "RToe", "LShoulder", "LElbow", "LWrist", "LHand", "LHip", "LKnee",
    "LAnkle", "LHeel", "LToe", "RHandDir", "LHandDir",
)
FOOT_JOINTS = (9, 10, 11, 18, 19, 20)
GENRE_CODES = {"C": "cha-cha", "R": "rumba", "T": "tango", "W": "waltz"}
# Sequences left out of load_dwm by default (see docs/data.md): DANCE_T_5 has ~250 frames where
# joints jump 30-70 cm in one frame; interpolation cannot restore the motion there.
DEFAULT_EXCLUDE = ("DANCE_T_5",)
UP = np.array([0.0, 1.0, 0.0])

# OpenPose-18 index -> DwM-23 index (None: synthesised)
# Wrists are DwM 6/15 and ankles 10/19 (lead's measurement on W_10, C_8, R_2: elbow->6/15 is 22-29 cm
# on both sides, a human forearm, while elbow->5/14 is 11 vs 15-18 cm, asymmetric; knee->10/19 is
# 42-44 cm, a shin, and 10/19 sit ~6 cm above the floor, while 9/18 are 31-36 cm from the knee).
_OP_FROM_DWM = (None, None, 3, 4, 6, 12, 13, 15, 7, 8, 10, 16, 17, 19, None, None, None, None)
# face geometry in cm, relative to the head centre (mid of markers 0/1), in (forward, up, right)
_NOSE = (9.5, -3.0, 0.0)
_EYE = (8.0, 1.0, 3.2)
_EAR = (0.0, 0.0, 7.5)


def _unit(v: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, eps)


def facing(points: np.ndarray) -> np.ndarray:
    """Horizontal unit facing direction of the body ``(..., 3)`` from DwM-23 joints ``(..., 23, 3)``.

    ``up x (RShoulder - LShoulder) + up x (RHip - LHip)``, horizontal, normalised."""
    p = np.asarray(points, dtype=np.float64)
    side = (p[..., 3, :] - p[..., 12, :]) + (p[..., 7, :] - p[..., 16, :])
    f = np.cross(UP, side)
    f[..., 1] = 0.0
    return _unit(f)


def dwm23_to_openpose18(points: np.ndarray) -> np.ndarray:
    """DwM-23 joints ``(..., 23, D)`` -> OpenPose-18 ``(..., 18, D)`` (same units).

    Body joints are copied (neck = mid-shoulders; wrists are DwM 6/15, ankles DwM 10/19: see the
    measurement next to ``_OP_FROM_DWM``).
    For ``D == 3`` (y up) the face is synthesised from the two head markers and the head's facing
    direction ``up x (p0 - p1)`` (blended with the body's, for frames where the markers line up
    front-to-back): nose 9.5 cm ahead and 3 cm below the head centre, eyes 8 cm ahead, 3.2 cm to
    each side, ears 7.5 cm to each side. For ``D == 2`` (already projected) the ears are the
    markers, the nose their midpoint and the eyes lie between them.
    """
    p = np.asarray(points)
    if p.shape[-2] != 23:
        raise ValueError(f"DwM-23 input must have 23 joints on axis -2, got shape {p.shape}")
    dt = np.result_type(p.dtype, np.float32)
    out = np.empty(p.shape[:-2] + (18,) + p.shape[-1:], dtype=dt)
    for j, src in enumerate(_OP_FROM_DWM):
        if src is not None:
            out[..., j, :] = p[..., src, :]
    out[..., 1, :] = 0.5 * (p[..., 3, :] + p[..., 12, :])
    h_r, h_l = p[..., 0, :].astype(np.float64), p[..., 1, :].astype(np.float64)
    centre = 0.5 * (h_r + h_l)
    if p.shape[-1] == 3:
        head_f = np.cross(UP, h_r - h_l)
        head_f[..., 1] = 0.0
        f = _unit(head_f + 2.0 * facing(p))       # 2 cm of body facing as a tie-breaker
        r = np.cross(f, UP)                         # right = forward x up (right-handed, y up)

        def at(fw, up, rt):
            return centre + fw * f + up * UP + rt * r

        out[..., 0, :] = at(*_NOSE)
        out[..., 14, :] = at(_EYE[0], _EYE[1], _EYE[2])
        out[..., 15, :] = at(_EYE[0], _EYE[1], -_EYE[2])
        out[..., 16, :] = at(_EAR[0], _EAR[1], _EAR[2])
        out[..., 17, :] = at(_EAR[0], _EAR[1], -_EAR[2])
    else:
        out[..., 0, :] = centre
        out[..., 14, :] = 0.5 * (centre + h_r)
        out[..., 15, :] = 0.5 * (centre + h_l)
        out[..., 16, :] = h_r
        out[..., 17, :] = h_l
    return out


# ----------------------------------------------------------------------------------------------
# Reading
@dataclass
class DwmSequence:
    """One Dance-with-Melody take.

    Attributes
    ----------
    name : folder name, e.g. ``"DANCE_W_1"``.
    folder : the folder.
    genre : "cha-cha", "rumba", "tango" or "waltz".
    center : (T, 3) float64 root track, cm, y up.
    skeleton : (T, 23, 3) float64 joints relative to ``center``, cm.
    fps : 25.0.
    music : path of ``audio.mp3`` (it may be missing: see :attr:`has_audio`).
    start_position, end_position : the danced part of the song, 25-fps frames of the song.
    """

    name: str
    folder: Path
    genre: str
    center: np.ndarray
    skeleton: np.ndarray
    fps: float = FPS
    music: str = ""
    start_position: int = 0
    end_position: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def world(self) -> np.ndarray:
        """World joints ``(T, 23, 3)`` cm: ``center + skeleton``."""
        return self.skeleton + self.center[:, None, :]

    @property
    def n_frames(self) -> int:
        return int(self.skeleton.shape[0])

    @property
    def start(self) -> float:
        """Song time of the first danced frame, seconds: ``start_position / 25``."""
        return self.start_position / FPS

    @property
    def end(self) -> float:
        """Song time of the end of the danced part, seconds: ``end_position / 25``."""
        return self.end_position / FPS

    @property
    def has_audio(self) -> bool:
        return bool(self.music) and Path(self.music).is_file()


def genre_of(name: str) -> str:
    """Genre name from a DwM folder name ``DANCE_<code>_<n>``; DataError if the code is unknown."""
    parts = name.split("_")
    if len(parts) < 3 or parts[0] != "DANCE" or parts[1] not in GENRE_CODES:
        raise DataError(f"{name}: not a Dance-with-Melody folder name (expected DANCE_C|R|T|W_<n>)")
    return GENRE_CODES[parts[1]]


def load_dwm_sequence(folder) -> DwmSequence:
    """Read one ``DANCE_*`` folder. Raises :class:`DataError` naming the file when something is
    missing or malformed (a missing ``audio.mp3`` is allowed: ``has_audio`` tells)."""
    folder = Path(folder)
    skel_path, cfg_path = folder / "skeletons.json", folder / "config.json"
    if not folder.is_dir():
        raise DataError(f"{folder}: no such Dance-with-Melody folder")
    genre = genre_of(folder.name)
    for p in (skel_path, cfg_path):
        if not p.is_file():
            raise DataError(f"{p}: missing; each DANCE_* folder needs skeletons.json and config.json")
    try:
        with open(skel_path) as fh:
            d = json.load(fh)
        center = np.asarray(d["center"], dtype=np.float64)
        skel = np.asarray(d["skeletons"], dtype=np.float64)
    except (ValueError, KeyError, TypeError) as e:
        raise DataError(f"{skel_path}: not a DwM skeletons.json ({type(e).__name__}: {e}); "
                        "expected keys 'center' (N,3) and 'skeletons' (N,23,3)") from None
    if skel.ndim != 3 or skel.shape[1:] != (23, 3) or center.shape != (skel.shape[0], 3):
        raise DataError(f"{skel_path}: shapes center {center.shape}, skeletons {skel.shape}; "
                        "expected (N,3) and (N,23,3)")
    if skel.shape[0] < 2:
        raise DataError(f"{skel_path}: only {skel.shape[0]} frames")
    try:
        with open(cfg_path) as fh:
            cfg = json.load(fh)
        s, e = int(cfg["start_position"]), int(cfg["end_position"])
    except (ValueError, KeyError, TypeError) as ex:
        raise DataError(f"{cfg_path}: needs integer start_position and end_position ({ex})") from None
    if e <= s or s < 0:
        raise DataError(f"{cfg_path}: start_position {s} / end_position {e} are not an interval")
    return DwmSequence(name=folder.name, folder=folder, genre=genre, center=center, skeleton=skel,
                       music=str(folder / "audio.mp3"), start_position=s, end_position=e)


def list_sequences(root_dir, split: str | None = None) -> list[str]:
    """Names of the ``DANCE_*`` folders under ``root_dir``; with ``split`` ("train"/"val") those
    listed in ``splits/<split>.txt``. DataError when the folder or the split file is missing."""
    root = Path(root_dir)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder; pass the Dance-with-Melody root (with DANCE_* folders)")
    present = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("DANCE_"))
    if not present:
        raise DataError(f"{root}: no DANCE_* folders; is this the Dance-with-Melody root?")
    if split is None:
        return present
    if split not in ("train", "val"):
        raise ConfigError(f"split must be None, 'train' or 'val', got {split!r}")
    sp = root / "splits" / f"{split}.txt"
    if not sp.is_file():
        raise DataError(f"{sp}: missing split file; pass split=None or names=[...]")
    names = [ln.strip() for ln in sp.read_text().splitlines() if ln.strip()]
    missing = [n for n in names if n not in present]
    if missing:
        raise DataError(f"{sp}: lists {missing} which are not folders of {root}")
    return names


# ----------------------------------------------------------------------------------------------
# Defects
def frozen_frames(world: np.ndarray) -> np.ndarray:
    """Frames that exactly repeat the previous frame: bool ``(T,)`` (frame 0 is never frozen).

    ``world`` : ``(T, K, D)``."""
    w = np.asarray(world)
    out = np.zeros(w.shape[0], dtype=bool)
    out[1:] = np.all(w[1:] == w[:-1], axis=tuple(range(1, w.ndim)))
    return out


def jump_frames(world: np.ndarray, max_step: float = 40.0) -> np.ndarray:
    """Frames in which some joint moved more than ``max_step`` (cm) since the previous frame.

    ``world`` : ``(T, K, 3)`` cm. Returns bool ``(T,)``. Normal DwM motion peaks at 33 cm/frame
    (25 fps); the jittery DANCE_T_5 reaches 70."""
    w = np.asarray(world, dtype=np.float64)
    out = np.zeros(w.shape[0], dtype=bool)
    if w.shape[0] > 1:   # the largest joint step into each frame, cm (speed at 1 frame per unit)
        out[1:] = joint_speed(w, 1.0, per_joint=True, difference="steps").max(axis=1) > max_step
    return out


def _fill_frames(x: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """The frames marked ``bad`` (bool ``(T,)``) of ``x`` ``(T, ...)`` re-estimated by straight lines
    between the nearest good frames (:func:`dancegen.skeleton.fill_gaps`, held at the ends)."""
    if np.asarray(bad).all():
        raise DataError("every frame is marked bad; nothing to interpolate from")
    return fill_gaps(x, bad)[0]


def repair_frozen(world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate over runs of frozen frames. A frozen run ``k..k+n-1`` repeats frame ``k-1``;
    the mocap stalled there, so the run is re-filled by interpolating from ``k-1`` to the next
    moving frame. Returns ``(repaired (T,K,3), frozen mask (T,))``."""
    fr = frozen_frames(world)
    return _fill_frames(world, fr), fr


def floor_trend(world: np.ndarray, fps: float = FPS, window_s: float = 2.0, smooth_s: float = 4.0,
                foot_joints=FOOT_JOINTS, floor_height: float = 0.0) -> np.ndarray:
    """Slowly varying height of the floor under the dancer, ``(T,)`` cm.

    The lowest foot joint of each frame, then the minimum over ``window_s`` windows (a foot is on
    the floor at least once per step), then a Gaussian smoothing of ``smooth_s`` seconds (sigma).
    Subtracting ``trend - floor_height`` removes the drift (the DwM feet float up by up to 50 cm
    over a take)."""
    from scipy.ndimage import gaussian_filter1d, minimum_filter1d

    w = np.asarray(world, dtype=np.float64)
    low = w[:, list(foot_joints), 1].min(axis=1)
    win = max(1, int(round(window_s * fps)))
    mins = minimum_filter1d(low, size=win, mode="nearest")
    return gaussian_filter1d(mins, sigma=max(1.0, smooth_s * fps), mode="nearest")


def remove_drift(world: np.ndarray, fps: float = FPS, floor_height: float = 0.0, **kw) -> tuple[np.ndarray, np.ndarray]:
    """Remove the root's slow vertical drift: ``y -= floor_trend(...) - floor_height``.

    Returns ``(world (T,K,3) with the floor at floor_height, trend (T,))``. After this the lowest
    foot marker touches ``floor_height`` (cm) at the start and the end of the take alike."""
    tr = floor_trend(world, fps=fps, **kw)
    out = np.array(world, dtype=np.float64, copy=True)
    out[..., 1] -= (tr - floor_height)[:, None]
    return out, tr


def shared_prefix(a: np.ndarray, b: np.ndarray, tol: float = 1.0) -> int:
    """Number of opening frames two takes share: frames ``0..n-1`` where the mean joint distance of
    the root-relative skeletons ``(T, 23, 3)`` is below ``tol`` cm (0 if they differ at once)."""
    n = min(len(a), len(b))
    d = np.linalg.norm(np.asarray(a[:n]) - np.asarray(b[:n]), axis=-1).mean(axis=1)
    bad = np.flatnonzero(d >= tol)
    return int(bad[0]) if bad.size else n


def shared_openings(seqs, min_seconds: float = 2.0, tol: float = 1.0) -> list[list[str]]:
    """Groups of takes (names) that share an identical opening of at least ``min_seconds``.

    ``seqs``: iterable of :class:`DwmSequence`. Pairs sharing an opening are joined transitively.
    On the public data this finds 6 groups (docs/data.md)."""
    seqs = list(seqs)
    parent = {s.name: s.name for s in seqs}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    min_frames = int(round(min_seconds * FPS))
    for i, a in enumerate(seqs):
        for b in seqs[i + 1:]:
            # cheap reject on the first frame
            if np.abs(a.skeleton[0] - b.skeleton[0]).mean() >= tol:
                continue
            if shared_prefix(a.skeleton, b.skeleton, tol) >= min_frames:
                parent[find(a.name)] = find(b.name)
    groups: dict[str, list[str]] = {}
    for s in seqs:
        groups.setdefault(find(s.name), []).append(s.name)
    return sorted((sorted(g, key=_natural) for g in groups.values() if len(g) > 1), key=lambda g: _natural(g[0]))


def _natural(name: str):
    parts = name.split("_")
    return tuple(int(p) if p.isdigit() else p for p in parts)


def split_leaks(root_dir, groups: list[list[str]], train=None, val=None) -> list[list[str]]:
    """Groups of :func:`shared_openings` whose takes fall on both sides of the split (default
    splits/train.txt and splits/val.txt): a val take whose opening was seen in training."""
    train = set(list_sequences(root_dir, "train") if train is None else train)
    val = set(list_sequences(root_dir, "val") if val is None else val)
    return [g for g in groups if (set(g) & train) and (set(g) & val)]


def clean_split(root_dir, seqs=None, min_seconds: float = 2.0) -> tuple[list[str], list[str]]:
    """A split with no shared opening across train and val: ``(train, val)`` names.

    Starts from splits/val.txt; each val take that shares an opening (>= ``min_seconds``) with a
    train take is replaced by a take of the same genre that shares no opening with anything
    (on the public data: DANCE_W_10 and DANCE_W_22 -> DANCE_W_8 and DANCE_W_16; docs/data.md)."""
    root = Path(root_dir)
    if seqs is None:
        seqs = [load_dwm_sequence(root / n) for n in list_sequences(root)]
    names = [s.name for s in seqs]
    genre = {s.name: s.genre for s in seqs}
    groups = shared_openings(seqs, min_seconds)
    grouped = {n for g in groups for n in g}
    val = [n for n in list_sequences(root, "val") if n in genre]
    train = [n for n in names if n not in val]
    leaking = {n for g in split_leaks(root, groups, train, val) for n in g if n in val}
    for n in sorted(leaking, key=_natural):
        pool = [m for m in sorted(names, key=_natural)
                if genre[m] == genre[n] and m not in grouped and m not in val]
        if not pool:
            raise DataError(f"{root}: no take of genre {genre[n]} without a shared opening to replace {n}")
        val[val.index(n)] = pool[0]
    train = [n for n in names if n not in val]
    return train, val


# ----------------------------------------------------------------------------------------------
# Virtual camera
def body_height(joints3d: np.ndarray) -> float:
    """Dancer height estimate in the units of ``joints3d`` ``(T, K, 3)`` (y up): the median over
    frames of the vertical extent of the joints, plus 6% for the top of the head above the
    highest marker. Independent of yaw and of horizontal travel."""
    y = np.asarray(joints3d, dtype=np.float64)[..., 1]
    return float(np.median(y.max(axis=1) - y.min(axis=1)) * 1.06)


def camera_track(joints3d: np.ndarray, fps: float = FPS, follow_s: float = 1.0) -> np.ndarray:
    """Where the following camera aims: the horizontal centroid of the joints smoothed by a
    Gaussian of ``follow_s`` seconds (sigma), ``(T, 3)`` with y = 0. The part of the travel
    faster than that stays visible on the canvas as natural residual motion."""
    from scipy.ndimage import gaussian_filter1d

    c = np.asarray(joints3d, dtype=np.float64).mean(axis=1)
    c[:, 1] = 0.0
    if follow_s > 0 and c.shape[0] > 1:
        c = gaussian_filter1d(c, sigma=follow_s * fps, axis=0, mode="nearest")
    return c


def project(joints3d_world: np.ndarray, yaw_deg: float = 0.0, canvas=(1920, 1080),
            person_height_px: float = 600.0, fps: float = FPS, distance: float = 500.0,
            camera: str = "perspective", follow_s: float = 1.0, height: float | None = None,
            track: np.ndarray | None = None) -> np.ndarray:
    """Film 3D joints with a virtual camera: ``(T, K, 3)`` (y up, floor at y = 0, cm) -> ``(T, K, 2)``
    float32 pixels of ``canvas`` (x right, y down).

    The camera stands ``distance`` (cm) from the dancer at half the dancer's ``height`` and looks
    horizontally. At ``yaw_deg = 0`` it looks along world -z (it stands on the +z side, so world +x
    is image right); ``yaw_deg`` turns it about the vertical axis around the dancer (any yaw is
    another valid view; 180 mirrors left and right). It follows :func:`camera_track` (the
    smoothed root, ``follow_s`` seconds) keeping its distance, so a dancer travelling 10 m stays
    in frame. The focal length makes a person of ``height`` (default :func:`body_height`)
    ``person_height_px`` tall at ``distance``; the body's mid-height projects to the canvas centre.
    ``camera="orthographic"`` drops the perspective division (exact mirror at yaw 180).
    """
    p = np.asarray(joints3d_world, dtype=np.float64)
    if p.ndim != 3 or p.shape[-1] != 3:
        raise ValueError(f"joints3d_world must be (T, K, 3), got {p.shape}")
    if camera not in ("perspective", "orthographic"):
        raise ConfigError(f"camera must be 'perspective' or 'orthographic', got {camera!r}")
    if not (distance > 0 and person_height_px > 0):
        raise ConfigError(f"distance ({distance}) and person_height_px ({person_height_px}) must be positive")
    h = body_height(p) if height is None else float(height)
    tr = camera_track(p, fps, follow_s) if track is None else np.asarray(track, dtype=np.float64)
    th = np.deg2rad(yaw_deg)
    back = np.array([np.sin(th), 0.0, np.cos(th)])      # from the dancer to the camera
    fwd = -back
    right = np.array([np.cos(th), 0.0, -np.sin(th)])    # fwd x up
    cam = tr + distance * back                           # (T, 3)
    rel = p - cam[:, None, :]
    xc = rel @ right
    zc = rel @ fwd
    yc = p[..., 1] - 0.5 * h
    f = person_height_px * distance / h
    if camera == "perspective":
        z = np.maximum(zc, 0.2 * distance)
        u, v = f * xc / z, f * yc / z
    else:
        u, v = f * xc / distance, f * yc / distance
    out = np.empty(p.shape[:2] + (2,), dtype=np.float32)
    out[..., 0] = canvas[0] / 2.0 + u
    out[..., 1] = canvas[1] / 2.0 - v
    return out


# ----------------------------------------------------------------------------------------------
# Clips
def prepare_sequence(seq: DwmSequence, repair: bool = True, max_step: float = 40.0) -> tuple[np.ndarray, dict]:
    """World joints ``(T, 23, 3)`` cm with frozen runs and jump frames interpolated (``repair``)
    and the vertical drift removed; plus a dict of the defects found (counts, in frames)."""
    world = seq.world
    fr = frozen_frames(world)
    jumps = jump_frames(world, max_step)
    info = {"frozen_frames": int(fr.sum()), "jump_frames": int(jumps.sum()),
            "nan": int((~np.isfinite(world)).any(axis=(1, 2)).sum())}
    if info["nan"]:
        bad_nan = (~np.isfinite(world)).any(axis=(1, 2))
        world = _fill_frames(np.where(np.isfinite(world), world, 0.0), bad_nan)
    if repair:
        bad = fr | jumps
        # a jump frame's neighbour often is the outlier too: widen by one frame
        if jumps.any():
            bad = bad | np.r_[jumps[1:], False]
        world = _fill_frames(world, bad)
    world, tr = remove_drift(world, seq.fps)
    info["drift_cm"] = float(tr[-1] - tr[0])
    return world, info


def _to_dance(name, genre, world23, fps, music, offset, yaw, meta, canvas=(1920, 1080), **cam):
    from ..dance import Dance

    j18 = dwm23_to_openpose18(world23)
    h = meta.get("body_height") or body_height(j18)
    meta = dict(meta, body_height=h, yaw=float(yaw), layout3d="dwm23", camera=dict(cam))
    kp = project(j18, yaw, canvas=canvas, fps=fps, height=h, **cam)
    return Dance(keypoints=kp, fps=fps, canvas=canvas, music=music, offset=float(offset), genre=genre,
                 joints3d=np.asarray(world23, dtype=np.float32), name=name, meta=meta)


def sequence_to_dance(seq: DwmSequence, yaw: float = 0.0, retime: bool = True, repair: bool = True,
                      canvas=(1920, 1080), beats=None, **cam):
    """One :class:`DwmSequence` -> :class:`~dancegen.dance.Dance` (see :func:`load_dwm`)."""
    from .retime import retime_dwm

    world, info = prepare_sequence(seq, repair=repair)
    meta = {"source": "dwm", "defects": info, "start_position": seq.start_position,
            "end_position": seq.end_position}
    offset = seq.start
    if retime:
        world, rinfo = retime_dwm(world, seq, beats=beats)
        offset = rinfo["offset"]
        meta["retime"] = rinfo
    return _to_dance(seq.name, seq.genre, world, seq.fps, seq.music if seq.has_audio else None,
                     offset, yaw, meta, canvas=canvas, **cam)


def load_dwm(root_dir, split: str | None = None, names=None, yaw: float = 0.0, retime: bool = True,
             exclude=DEFAULT_EXCLUDE, repair: bool = True, canvas=(1920, 1080), progress: bool = True,
             **cam) -> list:
    """Load Dance-with-Melody takes as :class:`~dancegen.dance.Dance` clips.

    Parameters
    ----------
    root_dir : the folder with ``DANCE_*`` folders and ``splits/``.
    split : None (all), "train" or "val" (``splits/<split>.txt``), or "train-clean" / "val-clean"
        (:func:`clean_split`: no opening shared across train and val).
    names : explicit list of folder names (overrides ``split`` and ``exclude``).
    yaw : camera yaw, degrees (:func:`project`).
    retime : synchronise motion and music (:func:`dancegen.data.retime.retime_dwm`): time base,
        then a smooth beat-aware warp. Without it frame ``i`` is song time ``(start + i) / 25``.
    exclude : names left out (default: the jittery DANCE_T_5).
    repair : interpolate frozen and jump frames.

    Returns clips with ``keypoints`` (T, 18, 2) pixels, ``joints3d`` (T, 23, 3) cm (retimed,
    drift-removed world joints, DwM-23 layout), ``music`` = the mp3, ``offset`` = song time of
    frame 0, ``genre`` the full name, ``meta`` with the defects, retiming and camera settings.
    """
    from tqdm import tqdm

    root = Path(root_dir)
    if names is None:
        if split in ("train-clean", "val-clean"):
            tr, va = clean_split(root)
            names = tr if split == "train-clean" else va
        else:
            names = list_sequences(root, split)
        names = [n for n in names if n not in set(exclude or ())]
    else:
        present = set(list_sequences(root))
        bad = [n for n in names if n not in present]
        if bad:
            raise DataError(f"{root}: no sequence folders {bad}")
    out = []
    for n in tqdm(names, desc="load dwm", unit="seq", disable=not progress):
        out.append(sequence_to_dance(load_dwm_sequence(root / n), yaw=yaw, retime=retime,
                                     repair=repair, canvas=canvas, **cam))
    return out


def reproject(dance, yaw: float, **cam):
    """The same clip filmed from another ``yaw`` (degrees): a new Dance whose keypoints are
    projected from ``dance.joints3d`` (DwM-23 or OpenPose-18 layout). Augmentation."""
    from ..dance import Dance

    if dance.joints3d is None:
        raise DataError(f"{dance.name or 'dance'}: has no joints3d to reproject; only 3D sources can")
    j = np.asarray(dance.joints3d, dtype=np.float64)
    j18 = dwm23_to_openpose18(j) if j.shape[1] == 23 else j
    if j18.shape[1] != 18:
        raise DataError(f"{dance.name}: joints3d has {j.shape[1]} joints; expected 23 (DwM) or 18")
    h = dance.meta.get("body_height") or body_height(j18)
    cam = {**dance.meta.get("camera", {}), **cam}
    kp = project(j18, yaw, canvas=dance.canvas, fps=dance.fps, height=h, **cam)
    meta = dict(dance.meta, yaw=float(yaw), body_height=h, camera=cam)
    return Dance(keypoints=kp, fps=dance.fps, canvas=dance.canvas, music=dance.music, offset=dance.offset,
                 genre=dance.genre, confidence=dance.confidence, joints3d=dance.joints3d, name=dance.name,
                 meta=meta)
