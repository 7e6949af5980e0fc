"""Drawing OpenPose-18 skeletons with OpenCV.

Frames are ``(H, W, 3)`` uint8 in **RGB** channel order (what ffmpeg's ``rgb24`` input, imageio and
matplotlib expect); convert with ``img[..., ::-1]`` before handing a frame to ``cv2.imwrite``.

Colours follow :data:`dancegen.skeleton.BONE_SIDE`: the dancer's left limbs are blue, the right limbs
orange-red, the centre (neck-nose) grey. Keypoints are given in pixels of a *canvas* (default
1920x1080, person about 600 px tall) and drawn onto an output image of any size with one uniform
scale, centred (letterboxed when the aspect ratios differ).
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from ..skeleton import BONE_SIDE, BONES, J, LEFT_JOINTS, RIGHT_JOINTS

# RGB colours.
LEFT_COLOR = (30, 100, 230)     # blue
RIGHT_COLOR = (235, 85, 25)     # orange-red
CENTER_COLOR = (120, 120, 120)  # grey
SIDE_COLORS = {"L": LEFT_COLOR, "R": RIGHT_COLOR, "C": CENTER_COLOR}
JOINT_SHADE = 0.7               # joint dots are the side colour, darkened by this factor
JOINT_SIDE = tuple("R" if j in RIGHT_JOINTS else ("L" if j in LEFT_JOINTS else "C") for j in range(J))

BACKGROUND = (250, 250, 247)    # off-white
GRID_COLOR = (232, 232, 228)
FLOOR_COLOR = (190, 190, 184)
TEXT_COLOR = (110, 110, 110)

# Line thickness and joint radius in *canvas* pixels (a ~600 px tall person); scaled when drawn.
CANVAS_THICKNESS = 9.0
CANVAS_RADIUS = 10.0
MIN_CONFIDENCE = 0.1

_SHIFT = 4                       # sub-pixel bits for cv2 drawing
_ONE = 1 << _SHIFT
_LIMIT = 1e5                     # clip absurd coordinates before the int conversion


def valid_joints(kp: np.ndarray, confidence: np.ndarray | None = None,
                 min_confidence: float = MIN_CONFIDENCE) -> np.ndarray:
    """Which joints of one pose can be drawn.

    Parameters
    ----------
    kp : (18, 2) float, pixels.
    confidence : optional (18,) float in [0, 1].
    min_confidence : joints with confidence below this are skipped.

    Returns
    -------
    (18,) bool: finite coordinates and (when given) confidence >= ``min_confidence``.
    """
    kp = np.asarray(kp, dtype=np.float64)
    if kp.shape != (J, 2):
        raise ValueError(f"a pose must have shape ({J}, 2), got {kp.shape}")
    ok = np.isfinite(kp).all(axis=1)
    if confidence is not None:
        c = np.asarray(confidence, dtype=np.float64)
        if c.shape != (J,):
            raise ValueError(f"confidence must have shape ({J},), got {c.shape}")
        ok &= np.nan_to_num(c, nan=0.0) >= min_confidence
    return ok


def draw_pose(img: np.ndarray, kp: np.ndarray, confidence: np.ndarray | None = None,
              scale: float = 1.0, offset: tuple[float, float] = (0.0, 0.0),
              thickness: float | None = None, radius: float | None = None,
              min_confidence: float = MIN_CONFIDENCE, colors: dict | None = None) -> np.ndarray:
    """Draw one OpenPose-18 skeleton onto ``img`` in place (anti-aliased bones and joint dots).

    Parameters
    ----------
    img : (H, W, 3) uint8, RGB; modified in place.
    kp : (18, 2) float, pixels of the keypoints' own frame; drawn at ``kp * scale + offset``.
    confidence : optional (18,) in [0, 1]; joints below ``min_confidence`` are skipped.
        Joints with a NaN/inf coordinate are always skipped, and so is every bone touching one.
    scale : image pixels per keypoint pixel.
    offset : (x, y) image pixels added after scaling.
    thickness, radius : bone width and joint-dot radius in image pixels; default
        ``CANVAS_THICKNESS * scale`` and ``CANVAS_RADIUS * scale`` (at least 1).
    colors : ``{"L": rgb, "R": rgb, "C": rgb}``; default :data:`SIDE_COLORS`. Joint dots use the
        same colours darkened by :data:`JOINT_SHADE`.

    Returns
    -------
    ``img`` (the same array), for chaining.

    Examples
    --------
    >>> img = np.full((540, 960, 3), 255, np.uint8)
    >>> draw_pose(img, kp_canvas, scale=0.5)  # doctest: +SKIP
    """
    if not (isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3):
        raise ValueError(f"img must be an (H, W, 3) uint8 array, got {getattr(img, 'shape', None)} "
                         f"{getattr(img, 'dtype', type(img))}")
    colors = SIDE_COLORS if colors is None else {**SIDE_COLORS, **colors}
    ok = valid_joints(kp, confidence, min_confidence)
    pts = np.asarray(kp, dtype=np.float64) * scale + np.asarray(offset, dtype=np.float64)
    pts = np.clip(np.nan_to_num(pts), -_LIMIT, _LIMIT)
    ipts = np.round(pts * _ONE).astype(np.int64)
    if thickness is None:
        thickness = CANVAS_THICKNESS * scale
    if radius is None:
        radius = CANVAS_RADIUS * scale
    th = max(1, int(round(thickness)))
    rad = max(1, int(round(radius * _ONE)))

    # Centre bones first, then right, then left (the order only shows where limbs cross).
    order = sorted(range(len(BONES)), key=lambda i: "CRL".index(BONE_SIDE[i]))
    for i in order:
        a, b = BONES[i]
        if ok[a] and ok[b]:
            cv2.line(img, (int(ipts[a, 0]), int(ipts[a, 1])), (int(ipts[b, 0]), int(ipts[b, 1])),
                     colors[BONE_SIDE[i]], th, cv2.LINE_AA, _SHIFT)
    dots = {k: tuple(int(round(c * JOINT_SHADE)) for c in v) for k, v in colors.items()}
    for j in range(J):
        if ok[j]:
            cv2.circle(img, (int(ipts[j, 0]), int(ipts[j, 1])), rad, dots[JOINT_SIDE[j]], -1,
                       cv2.LINE_AA, _SHIFT)
    return img


def fit_canvas(canvas: tuple[int, int], out_size: tuple[int, int]) -> tuple[float, tuple[float, float]]:
    """Uniform scale and offset that map canvas pixels onto an output image, centred.

    Parameters
    ----------
    canvas : (width, height) of the keypoints' canvas, pixels.
    out_size : (width, height) of the output image, pixels.

    Returns
    -------
    ``(scale, (ox, oy))`` with ``out = canvas_xy * scale + (ox, oy)``;
    ``scale = min(W / cw, H / ch)``, the leftover space split evenly (letterbox).
    """
    cw, ch = canvas
    w, h = out_size
    if cw <= 0 or ch <= 0 or w <= 0 or h <= 0:
        raise ValueError(f"canvas {canvas} and out_size {out_size} must be positive")
    s = min(w / cw, h / ch)
    return s, ((w - cw * s) / 2.0, (h - ch * s) / 2.0)


def make_background(out_size: tuple[int, int], canvas: tuple[int, int] = (1920, 1080),
                    floor_y: float | None = None, grid: bool = True,
                    color=BACKGROUND) -> np.ndarray:
    """A plain background image with a faint grid and an optional floor line.

    Parameters
    ----------
    out_size : (W, H) pixels of the image.
    canvas : (width, height) of the keypoint canvas the grid and floor refer to.
    floor_y : floor height in canvas pixels (y down), or None for no floor line.
    grid : draw a faint square grid (one cell = canvas height / 9, about a third of a person).
    color : RGB background colour.

    Returns
    -------
    (H, W, 3) uint8 RGB.
    """
    w, h = int(out_size[0]), int(out_size[1])
    img = np.empty((h, w, 3), np.uint8)
    img[:] = np.asarray(color, np.uint8)
    s, (ox, oy) = fit_canvas(canvas, (w, h))
    if grid:
        step = canvas[1] / 9.0
        cx = canvas[0] / 2.0
        k0 = -int(math.ceil(cx / step))
        for k in range(k0, -k0 + 1):
            x = int(round((cx + k * step) * s + ox))
            if 0 <= x < w:
                cv2.line(img, (x, 0), (x, h - 1), GRID_COLOR, 1, cv2.LINE_4)
        for k in range(0, 10):
            y = int(round(k * step * s + oy))
            if 0 <= y < h:
                cv2.line(img, (0, y), (w - 1, y), GRID_COLOR, 1, cv2.LINE_4)
    if floor_y is not None and np.isfinite(floor_y):
        y = int(round(floor_y * s + oy))
        if 0 <= y < h:
            cv2.line(img, (0, y), (w - 1, y), FLOOR_COLOR, max(1, int(round(3 * s))), cv2.LINE_AA)
    return img


def draw_label(img: np.ndarray, text: str, corner: str = "bl") -> np.ndarray:
    """Write a small grey label in a corner of ``img`` (in place): ``corner`` in {"bl", "tl"}."""
    h = img.shape[0]
    fs = max(0.35, h / 1080.0 * 0.9)
    th = max(1, int(round(h / 540.0)))
    (tw, tht), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, fs, th)
    m = max(4, int(round(h * 0.015)))
    y = h - m - base if corner == "bl" else m + tht
    cv2.putText(img, text, (m, y), cv2.FONT_HERSHEY_SIMPLEX, fs, TEXT_COLOR, th, cv2.LINE_AA)
    return img


def frame_label(index: int | None, fps: float | None) -> str:
    """``"frame 123  4.92 s"`` (time omitted without fps, empty without index)."""
    if index is None:
        return ""
    if fps:
        return f"frame {index}  {index / fps:6.2f} s"
    return f"frame {index}"


def render_frame(kp: np.ndarray, canvas: tuple[int, int] = (1920, 1080),
                 out_size: tuple[int, int] | None = None, background: np.ndarray | tuple | None = None,
                 confidence: np.ndarray | None = None, index: int | None = None,
                 fps: float | None = None, floor_y: float | None = None,
                 grid: bool = True, label: str | None = None) -> np.ndarray:
    """Render one pose as an image.

    Parameters
    ----------
    kp : (18, 2) float, pixels of ``canvas`` (x right, y down).
    canvas : (width, height) of the canvas ``kp`` is given on.
    out_size : (W, H) of the image; default the canvas size. The canvas is scaled uniformly
        to fit and centred.
    background : an (H, W, 3) uint8 image to draw on (copied, e.g. from :func:`make_background`),
        or an RGB colour; default :func:`make_background` with ``floor_y`` and ``grid``.
    confidence : optional (18,) in [0, 1]; joints below 0.1 are skipped.
    index, fps : frame number and frame rate, written as ``frame i  t s`` bottom left.
    floor_y : floor line in canvas pixels, when the background is built here.
    grid : faint grid, when the background is built here.
    label : extra text, top left (e.g. the dance name).

    Returns
    -------
    (H, W, 3) uint8 RGB.
    """
    out_size = tuple(canvas) if out_size is None else tuple(out_size)
    w, h = int(out_size[0]), int(out_size[1])
    if isinstance(background, np.ndarray):
        if background.shape != (h, w, 3) or background.dtype != np.uint8:
            raise ValueError(f"background must be ({h}, {w}, 3) uint8, got {background.shape} {background.dtype}")
        img = background.copy()
    elif background is None:
        img = make_background((w, h), canvas, floor_y=floor_y, grid=grid)
    else:
        img = np.empty((h, w, 3), np.uint8)
        img[:] = np.asarray(background, np.uint8)
    s, off = fit_canvas(canvas, (w, h))
    draw_pose(img, kp, confidence, scale=s, offset=off)
    text = frame_label(index, fps)
    if text:
        draw_label(img, text, "bl")
    if label:
        draw_label(img, label, "tl")
    return img
