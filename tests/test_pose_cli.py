"""`dancegen extract`: end to end on a real-photo video, and one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dancegen.cli import main
from dancegen.dance import Dance
from dancegen.skeleton import JOINT_INDEX
from pose_helpers import motion_clip, write_video

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    frames, scales, offsets = motion_clip(12)
    path = tmp_path_factory.mktemp("video") / "moving astronaut.mp4"
    write_video(path, frames, fps=24)
    return path, scales, offsets


def _run(*args):
    """The real command in a fresh process (checks that no MediaPipe/TFLite log reaches stderr)."""
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-m", "dancegen", *map(str, args)], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)


def test_extract_video_to_npz_and_openpose_json(video, tmp_path):
    path, scales, offsets = video
    out, js = tmp_path / "out.npz", tmp_path / "json"
    r = _run("extract", path, "-o", out, "--openpose-json", js, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""                                   # no log spam from MediaPipe / TFLite
    assert "12 frames at 24 fps, 640x640, person found in 12" in r.stdout
    d = Dance.load(out)
    assert d.keypoints.shape == (12, 18, 2) and d.confidence.shape == (12, 18)
    assert d.fps == 24.0 and d.canvas == (640, 640) and d.name == "moving astronaut"
    nose = JOINT_INDEX["Nose"]
    photo_nose = (d.keypoints[:, nose] - offsets) / scales[:, None]   # back in photo pixels
    assert np.abs(photo_nose - (221, 126)).max() < 15
    files = sorted(js.iterdir())
    assert [f.name for f in files] == [f"moving_astronaut_{t:012d}_keypoints.json" for t in range(12)]
    for t in (0, 11):
        (person,) = json.loads(files[t].read_text())["people"]
        arr = np.reshape(person["pose_keypoints_2d"], (18, 3))
        np.testing.assert_allclose(arr[:, :2], d.keypoints[t], atol=1e-3)
        np.testing.assert_allclose(arr[:, 2], d.confidence[t], atol=1e-3)


def test_progress_bar_goes_to_stderr(video, tmp_path, capsys):
    path, _, _ = video
    assert main(["extract", str(path), "-o", str(tmp_path / "a.npz"), "--fps", "12"]) == 0
    cap = capsys.readouterr()
    assert "12/12" in cap.err and "frame/s" in cap.err      # tqdm's bar, on stderr
    assert Dance.load(tmp_path / "a.npz").fps == 12.0       # --fps overrides the video's rate


def test_corrupt_video_gives_one_line_error(tmp_path):
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + np.random.default_rng(0).bytes(50000))
    r = _run("extract", bad, "-o", tmp_path / "x.npz")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("dancegen extract: error: ") and "corrupt.mp4: not a readable video" in lines[0]
    assert "Traceback" not in r.stderr and not (tmp_path / "x.npz").exists()


def test_user_errors_are_one_line(video, tmp_path, capsys):
    path, _, _ = video
    cases = [
        (["extract", str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "a.npz")], "no such file or folder"),
        (["extract", str(path), "-o", str(tmp_path / "a.txt")], "must be a .npz"),
        (["extract", str(path), "-o", str(tmp_path / "a.npz"), "--fps", "0"], "--fps 0: out of range"),
        (["extract", str(tmp_path), "--dancetrack", "-o", str(tmp_path / "o")], "seqinfo.ini: no such file"),
    ]
    for argv, msg in cases:
        rc = main(argv + ["--no-progress"])
        err = capsys.readouterr().err
        assert rc != 0 and msg in err and err.count("\n") == 1, (argv, err)
    existing = tmp_path / "exists.npz"
    existing.write_bytes(b"keep me")
    rc = main(["extract", str(path), "-o", str(existing), "--no-progress"])
    err = capsys.readouterr().err
    assert rc != 0 and "exists; pass --force" in err and existing.read_bytes() == b"keep me"
    assert main(["extract", str(path), "-o", str(existing), "--no-progress", "--force"]) == 0
    assert Dance.load(existing).n_frames == 12


def test_truncated_video_is_extracted_with_a_warning(tmp_path, capsys):
    """An AVI cut in half: the frames before the cut are used, and the user is told."""
    import cv2

    frames, _, _ = motion_clip(40, size=(320, 320))
    full = tmp_path / "full.avi"
    wr = cv2.VideoWriter(str(full), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (320, 320))
    for f in frames:
        wr.write(np.ascontiguousarray(f[:, :, ::-1]))
    wr.release()
    data = full.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    rc = main(["extract", str(cut), "-o", str(tmp_path / "cut.npz"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 0
    d = Dance.load(tmp_path / "cut.npz")
    assert 5 <= d.n_frames < 40 and d.confidence.max(axis=1).min() > 0.5
    assert f"decoded {d.n_frames} of the 40 frames" in err and "truncated" in err
