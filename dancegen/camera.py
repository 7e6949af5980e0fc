"""Filming a 3D dance: an explicit perspective (pinhole) camera that turns world joints (metres,
y up, floor at 0) into 2D pixels (x right, y down) of a canvas.

Camera model: at frame t the camera stands at ``C_t``, looks at the target ``P_t`` with the world
up (+y) as its up direction (no roll), and has focal length ``f`` pixels with the principal point
at the canvas centre: a point ``X`` with camera coordinates ``(x, y, z) = R_t (X - C_t)`` (x right,
y up, z forward) lands at ``(w/2 + f x / z, h/2 - f y / z)``. The target is the dancer's root on
the floor, smoothed over ``follow_s`` seconds, at ``target_height`` metres; the camera stands
``distance`` metres from the target, ``elevation`` degrees above the horizontal, at a horizontal
angle (its *yaw*: 0 puts the camera on the +z side looking along -z) chosen by the mode:

* ``front`` (default, the view a viewer would choose): the camera follows the dancer and turns with
  their heading smoothed over ``turn_s`` seconds, so the body faces the viewer as a stage audience
  would see it while the quick turns of the dance stay visible; ``yaw`` offsets it.
* ``fixed``: one camera position for the whole dance, looking at the middle of the travelled area
  from ``yaw``, far enough that the whole travel fits on the canvas: it shows the travel.
* ``orbit``: follows the dancer like ``front`` but circles them once every ``orbit_s`` seconds,
  starting at ``yaw``.

``f`` makes a body of the dancer's height ``person_height_px`` tall at ``distance`` (the fixed
camera lowers it when the travel needs more room). :func:`film` returns keypoints and a camera
record (positions, targets, focal length) so any frame can be re-projected.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .errors import ConfigError

CAMERAS = ("front", "fixed", "orbit")


@dataclass
class CameraConfig:
    mode: str = "front"
    yaw: float = 0.0              # degrees
    elevation: float = 8.0        # degrees above the horizontal
    distance: float = 4.0         # metres from the target
    person_height_px: float = 600.0
    follow_s: float = 1.0
    turn_s: float = 1.5
    orbit_s: float = 20.0
    target_height: float = 0.9    # metres
    margin: float = 0.03          # share of the canvas kept free at each side

    def __post_init__(self):
        if self.mode not in CAMERAS:
            raise ConfigError(f"--camera {self.mode!r}: use one of {', '.join(CAMERAS)}")
        if not -60 <= float(self.elevation) <= 80:
            raise ConfigError(f"--elevation {self.elevation}: use -60 to 80 degrees")
        if not (self.distance > 0.5 and self.person_height_px > 10):
            raise ConfigError("camera distance must exceed 0.5 m and person_height_px 10 px")
        if not np.isfinite(self.yaw):
            raise ConfigError(f"--yaw {self.yaw}: must be a number of degrees")

    def to_dict(self) -> dict:
        return asdict(self)


def _smooth(x: np.ndarray, sigma_frames: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter1d

    if sigma_frames <= 0 or len(x) < 2:
        return np.asarray(x, np.float64)
    return gaussian_filter1d(np.asarray(x, np.float64), sigma_frames, axis=0, mode="nearest")


def look_at(cam: np.ndarray, target: np.ndarray) -> np.ndarray:
    """World -> camera rotations ``(T, 3, 3)`` (rows: right, up, forward) for cameras at ``cam``
    looking at ``target`` (both ``(T, 3)``), world up +y, no roll."""
    fwd = target - cam
    fwd /= np.maximum(np.linalg.norm(fwd, axis=-1, keepdims=True), 1e-9)
    right = np.cross(fwd, np.array([0.0, 1.0, 0.0]))
    right /= np.maximum(np.linalg.norm(right, axis=-1, keepdims=True), 1e-9)
    up = np.cross(right, fwd)
    return np.stack([right, up, fwd], axis=-2)


def project_points(points: np.ndarray, cam: np.ndarray, R: np.ndarray, f: float, canvas) -> tuple:
    """Pinhole projection of ``points (T, K, 3)`` -> ``(pixels (T, K, 2) float32, depth (T, K))``."""
    rel = np.einsum("tij,tkj->tki", R, np.asarray(points, np.float64) - cam[:, None, :])
    z = np.maximum(rel[..., 2], 1e-3)
    uv = np.empty(rel.shape[:-1] + (2,), np.float32)
    uv[..., 0] = canvas[0] / 2.0 + f * rel[..., 0] / z
    uv[..., 1] = canvas[1] / 2.0 - f * rel[..., 1] / z
    return uv, rel[..., 2]


def film(joints: np.ndarray, fps: float, config: CameraConfig | None = None, canvas=(1920, 1080),
         heading: np.ndarray | None = None, points: np.ndarray | None = None):
    """Film a dance. ``joints (T, J3, 3)`` world metres (:mod:`dancegen.body3d` layout; root first);
    ``points`` the 3D points to project (default: OpenPose-18 from :func:`dancegen.body3d.to_openpose18`).

    Returns ``(keypoints (T, K, 2) float32 pixels, camera dict)`` where the dict holds
    ``position (T,3)``, ``target (T,3)``, ``focal`` (px) and the config."""
    from . import body3d as b3

    cfg = config or CameraConfig()
    j = np.asarray(joints, np.float64)
    T = len(j)
    pts = b3.to_openpose18(j) if points is None else np.asarray(points, np.float64)
    height = float(np.median(j[:, 2, 1] - np.minimum(j[:, 11, 1], j[:, 15, 1]))) + 0.12  # head top above the feet
    height = max(height, 0.5)
    f = cfg.person_height_px * cfg.distance / height
    el = np.radians(cfg.elevation)
    t = np.arange(T) / fps
    root_xz = j[:, 0, [0, 2]]
    if cfg.mode == "fixed":
        lo, hi = root_xz.min(0), root_xz.max(0)
        target = np.tile(np.r_[0.5 * (lo[0] + hi[0]), cfg.target_height, 0.5 * (lo[1] + hi[1])], (T, 1))
        yaw = np.full(T, np.radians(cfg.yaw))
    else:
        s = _smooth(root_xz, cfg.follow_s * fps)
        target = np.stack([s[:, 0], np.full(T, cfg.target_height), s[:, 1]], -1)
        if cfg.mode == "front":
            h = np.unwrap(b3.heading(j) if heading is None else heading)
            yaw = _smooth(h, cfg.turn_s * fps) + np.radians(cfg.yaw)
        else:
            yaw = np.radians(cfg.yaw) + 2 * np.pi * t / cfg.orbit_s
    back = np.stack([np.sin(yaw) * np.cos(el), np.full(T, np.sin(el)), np.cos(yaw) * np.cos(el)], -1)
    cam = target + cfg.distance * back
    if cfg.mode == "fixed":
        # back away (the focal length stays) until the whole travel and the body fit on the canvas
        d = cfg.distance
        for _ in range(30):
            kp, depth = project_points(pts, cam, look_at(cam, target), f, canvas)
            ext = max(np.abs(kp[..., 0] - canvas[0] / 2).max() / (canvas[0] * (0.5 - cfg.margin)),
                      np.abs(kp[..., 1] - canvas[1] / 2).max() / (canvas[1] * (0.5 - cfg.margin)))
            if ext <= 1.0 and depth.min() > 0.3:
                break
            d *= min(2.0, max(1.1, 1.05 * ext))
            cam = target + d * back
    R = look_at(cam, target)
    kp, depth = project_points(pts, cam, R, f, canvas)
    return kp, {"position": cam.astype(np.float32), "target": target.astype(np.float32), "focal": float(f),
                "config": cfg.to_dict(), "min_depth": float(depth.min())}
