"""Real-photo fixtures for the pose tests: scikit-image's astronaut photograph (512x512, NASA),
hand-marked joint positions, and videos made by moving and scaling it."""
from __future__ import annotations

import cv2
import numpy as np

# Joint positions marked by hand on skimage.data.astronaut() (pixels, x right, y down), read off a
# 4x (face) and 2x (shoulders) enlargement with a 10/20 px grid. The shoulders are hidden under a
# bulky spacesuit, so they are marked at the anatomical shoulder (about a head width out from the
# neck) and get a looser tolerance.
ASTRONAUT_MARKS = {
    "Nose": (221.0, 126.0),
    "REye": (203.0, 100.0),    # the person's right eye: image left
    "LEye": (246.0, 103.0),
    "RShoulder": (105.0, 255.0),
    "LShoulder": (312.0, 262.0),
}
FACE_TOL_PX = 15.0
SHOULDER_TOL_PX = 30.0


def astronaut() -> np.ndarray:
    """(512, 512, 3) uint8 RGB."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


def place(photo: np.ndarray, scale: float, offset, size, background=128) -> np.ndarray:
    """The photo scaled by ``scale`` with its top-left corner at ``offset`` (x, y) on a
    ``size`` = (w, h) grey canvas: photo pixel p lands at ``scale * p + offset``."""
    m = np.float32([[scale, 0, offset[0]], [0, scale, offset[1]]])
    return cv2.warpAffine(photo, m, tuple(size), flags=cv2.INTER_AREA,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(background,) * 3)


def write_video(path, frames_rgb, fps: float) -> None:
    """mp4 (MPEG-4 part 2) through OpenCV."""
    h, w = frames_rgb[0].shape[:2]
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), (w, h))
    assert wr.isOpened()
    for f in frames_rgb:
        wr.write(np.ascontiguousarray(f[:, :, ::-1]))
    wr.release()


def motion_clip(n_frames: int = 30, size=(640, 640)):
    """A clip of the astronaut photo moving right and up while growing.

    Returns ``(frames, scales (T,), offsets (T, 2))``: scale 0.70 -> 0.90, top-left corner
    (20, 100) -> (150, 40) pixels, linearly.
    """
    photo = astronaut()
    scales = np.linspace(0.70, 0.90, n_frames)
    offsets = np.stack([np.linspace(20, 150, n_frames), np.linspace(100, 40, n_frames)], axis=1)
    frames = [place(photo, s, o, size) for s, o in zip(scales, offsets)]
    return frames, scales, offsets
