"""Pose estimation on real photos: hand-marked joints, motion following, blank frames, OpenPose JSON."""
from __future__ import annotations

import json

import numpy as np
import pytest

from dancegen.data.openpose import write_openpose_frames
from dancegen.errors import DataError, PoseError
from dancegen.pose.estimator import (
    PoseEstimator, extract, landmarks_to_openpose, list_images, openpose_json_name,
)
from dancegen.skeleton import JOINT_INDEX, from_blazepose33
from pose_helpers import (
    ASTRONAUT_MARKS, FACE_TOL_PX, SHOULDER_TOL_PX, astronaut, motion_clip, place, write_video,
)

# Joints the astronaut photo shows clearly (upper body, face): used to follow the motion.
VISIBLE = [JOINT_INDEX[n] for n in ("Nose", "Neck", "RShoulder", "LShoulder", "REye", "LEye", "REar", "LEar")]


@pytest.fixture(scope="module")
def image_estimator():
    with PoseEstimator(static_image_mode=True) as est:
        yield est


@pytest.fixture(scope="module")
def astronaut_pose(image_estimator):
    return image_estimator.estimate_image(astronaut())


# ------------------------------------------------------------------------------ pure functions
def test_landmarks_to_openpose_layout_and_neck():
    rng = np.random.default_rng(0)
    lm = np.column_stack([rng.uniform(0, 1, 33), rng.uniform(0, 1, 33), rng.uniform(0, 1, 33)])
    kp, conf = landmarks_to_openpose(lm, width=640, height=480)
    assert kp.shape == (18, 2) and conf.shape == (18,) and kp.dtype == np.float32
    # nose = BlazePose 0, RShoulder = BlazePose 12 (the person's right), LAnkle = 27, LEar = 7
    for op, bp in ((0, 0), (2, 12), (5, 11), (13, 27), (17, 7), (14, 5)):
        np.testing.assert_allclose(kp[op], lm[bp, :2] * [640, 480], rtol=1e-6)
        assert conf[op] == pytest.approx(lm[bp, 2], abs=1e-6)
    np.testing.assert_allclose(kp[1], 0.5 * (lm[11, :2] + lm[12, :2]) * [640, 480], rtol=1e-6)
    assert conf[1] == pytest.approx(min(lm[11, 2], lm[12, 2]), abs=1e-6)
    np.testing.assert_allclose(kp, from_blazepose33(lm)[:, :2] * [640, 480], rtol=1e-5)


def test_openpose_json_name():
    assert openpose_json_name("clip", 7) == "clip_000000000007_keypoints.json"


# ------------------------------------------------------------------------------ real photos
def test_astronaut_keypoints_on_hand_marked_body_parts(astronaut_pose):
    kp, conf = astronaut_pose
    for name, (x, y) in ASTRONAUT_MARKS.items():
        j = JOINT_INDEX[name]
        tol = SHOULDER_TOL_PX if "Shoulder" in name else FACE_TOL_PX
        err = float(np.hypot(kp[j, 0] - x, kp[j, 1] - y))
        assert err <= tol, f"{name}: estimated {kp[j]}, marked ({x}, {y}), {err:.1f} px > {tol} px"
        assert conf[j] > 0.9, f"{name} visibility {conf[j]}"
    # the person faces the camera: their right side is on the image's left
    assert kp[JOINT_INDEX["REye"], 0] < kp[JOINT_INDEX["LEye"], 0]
    assert kp[JOINT_INDEX["RShoulder"], 0] < kp[JOINT_INDEX["LShoulder"], 0]
    np.testing.assert_allclose(kp[1], 0.5 * (kp[2] + kp[5]), atol=1e-3)
    # the photo stops at the waist: the ankles are not visible
    assert conf[JOINT_INDEX["RAnkle"]] < 0.5 and conf[JOINT_INDEX["LAnkle"]] < 0.5


def test_blank_frame_gives_zero_confidence(image_estimator):
    for img in (np.zeros((240, 320, 3), np.uint8), np.full((300, 300, 3), 200, np.uint8)):
        kp, conf = image_estimator.estimate_image(img)
        assert kp.shape == (18, 2) and conf.shape == (18,)
        assert np.all(conf == 0) and np.all(kp == 0)


def test_pixels_of_a_rescaled_and_shifted_photo(image_estimator, astronaut_pose):
    """A still image scaled by 0.5 and placed at (300, 50) on a wider canvas: keypoints move with it."""
    kp0, conf0 = astronaut_pose
    img = place(astronaut(), 0.5, (300, 50), (800, 400))
    kp, conf = image_estimator.estimate_image(img)
    expect = 0.5 * kp0 + np.array([300, 50])
    face = [JOINT_INDEX[n] for n in ("Nose", "REye", "LEye")]
    assert np.abs(kp[face] - expect[face]).max() < 6.0


def test_max_side_shrinks_input_but_keeps_pixels_of_the_original(astronaut_pose):
    kp0, _ = astronaut_pose
    with PoseEstimator(static_image_mode=True, max_side=256) as est:
        kp, conf = est.estimate_image(astronaut())
    face = [JOINT_INDEX[n] for n in ("Nose", "REye", "LEye")]
    assert np.abs(kp[face] - kp0[face]).max() < 8.0 and conf[face].min() > 0.9


def test_video_keypoints_follow_translation_and_scale(tmp_path):
    """30 frames at 30 fps: the photo moves by (+130, -60) px and grows from 0.70 to 0.90."""
    frames, scales, offsets = motion_clip(30)
    path = tmp_path / "moving.mp4"
    write_video(path, frames, fps=30)
    dance = extract(path, progress=False)
    assert dance.fps == pytest.approx(30.0) and dance.canvas == (640, 640)
    assert dance.keypoints.shape == (30, 18, 2) and dance.confidence.shape == (30, 18)
    assert dance.meta["mode"] == "video" and dance.meta["frames_detected"] == 30
    kp, conf = dance.keypoints, dance.confidence
    assert conf[:, VISIBLE].min() > 0.8

    # Estimated motion from frame 0 to t (least-squares scale + translation over the visible
    # joints) against the applied one.
    a = kp[0, VISIBLE].astype(np.float64)
    for t in range(1, 30):
        b = kp[t, VISIBLE].astype(np.float64)
        s = np.sum((a - a.mean(0)) * (b - b.mean(0))) / np.sum((a - a.mean(0)) ** 2)
        s_true = scales[t] / scales[0]
        assert s == pytest.approx(s_true, rel=0.08), f"frame {t}"
        # where frame 0's centroid moved to: estimated vs applied
        c0 = a.mean(0)
        moved = b.mean(0) - c0
        moved_true = s_true * (c0 - offsets[0]) + offsets[t] - c0
        assert np.abs(moved - moved_true).max() < 6.0, f"frame {t}: {moved} vs {moved_true}"
    # Back in photo coordinates every visible joint stays put (the motion itself is 130 px).
    photo = (kp - offsets[:, None, :]) / scales[:, None, None]
    spread = np.abs(photo[:, VISIBLE] - np.median(photo[:, VISIBLE], axis=0)).max()
    assert spread < 15.0


def test_estimate_frames_with_blank_frames_in_the_middle():
    frames, _, _ = motion_clip(6)
    blank = np.full_like(frames[0], 128)
    seq = frames[:3] + [blank, blank] + frames[3:]
    with PoseEstimator(static_image_mode=False) as est:
        kp, conf = est.estimate_frames(seq, fps=25)
    assert kp.shape == (8, 18, 2) and conf.shape == (8, 18)
    assert np.all(conf[3:5] == 0) and np.all(kp[3:5] == 0)
    face = [JOINT_INDEX[n] for n in ("Nose", "REye", "LEye")]
    assert conf[[0, 1, 2, 5, 6, 7]][:, face].min() > 0.9
    # empty input
    with PoseEstimator(static_image_mode=True) as est:
        kp, conf = est.estimate_frames([], fps=25)
    assert kp.shape == (0, 18, 2) and conf.shape == (0, 18)


# ------------------------------------------------------------------------------ image folders
def test_extract_image_folder(tmp_path):
    import cv2

    photo = astronaut()
    # frame names sort naturally: 2 before 10; frame "10" holds a blank image
    for name, img in (("f1.png", place(photo, 0.5, (0, 0), (400, 300))),
                      ("f2.jpg", place(photo, 0.5, (100, 20), (400, 300))),
                      ("f10.png", np.zeros((300, 400, 3), np.uint8))):
        cv2.imwrite(str(tmp_path / name), img[:, :, ::-1])
    (tmp_path / "notes.txt").write_text("not an image")
    assert [p.name for p in list_images(tmp_path)] == ["f1.png", "f2.jpg", "f10.png"]
    d = extract(tmp_path, progress=False)
    assert d.fps == 25.0 and d.canvas == (400, 300) and d.n_frames == 3
    assert d.meta["mode"] == "images" and d.meta["frames_detected"] == 2
    nose = JOINT_INDEX["Nose"]
    assert np.hypot(*(d.keypoints[0, nose] - np.array(ASTRONAUT_MARKS["Nose"]) * 0.5)) < 10
    assert np.abs((d.keypoints[1, nose] - d.keypoints[0, nose]) - [100, 20]).max() < 4
    assert np.all(d.confidence[2] == 0)
    d12 = extract(tmp_path, fps=12, progress=False)
    assert d12.fps == 12.0


# ------------------------------------------------------------------------------ errors
def test_bad_inputs_raise_pose_error(tmp_path):
    with pytest.raises(PoseError, match="no such file or folder"):
        extract(tmp_path / "missing.mp4", progress=False)
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(PoseError, match="empty file"):
        extract(tmp_path / "empty.mp4", progress=False)
    (tmp_path / "junk.mp4").write_bytes(np.random.default_rng(1).bytes(20000))
    with pytest.raises(PoseError, match="not a readable video"):
        extract(tmp_path / "junk.mp4", progress=False)
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(PoseError, match="no image files"):
        extract(tmp_path / "empty_dir", progress=False)
    bad = tmp_path / "bad_dir"
    bad.mkdir()
    (bad / "000001.jpg").write_bytes(b"\xff\xd8 truncated jpeg")
    with pytest.raises(PoseError, match="000001.jpg: not a readable image"):
        extract(bad, progress=False)


def test_mixed_image_sizes_raise(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((100, 120, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "b.png"), np.zeros((90, 120, 3), np.uint8))
    with pytest.raises(PoseError, match="b.png: image is 120x90"):
        extract(tmp_path, progress=False)


# ------------------------------------------------------------------------------ OpenPose JSON
def test_openpose_json_round_trip(tmp_path, astronaut_pose):
    kp0, conf0 = astronaut_pose
    kp = np.stack([kp0, np.zeros_like(kp0), kp0 + 5])
    conf = np.stack([conf0, np.zeros_like(conf0), conf0])
    conf[2, 4] = 0.0                                    # one joint lost in frame 2
    paths = write_openpose_frames(kp, conf, tmp_path / "json", name="clip")
    assert [p.name for p in paths] == [f"clip_{t:012d}_keypoints.json" for t in range(3)]
    frames = [json.loads(p.read_text()) for p in paths]
    assert all(f["version"] == 1.3 for f in frames)
    assert frames[1]["people"] == []                    # no person in frame 1
    for t in (0, 2):
        (person,) = frames[t]["people"]
        assert person["person_id"] == [-1]
        arr = np.asarray(person["pose_keypoints_2d"], dtype=np.float64).reshape(18, 3)
        expect_xy = np.where(conf[t][:, None] > 0, kp[t], 0)
        np.testing.assert_allclose(arr[:, :2], expect_xy, atol=1e-3)
        np.testing.assert_allclose(arr[:, 2], conf[t], atol=1e-3)
    assert frames[2]["people"][0]["pose_keypoints_2d"][12:15] == [0.0, 0.0, 0.0]
    with pytest.raises(DataError, match="exists"):
        write_openpose_frames(kp, conf, tmp_path / "json", name="clip")
    write_openpose_frames(kp[:1], conf[:1], tmp_path / "json", name="clip", overwrite=True)


def test_openpose_json_several_people(tmp_path, astronaut_pose):
    kp0, conf0 = astronaut_pose
    kp = np.stack([np.stack([kp0, kp0 + 100])] * 2)     # (T=2, P=2, 18, 2)
    conf = np.stack([np.stack([conf0, conf0]), np.stack([np.zeros(18), conf0])])
    paths = write_openpose_frames(kp, conf, tmp_path, name="seq", person_ids=[3, 7])
    f0, f1 = (json.loads(p.read_text()) for p in paths)
    assert [p["person_id"] for p in f0["people"]] == [[3], [7]]
    assert [p["person_id"] for p in f1["people"]] == [[7]]
    np.testing.assert_allclose(np.reshape(f1["people"][0]["pose_keypoints_2d"], (18, 3))[:, :2],
                               kp0 + 100, atol=1e-3)


def test_video_mode_redetects_in_the_frame_where_tracking_is_lost():
    """The dancer jumps across the frame: MediaPipe's tracker loses them in frame 3 and would
    report nothing there; the estimator feeds that frame again so the detector finds them."""
    photo = astronaut()
    frames = [place(photo, 0.45, (10, 60), (900, 360))] * 3 + [place(photo, 0.45, (640, 60), (900, 360))] * 3
    nose = JOINT_INDEX["Nose"]
    with PoseEstimator(static_image_mode=False, redetect=False) as est:
        _, conf = est.estimate_frames(frames, fps=25)
    assert np.all(conf[3] == 0) and conf[[0, 1, 2, 4, 5]].max(axis=1).min() > 0.9   # MediaPipe's own behaviour
    with PoseEstimator(static_image_mode=False) as est:
        kp, conf = est.estimate_frames(frames, fps=25)
        assert est.n_redetect == 1
    assert conf[:, nose].min() > 0.9
    expect = 0.45 * np.asarray(ASTRONAUT_MARKS["Nose"])
    np.testing.assert_allclose(kp[:3, nose], np.tile(expect + (10, 60), (3, 1)), atol=8)
    np.testing.assert_allclose(kp[3:, nose], np.tile(expect + (640, 60), (3, 1)), atol=8)


def test_openpose_json_reads_back_with_the_openpose_data_source(tmp_path, astronaut_pose):
    """The folder we write is what dancegen.data.openpose reads (people[].pose_keypoints_2d)."""
    from dancegen.data.openpose import load_openpose

    kp0, conf0 = astronaut_pose
    kp = np.stack([kp0, np.zeros_like(kp0), kp0 + (40, 10)])
    conf = np.stack([conf0, np.zeros_like(conf0), conf0])
    write_openpose_frames(kp, conf, tmp_path, name="astro")
    d = load_openpose(tmp_path, fps=25, canvas=(512, 512))
    assert d.n_frames == 3 and d.meta["missing_frames"] == 1
    seen = conf0 > 0
    np.testing.assert_allclose(d.keypoints[0][seen], kp0[seen], atol=1e-3)
    np.testing.assert_allclose(d.keypoints[2][seen], kp0[seen] + (40, 10), atol=1e-3)
    np.testing.assert_allclose(d.confidence[[0, 2]], conf[[0, 2]], atol=1e-3)
    assert np.all(d.confidence[1] == 0)
