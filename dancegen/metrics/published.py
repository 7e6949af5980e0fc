"""Published evaluation protocols (AIST++/FACT, Bailando) on 3D joints, next to our own forms.

Our own metrics (:mod:`.features`, :mod:`.beat`) work on 2D OpenPose-18 keypoints in seconds; the
papers' numbers come from 24 SMPL joints at 60 fps with frame-based constants. This module gives
the published forms so that a number of ours can be placed next to a table of theirs
(docs/metrics.md, "Published protocols"). It reuses :func:`.features.kinetic_features`,
:func:`.fid.frechet_distance` / :func:`.fid.normalize_features` and the two beat-align scores of
:mod:`.beat`; what is new here is the joint layout, the published geometric relations and the
published motion-beat rules.

* **Layout**: :data:`SMPL24_JOINTS` (SMPL order; the AIST++ code's names in
  :data:`AIST_JOINT_NAMES`), metres, y up, right-handed. :func:`smpl24_from_coco17` (AIST++
  ``keypoints3d``) and :func:`smpl24_from_body3d` (our 3D layout, e.g. Dance with Melody through
  :func:`dancegen.body3d.from_dwm23`) fill the joints a layout lacks by documented approximations
  (:data:`SMPL24_FROM_COCO17`, :data:`SMPL24_FROM_BODY3D`). :func:`resample_fps` brings another frame
  rate to the published 60 fps (cubic spline), because every published constant is in frames.
* **Kinetic features** (:func:`kinetic_features_published`, 72 = 24 joints x 3).
* **Geometric features** (:func:`geometric_features_published`): the boolean relations of the
  AIST++ API's ``features/manual.py`` (Mueller-style, after fairmotion), which are **32**, not 33:
  that file lists 32 relations and Bailando's evaluation notes its manual features as ``N x 32``.
* **FID** (:func:`fid_published`): both sets standardised by the real set's mean and std, then the
  Frechet distance.
* **Beat-align scores** (:func:`beat_align_score_published`): the Bailando form (mean over music
  beats) and the FACT form (mean over motion beats), each with its own published motion-beat rule,
  ``sigma = 3`` frames at 60 fps (= 0.05 s).
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError

__all__ = [
    "PUBLISHED_FPS", "SMPL24_JOINTS", "AIST_JOINT_NAMES", "SMPL24_FROM_COCO17", "SMPL24_FROM_BODY3D",
    "smpl24_from_coco17", "smpl24_from_body3d", "resample_fps", "kinetic_features_published",
    "KINETIC_PUBLISHED_NAMES", "GEOMETRIC_RELATIONS", "GEOMETRIC_PUBLISHED_NAMES",
    "geometric_relations_published", "geometric_features_published", "fid_published",
    "zero_std_dims", "motion_beats_published", "beat_align_score_published",
    "beat_align_score_frames",
]

#: Frame rate every published constant refers to (AIST++ motion, 60 fps).
PUBLISHED_FPS = 60.0

SMPL24_JOINTS = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hand", "right_hand",
)
#: The same 24 joints under the names of the AIST++ feature code (``root``, ``belly`` = spine1,
#: ``spine`` = spine2, ``chest`` = spine3, ``ltoes`` = left_foot, ``linshoulder`` = left_collar ...).
AIST_JOINT_NAMES = (
    "root", "lhip", "rhip", "belly", "lknee", "rknee", "spine", "lankle", "rankle", "chest",
    "ltoes", "rtoes", "neck", "linshoulder", "rinshoulder", "head", "lshoulder", "rshoulder",
    "lelbow", "relbow", "lwrist", "rwrist", "lhand", "rhand",
)
_IDX = {n: i for i, n in enumerate(AIST_JOINT_NAMES)}
_UP = np.array([0.0, 1.0, 0.0])

# approximations shared by both layouts
_SPINE_FRACTIONS = (0.25, 0.5, 0.75)   # spine1, spine2, spine3 between pelvis and neck
_HAND_EXTENSION = 0.35                 # hand = wrist + 0.35 (wrist - elbow): about 8-9 cm
_TOE_FORWARD, _TOE_DOWN = 0.12, 0.05   # synthesised foot joint: metres ahead of / below the ankle

_COMMON_APPROX = {
    "spine1": "approx: pelvis + 0.25 (neck - pelvis)",
    "spine2": "approx: pelvis + 0.50 (neck - pelvis)",
    "spine3": "approx: pelvis + 0.75 (neck - pelvis)",
    "left_collar": "approx: midpoint of neck and left shoulder",
    "right_collar": "approx: midpoint of neck and right shoulder",
    "left_hand": "approx: left wrist + 0.35 (left wrist - left elbow)",
    "right_hand": "approx: right wrist + 0.35 (right wrist - right elbow)",
}
#: How each SMPL joint is obtained from COCO-17 (AIST++ keypoints3d). "direct" joints are the same
#: anatomical joint, but triangulated detector keypoints, not SMPL's regressed joint centres.
SMPL24_FROM_COCO17 = {
    "pelvis": "approx: midpoint of the hips (SMPL's pelvis sits a few cm higher)",
    "left_hip": "direct: left_hip", "right_hip": "direct: right_hip",
    "left_knee": "direct: left_knee", "right_knee": "direct: right_knee",
    "left_ankle": "direct: left_ankle", "right_ankle": "direct: right_ankle",
    "left_foot": "missing, synthesised: left ankle + 0.12 m along the body's horizontal facing "
                 "direction - 0.05 m up", "right_foot": "missing, synthesised: as left_foot",
    "neck": "approx: midpoint of the shoulders",
    "head": "approx: midpoint of the ears",
    "left_shoulder": "direct: left_shoulder", "right_shoulder": "direct: right_shoulder",
    "left_elbow": "direct: left_elbow", "right_elbow": "direct: right_elbow",
    "left_wrist": "direct: left_wrist", "right_wrist": "direct: right_wrist",
    **_COMMON_APPROX,
}
#: How each SMPL joint is obtained from :data:`dancegen.body3d.JOINTS3D` (for Dance with Melody,
#: those joints come from :func:`dancegen.body3d.from_dwm23`, which takes MidHip, Neck and Head as
#: midpoints of DwM joints and the wrists from the DwM hand points).
SMPL24_FROM_BODY3D = {
    "pelvis": "approx: MidHip (midpoint of the hips)",
    "left_hip": "direct: LHip", "right_hip": "direct: RHip",
    "left_knee": "direct: LKnee", "right_knee": "direct: RKnee",
    "left_ankle": "direct: LAnkle", "right_ankle": "direct: RAnkle",
    "left_foot": "approx: LBigToe (a toe tip, ahead of SMPL's toe-base joint)",
    "right_foot": "approx: RBigToe",
    "neck": "approx: Neck (midpoint of the shoulders in from_dwm23)",
    "head": "direct: Head (centre of the head)",
    "left_shoulder": "direct: LShoulder", "right_shoulder": "direct: RShoulder",
    "left_elbow": "direct: LElbow", "right_elbow": "direct: RElbow",
    "left_wrist": "direct: LWrist", "right_wrist": "direct: RWrist",
    **_COMMON_APPROX,
}


def _check_joints(x, k, name, min_frames=1) -> np.ndarray:
    from .features import _check

    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[1:] != (k, 3):
        raise DataError(f"{name} must have shape (T, {k}, 3), got {x.shape}")
    return _check(x, min_frames, name)


def _fill_common(out: np.ndarray) -> np.ndarray:
    """Spine, collars and hands from the joints already in ``out`` (T, 24, 3)."""
    I = _IDX
    pelvis, neck = out[:, I["root"]], out[:, I["neck"]]
    for name, f in zip(("belly", "spine", "chest"), _SPINE_FRACTIONS):
        out[:, I[name]] = pelvis + f * (neck - pelvis)
    for side in "lr":
        out[:, I[f"{side}inshoulder"]] = 0.5 * (neck + out[:, I[f"{side}shoulder"]])
        w, e = out[:, I[f"{side}wrist"]], out[:, I[f"{side}elbow"]]
        out[:, I[f"{side}hand"]] = w + _HAND_EXTENSION * (w - e)
    return out


def smpl24_from_coco17(k3: np.ndarray) -> np.ndarray:
    """COCO-17 3D keypoints ``(T, 17, 3)`` in metres, y up -> SMPL-24 ``(T, 24, 3)`` metres.

    For AIST++, pass ``keypoints3d / smpl_scaling`` (:func:`dancegen.data.aist.load_keypoints3d`):
    the published joints come from the SMPL fit with ``smpl_trans / smpl_scaling``, i.e. a body of
    SMPL's size; ``/ 100`` (plain metres) gives the dancer's real size instead. Which joints are
    direct and which are approximated: :data:`SMPL24_FROM_COCO17`. The facing direction used for
    the synthesised feet is ``((L hip - R hip) + (L shoulder - R shoulder)) x up``, horizontal.
    """
    k = _check_joints(k3, 17, "COCO-17 keypoints")
    I = _IDX
    out = np.zeros((k.shape[0], 24, 3))
    for name, c in (("lhip", 11), ("rhip", 12), ("lknee", 13), ("rknee", 14), ("lankle", 15),
                    ("rankle", 16), ("lshoulder", 5), ("rshoulder", 6), ("lelbow", 7),
                    ("relbow", 8), ("lwrist", 9), ("rwrist", 10)):
        out[:, I[name]] = k[:, c]
    out[:, I["root"]] = 0.5 * (k[:, 11] + k[:, 12])
    out[:, I["neck"]] = 0.5 * (k[:, 5] + k[:, 6])
    out[:, I["head"]] = 0.5 * (k[:, 3] + k[:, 4])
    side = (k[:, 11] - k[:, 12]) + (k[:, 5] - k[:, 6])
    fwd = np.cross(side, _UP)
    fwd[:, 1] = 0.0
    n = np.linalg.norm(fwd, axis=-1, keepdims=True)
    fwd = np.where(n > 1e-9, fwd / np.maximum(n, 1e-9), np.array([0.0, 0.0, 1.0]))
    for side_, a in (("l", 15), ("r", 16)):
        out[:, I[f"{side_}toes"]] = k[:, a] + _TOE_FORWARD * fwd - _TOE_DOWN * _UP
    return _fill_common(out)


def smpl24_from_body3d(joints: np.ndarray) -> np.ndarray:
    """:data:`dancegen.body3d.JOINTS3D` ``(T, 17, 3)`` metres -> SMPL-24 ``(T, 24, 3)`` metres
    (:data:`SMPL24_FROM_BODY3D` says which joints are direct and which approximated)."""
    from .. import body3d as b3

    j = _check_joints(joints, b3.J3, "body3d joints")
    I, B = _IDX, b3.JOINT3D_INDEX
    out = np.zeros((j.shape[0], 24, 3))
    for name, src in (("root", "MidHip"), ("lhip", "LHip"), ("rhip", "RHip"), ("lknee", "LKnee"),
                      ("rknee", "RKnee"), ("lankle", "LAnkle"), ("rankle", "RAnkle"),
                      ("ltoes", "LBigToe"), ("rtoes", "RBigToe"), ("neck", "Neck"), ("head", "Head"),
                      ("lshoulder", "LShoulder"), ("rshoulder", "RShoulder"), ("lelbow", "LElbow"),
                      ("relbow", "RElbow"), ("lwrist", "LWrist"), ("rwrist", "RWrist")):
        out[:, I[name]] = j[:, B[src]]
    return _fill_common(out)


def resample_fps(x: np.ndarray, fps_in: float, fps_out: float = PUBLISHED_FPS) -> np.ndarray:
    """Resample a sequence ``(T, ...)`` from ``fps_in`` to ``fps_out`` with a cubic spline in time
    (``scipy.interpolate.CubicSpline``, not-a-knot): output frame ``i`` is at ``i / fps_out`` s,
    for every ``i`` with ``i / fps_out <= (T - 1) / fps_in``. Identity when the rates are equal.

    The published features and beat rules count frames at 60 fps (a +-2-frame window, a 1/120-s
    "frame time", sigma = 3 and 5 frames, order 10), so a 25-fps capture is brought to 60 fps first.
    A spline cannot restore what 25 fps did not record: accelerations above ~12 Hz are missing.
    """
    from scipy.interpolate import CubicSpline

    x = np.asarray(x, dtype=np.float64)
    fps_in, fps_out = float(fps_in), float(fps_out)
    if not (fps_in > 0 and fps_out > 0):
        raise ConfigError(f"frame rates must be positive, got {fps_in} and {fps_out}")
    if x.shape[0] < 2:
        raise DataError(f"need at least 2 frames to resample, got {x.shape[0]}")
    if fps_in == fps_out:
        return x.copy()
    t_in = np.arange(x.shape[0]) / fps_in
    n_out = int(np.floor(t_in[-1] * fps_out + 1e-9)) + 1
    return CubicSpline(t_in, x, axis=0)(np.arange(n_out) / fps_out)


# ---------------------------------------------------------------------------------------------
# kinetic features
KINETIC_PUBLISHED_NAMES = tuple(f"{j}:{f}" for j in SMPL24_JOINTS for f in ("ke_h", "ke_v", "energy"))


def kinetic_features_published(joints24: np.ndarray, fps: float = PUBLISHED_FPS,
                               compat_accel_bug: bool = False,
                               subtract_first_root: bool = True) -> np.ndarray:
    """AIST++ kinetic features as published: ``(72,)`` for SMPL-24 joints ``(T, 24, 3)``, metres,
    y up, at 60 fps (:func:`resample_fps` first for another rate).

    Pipeline (AIST++ API ``extract_kinetic_features`` as run by Bailando's evaluation): subtract the
    first frame's pelvis from every joint of every frame (``subtract_first_root``), then per joint,
    with ``dt = 1/60`` s and windows of +-2 frames, ``KE_h = mean_i ||v_i horizontal||^2``,
    ``KE_v = mean_i v_i[y]^2``, ``E = mean_i ||a_i||`` (the formulas of
    :func:`dancegen.metrics.features.kinetic_features`, which this calls). Joint-major order
    (:data:`KINETIC_PUBLISHED_NAMES`); m^2/s^2, m^2/s^2, m/s^2.

    ``compat_accel_bug=True`` reproduces the operator-precedence bug of the published
    ``calc_average_acceleration`` (present in a version of the AIST++ API's ``features/utils.py``,
    corrected in a later one): the backward velocity is written
    ``v1 = (positions[k] - positions[k - 1] / frame_time)``, so the division binds to
    ``positions[k - 1]`` alone and ``v1 = p_k - p_{k-1} / dt`` instead of ``(p_k - p_{k-1}) / dt``.
    The acceleration ``(v2 - v1) / dt`` with ``v2 = (p_{k+1} - p_k) / dt`` becomes
    ``(p_{k+1} - 2 p_k + p_{k-1}) / dt^2 + (fps - 1) fps p_k``: the true acceleration plus
    ``3540 p_k`` (1/s^2 at 60 fps). That term is an absolute position, not a difference, so it does
    not cancel under a translation ``p -> p + c`` (the acceleration gains ``3540 c``): the energy
    term, and FID_k with it, depends on where the coordinate origin is. With the first-root
    subtraction the origin is the first frame's pelvis, so the buggy "energy" mostly measures how far
    each joint is from where the dancer started (a joint 1 m away reads about 3540 m/s^2, while
    true dance accelerations are tens of m/s^2). The velocity terms are unaffected. The correct form
    is invariant to any translation. Use the compat form only to reproduce a published table.
    """
    from .features import kinetic_features_aist

    x = _check_joints(joints24, 24, "joints24", min_frames=3)
    return kinetic_features_aist(x, fps=fps, up_axis=1, compat_aist_bug=compat_accel_bug,
                                 subtract_first_root=subtract_first_root, root_index=0)


# ---------------------------------------------------------------------------------------------
# geometric (manual) features
#: Body-size constants of the published relations, metres: the distances between SMPL rest-pose
#: joints (left shoulder-left elbow, left shoulder-right shoulder, left hip-right hip) that the
#: AIST++ API's manual.py hard-codes; fixed for every body (not measured per sequence).
HUMERUS_LENGTH, SHOULDER_WIDTH, HIP_WIDTH = 0.256838, 0.390848, 0.119247
_UNITS = {"hl": HUMERUS_LENGTH, "sw": SHOULDER_WIDTH, "hw": HIP_WIDTH}
#: Velocity scale of the published relations: displacement per frame / (1/120 s), although the
#: motion is at 60 fps (the code's ``time_per_frame=1/120``), i.e. twice the true speed at 60 fps.
PUBLISHED_FRAME_TIME = 1.0 / 120.0

#: The 32 relations, in the published order: ``(kind, points, threshold)``; a threshold is
#: ``(factor, unit)`` (unit in hl / sw / hw, metres; metres per "frame time" for move, nmove,
#: fast) or ``(lo, hi)`` degrees for angle. Points are AIST++ joint names or ``zero``, ``y_unit``,
#: ``minus_y_unit``, ``y_min`` = ``(0, lowest y of any joint in the frame, 0)``. Per frame t:
#:
#: * plane(a, b, c, p): ``(p - a) . n / |n| > thr`` with ``n = (c - a) x (b - a)``;
#: * nplane(n1, n2, a, p): ``(p - a) . (n2 - n1) / |n2 - n1| > thr``;
#: * angle(a, b, c, d): the angle between ``b - a`` and ``d - c`` lies strictly inside (lo, hi);
#: * move(a, b, c, d): ``v . (b - a) / |b - a| > thr`` with ``v`` the velocity of ``c`` relative
#:   to ``a`` (the published code passes its third point as the moving one; ``d`` is unused);
#: * nmove(a, b, c, d): ``v . n / |n| > thr``, ``v`` the velocity of ``d`` relative to ``a``,
#:   ``n = (c - a) x (b - a)``;
#: * fast(a): ``|velocity of a| > thr``.
#:
#: Velocities are ``(x_t - x_{t-1}) / PUBLISHED_FRAME_TIME``; frames t = 1 .. T-1.
GEOMETRIC_RELATIONS = (
    ("nmove", ("neck", "rhip", "lhip", "rwrist"), (1.8, "hl")),
    ("nmove", ("neck", "lhip", "rhip", "lwrist"), (1.8, "hl")),
    ("nplane", ("chest", "neck", "neck", "rwrist"), (0.2, "hl")),
    ("nplane", ("chest", "neck", "neck", "lwrist"), (0.2, "hl")),
    ("move", ("belly", "chest", "chest", "rwrist"), (1.8, "hl")),
    ("move", ("belly", "chest", "chest", "lwrist"), (1.8, "hl")),
    ("angle", ("relbow", "rshoulder", "relbow", "rwrist"), (0.0, 110.0)),
    ("angle", ("lelbow", "lshoulder", "lelbow", "lwrist"), (0.0, 110.0)),
    ("nplane", ("lshoulder", "rshoulder", "lwrist", "rwrist"), (2.5, "sw")),
    ("move", ("lwrist", "rwrist", "rwrist", "lwrist"), (1.4, "hl")),
    ("move", ("rwrist", "root", "lwrist", "root"), (1.4, "hl")),
    ("move", ("lwrist", "root", "rwrist", "root"), (1.4, "hl")),
    ("fast", ("rwrist",), (2.5, "hl")),
    ("fast", ("lwrist",), (2.5, "hl")),
    ("plane", ("root", "lhip", "ltoes", "rankle"), (0.38, "hl")),
    ("plane", ("root", "rhip", "rtoes", "lankle"), (0.38, "hl")),
    ("nplane", ("zero", "y_unit", "y_min", "rankle"), (1.2, "hl")),
    ("nplane", ("zero", "y_unit", "y_min", "lankle"), (1.2, "hl")),
    ("nplane", ("lhip", "rhip", "lankle", "rankle"), (2.1, "hw")),
    ("angle", ("rknee", "rhip", "rknee", "rankle"), (0.0, 110.0)),
    ("angle", ("lknee", "lhip", "lknee", "lankle"), (0.0, 110.0)),
    ("fast", ("rankle",), (2.5, "hl")),
    ("fast", ("lankle",), (2.5, "hl")),
    ("angle", ("neck", "root", "rshoulder", "relbow"), (25.0, 180.0)),
    ("angle", ("neck", "root", "lshoulder", "lelbow"), (25.0, 180.0)),
    ("angle", ("neck", "root", "rhip", "rknee"), (50.0, 180.0)),
    ("angle", ("neck", "root", "lhip", "lknee"), (50.0, 180.0)),
    ("plane", ("rankle", "neck", "lankle", "root"), (0.5, "hl")),
    ("angle", ("neck", "root", "zero", "y_unit"), (70.0, 110.0)),
    ("nplane", ("zero", "minus_y_unit", "y_min", "rwrist"), (-1.2, "hl")),
    ("nplane", ("zero", "minus_y_unit", "y_min", "lwrist"), (-1.2, "hl")),
    ("fast", ("root",), (2.3, "hl")),
)


def _relation_name(kind, pts, thr) -> str:
    t = f"({thr[0]:g},{thr[1]:g})deg" if kind == "angle" else f">{thr[0]:g}{thr[1]}"
    return f"{kind}({','.join(pts)}){t}"


GEOMETRIC_PUBLISHED_NAMES = tuple(_relation_name(*r) for r in GEOMETRIC_RELATIONS)


def _dot(a, b):
    return (a * b).sum(-1)


def _proj(v, d):
    """Component of ``v`` along ``d`` (NaN where ``d`` has zero length; NaN compares False)."""
    n = np.linalg.norm(d, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _dot(v, d) / n


def geometric_relations_published(joints24: np.ndarray) -> np.ndarray:
    """The 32 published boolean relations (:data:`GEOMETRIC_RELATIONS`) per frame: ``(T-1, 32)``
    bool for SMPL-24 joints ``(T, 24, 3)`` metres, y up, 60 fps; row ``t-1`` is frame ``t``
    (frame 0 has no previous frame, as in the published loop). Translation invariant."""
    x = _check_joints(joints24, 24, "joints24", min_frames=2)
    cur, prev = x[1:], x[:-1]
    n = cur.shape[0]
    special = {"zero": np.zeros(3), "y_unit": _UP, "minus_y_unit": -_UP}

    def P(name):
        if name in special:
            return np.broadcast_to(special[name], (n, 3))
        if name == "y_min":
            out = np.zeros((n, 3))
            out[:, 1] = cur[..., 1].min(axis=1)
            return out
        return cur[:, _IDX[name]]

    def Q(name):
        return prev[:, _IDX[name]]

    cols = []
    for kind, pts, thr in GEOMETRIC_RELATIONS:
        limit = thr[0] * _UNITS[thr[1]] if kind != "angle" else None
        if kind == "plane":
            a, b, c, p = (P(k) for k in pts)
            val = _proj(p - a, np.cross(c - a, b - a))
        elif kind == "nplane":
            n1, n2, a, p = (P(k) for k in pts)
            val = _proj(p - a, n2 - n1)
        elif kind == "angle":
            a, b, c, d = (P(k) for k in pts)
            u, w = b - a, d - c
            with np.errstate(divide="ignore", invalid="ignore"):
                cos = _dot(u, w) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(w, axis=-1))
            ang = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
            cols.append((ang > thr[0]) & (ang < thr[1]))
            continue
        elif kind == "move":
            a, b, c = pts[0], pts[1], pts[2]
            v = (P(c) - P(a)) - (Q(c) - Q(a))
            val = _proj(v, P(b) - P(a)) / PUBLISHED_FRAME_TIME
        elif kind == "nmove":
            a, b, c, d = pts
            v = (P(d) - P(a)) - (Q(d) - Q(a))
            val = _proj(v, np.cross(P(c) - P(a), P(b) - P(a))) / PUBLISHED_FRAME_TIME
        elif kind == "fast":
            val = np.linalg.norm(P(pts[0]) - Q(pts[0]), axis=-1) / PUBLISHED_FRAME_TIME
        else:  # pragma: no cover - the table above is fixed
            raise ConfigError(f"unknown relation kind {kind!r}")
        with np.errstate(invalid="ignore"):
            cols.append(val > limit)
    return np.stack(cols, axis=-1)


def geometric_features_published(joints24: np.ndarray) -> np.ndarray:
    """AIST++ geometric ("manual") features as published: ``(32,)`` float, the share of frames
    1..T-1 in which each relation of :data:`GEOMETRIC_RELATIONS` holds (names
    :data:`GEOMETRIC_PUBLISHED_NAMES`). SMPL-24 joints ``(T, 24, 3)``, metres, y up, 60 fps."""
    return geometric_relations_published(joints24).mean(axis=0)


# ---------------------------------------------------------------------------------------------
# FID
def zero_std_dims(real: np.ndarray) -> int:
    """Number of feature dimensions with zero spread in ``real`` (N, F): after the published
    standardisation ``(x - mean) / (std + 1e-10)`` any difference there is multiplied by 1e10."""
    r = np.asarray(real, dtype=np.float64)
    return int(np.count_nonzero(r.std(axis=0) == 0))


def fid_published(real: np.ndarray, other: np.ndarray) -> float:
    """FID_k / FID_g as published (AIST++/FACT ``calculate_frechet_feature_distance``, Bailando
    ``quantized_metrics``): standardise both sets with the per-dimension mean and population std
    (+1e-10) of ``real`` (:func:`.fid.normalize_features`), then the Frechet distance of the fitted
    Gaussians (:func:`.fid.frechet_distance`). Not symmetric: ``real`` sets the scale.
    ``fid_published(A, A) == 0``. A dimension constant in ``real`` but not in ``other`` makes the
    number explode (:func:`zero_std_dims`), as it does in the published code."""
    from .fid import frechet_distance, normalize_features

    rn, on = normalize_features(real, other)
    return frechet_distance(on, rn)


# ---------------------------------------------------------------------------------------------
# beat-align scores
_BAS_FORMS = ("bailando", "fact")
#: Published constants, in 60-fps frames: Bailando smooths the mean joint speed with a Gaussian of
#: sigma 5 and takes every strict local minimum; FACT takes minima of the summed joint speed over
#: +-10 frames (``argrelextrema(order=10)``), unsmoothed. Both score with sigma = 3 frames.
BAILANDO_SMOOTH_FRAMES, FACT_ORDER_FRAMES, BAS_SIGMA_FRAMES = 5.0, 10, 3.0


def _form(form: str) -> str:
    if form not in _BAS_FORMS:
        raise ConfigError(f"unknown beat-align form {form!r}; use 'bailando' or 'fact'")
    return form


def motion_beats_published(joints: np.ndarray, form: str = "bailando") -> np.ndarray:
    """Motion beats by the published rule, as 60-fps frame indices ``(B,)`` int, of joints
    ``(T, J, 3)`` at 60 fps.

    * ``bailando``: ``s_i = mean_j ||p_{i+1,j} - p_{i,j}||`` for i = 0..T-2, Gaussian filter
      (sigma 5 frames, ``scipy.ndimage.gaussian_filter`` defaults), beats = strict local minima
      (``scipy.signal.argrelextrema(s, np.less)``).
    * ``fact``: ``s_0 = 0``, ``s_t = sum_j ||p_{t,j} - p_{t-1,j}||``, beats = minima over +-10
      frames (``argrelextrema(s, np.less, order=10)``), no smoothing.

    Compare with our :func:`dancegen.metrics.beat.motion_beats` (seconds, central differences,
    prominence and spacing rules, sub-frame refinement, any frame rate).
    """
    from scipy.ndimage import gaussian_filter
    from scipy.signal import argrelextrema

    x = np.asarray(joints, dtype=np.float64)
    if x.ndim != 3 or x.shape[0] < 3:
        raise DataError(f"joints must have shape (T >= 3, J, D), got {x.shape}")
    step = np.linalg.norm(np.diff(x, axis=0), axis=-1)   # (T-1, J)
    if _form(form) == "bailando":
        s = gaussian_filter(step.mean(axis=1), BAILANDO_SMOOTH_FRAMES)
        return argrelextrema(s, np.less)[0]
    s = np.concatenate([[0.0], step.sum(axis=1)])
    return argrelextrema(s, np.less, order=FACT_ORDER_FRAMES)[0]


def beat_align_score_published(joints60: np.ndarray, music_beats, form: str = "bailando",
                               offset: float = 0.0) -> float:
    """Beat-align score in a published form, on joints ``(T, J, 3)`` at 60 fps.

    Music beats (seconds in the song; ``offset`` = song time of frame 0) become 60-fps frame
    indices ``round((b - offset) * 60)`` and are kept where the published code keeps them: frames
    ``0 .. T-2`` for Bailando (its speed curve has T-1 samples), ``0 .. T-1`` for FACT.
    Motion beats: :func:`motion_beats_published`. Score, with ``sigma = 3`` frames = 0.05 s:

    * ``bailando``: mean over **music** beats of ``exp(-d^2 / (2 sigma^2))`` (Bailando writes
      ``/ 2 / 9``), ``d`` = frames to the nearest motion beat; 0 without motion beats;
    * ``fact``: mean over **motion** beats of the same kernel, ``d`` = frames to the nearest music
      beat; 0 without motion beats (as published).

    Scored by :func:`beat_align_score_frames`. DataError without music beats in range.
    """
    form = _form(form)
    x = np.asarray(joints60, dtype=np.float64)
    mo = motion_beats_published(x, form)
    T = x.shape[0]
    last = T - 2 if form == "bailando" else T - 1
    mb = np.asarray(music_beats, dtype=np.float64).ravel()
    mf = np.unique(np.round((mb - float(offset)) * PUBLISHED_FPS).astype(np.int64))
    mf = mf[(mf >= 0) & (mf <= last)]
    if len(mf) == 0:
        raise DataError("no music beats inside the motion; check the beats and the offset")
    return beat_align_score_frames(mo, mf, form)


def beat_align_score_frames(motion_frames, music_frames, form: str = "bailando") -> float:
    """The published scores on beat frame indices at 60 fps (sigma 3 frames): ``bailando`` =
    mean over music frames of ``exp(-d^2 / 18)``, ``d`` the distance to the nearest motion frame;
    ``fact`` = mean over motion frames, ``d`` to the nearest music frame; 0 without motion beats.
    Computed by :func:`dancegen.metrics.beat.beat_align_score_bailando` / ``_fact`` on frames / 60
    with sigma 3/60 s (the same numbers)."""
    from .beat import beat_align_score_bailando, beat_align_score_fact

    form = _form(form)
    mo = np.asarray(motion_frames, dtype=np.float64).ravel()
    mu = np.asarray(music_frames, dtype=np.float64).ravel()
    if len(mu) == 0:
        raise DataError("no music beats")
    if len(mo) == 0:
        return 0.0
    sigma = BAS_SIGMA_FRAMES / PUBLISHED_FPS
    fn = beat_align_score_bailando if form == "bailando" else beat_align_score_fact
    return fn(mo / PUBLISHED_FPS, mu / PUBLISHED_FPS, sigma=sigma)
