"""The core of dancegen: joint layouts, bones and the kinematic quantities every other module uses,
each defined once here.

* Layouts: OpenPose-18 (the canonical 2D layout), COCO-17 and BlazePose-33 conversions; the 3D
  layout is :mod:`dancegen.body3d` (which takes its bone arithmetic from here).
* Bones: :data:`BONES`, :func:`bone_vectors`, :func:`bone_lengths` (any bone list, numpy or torch).
* Body scale: :func:`body_scale`, the body's length unit (two measures: from keypoints or from
  reference bone lengths; each caller says which).
* Joint speed: :func:`joint_speed` (central differences or frame-to-frame steps, per joint or
  averaged, in any length unit); motion beats: :func:`motion_beats`.
* Interpolation: :func:`resample` (time resampling at fractional frame positions, every change of
  frame rate and every time warp), :func:`fill_gaps` (re-estimating missing or bad frames).

Conventions (see docs/ARCHITECTURE.md): keypoints are ``(T, J, 2)`` float32 in pixels of a canvas,
x to the right, y downward (image coordinates). The canonical layout is OpenPose-18 (COCO order of
OpenPose's ``COCO`` model, 18 joints). This module imports only numpy, :mod:`dancegen.errors` and
:mod:`dancegen.dsp` (scipy inside the functions that need it), so it is cheap to import and sits
near the bottom of the import layers (``[tool.importlinter]`` in pyproject.toml).
"""
from __future__ import annotations

import functools

import numpy as np

from .errors import ConfigError, DataError

OPENPOSE18_JOINTS = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
)
J = len(OPENPOSE18_JOINTS)
JOINT_INDEX = {name: i for i, name in enumerate(OPENPOSE18_JOINTS)}

# 17 bones (parent, child) of the OpenPose-18 tree rooted at the neck.
BONES = (
    (1, 2), (2, 3), (3, 4),        # right arm
    (1, 5), (5, 6), (6, 7),        # left arm
    (1, 8), (8, 9), (9, 10),       # right leg (neck-hip is the right torso side)
    (1, 11), (11, 12), (12, 13),   # left leg
    (1, 0), (0, 14), (14, 16),     # head, right eye, right ear
    (0, 15), (15, 17),             # left eye, left ear
)
BONE_NAMES = tuple(f"{OPENPOSE18_JOINTS[a]}-{OPENPOSE18_JOINTS[b]}" for a, b in BONES)

# (right, left) joint pairs that a left-right mirror swaps.
LR_PAIRS = ((2, 5), (3, 6), (4, 7), (8, 11), (9, 12), (10, 13), (14, 15), (16, 17))
# (right bone index, left bone index) pairs of BONES.
LR_BONE_PAIRS = ((0, 3), (1, 4), (2, 5), (6, 9), (7, 10), (8, 11), (13, 15), (14, 16))

RIGHT_JOINTS = tuple(r for r, _ in LR_PAIRS)
LEFT_JOINTS = tuple(l for _, l in LR_PAIRS)
CENTER_JOINTS = (0, 1)

# Limb sides for drawing: 'R', 'L' or 'C' per bone.
BONE_SIDE = tuple(
    "R" if (b in RIGHT_JOINTS) else ("L" if (b in LEFT_JOINTS) else "C") for _, b in BONES
)

MIRROR_PERM = np.arange(J)
for _r, _l in LR_PAIRS:
    MIRROR_PERM[_r], MIRROR_PERM[_l] = _l, _r

# ---------------------------------------------------------------------------------------------
# Other layouts
COCO17_JOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# OpenPose-18 index -> COCO-17 index (Neck is the mean of the shoulders).
_OP_FROM_COCO = (0, None, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3)

BLAZEPOSE33_JOINTS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
_OP_FROM_BLAZE = (0, None, 12, 14, 16, 11, 13, 15, 24, 26, 28, 23, 25, 27, 5, 2, 8, 7)


def _convert(points: np.ndarray, table, neck_pair, n_src: int, name: str) -> np.ndarray:
    pts = np.asarray(points)
    if pts.shape[-2] != n_src:
        raise ValueError(f"{name} input must have {n_src} joints on axis -2, got shape {pts.shape}")
    out = np.empty(pts.shape[:-2] + (J,) + pts.shape[-1:], dtype=np.result_type(pts.dtype, np.float32))
    for j, src in enumerate(table):
        if src is None:
            out[..., j, :] = 0.5 * (pts[..., neck_pair[0], :] + pts[..., neck_pair[1], :])
        else:
            out[..., j, :] = pts[..., src, :]
    return out


def from_coco17(points: np.ndarray) -> np.ndarray:
    """COCO-17 (AIST++ ``keypoints2d``/``keypoints3d``) ``(..., 17, D)`` -> OpenPose-18 ``(..., 18, D)``.

    Neck = midpoint of the shoulders. Works for any trailing dimension D (2D, 3D, or with a
    confidence column, where the neck's confidence is the mean of the shoulders')."""
    return _convert(points, _OP_FROM_COCO, (5, 6), 17, "COCO-17")


def from_blazepose33(points: np.ndarray) -> np.ndarray:
    """MediaPipe BlazePose-33 ``(..., 33, D)`` -> OpenPose-18 ``(..., 18, D)``; neck = mid-shoulders."""
    return _convert(points, _OP_FROM_BLAZE, (11, 12), 33, "BlazePose-33")


# The Dance with Melody 23-joint layout is read (and mapped to OpenPose-18) next to its reader:
# dancegen.data.dwm.dwm23_to_openpose18; its 3D mapping is dancegen.body3d.from_dwm23.


# ---------------------------------------------------------------------------------------------
# Geometry helpers
def mirror(kp: np.ndarray, axis_x: float | np.ndarray = 0.0) -> np.ndarray:
    """Left-right mirror of ``(..., 18, 2)`` keypoints about the vertical line ``x = axis_x``:
    x -> 2*axis_x - x, and left and right joints swap labels. Mirroring twice is the identity."""
    kp = np.asarray(kp)
    out = kp[..., MIRROR_PERM, :].copy()
    ax = np.asarray(axis_x, dtype=kp.dtype)
    out[..., 0] = 2 * ax[..., None] - out[..., 0] if ax.ndim else 2 * ax - out[..., 0]
    return out


def root(kp: np.ndarray) -> np.ndarray:
    """The root joint: midpoint of RHip and LHip, shape ``(..., D)``."""
    kp = np.asarray(kp)
    return 0.5 * (kp[..., 8, :] + kp[..., 11, :])


def torso_length(kp: np.ndarray) -> np.ndarray:
    """Neck to mid-hip distance per frame, shape ``(...)``."""
    kp = np.asarray(kp)
    return np.linalg.norm(kp[..., 1, :] - root(kp), axis=-1)


def normalize(kp: np.ndarray, scale: float | None = None):
    """Root-centre and scale a sequence ``(T, 18, 2)`` by its torso length.

    Returns ``(norm, params)``: ``norm = (kp - root_t) / scale`` with ``root_t`` the per-frame
    mid-hip ``(T, 2)`` and ``scale`` the median torso length of the sequence (pixels) unless
    given. ``params = {"root": (T, 2), "scale": float}``; :func:`denormalize` is its exact inverse.
    """
    kp = np.asarray(kp, dtype=np.float32)
    r = root(kp)
    if scale is None:
        scale = float(np.median(torso_length(kp)))
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"cannot normalise: torso length is {scale}")
    norm = (kp - r[..., None, :]) / np.float32(scale)
    return norm.astype(np.float32), {"root": r.astype(np.float32), "scale": float(scale)}


def denormalize(norm: np.ndarray, params: dict) -> np.ndarray:
    """Inverse of :func:`normalize`: ``norm * scale + root_t`` back to canvas pixels."""
    norm = np.asarray(norm, dtype=np.float32)
    return (norm * np.float32(params["scale"]) + np.asarray(params["root"], np.float32)[..., None, :]).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Bones and body scale
#: the neck-RHip and neck-LHip bones of :data:`BONES`, whose reference lengths give the HGR torso
TORSO_BONES = (6, 9)


def is_tensor(x) -> bool:
    """True for a torch tensor (told apart without importing torch)."""
    return type(x).__module__.split(".")[0] == "torch"


@functools.lru_cache(maxsize=None)
def _bone_index(bones: tuple) -> tuple:
    parent = [a for a, _ in bones]
    child = [b for _, b in bones]
    return parent, child, np.array(parent), np.array(child)


def bone_vectors(kp, bones=BONES):
    """Child minus parent of every bone: ``(..., J, D) -> (..., B, D)``, same units.

    ``bones`` are ``(parent, child)`` index pairs, by default the 17 OpenPose-18 :data:`BONES`
    (:data:`dancegen.body3d.BONES3D` for the 3D layout). ``kp`` is anything array-like, or a torch
    tensor (the result is then a tensor, and differentiable)."""
    parent, child, parent_a, child_a = _bone_index(tuple(bones))
    if is_tensor(kp):
        return kp[..., child, :] - kp[..., parent, :]
    kp = np.asarray(kp)
    return kp[..., child_a, :] - kp[..., parent_a, :]


def bone_lengths(kp, bones=BONES, eps: float = 0.0):
    """Length of every bone, ``(..., J, D) -> (..., B)``, same units: ``sqrt(|child - parent|^2 +
    eps)``. ``eps > 0`` keeps the gradient finite at a zero-length bone (the training losses use
    1e-8). numpy or torch, as :func:`bone_vectors`.

    Examples
    --------
    >>> kp = np.zeros((18, 2)); kp[2] = [3.0, 4.0]          # RShoulder 5 px from the neck
    >>> float(bone_lengths(kp)[BONE_NAMES.index("Neck-RShoulder")])
    5.0
    """
    v = bone_vectors(kp, bones)
    sq = (v * v).sum(-1)
    return (sq + eps if eps else sq) ** 0.5


def body_scale(kp=None, *, ref=None):
    """The body's length unit, in the unit of its input. Two measures; every caller names which:

    * ``body_scale(kp)``: the median over frames of the neck-to-mid-hip distance
      (:func:`torso_length`) of keypoints ``(..., 18, D)``. The generator's pose code
      (:mod:`dancegen.model.posecode`), its training reference speed and the 2D motion features
      (:mod:`dancegen.metrics.features`) divide by this.
    * ``body_scale(ref=ref)``: the mean reference length of the neck-RHip and neck-LHip bones
      (:data:`TORSO_BONES`) of reference bone lengths ``(17,)``. The HGR checks
      (:mod:`dancegen.feedback.structure`), the online loop and the fault injection express speeds
      and accelerations in these torso lengths. A batch ``ref (B, 17)`` (numpy or torch) gives
      ``(B,)`` scales, unchecked (the batched online loop).

    Returns a positive float; :class:`~dancegen.errors.DataError` when it is 0 or not finite (the
    neck and the hips all at one point).

    Examples
    --------
    >>> kp = np.zeros((2, 18, 2)); kp[:, 8] = [-30.0, 160.0]; kp[:, 11] = [30.0, 160.0]   # hips
    >>> body_scale(kp)                                      # neck (0, 0) to mid-hip (0, 160)
    160.0
    >>> round(body_scale(ref=bone_lengths(kp[0])), 3)       # neck to each hip: hypot(30, 160)
    162.788
    """
    if (kp is None) == (ref is None):
        raise TypeError("body_scale takes keypoints or ref=..., exactly one of them")
    if ref is not None:
        if is_tensor(ref) or np.ndim(ref) > 1:
            r = ref if is_tensor(ref) else np.asarray(ref, dtype=np.float64)
            return r[..., list(TORSO_BONES)].mean(-1)
        s = float(np.asarray(ref, dtype=np.float64)[list(TORSO_BONES)].mean())
        what = "reference torso length (mean of the neck-hip bones)"
    else:
        s = float(np.median(torso_length(kp)))
        what = "median torso length (neck to mid-hip)"
    if not (np.isfinite(s) and s > 0):
        raise DataError(f"the {what} is {s}, it must be positive; are the hips and neck all at one point?")
    return s


# ---------------------------------------------------------------------------------------------
# Joint speed and motion beats
#: Gaussian smoothing of the speed curve for motion beats, seconds (Bailando/FACT: 5 frames at 60 fps).
DEFAULT_SMOOTH_S = 5.0 / 60.0
#: Minimum time between two motion beats, seconds.
DEFAULT_MIN_INTERVAL_S = 0.1
#: Minimum prominence of a speed minimum, as a fraction of the mean smoothed speed.
DEFAULT_MIN_PROMINENCE = 0.05


def joint_speed(kp, fps: float, *, scale: float = 1.0, per_joint: bool = False, smooth_s: float = 0.0,
                difference: str = "central") -> np.ndarray:
    """Joint speed of a motion, ``||dp_j / dt|| / scale``: the one speed of dancegen.

    Parameters
    ----------
    kp : (T, J, D) joint positions in any length unit (pixels, metres, body units).
    fps : frames per second.
    scale : the result's length unit, in the unit of ``kp``: 1 for ``kp``'s own unit per second,
        ``body_scale(ref=...)`` for torso lengths per second.
    per_joint : every joint's speed, ``(., J)``; otherwise the mean over the joints, ``(.,)``.
    smooth_s : Gaussian smoothing along time, sigma in seconds (0: none).
    difference : ``"central"``: T samples, the speed *at* each frame (:func:`numpy.gradient`:
        central differences, one-sided at the two ends; needs T >= 2). ``"steps"``: T - 1
        samples, the speed over each step between consecutive frames (:func:`numpy.diff`), sample
        k from frame k to k + 1.

    Which definition each figure uses:

    * motion beats, hence the beat alignment error and the beat-align scores
      (:func:`motion_beats`): central, mean over joints, smoothed by 5/60 s, ``kp``'s unit;
    * the HGR jump checks (:func:`dancegen.feedback.structure.joint_speed`, the online loop's
      limits) and the 3D loop's jump rule (:mod:`dancegen.feedback.online3d`): steps, per joint,
      in torso lengths per second (2D) or metres per second (3D);
    * the energy governor and the reference speed saved with a model
      (:mod:`dancegen.model.energy`, ``ModelBundle.ref_speed``), the window speeds of the
      evaluation (:func:`dancegen.metrics.motion.window_speed`): steps, mean over joints, unsmoothed.

    Returns float64.

    Examples
    --------
    >>> kp = np.zeros((4, 2, 2)); kp[:, 1, 0] = [0.0, 1.0, 2.0, 4.0]   # joint 1 moves along x
    >>> joint_speed(kp, 25.0, per_joint=True, difference="steps")[:, 1]
    array([25., 25., 50.])
    >>> joint_speed(kp, 25.0)          # central differences, mean of the two joints
    array([12.5 , 12.5 , 18.75, 25.  ])
    """
    x = np.asarray(kp, dtype=np.float64)
    if x.ndim != 3:
        raise DataError(f"joint positions must have shape (T, J, D), got {x.shape}")
    fps = float(fps)
    if not fps > 0:
        raise ConfigError(f"fps must be positive, got {fps}")
    if difference == "central":
        if x.shape[0] < 2:
            raise DataError(f"need at least 2 frames to measure speed, got {x.shape[0]}")
        sp = np.linalg.norm(np.gradient(x, axis=0) * fps, axis=-1)
        if scale != 1.0:
            sp = sp / float(scale)
        if not per_joint:
            sp = sp.mean(axis=1)
    elif difference == "steps":
        sp = np.linalg.norm(np.diff(x, axis=0), axis=-1)
        sp = (sp if per_joint else sp.mean(axis=1)) * (fps / float(scale))
    else:
        raise ConfigError(f"difference must be 'central' or 'steps', got {difference!r}")
    if smooth_s > 0 and sp.shape[0] > 0:
        from scipy.ndimage import gaussian_filter1d

        sp = gaussian_filter1d(sp, smooth_s * fps, axis=0, mode="nearest")
    return sp


def motion_beats(kp, fps: float, smooth_s: float = DEFAULT_SMOOTH_S,
                 min_interval_s: float = DEFAULT_MIN_INTERVAL_S, min_prominence: float = DEFAULT_MIN_PROMINENCE,
                 refine: bool = True, offset: float = 0.0) -> np.ndarray:
    """Times of the motion beats: local minima of the smoothed mean joint speed, the moments where
    the body briefly stops or changes direction (the "kinematic beat" of Kim et al. 2003, as used by
    AIST++/FACT and Bailando). The one definition: the beat metrics, the generator's beat lock and
    the retiming of the training takes all use it.

    Rule: ``s = joint_speed(kp, fps, smooth_s=smooth_s)`` (central differences, mean over joints);
    a frame ``t`` (not the first or last) is a motion beat when ``s[t]`` is a strict local minimum
    whose prominence (how far the speed rises on both sides before reaching a lower value,
    :func:`dancegen.dsp.find_peaks` on ``-s``, with the semantics of ``scipy.signal.find_peaks``)
    is at least ``min_prominence * mean(s)``, and no deeper minimum lies within
    ``min_interval_s``. With ``refine`` the minimum is placed between frames by fitting a parabola
    through ``s[t-1..t+1]`` (shift at most half a frame), which matters at low frame rates (a 25 fps frame is 40 ms, close to the 50 ms score kernel). A motion
    that never moves has no beats.

    Parameters
    ----------
    kp : (T, J, D) joint positions, any length unit, all finite.
    fps : frames per second.
    smooth_s : Gaussian smoothing of the speed, seconds (default 5/60 s, the published 5 frames
        at 60 fps).
    min_interval_s : minimum spacing of two beats, seconds.
    min_prominence : minimum prominence as a fraction of the mean smoothed speed.
    refine : sub-frame parabolic refinement.
    offset : time of frame 0 in the music, seconds (``Dance.offset``), added to the result.

    Returns
    -------
    (B,) float64 sorted beat times, seconds.

    Examples
    --------
    >>> t = np.arange(240) / 60.0
    >>> kp = np.zeros((240, 1, 2)); kp[:, 0, 0] = 100 * np.sin(2 * np.pi * t)   # turns at .25, .75, ...
    >>> np.round(motion_beats(kp, 60), 3)
    array([0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75])
    """
    from .dsp import find_peaks

    fps = float(fps)
    if not fps > 0:
        raise ConfigError(f"fps must be positive, got {fps}")
    x = np.asarray(kp, dtype=np.float64)
    if x.ndim == 3 and not np.all(np.isfinite(x)):
        raise DataError("joint positions contain NaN or inf; fill or drop those frames first (skeleton.fill_gaps)")
    s = joint_speed(x, fps, smooth_s=smooth_s)
    mean = float(s.mean())
    if not mean > 0:
        return np.zeros(0)
    distance = max(1, int(round(min_interval_s * fps)))
    idx = find_peaks(-s, prominence=min_prominence * mean, distance=distance)
    t = idx.astype(np.float64)
    if refine and len(idx):
        a, b, c = s[idx - 1], s[idx], s[idx + 1]
        den = a - 2 * b + c
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = np.where(den > 0, 0.5 * (a - c) / den, 0.0)
        t = t + np.clip(shift, -0.5, 0.5)
    return t / fps + float(offset)


# ---------------------------------------------------------------------------------------------
# Interpolation in time
def resample(x, positions) -> np.ndarray:
    """Sample a sequence ``x (T, ...)`` at fractional frame ``positions (T2,)`` by linear
    interpolation between the two nearest frames, the positions clamped to ``[0, T - 1]``. The one
    time interpolator: frame-rate changes (:func:`change_fps`), the beat warps
    (:mod:`dancegen.timewarp`), the beat accents and the time base of the training takes use it.
    Returns ``(T2, ...)`` float64.

    Examples
    --------
    >>> resample(np.array([0.0, 10.0, 20.0]), [0.5, 1.25, 7.0])
    array([ 5. , 12.5, 20. ])
    """
    m = np.asarray(x, dtype=np.float64)
    pos = np.clip(np.asarray(positions, dtype=np.float64), 0, m.shape[0] - 1)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, m.shape[0] - 1)
    w = (pos - i0).reshape((-1,) + (1,) * (m.ndim - 1))
    return m[i0] * (1 - w) + m[i1] * w


def change_fps(x, fps_in: float, fps_out: float, n_out: int) -> np.ndarray:
    """``x (T, ...)`` at ``fps_in`` -> ``(n_out, ...)`` float64 at ``fps_out``: output frame t is the
    input at time ``t / fps_out`` (:func:`resample`; the last frame is held past the end).

    >>> change_fps(np.array([0.0, 1.0, 2.0]), 25.0, 50.0, 6)
    array([0. , 0.5, 1. , 1.5, 2. , 2. ])
    """
    return resample(x, np.arange(int(n_out)) / float(fps_out) * float(fps_in))


def fill_gaps(x, bad, *, method: str = "linear", min_good: int = 1):
    """Re-estimate the bad frames of a sequence in time, from its good frames.

    Parameters
    ----------
    x : (T, ...) values (positions of any unit; bad entries may be NaN).
    bad : (T,) bool, whole frames to re-estimate, or (T, J) bool, per joint (``J = x.shape[1]``).
    method : ``"linear"``: straight lines between the nearest good frames; ``"cubic"``: a
        not-a-knot cubic spline through the good frames (linear with fewer than 4). Both hold the
        first and last good value before and after them.
    min_good : a joint (for a (T,) mask: the sequence) with fewer good frames is left as it is.

    Returns
    -------
    out : float64 copy of ``x`` with the bad entries replaced.
    fixed : bool like ``bad``, the entries actually replaced.

    Examples
    --------
    >>> x = np.array([0.0, np.nan, np.nan, 3.0, np.nan])
    >>> fill_gaps(x, ~np.isfinite(x))[0]
    array([0., 1., 2., 3., 3.])
    """
    out = np.array(x, dtype=np.float64, copy=True)
    bad = np.asarray(bad, dtype=bool)
    T = out.shape[0]
    if bad.shape == (T,):
        cols, masks = out.reshape(T, 1, -1), bad[:, None]
    elif bad.ndim == 2 and out.ndim >= 2 and bad.shape == out.shape[:2]:
        cols, masks = out.reshape(T, out.shape[1], -1), bad
    else:
        raise DataError(f"bad-frame mask of shape {bad.shape} does not fit values of shape {out.shape}")
    if method not in ("linear", "cubic"):
        raise ConfigError(f"method must be 'linear' or 'cubic', got {method!r}")
    fixed = np.zeros_like(masks)
    t = np.arange(T)
    for j in np.nonzero(masks.any(axis=0))[0]:
        good = t[~masks[:, j]]
        if len(good) < max(1, int(min_good)):
            continue
        tb = t[masks[:, j]]
        if method == "cubic" and len(good) >= 4:
            from scipy.interpolate import CubicSpline

            val = CubicSpline(good, cols[good, j], axis=0, bc_type="not-a-knot")(np.clip(tb, good[0], good[-1]))
        else:
            val = np.stack([np.interp(tb, good, cols[good, j, c]) for c in range(cols.shape[2])], axis=-1)
        cols[tb, j] = val
        fixed[tb, j] = True
    return cols.reshape(out.shape), fixed.reshape(bad.shape)
