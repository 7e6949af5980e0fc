"""2D pose estimation from images and video with MediaPipe Pose (BlazePose), as OpenPose-18.

The estimator wraps MediaPipe 0.10.21's legacy ``mp.solutions.pose.Pose`` with
``model_complexity=1`` (the only landmark model bundled in the wheel; 0 and 2 are downloaded on
first use, which this project does not allow). It detects **one** person per image.

* Video (``static_image_mode=False``): the person is detected once and then tracked from frame to
  frame (the detector only reruns when tracking is lost), and MediaPipe's landmark smoothing filter
  runs on the real frame times (``1/fps`` apart). MediaPipe reports *no* pose for the frame in
  which tracking is lost and only redetects on the next one; the estimator instead feeds that
  frame again at once (``redetect=True``), so a momentary tracking loss costs one detector run
  rather than a missing frame.
* Image folders (``static_image_mode=True``): every image is processed on its own.

Output layout
-------------
BlazePose's 33 landmarks are mapped to OpenPose-18 by :func:`dancegen.skeleton.from_blazepose33`;
the neck is the midpoint of the shoulders. Keypoints are float32 **pixels of the input frame**
(x right, y down); a joint may lie slightly outside the frame when MediaPipe extrapolates it.
Confidence is MediaPipe's per-landmark *visibility* in [0, 1]; the neck's confidence is the
**minimum** of the two shoulders' (a neck is only as reliable as the weaker shoulder it is built
from). A frame with no person gives keypoints ``(0, 0)`` and confidence 0 for every joint (the
OpenPose convention), never an exception.

Example
-------
>>> from dancegen.pose.estimator import extract
>>> dance = extract("dancer.mp4")            # doctest: +SKIP
>>> dance.keypoints.shape, dance.confidence.shape, dance.fps   # doctest: +SKIP
((300, 18, 2), (300, 18), 30.0)
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..errors import PoseError
from ..skeleton import J, from_blazepose33

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
DEFAULT_IMAGE_FPS = 25.0
MODEL_COMPLEXITY = 1
NECK = 1

_MEDIAPIPE_HINT = ("install it with `pip install --no-deps mediapipe==0.10.21` "
                   "(plus absl-py, flatbuffers, 'protobuf<5', attrs), or run scripts/setup.sh")


# ----------------------------------------------------------------------------------- mediapipe
@contextlib.contextmanager
def _quiet_stderr():
    """Send file descriptor 2 to /dev/null for the duration (MediaPipe's C++ code, TFLite and
    absl write warnings there that Python cannot filter). Python's ``sys.stderr`` is flushed
    first so nothing of ours is lost."""
    try:
        sys.stderr.flush()
    except Exception:  # pragma: no cover - closed stderr
        pass
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _import_mediapipe():
    """Import ``mediapipe`` with its log output turned down; raise :class:`PoseError` with the
    install command when it is missing."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with _quiet_stderr():
            import mediapipe as mp  # noqa: WPS433 (lazy on purpose: ~0.5 s and optional)
            from mediapipe.python.solutions import pose as mp_pose
    except ImportError as e:
        raise PoseError(f"pose estimation needs MediaPipe, which could not be imported ({e}); "
                        f"{_MEDIAPIPE_HINT}") from None
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:  # pragma: no cover - absl comes with mediapipe
        pass
    return mp, mp_pose


def landmarks_to_openpose(landmarks: np.ndarray, width: int, height: int):
    """BlazePose-33 normalised landmarks -> OpenPose-18 pixels and confidence.

    Parameters
    ----------
    landmarks : (33, 3) array of ``(x, y, visibility)`` with x, y normalised to [0, 1] by the
        image width and height (MediaPipe's ``pose_landmarks``).
    width, height : image size in pixels.

    Returns
    -------
    kp : (18, 2) float32 pixels.
    conf : (18,) float32 in [0, 1]; the neck gets the minimum of the shoulders' visibility.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.shape != (33, 3):
        raise ValueError(f"landmarks must have shape (33, 3), got {lm.shape}")
    op = from_blazepose33(lm)                         # (18, 3); neck = mid-shoulders
    kp = (op[:, :2] * np.array([width, height], dtype=np.float64)).astype(np.float32)
    conf = np.clip(op[:, 2], 0.0, 1.0).astype(np.float32)
    conf[NECK] = np.float32(min(np.clip(lm[11, 2], 0, 1), np.clip(lm[12, 2], 0, 1)))
    return kp, conf


def _as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {img.dtype}")
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"images must be (H, W, 3) RGB, got shape {img.shape}")
    if img.shape[0] < 2 or img.shape[1] < 2:
        raise ValueError(f"image too small: {img.shape}")
    return np.ascontiguousarray(img)


class PoseEstimator:
    """One-person 2D pose estimator (MediaPipe BlazePose, ``model_complexity=1``) giving OpenPose-18.

    Parameters
    ----------
    static_image_mode : False for video (detect once, then track; landmark smoothing on), True for
        unrelated images (detect in every image, no smoothing).
    min_detection_confidence, min_tracking_confidence : MediaPipe's thresholds in [0, 1].
    smooth_landmarks : MediaPipe's temporal filter (video mode only).
    redetect : video mode: when a frame gives no pose (tracking lost), process it once more so
        that MediaPipe's person detector runs on it (see the module notes).
    max_side : if set, images whose longer side exceeds it are shrunk (``cv2.INTER_AREA``) before
        MediaPipe sees them; the keypoints are scaled back to the input's pixels. MediaPipe's own
        networks run at 224 (detector) and 256 (landmarks) px, so shrinking a large frame to
        ~640 px costs no accuracy and saves copying and resizing time. None: never shrink.

    Use as a context manager, or call :meth:`close`, to free the MediaPipe graph.
    """

    def __init__(self, static_image_mode: bool = False, *, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, smooth_landmarks: bool = True,
                 redetect: bool = True, max_side: int | None = None):
        for name, v in (("min_detection_confidence", min_detection_confidence),
                        ("min_tracking_confidence", min_tracking_confidence)):
            if not 0.0 <= float(v) <= 1.0:
                from ..errors import ConfigError

                raise ConfigError(f"{name} must be in [0, 1], got {v}")
        if max_side is not None and int(max_side) < 64:
            from ..errors import ConfigError

            raise ConfigError(f"max_side must be at least 64 px (or None), got {max_side}")
        self.static_image_mode = bool(static_image_mode)
        self.redetect = bool(redetect)
        self.n_redetect = 0          # frames fed twice after a tracking loss (video mode)
        self.max_side = None if max_side is None else int(max_side)
        self._mp, mp_pose = _import_mediapipe()
        with _quiet_stderr():
            self._pose = mp_pose.Pose(
                static_image_mode=self.static_image_mode,
                model_complexity=MODEL_COMPLEXITY,
                smooth_landmarks=smooth_landmarks,
                enable_segmentation=False,
                min_detection_confidence=float(min_detection_confidence),
                min_tracking_confidence=float(min_tracking_confidence),
            )
            # The graph opens its TFLite models on background threads, which log to fd 2; wait
            # for them while stderr is still silenced.
            self._wait_idle()
        self._warm = False           # the first process() call prints more C++ warnings
        self._clock_us = 0           # MediaPipe packet timestamps, strictly increasing
        self._default_step_us = 33333
        self._next_step_us: int | None = None

    # ------------------------------------------------------------------ lifecycle
    def _wait_idle(self) -> None:
        graph = getattr(self._pose, "_graph", None)
        if graph is not None:
            with contextlib.suppress(Exception):
                graph.wait_until_idle()

    def close(self) -> None:
        """Free the MediaPipe graph (idempotent)."""
        pose, self._pose = getattr(self, "_pose", None), None
        if pose is not None:
            with contextlib.suppress(Exception):
                pose.close()

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def reset(self) -> None:
        """Forget the tracked person (start a new, unrelated video)."""
        if self._pose is None:
            raise PoseError("the pose estimator was closed; create a new PoseEstimator")
        with _quiet_stderr():
            self._pose.reset()
            self._wait_idle()
        self._warm = False           # the restarted graph prints its warnings again
        self._clock_us += 1_000_000  # a clean gap in the timestamps of the new run

    # ------------------------------------------------------------------ estimation
    def _process(self, rgb: np.ndarray, step_us: int | None = None):
        if self._pose is None:
            raise PoseError("the pose estimator was closed; create a new PoseEstimator")
        # MediaPipe's legacy API adds 33333 us to a private clock before each frame; set the clock
        # so that frames are 1/fps apart (the landmark smoothing filter uses these times).
        step = step_us or self._next_step_us or self._default_step_us
        self._clock_us += step
        if hasattr(self._pose, "_simulated_timestamp"):
            self._pose._simulated_timestamp = self._clock_us - 33333
        if self._warm:
            return self._pose.process(rgb)
        with _quiet_stderr():
            res = self._pose.process(rgb)
        self._warm = True
        return res

    def estimate_image(self, rgb: np.ndarray):
        """Pose of the (most prominent) person in one RGB image.

        Parameters
        ----------
        rgb : (H, W, 3) uint8, RGB channel order (convert OpenCV's BGR first). Grey (H, W) and
            RGBA (H, W, 4) are accepted too.

        Returns
        -------
        kp : (18, 2) float32, OpenPose-18 keypoints in pixels of ``rgb``.
        conf : (18,) float32 visibility in [0, 1]; all zeros (and kp zeros) when no person is found.
        """
        img = _as_rgb_uint8(rgb)
        h, w = img.shape[:2]
        scale = 1.0
        if self.max_side is not None and max(h, w) > self.max_side:
            import cv2

            scale = self.max_side / float(max(h, w))
            size = (max(2, int(round(w * scale))), max(2, int(round(h * scale))))
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        res = self._process(img)
        if res.pose_landmarks is None and self.redetect and not self.static_image_mode:
            # Tracking was lost (or nobody is there): the graph now runs its detector on the next
            # input, so give it this frame again, 1 ms later (smoothing restarts after a loss).
            self.n_redetect += 1
            res = self._process(img, step_us=1000)
        if res.pose_landmarks is None:
            return np.zeros((J, 2), np.float32), np.zeros(J, np.float32)
        lm = np.array([(p.x, p.y, p.visibility) for p in res.pose_landmarks.landmark], np.float64)
        # Normalised coordinates do not depend on the shrink; scale by the original size.
        return landmarks_to_openpose(lm, w, h)

    def estimate_frames(self, frames: Iterable[np.ndarray], fps: float | None = None, *,
                        progress: bool = False, total: int | None = None, desc: str = "pose"):
        """Poses of a sequence of RGB frames (a video, in order).

        In video mode the tracker is reset first, so each call is an independent clip.

        Parameters
        ----------
        frames : iterable of (H, W, 3) uint8 RGB frames.
        fps : frame rate of ``frames`` (Hz); spaces MediaPipe's timestamps for its smoothing filter.
            None: 30 (MediaPipe's default assumption).
        progress : show a tqdm bar on stderr; ``total`` is its length when ``frames`` has none.

        Returns
        -------
        kp : (T, 18, 2) float32 pixels; conf : (T, 18) float32 (zeros where no person was found).
        """
        if fps is not None and not float(fps) > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        if not self.static_image_mode and self._warm:
            self.reset()
        self._next_step_us = max(1, int(round(1e6 / float(fps)))) if fps else None
        if total is None and hasattr(frames, "__len__"):
            total = len(frames)  # type: ignore[arg-type]
        kps, confs = [], []
        bar = _progress(total, desc, "frame", progress)
        try:
            for frame in frames:
                k, c = self.estimate_image(frame)
                kps.append(k)
                confs.append(c)
                bar.update(1)
        finally:
            bar.close()
            self._next_step_us = None
        if not kps:
            return np.zeros((0, J, 2), np.float32), np.zeros((0, J), np.float32)
        return np.stack(kps).astype(np.float32), np.stack(confs).astype(np.float32)


def _progress(total, desc, unit, enabled):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, leave=True)


# ----------------------------------------------------------------------------------- inputs
def _natural_key(name: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files (``.jpg .jpeg .png .bmp .webp .tif .tiff``) directly in ``folder``, in natural
    name order (``2.png`` before ``10.png``). Raises :class:`PoseError` when there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PoseError(f"{folder}: no such folder")
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
    if not files:
        raise PoseError(f"{folder}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in this folder; "
                        "pass a video file or a folder of frames")
    return sorted(files, key=lambda p: _natural_key(p.name))


def read_image_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB; :class:`PoseError` naming the file if unreadable."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise PoseError(f"{path}: no such image file")
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise PoseError(f"{path}: not a readable image (empty or corrupt); remove or replace it")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


class VideoFrames:
    """RGB frames of a video file read with ``cv2.VideoCapture``, checked on opening.

    Attributes: ``fps`` (float, 0 when the container has none), ``size`` ((w, h) pixels),
    ``n_reported`` (frame count the container claims; may be approximate). Iterating yields
    (H, W, 3) uint8 RGB frames; it can be iterated once.
    """

    def __init__(self, path: str | os.PathLike):
        import cv2

        from ..fileio import local_media_path

        # OpenCV hands the name to ffmpeg: a local file only, by absolute path (no URL or protocol)
        abspath = local_media_path(path, "video file", PoseError)
        self.path = Path(path)
        if self.path.stat().st_size == 0:
            raise PoseError(f"{self.path}: empty file (0 bytes); pass a video file or a folder of frames")
        with _quiet_stderr():  # ffmpeg prints its own complaints about broken files
            cap = cv2.VideoCapture(str(abspath))
            ok = cap.isOpened()
            first = cap.read()[1] if ok else None
        if not ok or first is None:
            cap.release()
            raise PoseError(f"{self.path}: not a readable video (corrupt, or a format OpenCV cannot "
                            "decode); convert it to mp4 (H.264) or pass a folder of frames")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if np.isfinite(fps) and 0 < fps < 1000 else 0.0
        self.n_reported = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        self.size = (int(first.shape[1]), int(first.shape[0]))
        self.n_read = 0
        self._cap, self._first = cap, first

    def __len__(self) -> int:
        return self.n_reported

    def __iter__(self) -> Iterator[np.ndarray]:
        import cv2

        cap, frame = self._cap, self._first
        if cap is None:
            raise RuntimeError("VideoFrames can be iterated only once")
        self._cap = self._first = None
        try:
            while frame is not None:
                self.n_read += 1
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                with _quiet_stderr():  # ffmpeg's own messages about damaged packets
                    ok, frame = cap.read()
                if not ok:
                    frame = None
        finally:
            cap.release()


# ----------------------------------------------------------------------------------- extract
def extract(path: str | os.PathLike, *, fps: float | None = None, progress: bool = True,
            max_side: int | None = None, min_detection_confidence: float = 0.5,
            min_tracking_confidence: float = 0.5):
    """Estimate the pose of the person in a video file, an image folder or one image.

    Parameters
    ----------
    path : a video file (anything ``cv2.VideoCapture`` reads: mp4, avi, mov, mkv, webm ...), a
        folder of frames (sorted by name, processed as unrelated images) or one image file.
    fps : frame rate of the result. Video: overrides the container's rate (needed when it has
        none). Image folder: default :data:`DEFAULT_IMAGE_FPS` (25).
    progress : tqdm bar on stderr.
    max_side, min_detection_confidence, min_tracking_confidence : see :class:`PoseEstimator`.

    Returns
    -------
    :class:`dancegen.Dance` with ``keypoints`` (T, 18, 2) pixels of the frames, ``confidence``
    (T, 18), ``fps``, ``canvas`` = frame (width, height), ``name`` = file or folder name and
    ``meta`` = {"source": "mediapipe-pose", "input", "mode": "video"|"images", "frames",
    "frames_reported" (the container's count), "frames_detected" (frames with a pose),
    "frames_redetected" (tracking losses recovered by a second pass), "seconds"}.

    Raises
    ------
    PoseError : missing, empty, corrupt or unreadable input, or images of different sizes.
    """
    from ..dance import Dance

    path = Path(path)
    if fps is not None and not (np.isfinite(fps) and float(fps) > 0):
        from ..errors import ConfigError

        raise ConfigError(f"--fps must be a positive number, got {fps}")
    if not path.exists():
        raise PoseError(f"{path}: no such file or folder; pass a video file or a folder of frames")
    opts = dict(max_side=max_side, min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence)
    t0 = time.perf_counter()
    if path.is_dir() or path.suffix.lower() in IMAGE_EXTENSIONS:
        files = list_images(path) if path.is_dir() else [path]
        rate = float(fps) if fps else DEFAULT_IMAGE_FPS
        first = read_image_rgb(files[0])
        h, w = first.shape[:2]

        def frames():
            yield first
            for f in files[1:]:
                img = read_image_rgb(f)
                if img.shape[:2] != (h, w):
                    raise PoseError(f"{f}: image is {img.shape[1]}x{img.shape[0]} but the first frame "
                                    f"({files[0].name}) is {w}x{h}; all frames must have one size")
                yield img

        with PoseEstimator(static_image_mode=True, **opts) as est:
            kp, conf = est.estimate_frames(frames(), rate, progress=progress, total=len(files),
                                           desc=f"pose {path.name}")
        mode, canvas, n_reported, redetected = "images", (w, h), len(files), 0
    else:
        video = VideoFrames(path)
        rate = float(fps) if fps else video.fps
        if not rate > 0:
            raise PoseError(f"{path}: the video does not state its frame rate; pass --fps")
        with PoseEstimator(static_image_mode=False, **opts) as est:
            kp, conf = est.estimate_frames(video, rate, progress=progress, total=video.n_reported or None,
                                           desc=f"pose {path.name}")
            redetected = est.n_redetect
        mode, canvas, n_reported = "video", video.size, video.n_reported
    detected = int((conf.max(axis=1) > 0).sum()) if len(conf) else 0
    meta = {"source": "mediapipe-pose", "model_complexity": MODEL_COMPLEXITY, "input": str(path),
            "mode": mode, "frames": int(len(kp)), "frames_reported": int(n_reported),
            "frames_detected": detected, "frames_redetected": int(redetected), "seconds": round(time.perf_counter() - t0, 3)}
    return Dance(keypoints=kp, fps=rate, canvas=canvas, confidence=conf,
                 name=path.stem if path.is_file() else path.name, meta=meta)


# ----------------------------------------------------------------------------------- OpenPose JSON
# The OpenPose JSON writer lives with its reader in dancegen.data.openpose (one format, one pair).
from ..data.openpose import openpose_frame_dict, openpose_json_name, write_openpose_frames  # noqa: E402,F401
